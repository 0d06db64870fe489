"""CSV exports read by DuckDB, with the exact line of every row.

Python reads only the first lines (to find the header and decide the format); DuckDB reads, types
and checks every row in SQL and writes Parquet, so memory stays bounded whatever the file size
(DuckDB spills to disk beyond its memory limit). DuckDB skips blank lines and a quoted cell may
span lines, so a row's ordinal is not always its line: when the file's line count shows either
happened, the line on which each record starts is taken from a streamed scan with Python's csv
module (the file is never held in memory).

Usage: `CsvLoad(con, csv).check(...)` types and checks every row once (into a scratch Parquet
file); `good`, `rejected` and `write` then read that result.
"""

from __future__ import annotations

import csv as csv_module
import datetime as dt
import os
import re
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from pipelines.ingest.errors import FileRefused, RejectedRow
from pipelines.ingest.native import (
    Check,
    Column,
    check_sql,
    connect,
    lineage_sql,
    quote,
    rejected_row,
)
from pipelines.ingest.parsed import Lineage, ParsedFile
from pipelines.ingest.sql_values import salted_hash, trimmed

_BLOCK = 1 << 20
Layer = list[tuple[str, str]]  # (name, SQL expression) computed together


@dataclass(frozen=True)
class CsvFile:
    """A delimited export: where its data rows start and how many columns they have."""

    path: Path
    encoding: str  # "utf-8" (with or without BOM) or "utf-16"
    delimiter: str
    lines_before: int  # physical lines before the first data row (title, header rows)
    width: int  # columns c0 .. c{width-1}; shorter rows are padded with nulls
    records_before: int | None = None  # CSV records before the data (default: lines_before)

    @property
    def names(self) -> list[str]:
        return [f"c{i}" for i in range(self.width)]

    def read_sql(self, *, parallel: bool = True) -> str:
        columns = ", ".join(f"{quote(n)}: 'varchar'" for n in self.names)
        return (
            f"read_csv({quote(str(self.path))}, header = false, auto_detect = false, "
            f"skip = {self.lines_before if self.records_before is None else self.records_before}, "
            f"columns = {{{columns}}}, "
            f"delim = {quote(self.delimiter)}, quote = '\"', escape = '\"', "
            f"encoding = {quote(self.encoding)}, null_padding = true, strict_mode = false, "
            f"parallel = {str(parallel).lower()})"
        )


def count_lines(path: Path, encoding: str) -> int:
    """Physical lines up to the last one with any content (trailing blank lines not counted)."""
    newlines = last = 0
    if encoding == "utf-8":
        with path.open("rb") as handle:
            for block in iter(lambda: handle.read(_BLOCK), b""):
                content = block.rstrip(b"\r\n")
                if content:
                    last = newlines + content.count(b"\n") + 1
                newlines += block.count(b"\n")
        return last
    with path.open("r", encoding=encoding, newline="") as stream:
        for block in iter(lambda: stream.read(_BLOCK), ""):
            content = block.rstrip("\r\n")
            if content:
                last = newlines + content.count("\n") + 1
            newlines += block.count("\n")
    return last


def record_start_lines(file: CsvFile) -> list[int]:
    """The line on which each record DuckDB reads starts (blank lines are not records)."""
    encoding = "utf-8-sig" if file.encoding == "utf-8" else file.encoding
    starts: list[int] = []
    with file.path.open("r", encoding=encoding, newline="") as stream:
        for _ in range(file.lines_before):
            stream.readline()
        reader = csv_module.reader(stream, delimiter=file.delimiter)
        previous_end = 0
        for row in reader:
            if row:
                starts.append(file.lines_before + previous_end + 1)
            previous_end = reader.line_num
    return starts


@dataclass(frozen=True)
class Summary:
    rows_read: int
    rows_loaded: int
    first_date: dt.date | None
    last_date: dt.date | None
    skipped: int
    extra: object


