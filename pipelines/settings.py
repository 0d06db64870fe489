"""Paths and options, read from environment variables with defaults that work out of the box."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent
DBT_PROJECT_DIR = PROJECT_DIR / "dbt_project"
DEFAULT_KPI_DEFINITIONS_DIR = PROJECT_DIR / "kpi_definitions"


def _path(env_name: str, default: Path) -> Path:
    raw = os.environ.get(env_name, "").strip()
    path = Path(raw).expanduser() if raw else default
    return path if path.is_absolute() else (PROJECT_DIR / path)


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

    @classmethod
    def from_env(cls) -> Settings:
        return cls(
            landing_dir=_path("KPI_LANDING_DIR", Path("data/landing")),
            raw_dir=_path("KPI_RAW_DIR", Path("warehouse/raw")),
            work_db_path=_path("KPI_WORK_DB_PATH", Path("warehouse/work/kpi_work.duckdb")),
            warehouse_path=_path("KPI_WAREHOUSE_PATH", Path("warehouse/kpi.duckdb")),
            definitions_dir=_path("KPI_DEFINITIONS_DIR", DEFAULT_KPI_DEFINITIONS_DIR),
            dagster_home=_path("DAGSTER_HOME", Path(".dagster_home")),
            reporting_timezone=os.environ.get("KPI_REPORTING_TIMEZONE", "Europe/Amsterdam"),
            schedule_time=os.environ.get("KPI_SCHEDULE_TIME", "06:00"),
        )

    def export_for_dbt(self) -> dict[str, str]:
        """Environment variables that dbt's profiles.yml and sources read."""
        return {
            "KPI_WORK_DB_PATH": str(self.work_db_path),
            "KPI_RAW_DIR": str(self.raw_dir),
        }

    def ensure_dirs(self) -> None:
        for directory in (self.raw_dir, self.work_db_path.parent, self.warehouse_path.parent):
            directory.mkdir(parents=True, exist_ok=True)
        self.dagster_home.mkdir(parents=True, exist_ok=True)
