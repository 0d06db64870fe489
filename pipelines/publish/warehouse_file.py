"""Publish the marts from the private working database as a new file, renamed into place.

Readers of KPI_WAREHOUSE_PATH see either the previous or the new file, never a mix, and are never
locked out: the pipeline never opens the published file for writing; it writes a new file next to
it and renames it over the old one (a reader holding the old file keeps reading the old version).
The file holds the `marts` tables and the `bi` views and tables only (no raw data, no personal
data), written in DuckDB storage format v1.0.0 so that every DuckDB 1.x client can open it.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

import duckdb

PUBLISHED_SCHEMAS = ("marts", "bi")
STORAGE_VERSION = "v1.0.0"


@dataclass(frozen=True)
class PublishResult:
    path: Path
    tables: dict[str, int]
    views: list[str]


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def publish(work_db: Path, target: Path) -> PublishResult:
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_name(f".{target.name}.publishing-{os.getpid()}")
    for leftover in (temporary, temporary.with_name(temporary.name + ".wal")):
        leftover.unlink(missing_ok=True)
    tables: dict[str, int] = {}
    views: list[str] = []
    con = duckdb.connect()
    try:
        con.execute(f"attach {_quote(str(work_db))} as work (read_only)")
        con.execute(
            f"attach {_quote(str(temporary))} as published (storage_version '{STORAGE_VERSION}')"
        )
        for schema in PUBLISHED_SCHEMAS:
            con.execute(f"create schema if not exists published.{schema}")
            names = con.execute(
                "select table_name from duckdb_tables() where database_name = 'work' "
                "and schema_name = ? order by table_name",
                [schema],
            ).fetchall()
            for (name,) in names:
                con.execute(
                    f'create table published.{schema}."{name}" as '
                    f'select * from work.{schema}."{name}"'
                )
                tables[f"{schema}.{name}"] = con.execute(
                    f'select count(*) from published.{schema}."{name}"'
                ).fetchone()[0]
        # dbt writes fully qualified names (catalog = the work file's name); the published file
        # has its own catalog, so views refer to schema.table only.
        catalog = re.compile(rf'(?<![\w"])"?{re.escape(work_db.stem)}"?\.')
        view_rows = con.execute(
            "select schema_name, view_name, sql from duckdb_views() where database_name = 'work' "
            "and schema_name in ('bi') order by view_name"
        ).fetchall()
        con.execute("use published")
        for schema, name, sql in view_rows:
            con.execute(catalog.sub("", sql))
            views.append(f"{schema}.{name}")
        con.execute("use memory")
        con.execute("detach work")
        con.execute("detach published")
    finally:
        con.close()
    os.replace(temporary, target)
    return PublishResult(path=target, tables=tables, views=views)
