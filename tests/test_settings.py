"""Configured paths stay inside the project folder unless that is explicitly allowed."""

from __future__ import annotations

import pytest

from pipelines.cli import main
from pipelines.settings import PROJECT_DIR, Settings, SettingsError


@pytest.fixture(autouse=True)
def _no_allowance(monkeypatch):
    monkeypatch.delenv("KPI_ALLOW_PATHS_OUTSIDE_PROJECT", raising=False)


@pytest.mark.parametrize("value", ["../elsewhere/raw", "/tmp/kpi-raw", "warehouse/../../raw"])
def test_a_path_outside_the_project_is_refused_with_the_variable_named(monkeypatch, value):
    monkeypatch.setenv("KPI_RAW_DIR", value)
    with pytest.raises(SettingsError) as refused:
        Settings.from_env()
    assert str(refused.value).startswith(f"KPI_RAW_DIR={value} is outside the project folder")
    assert "KPI_ALLOW_PATHS_OUTSIDE_PROJECT=1" in str(refused.value)


def test_inside_the_project_or_explicitly_allowed_is_accepted(monkeypatch, tmp_path):
    monkeypatch.setenv("KPI_RAW_DIR", "warehouse/other-raw")
    assert Settings.from_env().raw_dir == PROJECT_DIR / "warehouse" / "other-raw"
    monkeypatch.setenv("KPI_RAW_DIR", str(tmp_path / "raw"))
    monkeypatch.setenv("KPI_ALLOW_PATHS_OUTSIDE_PROJECT", "1")
    assert Settings.from_env().raw_dir == tmp_path / "raw"


def test_the_ingestion_config_path_is_held_to_the_same_rule(monkeypatch, tmp_path):
    from pipelines.ingest.options import load_options

    monkeypatch.setenv("KPI_INGESTION_CONFIG", str(tmp_path / "ingestion.yml"))
    with pytest.raises(SettingsError, match="KPI_INGESTION_CONFIG="):
        load_options()


def test_the_command_line_says_so_and_runs_nothing(monkeypatch, capsys):
    monkeypatch.setenv("KPI_WAREHOUSE_PATH", "/tmp/somewhere/kpi.duckdb")
    assert main(["run", "--quiet"]) == 2
    assert "KPI_WAREHOUSE_PATH=/tmp/somewhere/kpi.duckdb is outside" in capsys.readouterr().err


def test_the_reporting_currency_is_an_iso_code_from_the_environment(monkeypatch):
    monkeypatch.delenv("KPI_REPORTING_CURRENCY", raising=False)
    assert Settings.from_env().reporting_currency == "EUR"
    monkeypatch.setenv("KPI_REPORTING_CURRENCY", "usd")
    assert Settings.from_env().reporting_currency == "USD"
    monkeypatch.setenv("KPI_REPORTING_CURRENCY", "dollar")
    with pytest.raises(SettingsError, match="KPI_REPORTING_CURRENCY='dollar' is not an ISO"):
        Settings.from_env()


_PATH_VARIABLES = (
    "KPI_DATA_DIR",
    "KPI_WAREHOUSE_PATH",
    "KPI_RAW_DIR",
    "KPI_WORK_DB_PATH",
    "KPI_SPARK_DIR",
    "KPI_LANDING_DIR",
)


