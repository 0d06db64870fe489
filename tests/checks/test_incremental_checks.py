"""The schema check of a raw table over the files added since it last passed."""

from __future__ import annotations

import shutil
from pathlib import Path
from types import SimpleNamespace

import pyarrow.parquet as pq

from pipelines.checks.incremental import check_new_files, data_files
from pipelines.checks.raw_checks import SCHEMA_CHECK, evaluate
from pipelines.ingest.options import IngestOptions
from pipelines.ingest.raw_store import RawStore
from pipelines.ingest.runner import ingest_source
from pipelines.ingest.sources import SOURCES

FIXTURES = Path(__file__).parents[1] / "fixtures" / "landing" / "google_ads"
TABLE = "google_ads_campaign_days"
FIRST = ["campaign_report_2026-08-31_2026-09-13.csv", "campagnerapport_2026-09-14_2026-09-27.csv"]
LATER = "campaign_report_2026-09-21_2026-09-27_corrected.csv"


def _load(tmp_path: Path, names: list[str]) -> SimpleNamespace:
    landing = tmp_path / "landing" / "google_ads"
    landing.mkdir(parents=True, exist_ok=True)
    for name in names:
        shutil.copy(FIXTURES / name, landing / name)
    raw = tmp_path / "raw"
    report = ingest_source(
        SOURCES["google_ads"], tmp_path / "landing", RawStore(raw), "load", IngestOptions()
    )
    assert not report.problems
    return SimpleNamespace(raw=raw, build_state_dir=tmp_path / "work")


def _rows(path: Path) -> int:
    return pq.ParquetFile(path).metadata.num_rows


def test_a_clean_new_file_is_checked_without_reading_the_earlier_files_rows(tmp_path):
    warehouse = _load(tmp_path, FIRST)
    first = evaluate(warehouse, TABLE, SCHEMA_CHECK)
    earlier = data_files(warehouse.raw, TABLE)
    assert first.passed and first.metadata["scope"] == "full table"  # nothing checked before
    assert first.metadata["rows_checked"] == sum(_rows(p) for p in earlier)

    _load(tmp_path, [LATER])
    new = [p for p in data_files(warehouse.raw, TABLE) if p not in earlier]
    assert len(new) == 1
    verdict = evaluate(warehouse, TABLE, SCHEMA_CHECK)
    assert verdict.passed, verdict.description
    assert verdict.metadata["scope"] == "new files"
    # Only the new file's rows were validated; no row of the two earlier files was read.
    assert verdict.metadata["rows_checked"] == _rows(new[0])
    assert verdict.metadata["files_checked"] == 1
    assert verdict.metadata["earlier_files_read"] == 0
    assert verdict.metadata["earlier_files_ruled_out"] == 2
    outcome = check_new_files(warehouse.raw, TABLE, new, earlier)
    assert outcome.files_checked == [new[0].name] and outcome.earlier_files_read == []


def test_a_key_of_a_new_file_already_in_an_earlier_file_fails_the_incremental_check(tmp_path):
    warehouse = _load(tmp_path, FIRST)
    assert evaluate(warehouse, TABLE, SCHEMA_CHECK).passed
    earlier = data_files(warehouse.raw, TABLE)
    # A second copy of the rows of an earlier delivery under another name: each of its keys
    # (file hash, day, campaign) is already in that earlier file; within itself it is clean.
    copied = earlier[0]
    duplicate = copied.with_name("f" * 64 + ".parquet")
    shutil.copy(copied, duplicate)

    verdict = evaluate(warehouse, TABLE, SCHEMA_CHECK)
    assert not verdict.passed
    assert verdict.metadata["scope"] == "new files"
    assert "unique across files" in verdict.description
    assert verdict.metadata["earlier_files_read"] == 1  # only the file that holds the keys
    outcome = check_new_files(warehouse.raw, TABLE, [duplicate], earlier)
    assert outcome.earlier_files_read == [copied.name]
    # The full check of every row finds the same duplicate keys.
    full = evaluate(warehouse, TABLE, SCHEMA_CHECK, full=True)
    assert not full.passed and full.metadata["scope"] == "full table"


def test_full_checks_re_validate_every_row_and_their_verdict_is_reused(tmp_path):
    warehouse = _load(tmp_path, FIRST)
    evaluate(warehouse, TABLE, SCHEMA_CHECK)
    _load(tmp_path, [LATER])
    everything = sum(_rows(p) for p in data_files(warehouse.raw, TABLE))
    full = evaluate(warehouse, TABLE, SCHEMA_CHECK, full=True)
    assert full.passed and full.metadata["scope"] == "full table"
    assert full.metadata["rows_checked"] == everything
    # The same files again: the full verdict is reused, also when a full check is asked.
    assert evaluate(warehouse, TABLE, SCHEMA_CHECK, full=True).reused