@dataclass
class CsvLoad:
    """One CSV export being typed and checked by DuckDB."""

    con: duckdb.DuckDBPyConnection
    file: CsvFile
    scratch: Path
    warnings: list[str] = field(default_factory=list)
    _lines: str = "e._rn"
    _ordinal: str = "e._rn"  # a row's position among the file's records, from 1

    @property
    def _everything(self) -> Path:
        return self.scratch / "checked_rows.parquet"

    @property
    def _record_lines(self) -> Path:
        return self.scratch / "record_lines.parquet"

    def check(
        self,
        *,
        columns: list[Column],
        checks: list[Check],
        skip: str | None = None,
        layers: tuple[Layer, ...] = (),
        windows: tuple[Layer, ...] = (),
    ) -> None:
        """Type every row (`columns`) and name its first failed check, in file order.

        Blank rows (and rows where `skip`, SQL, is true) are not data: neither read nor rejected.
        `layers` are (name, SQL) lists computed one after another before the checks (each may
        use the previous ones' names), so a value is parsed once. `windows` are layers with
        window functions (an order's first row, a repeated id). With windows, the file is read
        three times, each cell parsed once: the layers (and the cells the windows read) are
        written in file order; the windows run on that narrow file and are sorted back to file
        order; the checks then read the cells, the layers and the windows side by side (a
        positional join), so the wide rows are never sorted, partitioned or held in memory.
        """
        # Blank: every cell empty or spaces (only rows whose first cell is empty test the rest).
        first, *rest = self.file.names
        every = " and ".join(f"({trimmed(n)} = '' or {n} is null)" for n in self.file.names)
        blank = f"(case when {trimmed(first)} <> '' then false else {every} end)" if rest else every
        skipped = f"not ({blank}) and coalesce({skip}, false)" if skip else "false"
        original = (  # the row's text, for the quarantine
            f"concat_ws({quote(self.file.delimiter)}, "
            + ", ".join(f"coalesce({n}, '')" for n in self.file.names)
            + ")"
        )
        problem, name, value = check_sql(checks, skip="_skip")
        typed = ",\n  ".join(f"cast({c.expression} as {c.sql_type}) as {c.name}" for c in columns)

        def stacked(relation: str, stack: tuple[Layer, ...]) -> str:
            for layer in stack:
                relation = (
                    f"(select *, {', '.join(f'{e} as {n}' for n, e in layer)} from {relation})"
                )
            return relation

        parsed = self.scratch / "parsed_rows.parquet"
        flags = self.scratch / "row_flags.parquet"
        layer_names = [n for layer in layers for n, _ in layer]
        window_names = [n for layer in windows for n, _ in layer]
        window_sql = " ".join(e for layer in windows for _, e in layer)
        window_cells = [n for n in self.file.names if re.search(rf"\b{n}\b", window_sql)]

        def read(parallel: bool, *, parse: bool = True) -> str:
            rows = f"(select *, {skipped} as _skipped from {self.file.read_sql(parallel=parallel)})"
            rows = f"(select *, _skipped or ({blank}) as _skip from {rows})"
            return stacked(rows, layers) if parse else rows

        def parse_statement(parallel: bool) -> str:
            # The layers and the cells the windows read, in file order (checked in parallel).
            kept = ", ".join(["_skip", *layer_names, *window_cells])
            return (
                f"copy (select {kept} from {read(parallel)}) to {quote(str(parsed))} "
                "(format parquet)"
            )

        def flag_statement(parallel: bool) -> str:
            # Narrow rows numbered by their position in the parsed file; sorted back to it.
            numbered = f"read_parquet({quote(str(parsed))}, file_row_number = true)"
            rows = f"(select *, file_row_number + 1 as _rn from {numbered})"
            return (
                f"copy (select _rn as _flags_rn, {', '.join(window_names)} "
                f"from {stacked(rows, windows)} order by _rn) to {quote(str(flags))} "
                "(format parquet)"
            )

        def statement(parallel: bool) -> str:
            if not windows:
                rows, ordinal, aligned = read(parallel), "", "null"
            else:  # the cells joined by position with their layers and flags: no sort, no hash
                values = ", ".join(layer_names) or "_skip as _parsed_skip"
                rows = (
                    f"(select * from {read(parallel, parse=False)} "
                    f"positional join (select {values} from read_parquet({quote(str(parsed))})) "
                    f"positional join read_parquet({quote(str(flags))}))"
                )
                ordinal = "_flags_rn as _rn, "
                aligned = (
                    "case when _flags_rn is null or _skip is null "
                    "then error('rows out of step') end"
                )
            return f"""
                copy (
                    select {typed}, {ordinal}_skip, _skipped, {aligned} as _aligned,
                      {name} as _problem,
                      {value} as _problem_value,
                      case when _check is not null then {original} end as _original
                    from (select *, {problem} as _check from {rows})
                ) to {quote(str(self._everything))} (format parquet, compression zstd)
            """

        self.scratch.mkdir(parents=True, exist_ok=True)
        steps = (parse_statement, flag_statement, statement) if windows else (statement,)
        for step in steps:
            try:
                self.con.execute(step(parallel=True))
            except duckdb.Error as exc:
                if "parallel=false" not in str(exc):
                    raise
                self.con.execute(step(parallel=False))  # quoted line breaks in padded rows
        parsed.unlink(missing_ok=True)
        flags.unlink(missing_ok=True)
        if not windows:
            self._ordinal = self._lines = "(e.file_row_number + 1)"
        self._number_lines()

    def _number_lines(self) -> None:
        (records,) = self.con.execute(
            f"select count(*) from read_parquet({quote(str(self._everything))})"
        ).fetchone()
        before = self.file.lines_before
        if before + records == count_lines(self.file.path, self.file.encoding):
            self._lines = f"{self._ordinal} + {before}"  # one line per record: the ordinal is it
            return
        starts = record_start_lines(self.file)
        if len(starts) != records:
            self.warnings.append(
                "line numbers are approximate (the file's records could not be matched to its "
                "lines)"
            )
            self._lines = f"{self._ordinal} + {before}"
            return
        numbers = pa.table({"_line": pa.array(starts, pa.int64())})
        pq.write_table(numbers, self._record_lines)
        self._lines = "l._line"

    @property
    def rows(self) -> str:
        """Every data row (typed, with `_line`, `_problem`) as a relation."""
        join = (
            f" positional join read_parquet({quote(str(self._record_lines))}) l"
            if self._lines == "l._line"
            else ""
        )
        return (
            f"(select e.*, cast({self._lines} as bigint) as _line "
            f"from read_parquet({quote(str(self._everything))}, file_row_number = true) e{join} "
            "where not e._skip)"
        )

    @property
    def good(self) -> str:
        return f"(select * from {self.rows} where _problem is null)"

    def summary(self, day: str, *, day_rows: str = "_problem is null", extra: str = "null"):
        """In one scan: rows read, rows that passed every check, the first and last `day` of the
        rows where `day_rows`, rows that `skip` set aside, and `extra` (an aggregate)."""
        data = "not _skip"
        read, loaded, first, last, skipped, extra_value = self.con.execute(
            f"select count(*) filter (where {data}), "
            f"count(*) filter (where {data} and _problem is null), "
            f"min(cast({day} as date)) filter (where {data} and ({day_rows})), "
            f"max(cast({day} as date)) filter (where {data} and ({day_rows})), "
            f"count(*) filter (where _skipped), {extra} "
            f"from read_parquet({quote(str(self._everything))})"
        ).fetchone()
        return Summary(int(read), int(loaded), first, last, int(skipped), extra_value)

    def rejected(self) -> list[RejectedRow]:
        found = self.con.execute(
            f"select _line, _problem, _problem_value, _original from {self.rows} "
            "where _problem is not null"  # in file order: insertion order is kept, nothing sorted
        ).fetchall()
        return [rejected_row(*row) for row in found]

    def write(self, select: str, staged: Path) -> Path:
        """Write `select` (a query over `good`/`rows`) to a Parquet file."""
        self.con.execute(
            f"copy ({select}) to {quote(str(staged))} (format parquet, compression zstd)"
        )
        return staged

    def close(self) -> None:
        self._everything.unlink(missing_ok=True)
        self._record_lines.unlink(missing_ok=True)
        if os.path.exists(self.scratch) and not any(self.scratch.iterdir()):
            self.scratch.rmdir()


