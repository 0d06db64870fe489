"""Every published table and column is documented, and the committed reference is current."""

from __future__ import annotations

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


def test_table_reference_is_up_to_date(fixture_run):
    current = render_table_reference(dbt_project().manifest_path)
    assert REFERENCE.read_text(encoding="utf-8") == current, "run `kpi-warehouse docs`"
