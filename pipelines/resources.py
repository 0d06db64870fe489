"""Dagster resources: where the warehouse lives (from env vars) and the dbt CLI."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
from dagster_dbt import DbtProject

from pipelines.dbt_manifest import dbt_cli
from pipelines.ingest.options import IngestOptions, load_options
from pipelines.settings import Settings

DUCKDB_WRITER_POOL = "duckdb_writer"


class WarehouseResource(dg.ConfigurableResource):
    """Paths and options of one KPI warehouse; defaults come from the KPI_* env variables."""

    landing_dir: str
    raw_dir: str
    work_db_path: str
    warehouse_path: str
    definitions_dir: str
    reporting_timezone: str = "Europe/Amsterdam"
    engine: str = "duckdb"
    spark_dir: str = "warehouse/spark"
    landing_url: str = ""
    raw_url: str = ""

    @classmethod
    def from_settings(cls, settings: Settings) -> WarehouseResource:
        return cls(
            landing_dir=str(settings.landing_dir),
            raw_dir=str(settings.raw_dir),
            work_db_path=str(settings.work_db_path),
            warehouse_path=str(settings.warehouse_path),
            definitions_dir=str(settings.definitions_dir),
            reporting_timezone=settings.reporting_timezone,
            engine=settings.engine.value,
            spark_dir=str(settings.spark_dir),
            landing_url=settings.landing_url or "",
            raw_url=settings.raw_url or "",
        )

    def ingest_options(self) -> IngestOptions:
        return load_options(reporting_timezone=self.reporting_timezone)

    @property
    def landing(self) -> Path:
        return Path(self.landing_dir)

    @property
    def raw(self) -> Path:
        return Path(self.raw_dir)

    @property
    def work_db(self) -> Path:
        return Path(self.work_db_path)

    @property
    def warehouse(self) -> Path:
        return Path(self.warehouse_path)

    @property
    def is_spark(self) -> bool:
        return self.engine == "spark"

    @property
    def writer_lock_target(self) -> Path:
        """What the writer lock guards: the working DuckDB file, or Spark's local store."""
        return Path(self.spark_dir) / "spark" if self.is_spark else self.work_db

    @property
    def build_state_dir(self) -> Path:
        """Where the inputs of the last complete dbt build are recorded."""
        return Path(self.spark_dir) if self.is_spark else self.work_db.parent

    def has_built_tables(self) -> bool:
        """The engine holds built tables (and, on DuckDB, the published file exists)."""
        from pipelines.engines import spark_table_folders

        if self.is_spark:
            return bool(spark_table_folders(Path(self.spark_dir) / "tables"))
        return self.work_db.exists() and self.warehouse.exists()

    def built_tables_reader(self):
        """Read-only DuckDB access to the tables dbt just built (None before the first build)."""
        import duckdb

        from pipelines.engines import spark_table_folders, spark_tables_connection

        if self.is_spark:
            tables = Path(self.spark_dir) / "tables"
            return spark_tables_connection(tables) if spark_table_folders(tables) else None
        if not self.work_db.exists():
            return None
        return duckdb.connect(str(self.work_db), read_only=True)


def build_resources(settings: Settings, project: DbtProject) -> dict[str, object]:
    return {
        "warehouse": WarehouseResource.from_settings(settings),
        "dbt": dbt_cli(project),
    }
