"""Every published table and column is documented, and the committed reference is current."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pipelines.dbt_manifest import dbt_project
from pipelines.report.table_reference import published_models, render_table_reference

pytestmark = pytest.mark.slow
REFERENCE = Path(__file__).resolve().parent.parent / "docs" / "table-reference.md"


def test_every_published_column_is_described_and_typed(fixture_run):
    models = published_models(dbt_project().manifest_path)
    assert {m["name"] for m in models} >= {"fct_kpi_values", "kpi_scorecard", "dim_kpi"}
    for model in models:
        assert model["description"].strip(), model["name"]
        assert model["columns"], model["name"]
        for column in model["columns"].values():
            assert column.get("description", "").strip(), f"{model['name']}.{column['name']}"
            assert column.get("data_type"), f"{model['name']}.{column['name']}"


def test_dbt_docs_site_generates(fixture_run, tmp_path):
    from pipelines.dbt_manifest import dbt_cli
    from tests.conftest import environment, warehouse_env

    project = dbt_project()
    with environment(**warehouse_env(fixture_run.root, fixture_run.root / "landing")):
        dbt_cli(project).cli(["docs", "generate"], target_path=tmp_path / "docs").wait()
    assert (tmp_path / "docs" / "index.html").exists()
    catalog = json.loads((tmp_path / "docs" / "catalog.json").read_text())
    columns = catalog["nodes"]["model.kpi_warehouse.fct_kpi_values"]["columns"]
    assert {"kpi_id", "period_start", "value", "status", "is_complete"} <= set(columns)


def test_table_reference_is_up_to_date(fixture_run):
    current = render_table_reference(dbt_project().manifest_path)
    assert REFERENCE.read_text(encoding="utf-8") == current, "run `kpi-warehouse docs`"
