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
