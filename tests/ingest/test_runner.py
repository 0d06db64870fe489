"""Loading a landing folder: idempotent, reconciled, quarantined, never stopped by one bad file."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import duckdb
import pytest

from pipelines.ingest.options import IngestOptions, MissingSaltError, require_salt
from pipelines.ingest.pii import salted_hash
from pipelines.ingest.raw_store import RawStore
from pipelines.ingest.runner import ingest_source
from pipelines.ingest.sources import SOURCES

FIXTURES = Path(__file__).parent.parent / "fixtures"
OPTIONS = IngestOptions(pii_salt="test-salt")


def _landing(tmp_path: Path, source: str, files: dict[str, bytes]) -> Path:
    folder = tmp_path / "landing" / source
    folder.mkdir(parents=True)
    for name, data in files.items():
        (folder / name).write_bytes(data)
    return tmp_path / "landing"


def _query(raw: Path, sql: str) -> list[tuple]:
    with duckdb.connect() as con:
        for table in ("load_log", "rejected_rows", "google_ads_campaign_days", "orders"):
            pattern = str(raw / table / "*.parquet")
            if list((raw / table).glob("*.parquet")):
                con.execute(
                    f"create view {table} as select * from read_parquet('{pattern}', "
                    "union_by_name = true)"
                )
        return con.execute(sql).fetchall()


GOOD = (FIXTURES / "google_ads" / "en_comma_utf8.csv").read_bytes()


def test_same_file_twice_is_loaded_once(tmp_path):
    landing = _landing(tmp_path, "google_ads", {"a.csv": GOOD})
    raw = tmp_path / "raw"
    first = ingest_source(SOURCES["google_ads"], landing, RawStore(raw), "load-1", OPTIONS)
    shutil.copy(landing / "google_ads" / "a.csv", landing / "google_ads" / "a copy (1).csv")
    second = ingest_source(SOURCES["google_ads"], landing, RawStore(raw), "load-2", OPTIONS)
    assert (first.files_loaded, first.rows_loaded) == (1, 3)
    assert (second.files_loaded, second.files_skipped, second.rows_loaded) == (0, 2, 0)
    assert _query(raw, "select count(*) from google_ads_campaign_days") == [(3,)]


def test_bad_rows_are_quarantined_and_reconciled(tmp_path):
    rows = ["Day,Campaign,Cost,Conversions,Conv. value"]
    rows += [f"2026-09-{d:02d},Brand,10.00,1,100.00" for d in range(1, 30)]
    rows += ["2026-09-30,Brand,-4.00,1,100.00"]
    landing = _landing(tmp_path, "google_ads", {"month.csv": "\n".join(rows).encode()})
    raw = tmp_path / "raw"
    report = ingest_source(SOURCES["google_ads"], landing, RawStore(raw), "load-1", OPTIONS)
    assert (report.rows_read, report.rows_loaded, report.rows_rejected) == (30, 29, 1)
    assert _query(raw, "select rows_read, rows_loaded, rows_rejected, status from load_log") == [
        (30, 29, 1, "loaded")
    ]
    assert _query(
        raw,
        "select file_path, line_number, column_name, check_name, value, original_text "
        "from rejected_rows",
    ) == [
        (
            "google_ads/month.csv",
            31,
            "Cost",
            "cost >= 0",
            "-4.00",
            "2026-09-30,Brand,-4.00,1,100.00",
        )
    ]


def test_file_over_the_reject_threshold_loads_nothing(tmp_path):
    text = "Day,Campaign,Cost,Conversions,Conv. value\n2026-09-01,A,1,1,1\n2026-09-02,A,x,1,1\n"
    landing = _landing(tmp_path, "google_ads", {"bad.csv": text.encode()})
    raw = tmp_path / "raw"
    report = ingest_source(SOURCES["google_ads"], landing, RawStore(raw), "load-1", OPTIONS)
    assert report.rows_loaded == 0 and report.files_refused == 1
    assert "1 of 2 rows (50%) failed their checks" in report.problems[0]
    assert "line 3, column 'Cost'" in report.problems[0]
    assert not list((raw / "google_ads_campaign_days").glob("*.parquet"))
    assert _query(raw, "select status, rows_loaded from load_log") == [("failed", 0)]


def test_unparseable_file_next_to_good_ones(tmp_path):
    landing = _landing(
        tmp_path,
        "google_ads",
        {"good.csv": GOOD, "broken.csv": b"\x00\x01\x02 binary junk", "empty.csv": b""},
    )
    raw = tmp_path / "raw"
    report = ingest_source(SOURCES["google_ads"], landing, RawStore(raw), "load-1", OPTIONS)
    assert report.files_loaded == 1 and report.rows_loaded == 3
    assert sorted(report.problems) == [
        "google_ads/broken.csv: this looks like a binary file, not a CSV export",
        "google_ads/empty.csv: the file is empty (0 bytes); download the export again",
    ]
    assert (landing / "google_ads" / "broken.csv").read_bytes() == b"\x00\x01\x02 binary junk"
    statuses = dict(_query(raw, "select file_path, status from load_log"))
    assert statuses == {
        "google_ads/good.csv": "loaded",
        "google_ads/broken.csv": "refused",
        "google_ads/empty.csv": "refused",
    }


def test_personal_data_is_hashed_with_the_salt(tmp_path):
    data = (FIXTURES / "orders" / "orders_export.csv").read_bytes()
    landing = _landing(tmp_path, "orders", {"export.csv": data})
    raw = tmp_path / "raw"
    lenient = IngestOptions(pii_salt="test-salt", reject_threshold=0.5)  # the fixture has 1 bad row
    ingest_source(SOURCES["shopify"], landing, RawStore(raw), "load-1", lenient)
    [(email, email_hash)] = _query(
        raw, "select email, email_hash from orders where order_name = '#2001'"
    )
    assert email == "Anna.Vries@Example.com"
    assert email_hash == salted_hash("email", "anna.vries@example.com", "test-salt")
    assert email_hash != salted_hash("email", "anna.vries@example.com", "other-salt")
    stored = [path.read_bytes() for path in raw.rglob("*") if path.is_file()]
    assert stored and not any(b"test-salt" in data for data in stored)  # the salt is never kept


def test_missing_salt_refuses_personal_data_clearly(tmp_path):
    with pytest.raises(MissingSaltError, match="KPI_PII_SALT is not set"):
        require_salt(IngestOptions(pii_salt=None))
    data = (FIXTURES / "orders" / "orders_export.csv").read_bytes()
    landing = _landing(tmp_path, "orders", {"export.csv": data})
    report = ingest_source(
        SOURCES["shopify"],
        landing,
        RawStore(tmp_path / "raw"),
        "l",
        IngestOptions(reject_threshold=0.5),
    )
    assert report.files_loaded == 0
    assert "KPI_PII_SALT is not set" in report.problems[0]


def test_a_ga4_file_far_larger_than_a_report_is_refused_unread(tmp_path, monkeypatch):
    data = (FIXTURES / "ga4" / "traffic_acquisition_by_date.csv").read_bytes()
    landing = _landing(tmp_path, "ga4", {"huge.csv": data})
    monkeypatch.setattr("pipelines.ingest.ga4.MAX_BYTES", len(data) - 1)
    report = ingest_source(SOURCES["ga4"], landing, RawStore(tmp_path / "raw"), "l", OPTIONS)
    [problem] = report.problems
    assert problem.startswith("ga4/huge.csv: ") and "larger than a GA4 report download" in problem
    monkeypatch.setattr("pipelines.ingest.ga4.MAX_BYTES", len(data))
    lenient = IngestOptions(pii_salt="test-salt", reject_threshold=0.5)  # 1 custom channel row
    report = ingest_source(SOURCES["ga4"], landing, RawStore(tmp_path / "raw2"), "l", lenient)
    assert (report.files_loaded, report.rows_loaded) == (1, 4)


def test_links_pointing_outside_the_landing_folder_are_refused(tmp_path):
    secret = tmp_path / "secret.csv"
    secret.write_bytes(GOOD)
    landing = _landing(tmp_path, "google_ads", {"good.csv": GOOD})
    (landing / "google_ads" / "linked.csv").symlink_to(secret)
    raw = tmp_path / "raw"
    report = ingest_source(SOURCES["google_ads"], landing, RawStore(raw), "load-1", OPTIONS)
    assert report.files_loaded == 1
    assert report.problems == [
        f"google_ads/linked.csv: points outside the landing folder (to {secret}); copy the file "
        "into the folder instead of linking it (or set KPI_ALLOW_LINKS_OUTSIDE_LANDING=1)"
    ]
    assert _query(raw, "select count(*) from google_ads_campaign_days") == [(3,)]


def test_scratch_folders_of_killed_runs_are_removed(tmp_path):
    from pipelines.ingest.runner import remove_abandoned_workdirs

    scratch = tmp_path / "_work"
    dead = scratch / "ingest-999999999-abc"
    alive = scratch / f"ingest-{os.getpid()}-def"
    for folder in (dead, alive):
        folder.mkdir(parents=True)
        (folder / "half-written.parquet").write_bytes(b"x")
    assert remove_abandoned_workdirs(scratch) == [dead]
    assert alive.exists() and not dead.exists()
