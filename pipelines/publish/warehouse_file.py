"""Publish the marts from the private working database as a new file, renamed into place.

Readers of KPI_WAREHOUSE_PATH see either the previous or the new file, never a mix, and are never
locked out: the pipeline never opens the published file for writing, it replaces it with a fresh
file by an atomic rename (a reader holding the old file keeps reading the old version).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import duckdb

PUBLISHED_SCHEMAS = ("marts",)


@dataclass(frozen=True)
class PublishResult:
    path: Path
    tables: dict[str, int]


def _quote_path(path: Path) -> str:
    return str(path).replace("'", "''")


def publish(work_db: Path, target: Path) -> PublishResult:
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_name(f".{target.name}.publishing-{os.getpid()}")
    for leftover in (temporary, temporary.with_name(temporary.name + ".wal")):
        leftover.unlink(missing_ok=True)
    tables: dict[str, int] = {}
    con = duckdb.connect(str(temporary))
    try:
        con.execute(f"attach '{_quote_path(work_db)}' as work (read_only)")
        for schema in PUBLISHED_SCHEMAS:
            con.execute(f"create schema if not exists {schema}")
            names = con.execute(
                "select table_name from duckdb_tables() where database_name = 'work' "
                "and schema_name = ? order by table_name",
                [schema],
            ).fetchall()
            for (name,) in names:
                con.execute(
                    f'create table {schema}."{name}" as select * from work.{schema}."{name}"'
                )
                tables[f"{schema}.{name}"] = con.execute(
                    f'select count(*) from {schema}."{name}"'
                ).fetchone()[0]
        con.execute("detach work")
        con.execute("checkpoint")
    finally:
        con.close()
    os.replace(temporary, target)
    return PublishResult(path=target, tables=tables)
