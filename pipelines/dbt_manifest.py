"""Prepare the dbt project once: generate the KPI models and parse the manifest only on change.

Every dbt invocation costs seconds before any SQL runs, so the manifest is prepared once and reused
by Dagster's definitions, schedules and runs. A fingerprint of everything that affects parsing
(the generated models, the dbt project files, the package versions) decides whether `dbt parse`
must run again; the generated models are rewritten only when their content changes.

Preparing is an explicit step (`kpi-warehouse generate`, `make install`, `kpi-warehouse run`);
loading the Dagster definitions only reads what it left (`prepared_project`), except under
`dagster dev`, where a reload prepares first so that an edited KPI file is picked up.
"""

from __future__ import annotations

import contextlib
import dataclasses
import fcntl
import hashlib
import json
import logging
import os
import shutil
import sys
from functools import cached_property
from importlib import metadata
from pathlib import Path

from dagster_dbt import DbtCliResource, DbtProject
from dagster_dbt.compat import DBT_PYTHON_VERSION
from dagster_dbt.dbt_project import DbtProjectPreparer
from packaging import version

from pipelines.engines import Engine, engine_from_env
from pipelines.ingest.dbt_sources import outdated_dbt_sources, write_dbt_sources
from pipelines.kpis.dbt_models import outdated_generated_files, write_generated_models
from pipelines.kpis.facts import load_fact_catalog
from pipelines.kpis.loader import DefinitionError, DefinitionProblem
from pipelines.kpis.usable import LeftOut, usable_portfolio
from pipelines.settings import DBT_PROJECT_DIR, GENERATED_DBT_DIR, Settings

log = logging.getLogger(__name__)

PREPARE_COMMAND = "kpi-warehouse generate"
FINGERPRINT_FILE = "kpi_warehouse_fingerprint.txt"
LEFT_OUT_FILE = "kpi_definitions_left_out.json"
_PARSE_INPUTS = (
    "dbt_project.yml",
    "profiles.yml",
    "models",
    GENERATED_DBT_DIR.name,
    "macros",
    "tests",
    "seeds",
)


def dbt_executable() -> str:
    """The dbt installed beside this Python (the venv's), else whatever `dbt` is on PATH."""
    beside = Path(sys.executable).parent / "dbt"
    return str(beside) if beside.exists() else (shutil.which("dbt") or "dbt")


class KpiDbtCliResource(DbtCliResource):
    """dagster-dbt's dbt resource without two costs it pays before every invocation, each about
    2 to 3 s of a run's fixed cost:

    * the dbt adapter it opens in the Dagster process (profile, project and dbt's macros loaded).
      It only serves dagster-dbt's `fetch_row_counts` and `fetch_column_metadata`, which this
      project does not use: row counts come from the built tables once dbt has released them
      (`with_warehouse_metadata` in pipelines/assets/dbt.py), and dagster-dbt's invocations work
      without an adapter;
    * `dbt --version` in a subprocess, to learn the version of the dbt it runs: the dbt beside
      this Python is the dbt-core package installed with it, whose version is known here.
    """

    def _initialize_dbt_core_adapter(self, args):  # type: ignore[override]
        return None

    @cached_property
    def _cli_version(self) -> version.Version:
        beside = Path(self.dbt_executable).parent == Path(sys.executable).parent
        if beside and DBT_PYTHON_VERSION is not None:
            return DBT_PYTHON_VERSION
        return super()._cli_version


def dbt_cli(project: DbtProject) -> DbtCliResource:
    return KpiDbtCliResource(project_dir=project, dbt_executable=dbt_executable())


def dbt_project(engine: Engine | None = None) -> DbtProject:
    """The dbt project, with a manifest (target folder) per engine: switching engines never
    forces a re-parse of the other's manifest."""
    engine = engine or engine_from_env()
    target_path = "target" if engine == Engine.duckdb else f"target-{engine.value}"
    return DbtProject(
        project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR, target_path=target_path
    )


def export_environment(settings: Settings) -> None:
    """Make the dbt subprocesses see the same absolute paths as the Python code."""
    os.environ.update(settings.export_for_dbt())
    os.environ.setdefault("KPI_REPORTING_TIMEZONE", settings.reporting_timezone)
    os.environ.setdefault("KPI_REPORTING_CURRENCY", settings.reporting_currency)


def model_code_inputs(project_dir: Path) -> list[Path]:
    """The files whose content decides what the models compute: every parse input except the
    profile, the tests and the generated KPI models (see pipelines/model_code.py)."""
    skipped = {"profiles.yml", "tests"}
    kpi_models = project_dir / GENERATED_DBT_DIR.name / "kpis"
    paths: list[Path] = []
    for entry in _PARSE_INPUTS:
        if entry in skipped:
            continue
        root = project_dir / entry
        found = [root] if root.is_file() else sorted(p for p in root.rglob("*") if p.is_file())
        paths += [path for path in found if not path.is_relative_to(kpi_models)]
    return paths


