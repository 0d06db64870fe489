"""Shared fixtures: a pipeline run over a hand-made landing folder, in a temporary warehouse."""

from __future__ import annotations

import contextlib
import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

FIXTURES = Path(__file__).parent / "fixtures"
FIXTURE_AS_OF = "2026-10-05"


@contextlib.contextmanager
def environment(**values: str) -> Iterator[None]:
    """Set environment variables for the block and restore the whole environment afterwards
    (also what the block set itself: preparing the dbt project exports the paths for dbt)."""
    previous = dict(os.environ)
    os.environ.update(values)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(previous)


def warehouse_env(root: Path, landing: Path) -> dict[str, str]:
    return {
        "KPI_LANDING_DIR": str(landing),
        "KPI_RAW_DIR": str(root / "raw"),
        "KPI_WORK_DB_PATH": str(root / "work" / "kpi_work.duckdb"),
        "KPI_WAREHOUSE_PATH": str(root / "published" / "kpi.duckdb"),
        "DAGSTER_HOME": str(root / "dagster_home"),
        "KPI_PII_SALT": "fixture-salt-not-secret",
        "KPI_ALLOW_PATHS_OUTSIDE_PROJECT": "1",  # the test folders are temporary folders
    }


@dataclass
class PipelineRun:
    """A finished in-process run of every asset, and where it wrote."""

    root: Path
    settings: Any
    defs: Any
    result: Any
    instance: Any = None

    @property
    def warehouse_path(self) -> Path:
        return self.settings.warehouse_path


def run_pipeline(
    root: Path,
    landing: Path,
    as_of: str,
    instance: Any = None,
    tags: dict[str, str] | None = None,
    **run_context: str,
) -> PipelineRun:
    """Materialise every asset once over `landing`, writing under `root`; `tags` are the run's
    tags (e.g. the full-checks tag), `run_context` adds options of raw/run_context (rebuild_from,
    rebuild_to)."""
    from dagster import DagsterInstance

    from pipelines.dbt_manifest import prepare
    from pipelines.definitions import build_definitions
    from pipelines.settings import Settings

    with environment(**warehouse_env(root, landing)):
        settings = Settings.from_env()
        prepare(settings)  # as `kpi-warehouse run` does: loading the definitions only reads
        defs = build_definitions(settings)
        job = defs.resolve_implicit_global_asset_job_def()
        instance = instance or DagsterInstance.ephemeral()
        result = job.execute_in_process(
            instance=instance,
            run_config={"ops": {"raw__run_context": {"config": {"as_of": as_of, **run_context}}}},
            tags=tags,
            raise_on_error=False,
        )
    return PipelineRun(root=root, settings=settings, defs=defs, result=result, instance=instance)


@pytest.fixture(scope="session")
def fixture_run(tmp_path_factory: pytest.TempPathFactory) -> PipelineRun:
    """One run over tests/fixtures/landing (copied, so the originals stay untouched)."""
    root = tmp_path_factory.mktemp("fixture_run")
    landing = root / "landing"
    shutil.copytree(FIXTURES / "landing", landing)
    run = run_pipeline(root, landing, FIXTURE_AS_OF)
    assert run.result.success, "the fixture run failed"
    return run


@pytest.fixture(scope="session")
def run_without_surveys(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The folder of one `kpi-warehouse run` over tests/fixtures/landing without its survey export
    (landing, raw layer, work database, published file and Dagster home). Read-only: a test
    copies the folder and goes on from there, so no test sees another's later runs."""
    from pipelines.cli import EXIT_OK, main

    root = tmp_path_factory.mktemp("run_without_surveys")
    landing = root / "landing"
    shutil.copytree(FIXTURES / "landing", landing, ignore=shutil.ignore_patterns("surveys"))
    with environment(**warehouse_env(root, landing)):
        assert main(["run", "--as-of", FIXTURE_AS_OF, "--quiet"]) == EXIT_OK
    return root
