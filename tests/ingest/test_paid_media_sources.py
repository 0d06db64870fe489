"""Microsoft Advertising, Meta Ads and ECB rates land through the source registry."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import duckdb
import pytest

from pipelines.ingest.options import IngestOptions
from pipelines.ingest.raw_store import RawStore
from pipelines.ingest.runner import ingest_source
from pipelines.ingest.sources import SOURCES, source_by_folder

SAMPLES = Path(__file__).parent.parent / "fixtures" / "shared_samples"
OPTIONS = IngestOptions(pii_salt="test-salt")


def _rows(raw: Path, table: str, sql: str) -> list[tuple]:
    with duckdb.connect() as con:
        pattern = str(raw / table / "*.parquet")
        con.execute(f"create view t as select * from read_parquet('{pattern}', union_by_name=true)")
        return con.execute(sql).fetchall()


def _ecb_cells(path: Path) -> int:
    """Rates in the file counted independently of the reader: every cell that is not N/A."""
    with path.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    header = [c for c in rows[0] if c]
    return sum(1 for row in rows[1:] for c in row[1 : len(header)] if c.strip() not in ("", "N/A"))


@pytest.mark.parametrize(
    ("folder", "sample", "table", "expected"),
    [
        ("microsoft_ads", "microsoft_ads_campaign_report.csv", "microsoft_ads_campaign_days", 2),
        ("meta_ads", "meta_ads_export_nl.csv", "meta_ads_campaign_days", 2),
        # the load log counts the file's lines (3 days); the table holds a row per rate
        ("fx_rates", "ecb_eurofxref_hist.csv", "fx_rates_daily", 3),
    ],
)
def test_a_landing_folder_of_the_new_sources_loads_into_its_raw_table(
    tmp_path, folder, sample, table, expected
):
    source = source_by_folder(folder)
    assert source is SOURCES[folder]
    landing = tmp_path / "landing"
    (landing / folder).mkdir(parents=True)
    shutil.copy(SAMPLES / sample, landing / folder / sample)
    raw = tmp_path / "raw"
    report = ingest_source(source, landing, RawStore(raw), "load-1", OPTIONS)
    assert (report.files_loaded, report.rows_loaded) == (1, expected)
    rows = expected if folder != "fx_rates" else _ecb_cells(SAMPLES / sample)
    assert _rows(raw, table, "select count(*), count(distinct _source_file) from t") == [(rows, 1)]
    again = ingest_source(source, landing, RawStore(raw), "load-2", OPTIONS)
    assert (again.files_loaded, again.files_skipped) == (0, 1)  # the same file is loaded once
