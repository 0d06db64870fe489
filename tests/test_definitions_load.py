"""Loading the code location reads the prepared dbt project and writes nothing; under
`dagster dev` it prepares first, so an edited KPI file is picked up on reload."""

from __future__ import annotations

import importlib
import logging
import shutil
import subprocess
import sys
from pathlib import Path

import dagster as dg
import pytest
from dagster_dbt import DbtCliResource, DbtProject

from pipelines import dbt_manifest
from pipelines.settings import DBT_PROJECT_DIR, DEFAULT_KPI_DEFINITIONS_DIR, Settings
from tests.conftest import environment, warehouse_env

pytestmark = pytest.mark.slow

ROAS_KEY = dg.AssetKey(["kpis", "kpi_sea_roas"])


def _files(root: Path) -> dict[Path, tuple[int, bytes]]:
    return {p: (p.stat().st_mtime_ns, p.read_bytes()) for p in root.rglob("*") if p.is_file()}


def _no_dbt(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any dbt invocation (or other subprocess) fails the test."""

    def refuse(*args, **kwargs):
        raise AssertionError(f"a subprocess was started while loading: {args!r}")

    monkeypatch.setattr(DbtCliResource, "cli", refuse)
    monkeypatch.setattr(subprocess, "Popen", refuse)


def _roas_target(defs: dg.Definitions) -> float:
    node = defs.resolve_asset_graph().get(ROAS_KEY)
    return float(node.metadata["kpi/target"])


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.delenv("DAGSTER_IS_DEV_CLI", raising=False)
    with environment(**warehouse_env(tmp_path / "wh", tmp_path / "landing")):
        yield tmp_path


def test_importing_and_loading_a_prepared_project_writes_nothing_and_runs_no_dbt(
    env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = Settings.from_env()
    dbt_manifest.prepare(settings)
    before = _files(DBT_PROJECT_DIR)
    data_before = sorted(env.rglob("*"))
    _no_dbt(monkeypatch)
    sys.modules.pop("pipelines.definitions", None)
    module = importlib.import_module("pipelines.definitions")
    assert _files(DBT_PROJECT_DIR) == before  # the import alone builds nothing
    defs = module.defs()  # what Dagster calls when it loads the code location
    assert ROAS_KEY in defs.resolve_asset_graph().get_all_asset_keys()
    assert _files(DBT_PROJECT_DIR) == before
    assert sorted(env.rglob("*")) == data_before  # nor anything in the data folders


def test_a_missing_manifest_names_the_command_that_prepares_it(
    env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    empty_target = env / "target"
    monkeypatch.setattr(
        dbt_manifest,
        "dbt_project",
        lambda engine=None: DbtProject(project_dir=DBT_PROJECT_DIR, target_path=empty_target),
    )
    _no_dbt(monkeypatch)
    from pipelines.definitions import build_definitions

    with pytest.raises(dbt_manifest.ManifestMissingError, match="run `kpi-warehouse generate`"):
        build_definitions(Settings.from_env())
    assert not empty_target.exists()


def test_an_edited_definition_warns_outside_dev_and_is_picked_up_under_dagster_dev(
    env: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    from pipelines.definitions import build_definitions

    definitions = env / "kpi_definitions"
    shutil.copytree(DEFAULT_KPI_DEFINITIONS_DIR, definitions)
    monkeypatch.setenv("KPI_DEFINITIONS_DIR", str(definitions))
    monkeypatch.setenv("DAGSTER_IS_DEV_CLI", "1")
    assert _roas_target(build_definitions(Settings.from_env())) == 6.0  # the file's target

    roas = definitions / "sea_roas.yml"
    roas.write_text(roas.read_text().replace("value: 6.0", "value: 7.5"), encoding="utf-8")

    monkeypatch.delenv("DAGSTER_IS_DEV_CLI")
    with monkeypatch.context() as refused, caplog.at_level(logging.WARNING):
        _no_dbt(refused)
        before = _files(DBT_PROJECT_DIR)
        stale = build_definitions(Settings.from_env())
        assert _files(DBT_PROJECT_DIR) == before
    assert _roas_target(stale) == 6.0  # loaded as last prepared ...
    warning = " ".join(r.getMessage() for r in caplog.records if r.levelno == logging.WARNING)
    assert "stale" in warning and "kpi_sea_roas.sql" in warning  # ... with a warning
    assert "run `kpi-warehouse generate`" in warning

    monkeypatch.setenv("DAGSTER_IS_DEV_CLI", "1")
    assert _roas_target(build_definitions(Settings.from_env())) == 7.5  # a reload picks it up
    # Leave the shared dbt project prepared from the project's own definitions.
    monkeypatch.delenv("KPI_DEFINITIONS_DIR")
    dbt_manifest.prepare(Settings.from_env())
