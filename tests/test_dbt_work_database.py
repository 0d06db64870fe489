"""dbt opens each warehouse's working database while its profile stays the same."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
import yaml

from pipelines.dbt_work_database import Plugin, work_db_path
from pipelines.settings import PROJECT_DIR


def test_the_duckdb_profile_names_the_file_only_and_the_plugin_that_opens_it():
    profile = yaml.safe_load((PROJECT_DIR / "dbt_project" / "profiles.yml").read_text())
    duckdb = profile["kpi_warehouse"]["outputs"]["duckdb"]
    # dbt compares these settings before it reuses its parsed project: no path of a warehouse.
    assert "KPI_WORK_DB_PATH" not in yaml.safe_dump(duckdb)
    assert "KPI_WORK_DB_NAME" in duckdb["path"]
    assert duckdb["plugins"] == [{"module": "pipelines.dbt_work_database"}]


def test_the_plugin_points_the_connection_at_the_warehouse_s_file(tmp_path, monkeypatch):
    target = tmp_path / "work" / "kpi_work.duckdb"
    monkeypatch.setenv("KPI_WORK_DB_PATH", str(target))
    credentials = SimpleNamespace(path="kpi_work.duckdb")
    plugin = Plugin(name="dbt_work_database", plugin_config={})
    plugin.update_connection_config(credentials, {})
    assert credentials.path == str(target)


def test_a_file_name_other_than_the_profile_s_is_refused_naming_both(tmp_path, monkeypatch):
    monkeypatch.setenv("KPI_WORK_DB_PATH", str(tmp_path / "other.duckdb"))
    with pytest.raises(ValueError, match=r"other\.duckdb.*kpi_work\.duckdb"):
        work_db_path("kpi_work.duckdb")


def test_without_the_variable_the_default_warehouse_is_opened(monkeypatch):
    monkeypatch.delenv("KPI_WORK_DB_PATH", raising=False)
    assert work_db_path("kpi_work.duckdb") == "../warehouse/work/kpi_work.duckdb"