_CSV_LINE = re.compile(r"CSV Error on Line: (\d+)")


def refusal(name: str, what: str, exc: duckdb.Error) -> FileRefused:
    """A clear refusal for a file DuckDB could not read: the line and the first sentence of the
    reason, without DuckDB's own advice (which names its reader options, not the export)."""
    message = str(exc)
    found = _CSV_LINE.search(message)
    line = int(found.group(1)) if found else None
    if "Invalid unicode" in message:
        return FileRefused(
            name, "not valid UTF-8 text; save the export as UTF-8 (or UTF-16) CSV", line=line
        )
    reason = next(
        (
            part.strip()
            for part in message.splitlines()
            if part.strip()
            and not part.startswith(("Original Line", "Possible", "  "))
            and "CSV Error on Line" not in part
        ),
        message.splitlines()[0] if message else type(exc).__name__,
    )
    return FileRefused(name, f"cannot be read as {what}: {reason}", line=line)


UNSAVED = Lineage("unsaved", "unsaved", "unsaved", dt.datetime(2000, 1, 1))


def path_or_bytes(
    data: bytes | Path,
    workdir: Path | None,
    read: Callable[[Path, Path, str | None], ParsedFile],
    schemas: dict[str, pa.Schema],
    salt: str | None,
) -> ParsedFile:
    """Call `read(path, workdir, salt)` for a path with a place to stage its rows; for bytes (or no
    workdir) read through a scratch folder and return the rows as tables, personal data as is."""
    if isinstance(data, Path) and workdir is not None:
        return read(data, workdir, salt)
    with tempfile.TemporaryDirectory() as scratch:
        path = Path(scratch) / "export.csv"
        path.write_bytes(data.read_bytes() if isinstance(data, Path) else data)
        parsed = read(path, Path(scratch) / "work", None)
        for table in list(parsed.staged):
            rows = pq.read_table(parsed.staged.pop(table))
            parsed.tables[table] = rows.select(schemas[table].names).cast(schemas[table])
        return parsed


