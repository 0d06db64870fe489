"""Paths and options, read from environment variables with defaults that work out of the box."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from pipelines.engines import Engine, engine_from_env
from pipelines.object_storage import is_url

PROJECT_DIR = Path(__file__).resolve().parent.parent
DBT_PROJECT_DIR = PROJECT_DIR / "dbt_project"
# dbt files generated from kpi_definitions/ and the source declarations (git-ignored; dbt reads
# it as a second model path; its folders mirror models/).
GENERATED_DBT_DIR = DBT_PROJECT_DIR / "generated"
DEFAULT_KPI_DEFINITIONS_DIR = PROJECT_DIR / "kpi_definitions"


ALLOW_OUTSIDE_PROJECT = "KPI_ALLOW_PATHS_OUTSIDE_PROJECT"


class SettingsError(ValueError):
    """A setting that cannot be used, with the reason and the fix."""


def configured_path(env_name: str, default: Path, *, contained: bool = True) -> Path:
    """The path an environment variable names (relative to the project), or the default.

    A configured path stays inside the project folder unless KPI_ALLOW_PATHS_OUTSIDE_PROJECT=1
    says otherwise, so a typo or a `../..` never makes the pipeline read or write elsewhere.
    """
    raw = os.environ.get(env_name, "").strip()
    path = Path(raw).expanduser() if raw else default
    path = path if path.is_absolute() else (PROJECT_DIR / path)
    allowed = os.environ.get(ALLOW_OUTSIDE_PROJECT) == "1"
    if contained and raw and not allowed and not path.resolve().is_relative_to(PROJECT_DIR):
        raise SettingsError(
            f"{env_name}={raw} is outside the project folder {PROJECT_DIR}; configured paths "
            f"stay inside it unless {ALLOW_OUTSIDE_PROJECT}=1 is set"
        )
    return path


def data_folder() -> Path:
    """The folder that holds one warehouse's data: the raw layer, the working database, the
    published file and Spark's tables, unless each is set on its own. It is KPI_DATA_DIR, else the
    folder of KPI_WAREHOUSE_PATH (so moving the published file moves the rest with it), else
    `warehouse/` in the project folder. Two setups never share a raw layer by accident."""
    if os.environ.get("KPI_DATA_DIR", "").strip():
        return configured_path("KPI_DATA_DIR", Path("warehouse"))
    if os.environ.get("KPI_WAREHOUSE_PATH", "").strip():
        return configured_path("KPI_WAREHOUSE_PATH", Path("warehouse/kpi.duckdb")).parent
    return PROJECT_DIR / "warehouse"


def _url(env_name: str) -> str | None:
    raw = os.environ.get(env_name, "").strip()
    return raw.rstrip("/") if is_url(raw) else None


def _currency_code(env_name: str, default: str) -> str:
    """An ISO 4217 code (three letters) from the environment, upper case."""
    raw = os.environ.get(env_name, "").strip() or default
    if len(raw) != 3 or not raw.isascii() or not raw.isalpha():
        raise SettingsError(f"{env_name}={raw!r} is not an ISO currency code such as EUR or USD")
    return raw.upper()


@dataclass(frozen=True)
class Settings:
    """Where the pipeline reads and writes; every path is absolute."""

    landing_dir: Path
    raw_dir: Path
    work_db_path: Path
    warehouse_path: Path
    definitions_dir: Path
    dagster_home: Path
    reporting_timezone: str
    schedule_time: str
    engine: Engine = Engine.duckdb
    spark_dir: Path = PROJECT_DIR / "warehouse" / "spark"
    # Object-storage URLs (s3://...) of the landing and raw folders, mirrored to the local folders
    # above (landing_dir, raw_dir) around ingestion; None for plain local folders.
    landing_url: str | None = None
    raw_url: str | None = None
    # ISO code of the currency ad cost and conversion value are reported in (ECB rates convert).
    reporting_currency: str = "EUR"

    @classmethod
    def from_env(cls) -> Settings:
        data_dir = data_folder()
        work_db_path = configured_path("KPI_WORK_DB_PATH", data_dir / "work" / "kpi_work.duckdb")
        landing_url = _url("KPI_LANDING_DIR")
        raw_url = _url("KPI_RAW_DIR")
        return cls(
            landing_dir=work_db_path.parent / "landing-mirror"
            if landing_url
            else configured_path("KPI_LANDING_DIR", Path("data/landing")),
            raw_dir=work_db_path.parent / "raw-mirror"
            if raw_url
            else configured_path("KPI_RAW_DIR", data_dir / "raw"),
            work_db_path=work_db_path,
            warehouse_path=configured_path("KPI_WAREHOUSE_PATH", data_dir / "kpi.duckdb"),
            definitions_dir=configured_path("KPI_DEFINITIONS_DIR", DEFAULT_KPI_DEFINITIONS_DIR),
            # Dagster's own home is the operator's to place.
            dagster_home=configured_path("DAGSTER_HOME", Path(".dagster_home"), contained=False),
            reporting_timezone=os.environ.get("KPI_REPORTING_TIMEZONE", "Europe/Amsterdam"),
            schedule_time=os.environ.get("KPI_SCHEDULE_TIME", "06:00"),
            engine=engine_from_env(),
            spark_dir=configured_path("KPI_SPARK_DIR", data_dir / "spark"),
            landing_url=landing_url,
            raw_url=raw_url,
            reporting_currency=_currency_code("KPI_REPORTING_CURRENCY", "EUR"),
        )

    def export_for_dbt(self) -> dict[str, str]:
        """Environment variables that dbt's profiles.yml and sources read."""
        return {
            "KPI_WORK_DB_PATH": str(self.work_db_path),
            # The profile names the file only, so that it stays the same for every warehouse
            # (dbt's partial parsing needs that); pipelines/dbt_work_database.py opens the path.
            "KPI_WORK_DB_NAME": self.work_db_path.name,
            # DuckDB reads the local raw folder; a Spark cluster reads the raw layer where it is.
            "KPI_RAW_DIR": self.raw_url
            if self.raw_url and self.engine == Engine.spark
            else str(self.raw_dir),
            "KPI_ENGINE": self.engine.value,
            "KPI_SPARK_DIR": str(self.spark_dir),
        }

    def ensure_dirs(self) -> None:
        directories = [self.raw_dir, self.work_db_path.parent, self.warehouse_path.parent]
        if self.engine == Engine.spark:
            directories.append(self.spark_dir)
        for directory in directories:
            directory.mkdir(parents=True, exist_ok=True)
        self.dagster_home.mkdir(parents=True, exist_ok=True)

    def built_tables(self):
        """Read-only DuckDB access to the marts of the engine that built them."""
        from pipelines.engines import built_tables

        return built_tables(
            self.engine, warehouse_path=self.warehouse_path, spark_dir=self.spark_dir
        )
