"""Two warehouses over one raw layer, built by dbt directly: one incrementally run after run, the
other from nothing every time (a clean build), to compare their marts.

The raw layer is written by the ingestion code (every source's new landing files) and the run
context (as-of time, rebuild window) as the pipeline's first assets write them; dbt then runs in
this process with the manifest parsed once, so a build costs its SQL and dbt's per-run start-up
only. Both work databases have the same file name, so the dbt profile is the same for both."""

from __future__ import annotations

import copy
import datetime as dt
import shutil
from pathlib import Path
from typing import Any

import duckdb

from tests.conftest import environment, warehouse_env

LINEAGE = ("loaded_through", "built_by_run")


class TwoWarehouses:
    """A landing folder, its raw layer and an incremental and a clean work database."""

    def __init__(self, root: Path, select: str) -> None:
        from dbt.cli.main import dbtRunner

        from pipelines.dbt_manifest import prepare
        from pipelines.settings import DBT_PROJECT_DIR, Settings

        self.root = root
        self.landing = root / "landing"
        self.landing.mkdir(parents=True, exist_ok=True)
        self.select = select
        self.runs = 0
        self.compiled: dict[str, str] = {}
        self.incremental_db = root / "incremental" / "kpi_work.duckdb"
        self.clean_db = root / "clean" / "kpi_work.duckdb"
        # The incremental warehouse published after every build, into a copy of the last file.
        self.published = root / "incremental" / "published.duckdb"
        self.project_dir = DBT_PROJECT_DIR
        with self._env(self.incremental_db):
            self.settings = Settings.from_env()
            prepare(self.settings)
            parsed = dbtRunner().invoke(self._args("parse"))
            assert parsed.success, parsed.exception
            self.manifest = parsed.result

    def _env(self, work_db: Path) -> Any:
        env = warehouse_env(self.root, self.landing)
        env["KPI_WORK_DB_PATH"] = str(work_db)
        env["KPI_WORK_DB_NAME"] = work_db.name
        env["KPI_RAW_DIR"] = str(self.root / "raw")
        return environment(**env)

    def _args(self, command: str) -> list[str]:
        directories = [
            "--project-dir",
            str(self.project_dir),
            "--profiles-dir",
            str(self.project_dir),
        ]
        return [command, *directories, "--quiet"]

    def write(self, relative: str, text: str) -> None:
        path = self.landing / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")

    def load(self, as_of: dt.datetime, window: tuple[dt.date, dt.date] | None = None) -> str:
        """Load the new landing files into the raw layer and record the run; its run id."""
        from pipelines.ingest.raw_store import RawStore, ensure_table_dirs
        from pipelines.ingest.runner import ingest_source
        from pipelines.ingest.sources import SOURCES, raw_table_schemas
        from pipelines.resources import WarehouseResource

        self.runs += 1
        run_id = f"run-{self.runs:03d}"
        with self._env(self.incremental_db):
            options = WarehouseResource.from_settings(self.settings).ingest_options()
            raw = self.settings.raw_dir
            ensure_table_dirs(raw, raw_table_schemas())
            store = RawStore(raw)
            for spec in SOURCES.values():
                report = ingest_source(spec, self.landing, store, run_id, options)
                assert not report.problems, report.problems
            store.write_run_context(as_of, run_id, window)
        return run_id

    def build(self) -> None:
        """dbt run of the selection: incrementally, and into a new clean database."""
        from dbt.cli.main import dbtRunner

        shutil.rmtree(self.clean_db.parent, ignore_errors=True)
        for work_db in (self.incremental_db, self.clean_db):
            work_db.parent.mkdir(parents=True, exist_ok=True)
            with self._env(work_db):
                # A manifest is changed by the run that compiles it (ephemeral models are
                # inlined into it): every run gets its own copy of the parsed one.
                runner = dbtRunner(manifest=copy.deepcopy(self.manifest))
                result = runner.invoke([*self._args("run"), "--select", self.select])
                _close_dbt_database()
            assert result.success, (work_db, result.exception, _failures(result))
            if work_db == self.incremental_db:  # the SQL each model of the incremental run ran
                self.compiled = {r.node.name: r.node.compiled_code for r in result.result.results}
        self._publish()

    def _publish(self) -> None:
        from pipelines.assets.published import rebuild_units
        from pipelines.publish.warehouse_file import publish

        units = rebuild_units(self.project_dir / "target" / "manifest.json")
        publish(self.incremental_db, self.published, groups=units)

    def rows(
        self, table: str, clean: bool = False, lineage: bool = False, published: bool = False
    ) -> list[dict]:
        """Every row of a mart, sorted; without the lineage columns unless asked. From the clean
        build, the incremental one (the default) or the incremental one's published file."""
        path = self.published if published else self.clean_db if clean else self.incremental_db
        with duckdb.connect(str(path), read_only=True) as con:
            cursor = con.execute(f"select * from marts.{table}")
            names = [d[0] for d in cursor.description]
            rows = [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
        if not lineage:
            rows = [{k: v for k, v in row.items() if k not in LINEAGE} for row in rows]
        return sorted(rows, key=lambda row: [(v is None, str(v)) for v in row.values()])


def _close_dbt_database() -> None:
    """dbt-duckdb keeps the database open in this process after a run; close it, so the file can
    be read (and the other database opened) with another configuration."""
    from dbt.adapters.duckdb.connections import DuckDBConnectionManager

    if DuckDBConnectionManager._ENV is not None:
        DuckDBConnectionManager._ENV.close()
        DuckDBConnectionManager._ENV = None


def _failures(result: Any) -> list[str]:
    outcome = getattr(result, "result", None)
    return [
        f"{r.node.name}: {r.message}"
        for r in getattr(outcome, "results", []) or []
        if str(r.status) not in ("success", "pass")
    ]
