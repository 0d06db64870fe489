"""Publish the marts from the private working database as a new file, renamed into place.

Readers of KPI_WAREHOUSE_PATH see either the previous or the new file, never a mix, and are never
locked out: the pipeline never opens the published file for writing; it writes a new file next to
it and renames it over the old one (a reader holding the old file keeps reading the old version).
The file holds the `marts` tables and the `bi` views and tables only (no raw data, no personal
data), written in DuckDB storage format v1.0.0 so that every DuckDB 1.x client can open it.

The new file starts as a copy of the previous one, and only what changed is written into it:

* A table whose rows carry `built_by_run` (the run that wrote the row; the incremental marts and
  `fct_kpi_values`) is compared with its published copy by the number of rows of each run and
  rebuild unit (a day, an order, a ticket, a KPI period: the model's `rebuild_days`,
  `rebuild_keys` or `unique_key`, passed in as `groups`). A row is never changed after the run
  that wrote it (a later run deletes it and writes a new row under its own id), so the rows of a
  run and unit are the same on both sides when their numbers are; the rows of every other run and
  unit are deleted from the copy and inserted again from the working database. A nightly run
  thus writes the days, orders and periods it rebuilt, not the history. (The units only decide
  how much is rewritten, not whether the result is right: with none, a table is compared by run.)
* Any other table, a table whose columns changed, and a table of which more than half the rows
  changed are written whole; tables no longer in the working database are dropped; the views are
  created again.
* Afterwards each table's row count must equal the working database's; a table where it does not
  is written whole.

A full publish (every table written into an empty file) happens when there is no previous file,
when it cannot be read or has another storage version, and when asked (`full=True`: the weekly
full-check run, which also gives back the space deleted rows leave in the file).
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

PUBLISHED_SCHEMAS = ("marts", "bi")
STORAGE_VERSION = "v1.0.0"
LINEAGE_COLUMN = "built_by_run"
# Above this share of changed rows a table is written whole rather than row by row.
REWRITE_SHARE = 0.5


@dataclass(frozen=True)
class PublishResult:
    path: Path
    tables: dict[str, int]
    views: list[str]
    # How the file was made: "full" (every table written) or "incremental" (a copy of the
    # previous file, changed tables and rows written into it).
    mode: str = "full"
    # Tables written whole, rows replaced per table, tables left as they were published.
    rewritten: list[str] = field(default_factory=list)
    rows_replaced: dict[str, int] = field(default_factory=dict)
    unchanged: list[str] = field(default_factory=list)


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _columns(con: duckdb.DuckDBPyConnection, database: str, schema: str, table: str) -> list:
    return con.execute(
        "select column_name, data_type from duckdb_columns() where database_name = ? "
        "and schema_name = ? and table_name = ? order by column_index",
        [database, schema, table],
    ).fetchall()


def _tables(con: duckdb.DuckDBPyConnection, database: str, schema: str) -> list[str]:
    return [
        name
        for (name,) in con.execute(
            "select table_name from duckdb_tables() where database_name = ? and schema_name = ? "
            "order by table_name",
            [database, schema],
        ).fetchall()
    ]


def _count(con: duckdb.DuckDBPyConnection, relation: str) -> int:
    return int(con.execute(f"select count(*) from {relation}").fetchone()[0])


def _start_from_previous(con: duckdb.DuckDBPyConnection, target: Path, temporary: Path) -> bool:
    """Attach a copy of the previous published file as `published`; False (nothing attached,
    no copy left) when there is none or it cannot be used."""
    if not target.exists():
        return False
    try:
        shutil.copyfile(target, temporary)
        con.execute(f"attach {_quote(str(temporary))} as published")
        tags = con.execute(
            "select tags from duckdb_databases() where database_name = 'published'"
        ).fetchone()[0]
        if str(tags.get("storage_version", "")).startswith(STORAGE_VERSION):
            return True
    except (OSError, duckdb.Error):
        pass
    with contextlib.suppress(duckdb.Error):
        con.execute("detach database if exists published")
    temporary.unlink(missing_ok=True)
    return False


def _changed_groups(
    con: duckdb.DuckDBPyConnection, work: str, published: str, groups: Sequence[str]
) -> tuple[int, int]:
    """Fill temp table `changed` with the runs and rebuild units whose numbers of rows differ
    between the two copies of a table; how many there are and how many rows of the working copy
    they hold."""
    keys = ", ".join([LINEAGE_COLUMN, *(f'"{g}"' for g in groups)])
    names = [LINEAGE_COLUMN, *groups]
    same = " and ".join(f'w."{n}" is not distinct from p."{n}"' for n in names)
    picked = ", ".join(f'coalesce(w."{n}", p."{n}") as "{n}"' for n in names)
    con.execute(
        f"""
        create or replace temp table changed as
        with w as (select {keys}, count(*) as n from {work} group by all),
             p as (select {keys}, count(*) as n from {published} group by all)
        select {picked}, coalesce(w.n, 0) as n
        from w full join p on {same}
        where w.n is distinct from p.n
        """
    )
    units, rows = con.execute("select count(*), coalesce(sum(n), 0) from changed").fetchone()
    return int(units), int(rows)


def _in_changed(alias: str, groups: Sequence[str]) -> str:
    same = " and ".join(
        f'c."{n}" is not distinct from {alias}."{n}"' for n in [LINEAGE_COLUMN, *groups]
    )
    return f"exists (select 1 from changed as c where {same})"


def publish(
    work_db: Path,
    target: Path,
    *,
    full: bool = False,
    groups: Mapping[str, Sequence[str]] | None = None,
) -> PublishResult:
    """Publish the working database's marts and bi views to `target` (see the module's text).
    `groups`: per table ("marts.fct_orders"), the columns of its rebuild unit."""
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_name(f".{target.name}.publishing-{os.getpid()}")
    for leftover in (temporary, temporary.with_name(temporary.name + ".wal")):
        leftover.unlink(missing_ok=True)
    tables: dict[str, int] = {}
    views: list[str] = []
    rewritten: list[str] = []
    replaced: dict[str, int] = {}
    unchanged: list[str] = []
    con = duckdb.connect()
    try:
        con.execute(f"attach {_quote(str(work_db))} as work (read_only)")
        incremental = not full and _start_from_previous(con, target, temporary)
        if not incremental:
            con.execute(
                f"attach {_quote(str(temporary))} as published "
                f"(storage_version '{STORAGE_VERSION}')"
            )
        for schema in PUBLISHED_SCHEMAS:
            con.execute(f"create schema if not exists published.{schema}")
            for (name,) in con.execute(
                "select view_name from duckdb_views() where database_name = 'published' "
                "and schema_name = ?",
                [schema],
            ).fetchall():
                con.execute(f'drop view published.{schema}."{name}"')
            names = _tables(con, "work", schema)
            for name in set(_tables(con, "published", schema)) - set(names):
                con.execute(f'drop table published.{schema}."{name}"')
            for name in names:
                work = f'work.{schema}."{name}"'
                published = f'published.{schema}."{name}"'
                shown = f"{schema}.{name}"
                columns = _columns(con, "work", schema, name)
                comparable = (
                    incremental
                    and LINEAGE_COLUMN in {column for column, _ in columns}
                    and _columns(con, "published", schema, name) == columns
                )
                whole = not comparable
                if comparable:
                    units = [g for g in (groups or {}).get(shown, ()) if g in dict(columns)]
                    changed, changed_rows = _changed_groups(con, work, published, units)
                    expected = _count(con, work)
                    if not changed:
                        unchanged.append(shown)
                    elif changed_rows > REWRITE_SHARE * expected:
                        whole = True
                    else:
                        con.execute(f"delete from {published} as t where {_in_changed('t', units)}")
                        con.execute(
                            f"insert into {published} select * from {work} as w "
                            f"where {_in_changed('w', units)}"
                        )
                        replaced[shown] = changed_rows
                    whole = whole or _count(con, published) != expected
                    tables[shown] = expected
                if whole:
                    con.execute(f"drop table if exists {published}")
                    con.execute(f"create table {published} as select * from {work}")
                    rewritten.append(shown)
                    replaced.pop(shown, None)
                    tables[shown] = _count(con, published)
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
    return PublishResult(
        path=target,
        tables=tables,
        views=views,
        mode="incremental" if incremental else "full",
        rewritten=rewritten,
        rows_replaced=replaced,
        unchanged=unchanged,
    )
