"""Large exports are read by DuckDB itself: typed, checked and written to Parquet in SQL.

Nothing is pulled into Python rows: DuckDB reads the file (CSV or Parquet), casts every column with
`try_cast`, names the first failed check of each row, and writes the good rows with their lineage to
Parquet. Only rejected rows (few) come back to Python, with their line number and original text.
Memory is bounded by DuckDB's memory limit; it spills to disk beyond it.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass
from pathlib import Path

import duckdb

from pipelines.ingest.errors import RejectedRow
from pipelines.ingest.parsed import Lineage

DEFAULT_MEMORY_LIMIT = "600MB"


@dataclass(frozen=True)
class Column:
    """An output column: its name, SQL type and the expression that computes it."""

    name: str
    sql_type: str
    expression: str


@dataclass(frozen=True)
class Check:
    """A row check: when `failed` (SQL) is true, the row is rejected for `column`/`check`."""

    failed: str
    column: str
    check: str
    value: str


@dataclass
class NativeResult:
    rows_read: int
    rows_loaded: int
    rejected: list[RejectedRow]
    first_date: dt.date | None
    last_date: dt.date | None


def quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def lineage_sql(lineage: Lineage) -> str:
    """The lineage columns every raw row carries, as constant SQL columns."""
    return (
        f"{quote(lineage.source_file)} as _source_file, {quote(lineage.file_hash)} as _file_hash, "
        f"{quote(lineage.load_id)} as _load_id, "
        f"cast({quote(lineage.loaded_at.isoformat(sep=' '))} as timestamp) as _loaded_at"
    )


def check_sql(checks: list[Check], skip: str = "false") -> tuple[str, str, str]:
    """SQL for a row's first failed check: its index (`_check`, evaluated once per row; null when
    every check passed or the row is skipped), then that check's `column<US>check` name and the
    value it saw, both read from `_check`."""
    if not checks:
        return "cast(null as integer)", "cast(null as varchar)", "cast(null as varchar)"
    problem = (
        f"case when {skip} then null\n"
        + "".join(f"  when {c.failed} then {i}\n" for i, c in enumerate(checks))
        + "  else null end"
    )
    name = (
        "case _check\n"
        + "".join(
            f"  when {i} then {quote(c.column + chr(31) + c.check)}\n" for i, c in enumerate(checks)
        )
        + "  else null end"
    )
    value = (
        "case _check\n"
        + "".join(f"  when {i} then cast({c.value} as varchar)\n" for i, c in enumerate(checks))
        + "  else null end"
    )
    return problem, name, value


def rejected_row(line: int, problem: str, value: str | None, original: str | None) -> RejectedRow:
    """A quarantined row from the `_problem` name written by `check_sql`."""
    column, check = problem.split(chr(31), 1)
    return RejectedRow(int(line), column, check, value or "", original or "")


def connect(workdir: Path) -> duckdb.DuckDBPyConnection:
    workdir.mkdir(parents=True, exist_ok=True)
    limit = os.environ.get("KPI_INGEST_MEMORY_LIMIT") or DEFAULT_MEMORY_LIMIT
    con = duckdb.connect(config={"memory_limit": limit, "threads": 2})
    con.execute(f"set temp_directory = {quote(str(workdir / 'duckdb_tmp'))}")
    con.execute("set preserve_insertion_order = true")
    return con


def load(
    con: duckdb.DuckDBPyConnection,
    source_sql: str,
    columns: list[Column],
    checks: list[Check],
    original: str,
    lineage: Lineage,
    staged: Path,
    *,
    first_line: int,
    date_column: str | None = "date_day",
) -> NativeResult:
    """Type and check every row of `source_sql`; write the good ones to `staged`.

    `first_line` is the line number of the first data row; `original` is an SQL expression that
    rebuilds the row's text for the quarantine.

    The rows are checked in parallel and written in file order (insertion order is preserved);
    a row's position in that file gives its line, so no row numbering serialises the scan.
    """
    problem, name, value = check_sql(checks)
    typed = ",\n  ".join(f"cast({c.expression} as {c.sql_type}) as {c.name}" for c in columns)
    everything = staged.with_name(staged.stem + ".all.parquet")
    con.execute(
        f"""
        copy (
            select
              {typed},
              {name} as _problem,
              {value} as _problem_value,
              case when _check is not null then {original} end as _original
            from (select *, {problem} as _check from {source_sql})
        ) to {quote(str(everything))} (format parquet, compression zstd)
        """
    )
    lineage_columns = lineage_sql(lineage)
    names = ", ".join(c.name for c in columns)
    checked = f"read_parquet({quote(str(everything))}, file_row_number = true)"
    line = f"file_row_number + {first_line}"
    con.execute(
        f"""
        copy (
            select {names}, {line} as _row_number, {lineage_columns}
            from {checked}
            where _problem is null
        ) to {quote(str(staged))} (format parquet, compression zstd)
        """
    )
    date_stats = (
        f"min({date_column}) filter (where _problem is null), "
        f"max({date_column}) filter (where _problem is null)"
        if date_column
        else "null, null"
    )
    rows_read, rows_loaded, first, last = con.execute(
        f"select count(*), count(*) filter (where _problem is null), {date_stats} "
        f"from read_parquet({quote(str(everything))})"
    ).fetchone()
    rejected_rows = con.execute(
        f"select {line}, _problem, _problem_value, _original "
        f"from {checked} where _problem is not null"  # in file order, nothing sorted
    ).fetchall()
    everything.unlink(missing_ok=True)
    rejected = [rejected_row(*row) for row in rejected_rows]
    return NativeResult(int(rows_read), int(rows_loaded), rejected, first, last)
