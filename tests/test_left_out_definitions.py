"""A KPI file with errors leaves out that KPI only: the code location loads, the rest is built."""

from __future__ import annotations

import shutil

import dagster as dg
import duckdb
import pytest

from pipelines.settings import PROJECT_DIR
from tests.conftest import FIXTURE_AS_OF, FIXTURES, run_pipeline

pytestmark = pytest.mark.slow


def test_a_broken_kpi_file_leaves_out_that_kpi_only(tmp_path, fixture_run, monkeypatch):
    definitions = tmp_path / "kpi_definitions"
    shutil.copytree(PROJECT_DIR / "kpi_definitions", definitions)
    cpa = definitions / "sea_cpa.yml"
    cpa.write_text(cpa.read_text().replace("owner: Lotte Jansen (SEA lead)\n", ""))  # lint error
    (definitions / "cs_nps.yml").write_text("id: cs_nps\nname: [unclosed\n")  # not YAML
    (definitions / "people.yml").write_text(
        "people:\n  - name: Nobody\n    email: not-an-address\n"
    )
    monkeypatch.setenv("KPI_DEFINITIONS_DIR", str(definitions))
    landing = tmp_path / "landing"
    shutil.copytree(FIXTURES / "landing", landing)

    run = run_pipeline(tmp_path, landing, FIXTURE_AS_OF)

    # The code location loaded and the run succeeded; the two KPIs show as assets not built,
    # with the problems in their description.
    assert run.result.success
    graph = run.defs.resolve_asset_graph()
    cpa_node = graph.get(dg.AssetKey(["kpis", "kpi_sea_cpa"]))
    assert not cpa_node.is_materializable
    assert "acceptable.owner: no owner." in (cpa_node.description or "")
    nps_node = graph.get(dg.AssetKey(["kpis", "kpi_cs_nps"]))
    assert "invalid YAML" in (nps_node.description or "")
    assert run.defs.get_sensor_def("landing_folder_sensor") is not None

    with duckdb.connect(str(run.warehouse_path), read_only=True) as con:
        built = con.execute(
            "select kpi_id, cast(period_start as varchar), value, status from marts.fct_kpi_values"
        ).fetchall()
    with duckdb.connect(str(fixture_run.warehouse_path), read_only=True) as con:
        clean = con.execute(
            "select kpi_id, cast(period_start as varchar), value, status from marts.fct_kpi_values"
            " where kpi_id not in ('sea_cpa', 'cs_nps')"
        ).fetchall()
    assert sorted(built) == sorted(clean)