def _fingerprint(project_dir: Path, engine: Engine) -> str:
    digest = hashlib.sha256()
    digest.update(f"engine={engine.value}\n".encode())
    for name in ("dbt-core", "dbt-duckdb", "dbt-spark", "dagster-dbt"):
        with contextlib.suppress(metadata.PackageNotFoundError):
            digest.update(f"{name}={metadata.version(name)}\n".encode())
    for entry in _PARSE_INPUTS:
        root = project_dir / entry
        paths = [root] if root.is_file() else sorted(p for p in root.rglob("*") if p.is_file())
        for path in paths:
            digest.update(str(path.relative_to(project_dir)).encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


def generate_models(settings: Settings, *, strict: bool = False) -> list[Path]:
    """Write the generated dbt models for every usable KPI; return the files that changed.

    A KPI file that does not load or lint cleanly is left out (recorded beside the manifest, see
    `left_out_definitions`); with `strict`, any such file refuses the whole preparation instead."""
    facts = load_fact_catalog()
    usable = usable_portfolio(settings.definitions_dir, facts)
    if strict and usable.left_out:
        raise DefinitionError(
            [
                DefinitionProblem(item.file, "", problem)
                for item in usable.left_out
                for problem in item.problems
            ]
        )
    changed = write_dbt_sources() + write_generated_models(usable.portfolio, facts)
    _record_left_out(settings, usable.left_out)
    return changed


def _left_out_file(engine: Engine) -> Path:
    project = dbt_project(engine)
    return project.project_dir / project.target_path / LEFT_OUT_FILE


def _record_left_out(settings: Settings, left_out: list[LeftOut]) -> None:
    path = _left_out_file(settings.engine)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        json.dumps([dataclasses.asdict(item) for item in left_out], indent=2), encoding="utf-8"
    )


def left_out_definitions(engine: Engine | None = None) -> list[LeftOut]:
    """The KPI definitions the last preparation left out, with their problems."""
    try:
        items = json.loads(_left_out_file(engine or engine_from_env()).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    return [LeftOut(i["file"], i["kpi_id"], tuple(i["problems"])) for i in items]


@contextlib.contextmanager
def _exclusive(lock_path: Path):
    """Serialise preparation between processes (two runs starting at once share the project)."""
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    with lock_path.open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


class ManifestMissingError(RuntimeError):
    """The dbt project was never prepared for this engine: there is no manifest to load."""


def prepared_project(settings: Settings) -> DbtProject:
    """The dbt project as the last preparation left it, for loading the definitions.

    Nothing is written and dbt is not run, except under `dagster dev` (DAGSTER_IS_DEV_CLI, as in
    dagster-dbt's `DbtProject.prepare_if_dev`), where the project is prepared first. A missing
    manifest is an error naming the command that prepares it; a stale one (the KPI definitions or
    dbt files changed since) is loaded with a warning naming the same command."""
    if DbtProjectPreparer().using_dagster_dev():
        return prepare(settings)
    export_environment(settings)
    project = dbt_project(settings.engine)
    if not project.manifest_path.exists():
        raise ManifestMissingError(
            f"The dbt manifest {project.manifest_path} is missing: run `{PREPARE_COMMAND}` (or "
            f"`make install`) in {DBT_PROJECT_DIR.parent} to generate the KPI models and parse "
            "the dbt project, then load the definitions again."
        )
    reason = stale_reason(settings, project)
    if reason:
        log.warning(
            f"The dbt manifest {project.manifest_path} is stale ({reason}): the definitions are "
            f"loaded as last prepared; run `{PREPARE_COMMAND}` to bring them up to date."
        )
    return project


def stale_reason(settings: Settings, project: DbtProject) -> str | None:
    """Why the prepared project no longer matches the KPI definitions and dbt files, or None."""
    facts = load_fact_catalog()
    usable = usable_portfolio(settings.definitions_dir, facts)
    outdated = outdated_generated_files(usable.portfolio, facts)
    if outdated:
        names = ", ".join(path.name for path in outdated[:3])
        more = f" and {len(outdated) - 3} more" if len(outdated) > 3 else ""
        return f"the KPI definitions in {settings.definitions_dir} give other models: {names}{more}"
    if sources := outdated_dbt_sources():
        names = ", ".join(path.name for path in sources)
        return f"the source declarations (pipelines/ingest/) give other dbt files: {names}"
    stamp = project.project_dir / project.target_path / FINGERPRINT_FILE
    if not stamp.exists() or stamp.read_text() != _fingerprint(
        project.project_dir, settings.engine
    ):
        return f"the files of {project.project_dir} changed since the last `dbt parse`"
    return None


def prepare(
    settings: Settings | None = None, *, force: bool = False, strict: bool = False
) -> DbtProject:
    """Generate models and run `dbt parse` if anything changed since the last preparation."""
    settings = settings or Settings.from_env()
    settings.ensure_dirs()
    export_environment(settings)
    project = dbt_project(settings.engine)
    with _exclusive(project.project_dir / project.target_path / ".prepare.lock"):
        return _prepare_locked(settings, project, force=force, strict=strict)


def _prepare_locked(
    settings: Settings, project: DbtProject, *, force: bool, strict: bool
) -> DbtProject:
    generate_models(settings, strict=strict)
    stamp = project.project_dir / project.target_path / FINGERPRINT_FILE
    fingerprint = _fingerprint(project.project_dir, settings.engine)
    if (
        force
        or not project.manifest_path.exists()
        or not stamp.exists()
        or (stamp.read_text() != fingerprint)
    ):
        dbt_cli(project).cli(["parse", "--quiet"], target_path=project.target_path).wait()
        stamp.parent.mkdir(parents=True, exist_ok=True)
        stamp.write_text(fingerprint)
    return project