def hash_columns(pii: dict[str, str], salt: str | None) -> str:
    """`, <hash> as <column>_hash` for each personal-data column (nothing without a salt)."""
    if salt is None:
        return ""
    return "".join(
        f", {salted_hash(column, kind, salt)} as {column}_hash" for column, kind in pii.items()
    )


@dataclass(frozen=True)
class TableSpec:
    """One raw table read from one CSV export: how to type and check its rows."""

    name: str
    schema: pa.Schema
    pii: dict[str, str]
    columns: list[Column]
    checks: list[Check]
    layers: tuple[Layer, ...] = ()
    windows: tuple[Layer, ...] = ()
    date_column: str = "date_day"
    what: str = "an export"  # for messages: "cannot be read as <what>"
    skip: str | None = None  # rows that are not data (a report's total row): counted, not read


def read_table(
    file: CsvFile,
    table: TableSpec,
    *,
    name: str,
    workdir: Path,
    lineage: Lineage,
    salt: str | None,
    extra: str | None = None,
) -> tuple[ParsedFile, object]:
    """Type, check and stage one table from `file`; also returns `extra` (an aggregate call over
    the rows that passed) for reader-specific warnings."""
    con = connect(workdir)
    load = CsvLoad(con, file, workdir / "checked")
    staged = workdir / f"{table.name}.parquet"
    try:
        load.check(
            columns=table.columns,
            checks=table.checks,
            skip=table.skip,
            layers=table.layers,
            windows=table.windows,
        )
        values = ", ".join(f.name for f in table.schema if f.name != "_row_number")
        load.write(
            f"select {values}, _line as _row_number{hash_columns(table.pii, salt)}, "
            f"{lineage_sql(lineage)} from {load.good}",
            staged,
        )
        passed = "not _skip and _problem is null"
        extra = f"{extra} filter (where {passed})" if extra else "null"
        summary = load.summary(table.date_column, extra=extra)
        rejected = load.rejected()
    except duckdb.Error as exc:
        raise refusal(name, table.what, exc) from exc
    finally:
        load.close()
        con.close()
    parsed = ParsedFile(
        rows_read=summary.rows_read,
        rows_loaded=summary.rows_loaded,
        staged={table.name: staged},
        rejected=rejected,
        summary_rows=summary.skipped,
        first_date=summary.first_date,
        last_date=summary.last_date,
        warnings=list(load.warnings),
    )
    return parsed, summary.extra