def test_the_raw_layer_and_working_database_follow_the_warehouse(monkeypatch, tmp_path):
    for name in _PATH_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("KPI_ALLOW_PATHS_OUTSIDE_PROJECT", "1")
    default = Settings.from_env()
    assert default.raw_dir == PROJECT_DIR / "warehouse" / "raw"
    assert default.work_db_path == PROJECT_DIR / "warehouse" / "work" / "kpi_work.duckdb"

    monkeypatch.setenv("KPI_WAREHOUSE_PATH", str(tmp_path / "shop_b" / "kpi.duckdb"))
    moved = Settings.from_env()
    assert moved.raw_dir == tmp_path / "shop_b" / "raw"
    assert moved.work_db_path == tmp_path / "shop_b" / "work" / "kpi_work.duckdb"
    assert moved.spark_dir == tmp_path / "shop_b" / "spark"

    monkeypatch.setenv("KPI_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("KPI_WAREHOUSE_PATH")
    monkeypatch.setenv("KPI_RAW_DIR", str(tmp_path / "own_raw"))  # set on its own: kept
    data = Settings.from_env()
    assert data.warehouse_path == tmp_path / "data" / "kpi.duckdb"
    assert data.work_db_path == tmp_path / "data" / "work" / "kpi_work.duckdb"
    assert data.raw_dir == tmp_path / "own_raw"


def test_a_raw_layer_loaded_from_another_landing_folder_stops_the_run(
    monkeypatch, tmp_path, capsys, fixture_run
):
    import shutil

    from pipelines.landing_origin import check_landing_origin, recorded_landing

    for name in _PATH_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("KPI_ALLOW_PATHS_OUTSIDE_PROJECT", "1")
    monkeypatch.setenv("KPI_DATA_DIR", str(tmp_path / "warehouse"))
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "dagster_home"))
    raw = tmp_path / "warehouse" / "raw"
    shutil.copytree(fixture_run.settings.raw_dir, raw)  # loaded from the fixture's landing
    loaded_from = recorded_landing(raw)
    other = tmp_path / "landing_b"
    shutil.copytree(fixture_run.root / "landing", other)
    report = next((other / "google_ads").glob("*.csv"))
    report.write_text(report.read_text().replace("Brand", "Brand B"))  # another shop's export
    monkeypatch.setenv("KPI_LANDING_DIR", str(other))

    assert main(["run", "--quiet"]) == 2
    err = " ".join(capsys.readouterr().err.split())
    assert f"loaded from the landing folder {loaded_from}" in err
    assert f"this run reads {other}" in err
    assert "KPI_ALLOW_LANDING_CHANGE=1" in err and "Nothing was run." in err

    # The same files in another place (the folder was moved) are not a change.
    moved = tmp_path / "landing_moved"
    shutil.copytree(fixture_run.root / "landing", moved)
    check_landing_origin(raw, moved)


def test_an_allowed_move_is_recorded(tmp_path, monkeypatch):
    import pyarrow as pa

    from pipelines.ingest.raw_store import write_parquet_atomically
    from pipelines.landing_origin import (
        LandingFolderChanged,
        check_landing_origin,
        record_landing_origin,
        recorded_landing,
    )

    raw = tmp_path / "raw"
    write_parquet_atomically(
        pa.table({"file_path": ["orders/a.csv"], "file_hash": ["abc"], "status": ["loaded"]}),
        raw / "load_log" / "abc.parquet",
    )
    record_landing_origin(raw, tmp_path / "old")
    check_landing_origin(raw, tmp_path / "old")  # the same folder: fine
    with pytest.raises(LandingFolderChanged):
        check_landing_origin(raw, tmp_path / "new")  # has not got orders/a.csv
    monkeypatch.setenv("KPI_ALLOW_LANDING_CHANGE", "1")
    check_landing_origin(raw, tmp_path / "new")
    record_landing_origin(raw, tmp_path / "new")
    monkeypatch.delenv("KPI_ALLOW_LANDING_CHANGE")
    check_landing_origin(raw, tmp_path / "new")
    assert recorded_landing(raw) == str(tmp_path / "new")


def test_the_first_load_records_its_landing_folder(fixture_run):
    from pipelines.landing_origin import recorded_landing

    assert recorded_landing(fixture_run.settings.raw_dir) == str(fixture_run.root / "landing")


def test_ingestion_options_follow_every_change_of_their_file(tmp_path, monkeypatch):
    """Loaded once per file text: a rewrite of the same size is read again."""
    from pipelines.ingest.options import load_options

    monkeypatch.setenv("KPI_PII_SALT", "a-salt")
    config = tmp_path / "ingestion.yml"
    config.write_text("reject_threshold: 0.10\n")
    assert load_options(config).reject_threshold == 0.10
    config.write_text("reject_threshold: 0.20\n")
    assert load_options(config).reject_threshold == 0.20
    monkeypatch.setenv("KPI_PII_SALT", "another-salt")
    assert load_options(config).pii_salt == "another-salt"
