"""A dbt-duckdb plugin that opens the working database named by KPI_WORK_DB_PATH.

dbt keeps its parsed project between invocations (partial parsing) only while the profile's
connection settings stay the same, and a DuckDB profile's `path` is one of them: with the full
path of the working database in the profile, every other warehouse (each test's, each benchmark
run's, a second landing folder's) made dbt parse the whole project again ("Unable to do partial
parsing because profile has changed"). So `dbt_project/profiles.yml` names only the file
(`KPI_WORK_DB_NAME`, which also names the DuckDB catalogue), and this plugin points the
connection at the full path just before dbt-duckdb opens it; the path is read when dbt
connects, after the profile was compared.

Outside the pipeline (`dbt build` by hand in dbt_project/) KPI_WORK_DB_PATH is unset and the
default warehouse's working database is used, as before.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from dbt.adapters.duckdb.plugins import BasePlugin

DEFAULT_WORK_DB = "../warehouse/work/kpi_work.duckdb"  # relative to dbt_project/, dbt's cwd


def work_db_path(profile_path: str) -> str:
    """The file to open: KPI_WORK_DB_PATH, else the default one; its name must be the
    profile's (the catalogue dbt writes into is named after it)."""
    path = os.environ.get("KPI_WORK_DB_PATH") or DEFAULT_WORK_DB
    if Path(path).name != Path(profile_path).name:
        raise ValueError(
            f"KPI_WORK_DB_PATH={path} and KPI_WORK_DB_NAME={profile_path} name different files; "
            "KPI_WORK_DB_NAME must be the file name of KPI_WORK_DB_PATH (pipelines.settings sets "
            "both)"
        )
    return path


class Plugin(BasePlugin):
    def update_connection_config(self, creds: Any, config: dict[str, Any]) -> None:
        creds.path = work_db_path(str(creds.path))
