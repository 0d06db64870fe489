"""No landing file is ignored in silence: what no reader reads is named, with what to do."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
from rich.console import Console

from pipelines.assets.ingestion import ingestion_assets, run_context
from pipelines.cli import run_summary
from pipelines.ingest.landing import files_outside_sources
from pipelines.ingest.options import IngestOptions
from pipelines.ingest.raw_store import RawStore
from pipelines.ingest.runner import ingest_source
from pipelines.ingest.sources import SOURCES
from pipelines.resources import WarehouseResource
from tests.conftest import FIXTURES, environment

KNOWN = (
    "crm/, fx_rates/, ga4/, google_ads/, meta_ads/, microsoft_ads/, orders/, search_console/, "
    "support_tickets/, surveys/"
)
XLSX = (
    "google_ads/report.xlsx: not read, google_ads/ reads only *.csv, *.tsv, *.txt files; "
    "download the export again in one of these formats (the file itself is left as it is)"
)
OUTSIDE = [
    "linkedin_ads/: no source reads this folder yet, so its 1 file(s) are not loaded "
    f"(linkedin_ads/campaigns.csv); known folders: {KNOWN}",
    "orders_export.csv: a file at the top of the landing folder is not read; move it into the "
    f"folder of its source ({KNOWN})",
    "pinterest_ads/: no source reads this folder yet, so its 1 file(s) are not loaded "
    f"(pinterest_ads/2026/september.csv); known folders: {KNOWN}",
]


def _landing(root: Path) -> Path:
    landing = root / "landing"
    files = {
        "google_ads/campaign_report.csv": (FIXTURES / "google_ads" / "en_comma_utf8.csv"),
        "google_ads/report.xlsx": b"PK\x03\x04 a spreadsheet",
        "google_ads/.DS_Store": b"\x00",  # not an export: never named
        "google_ads/~$campaign_report.csv": b"lock",  # Office's lock file: never named
        "linkedin_ads/campaigns.csv": b"campaign,spend\nA,1\n",
        "pinterest_ads/2026/september.csv": b"campaign,spend\nA,1\n",
        "orders_export.csv": (FIXTURES / "orders" / "orders_export.csv"),
        ".hidden/notes.txt": b"never named",
    }
    for name, data in files.items():
        path = landing / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data.read_bytes() if isinstance(data, Path) else data)
    (landing / "empty_folder").mkdir()  # nothing in it: nothing to say
    return landing


def test_files_no_reader_reads_are_named_with_what_to_do(tmp_path):
    landing = _landing(tmp_path)
    options = IngestOptions(pii_salt="test-salt")
    report = ingest_source(SOURCES["google_ads"], landing, RawStore(tmp_path / "raw"), "l", options)
    assert (report.files_loaded, report.rows_loaded) == (1, 3)
    assert report.not_read == [XLSX]
    assert files_outside_sources(landing, [s.landing_folder for s in SOURCES.values()]) == OUTSIDE
    # A source whose folder holds only what it reads has nothing to report.
    empty = ingest_source(SOURCES["ga4"], landing, RawStore(tmp_path / "raw"), "l", options)
    assert empty.not_read == [] and empty.files_seen == 0


def test_unread_files_are_in_the_raw_assets_metadata_and_the_run_summary(tmp_path):
    landing = _landing(tmp_path)
    warehouse = WarehouseResource(
        landing_dir=str(landing),
        raw_dir=str(tmp_path / "raw"),
        work_db_path=str(tmp_path / "work" / "kpi_work.duckdb"),
        warehouse_path=str(tmp_path / "published" / "kpi.duckdb"),
        definitions_dir=str(tmp_path / "definitions"),
    )
    google_ads = next(a for a in ingestion_assets if a.op.name == "ingest_google_ads")
    with environment(KPI_PII_SALT="test-salt", DAGSTER_HOME=str(tmp_path / "dagster_home")):
        result = dg.materialize(
            [google_ads, run_context],
            resources={"warehouse": warehouse},
            run_config={"ops": {"raw__run_context": {"config": {"as_of": "2026-10-05"}}}},
        )
    assert result.success
    metadata = {
        event.asset_key.path[-1]: event.materialization.metadata
        for event in result.get_asset_materialization_events()
    }
    ads = metadata["google_ads_campaign_days"]
    assert ads["files_not_read_count"].value == 1
    assert ads["files_not_read"].value == f"- {XLSX}"
    context = metadata["run_context"]
    assert context["files_not_read_count"].value == 3
    assert context["files_not_read"].value == "\n".join(f"- {m}" for m in OUTSIDE)

    console = Console(record=True, width=400)
    console.print(run_summary(result))
    text = console.export_text()
    assert "files not read" in text
    for message in [XLSX, *OUTSIDE]:
        assert message in text
    for never in (".DS_Store", "~$campaign_report.csv", ".hidden", "empty_folder"):
        assert never not in text
