"""HubSpot CSV deals and contacts exports read by DuckDB, with the semantics of the Python reader.

Python reads the header only (object, aliases, delimiter, the same refusals as `crm_files`);
DuckDB types and checks every cell in SQL and writes Parquet (see `native_csv`). What the rows
get is what `crm_hubspot.parse` gives the same file, row for row (tests/ingest/
test_crm_hubspot_native.py compares the two): the same columns and values, the same quarantined
rows (line, column, rule, value, original text), the same counts.

How the Python rules are kept in SQL:

- cells are stripped of every character Python's `str.strip()` strips (`trim` with that set);
  a row whose cells all strip to nothing is no data row (neither read nor rejected);
- deals files are scanned once first for what needs the whole file: the decimal separator of the
  amounts (`text_files.detect_decimal_separator`, with its refusal) and the distinct
  (pipeline, stage) pairs, whose won/closed state Python decides with `crm.hubspot` (casefold,
  per pipeline) and SQL looks up;
- a time without offset in `crm.timezone` becomes an instant with `sql_values.local_to_instant`:
  a wall time the spring change skips is read with the offset before the change (ICU does so),
  one the autumn change repeats as its first occurrence, as `crm_files.Clock` (Python's fold=0);
- a repeated id is looked for among the rows that passed every other check; only when there is
  one is the file read again with the window that names the earlier line (a third pass);
- messages that name the row's own text (an unreadable amount, a stage the configuration misses,
  the line of an earlier row with the same id) are filled in when the few rejected rows are read.

Known differences (none occurs in an export HubSpot writes): digits outside ASCII (`\\d` in
Python's patterns matches them, in DuckDB's not); a row with more than `EXTRA_CELLS` cells
beyond the header (DuckDB drops the rest, so the quarantined original text lacks them); `Is Deal
Closed?` and the currency code are folded and upper-cased by DuckDB (`lower`, `upper`), which
differs from Python's `casefold`/`upper` only for letters like the German sharp s; broken quoting
(a quote inside an unquoted cell) is read by DuckDB's CSV reader, not Python's; the autumn
overlap is taken to be one hour long (as in every zone the CRMs offer but Lord Howe Island).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from pipelines.ingest import sql_values as v
from pipelines.ingest.columns import Cell, DeclaredChecks, RawTable
from pipelines.ingest.crm_files import (
    DATETIME_FORMAT,
    MANGLED_ID,
    header_of,
)
from pipelines.ingest.crm_tables import DEALS
from pipelines.ingest.errors import FileRefused, RejectedRow
from pipelines.ingest.native import Check, Column, check_sql, connect, lineage_sql, quote
from pipelines.ingest.native_csv import CsvFile, CsvLoad, Layer, hash_columns, refusal
from pipelines.ingest.options import IngestOptions
from pipelines.ingest.parsed import Lineage, ParsedFile
from pipelines.ingest.text_files import head_text

# Placeholders in a rule text, filled from the rejected row (see `_filled`).
_VALUE = "\x1d0"  # the cell's text
_SECOND = "\x1d1"  # a second value (the pipeline), sent after \x1e in the value
_LINE = "\x1dL"  # the line of the earlier row with the same id
_PARTS = "\x1e"
# Cells a row may have beyond the header and still be quoted whole in the quarantine.
EXTRA_CELLS = 8
NO_STAGE = "deal stage is present (closed and won follow from it)"
_DUPLICATE = f"one row per id (also on line {_LINE})"
_DATETIME = r"^(\d{4})-(\d{2})-(\d{2})(?:[ T](\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?)?$"
_SCIENTIFIC = r"^[+-]?\d+(?:[.,]\d+)?[eE][+-]?\d+$"
_DOT_EVIDENCE = r"^-?\d+\.(\d{1,2}|\d{4,})%?$|^-?\d{1,3}(,\d{3})+\.\d+%?$"
_COMMA_EVIDENCE = r"^-?\d+,(\d{1,2}|\d{4,})%?$|^-?\d{1,3}(\.\d{3})+,\d+%?$"


@cache
def _spaces() -> str:
    """Every character Python's `str.strip()` strips."""
    return "".join(c for c in map(chr, range(0x110000)) if c.isspace())


@cache
def _space_class() -> str:
    """A regular-expression class of those characters."""
    return "[" + "".join(f"\\x{{{ord(c):x}}}" for c in _spaces()) + "]"


def _strip(value: str) -> str:
    """`value.strip()` in SQL (a regular expression only for the few cells that need it: DuckDB's
    `trim` with a character set costs about eight times as much)."""
    space = _space_class()
    return (
        f"(case when regexp_matches({value}, '^{space}|{space}$') "
        f"then regexp_replace({value}, '^{space}+|{space}+$', '', 'g') else {value} end)"
    )


def _blank(cells: list[str]) -> str:
    """Every cell empty to `str.strip()`."""
    joined = " || ".join(f"coalesce({c}, '')" for c in cells)
    return f"not regexp_matches({joined}, '[^{_space_class()[1:]}')"


@dataclass(frozen=True)
class _File(CsvFile):
    """A CSV read with empty cells as '' (only the cells a short row lacks are null), so the
    quarantine can rebuild the row as Python's csv module read it."""

    def read_sql(self, *, parallel: bool = True) -> str:
        sql = super().read_sql(parallel=parallel)
        return sql[:-1] + ", nullstr = '\x01\x02')"


@dataclass(frozen=True)
class _Layout:
    header: list[str]
    where: Mapping[str, int | None]

    def cell(self, field: str) -> str:
        """The stripped cell ('' when the column is absent or the row short)."""
        position = self.where.get(field)
        if position is None:
            return "''"
        return _strip(f"coalesce(c{position}, '')")

    def label(self, field: str) -> str:
        position = self.where.get(field)
        return self.header[position] if position is not None else field


def _original(width: int) -> str:
    """The row as `csv.writer` writes its cells (quoted when holding `,` or `"`)."""
    cells = [
        f"case when c{i} like '%,%' or c{i} like '%\"%' "
        f"then '\"' || replace(c{i}, '\"', '\"\"') || '\"' else c{i} end"
        for i in range(width)
    ]
    return f"concat_ws(',', {', '.join(cells)})"


def _time_layers(name: str) -> Layer:
    """`_<name>`: the naive time of the text `_<name>_t` (null when empty or not a real time).

    DuckDB's cast reads every text the pattern allows as Python's `datetime` does, but for hour
    24 (the next day's midnight to DuckDB) and year 0 (1 BC); the fraction of a second is
    dropped, as the Python reader drops it."""
    text = f"_{name}_t"
    valid = (
        f"regexp_matches({text}, {quote(_DATETIME)}) and substr({text}, 12, 2) <> '24' "
        f"and not starts_with({text}, '0000')"
    )
    cast = f"date_trunc('second', try_cast({text} as timestamp))"
    return [(f"_{name}", f"case when {valid} then {cast} end")]


def _time_checks(name: str, label: str) -> list[Check]:
    text = f"_{name}_t"
    return [
        Check(
            f"{text} <> '' and not regexp_matches({text}, {quote(_DATETIME)})",
            label,
            DATETIME_FORMAT,
            text,
        ),
        Check(f"{text} <> '' and _{name} is null", label, "a real calendar day and time", text),
    ]


def _amount(name: str, decimal: str) -> Layer:
    """As `text_files.parse_number`: `_<name>_t` (text), `_<name>_v` (cleaned), `_<name>_e`
    (which error: 1 grouping, 2 scientific, 3 no number) and `_<name>` (the double)."""
    group = "," if decimal == "." else "."
    cleaned = f"replace(replace(_{name}_t, chr(160), ''), ' ', '')"
    core = _strip(f"ltrim(rtrim({cleaned}, '%'), '<>')")
    prefix = f"split_part(ltrim({core}, '-'), {quote(decimal)}, 1)"
    grouping = f"^[^{group}]+({re.escape(group)}[^{group}]{{3}})+$"
    digits = f"replace(replace({core}, {quote(group)}, ''), {quote(decimal)}, '.')"
    error = (
        f"case when {cleaned} in ('', '--') then null "
        f"when contains({core}, {quote(group)}) "
        f"and not regexp_full_match({prefix}, {quote(grouping)}) then 1 "
        rf"when regexp_full_match({digits}, '-?\d+(\.\d+)?') then null "
        rf"when regexp_full_match({digits}, '-?\d+(\.\d+)?[eE][+-]?\d+') then 2 else 3 end"
    )
    value = (
        f"case when {cleaned} in ('', '--') or contains({core}, {quote(group)}) "
        f"and not regexp_full_match({prefix}, {quote(grouping)}) then null "
        f"else try_cast({digits} as double) "
        f"/ (case when suffix({cleaned}, '%') then 100 else 1 end) end"
    )
    return [(f"_{name}_e", error), (f"_{name}", value)]


def _amount_checks(name: str, label: str, decimal: str) -> list[Check]:
    group = "," if decimal == "." else "."
    reasons = (
        f"'{_VALUE}' is not a number in this file's format (1{group}234{decimal}5)",
        f"'{_VALUE}' is in scientific notation (an Excel re-save); export again",
        f"'{_VALUE}' is not a number",
    )
    return [
        Check(f"_{name}_e = {i}", label, f"a number ({reason})", f"_{name}_t")
        for i, reason in enumerate(reasons, start=1)
    ]


def _bool(text: str) -> str:
    folded = f"lower({text})"
    return (
        f"case when {text} = '' then null when {folded} in ('true', 'yes', '1') then true "
        f"when {folded} in ('false', 'no', '0') then false end"
    )


def _stage_states(
    con: duckdb.DuckDBPyConnection, file: _File, layout: _Layout, options: IngestOptions
) -> tuple[list[str], list[str], int, int]:
    """(won keys, closed keys) of the file's (pipeline, stage) pairs, and its decimal evidence
    (cells written with '.' and with ',')."""
    amounts = [
        layout.cell(n) for n in ("amount", "amount_company") if layout.where.get(n) is not None
    ]
    cleaned = [f"ltrim(replace(replace({a}, ' ', ''), chr(160), ''), '<>')" for a in amounts]
    dot = " + ".join(f"regexp_matches({c}, {quote(_DOT_EVIDENCE)})::int" for c in cleaned) or "0"
    comma = (
        " + ".join(
            f"(not regexp_matches({c}, {quote(_DOT_EVIDENCE)}) "
            f"and regexp_matches({c}, {quote(_COMMA_EVIDENCE)}))::int"
            for c in cleaned
        )
        or "0"
    )
    pipeline, stage = layout.cell("pipeline"), layout.cell("stage")
    rows = con.execute(
        f"select nullif({pipeline}, ''), nullif({stage}, ''), sum({dot}), sum({comma}) "
        f"from {file.read_sql()} group by all"
    ).fetchall()
    hubspot = options.crm.hubspot
    won: list[str] = []
    closed: list[str] = []
    dots = commas = 0
    for pipeline_value, stage_value, dot_cells, comma_cells in rows:
        dots += int(dot_cells or 0)
        commas += int(comma_cells or 0)
        if stage_value is None:
            continue
        folded = stage_value.casefold()
        key = f"{pipeline_value or ''}\x1f{stage_value}"
        if folded in hubspot.stages(pipeline_value, won=True):
            won.append(key)
            closed.append(key)
        elif folded in hubspot.stages(pipeline_value, won=False):
            closed.append(key)
    return won, closed, dots, commas


def _in(key: str, keys: list[str]) -> str:
    if not keys:
        return "false"
    return f"coalesce({key} in ({', '.join(quote(k) for k in keys)}), false)"


@dataclass
class _Plan:
    columns: list[Column]
    checks: list[Check]
    layers: tuple[Layer, ...]
    windows: tuple[Layer, ...]


def _plan(
    table: RawTable,
    layout: _Layout,
    options: IngestOptions,
    snapshot: dt.datetime,
    *,
    decimal: str = ".",
    won: list[str] | None = None,
    closed: list[str] | None = None,
    repeated: bool = False,
) -> _Plan:
    """How to read the export; with `repeated` (the file has an id twice) also which rows repeat
    an id, with window functions (a third pass over the file)."""
    deals = table.name == DEALS
    crm_zone, reporting = options.crm.timezone, options.reporting_timezone
    key = "deal_id" if deals else "contact_id"
    first: Layer = [(f"_{n}_t", layout.cell(n)) for n in layout.where]
    second: Layer = []
    times = (
        ("created_at", "close_date")
        if deals
        else ("created_at", "became_lead_at", "became_customer_at")
    )
    for name in times:
        second += _time_layers(name)
    for name in ("amount", "amount_company") if deals else ():
        second += _amount(name, decimal)
    checks: list[Check] = [
        Check(
            f"regexp_matches(_{key}_t, {quote(_SCIENTIFIC)})",
            layout.label(key),
            MANGLED_ID,
            f"_{key}_t",
        )
    ]
    if deals:
        pair = "coalesce(nullif(_pipeline_t, ''), '') || chr(31) || _stage_t"
        second += [
            ("_is_won", _in(pair, won or [])),
            ("_is_closed", _in(pair, closed or [])),
            ("_flagged", _bool("_is_deal_closed_t")),
        ]
        closed_label = layout.label("is_deal_closed")
        disagrees = (
            f"HubSpot calls the deal {{}} but stage '{_VALUE}' of pipeline '{_SECOND}' is {{}} "
            "by crm.hubspot won_stages/lost_stages in config/ingestion.yml; add the stage there"
        )
        shown = "_stage_t || chr(30) || coalesce(nullif(_pipeline_t, ''), 'None')"
        checks = [
            checks[0],
            Check("_stage_t = ''", layout.label("stage"), NO_STAGE, "''"),
            Check(
                "_is_deal_closed_t <> '' and _flagged is null",
                closed_label,
                "true/false or Yes/No",
                "_is_deal_closed_t",
            ),
            Check(
                "_flagged and not _is_closed",
                layout.label("stage"),
                disagrees.format("closed", "open"),
                shown,
            ),
            Check(
                "not _flagged and _is_closed",
                layout.label("stage"),
                disagrees.format("open", "closed"),
                shown,
            ),
            *_time_checks("created_at", layout.label("created_at")),
            *_time_checks("close_date", layout.label("close_date")),
            *_amount_checks("amount", layout.label("amount"), decimal),
            *_amount_checks("amount_company", layout.label("amount_company"), decimal),
        ]
    else:
        checks = [
            *_time_checks("created_at", layout.label("created_at")),
            *_time_checks("became_lead_at", layout.label("became_lead_at")),
            *_time_checks("became_customer_at", layout.label("became_customer_at")),
            checks[0],
        ]
    cells = {
        key: Cell(f"nullif(_{key}_t, '')", layout.label(key), f"_{key}_t", key),
        "created_at": Cell(
            "_created_at", layout.label("created_at"), "_created_at_t", "created_at"
        ),
    }
    if deals:
        cells |= {
            name: Cell(f"_{name}", layout.label(name), f"_{name}_t", name)
            for name in ("amount", "amount_company")
        }
        always = "set from the stage on every row read"
        cells |= {
            name: Cell(f"_{name}", name, "''", implied_by=always)
            for name in ("is_closed", "is_won")
        }
    checks += DeclaredChecks(table, cells).rest()
    # The first failed check of each row, once (`_pre`); a repeated id counts among the rows that
    # passed every other check only, as in the Python reader.
    pre, _, _ = check_sql(checks, skip="_skip")
    fourth: Layer = [(f"_{name}_i", v.local_to_instant(f"_{name}", crm_zone)) for name in times]
    if repeated:
        fourth.append(("_pre", pre))
    windows: tuple[Layer, ...] = (
        [
            (
                "_first_rn",
                f"min(_rn) over (partition by _pre is null and not _skip, _{key}_t)",
            )
        ],
        [
            (
                "_dup_of",
                "case when _pre is null and not _skip and _first_rn <> _rn then _first_rn end",
            )
        ],
    )
    final = [Check(f"_pre = {i}", c.column, c.check, c.value) for i, c in enumerate(checks)]
    final.append(Check("_dup_of is not null", layout.label(key), _DUPLICATE, f"_{key}_t"))
    if not repeated:
        final, windows = checks, ()

    def text(name: str) -> str:
        return f"nullif(_{name}_t, '')"

    def local(name: str) -> str:
        return v.in_zone(f"_{name}_i", reporting)

    def utc(name: str) -> str:
        return v.in_zone(f"_{name}_i", "UTC")

    if deals:
        company = options.crm.company_currency
        values: dict[str, str] = {
            "crm": "'hubspot'",
            "deal_id": text("deal_id"),
            "deal_name": text("deal_name"),
            "pipeline": text("pipeline"),
            "stage": text("stage"),
            "owner": text("owner"),
            "account_name": text("account_name"),
            "amount": "_amount",
            "currency_code": f"upper(coalesce({text('currency_code')}, {quote(company)}))",
            "amount_company": "_amount_company",
            "company_currency_code": quote(company),
            "created_at": local("created_at"),
            "created_at_utc": utc("created_at"),
            "close_date": "cast(_close_date as date)",
            "closed_at": f"case when _is_closed then {local('close_date')} end",
            "closed_at_utc": f"case when _is_closed then {utc('close_date')} end",
            "is_closed": "_is_closed",
            "is_won": "_is_won",
            "lost_reason": text("lost_reason"),
            "lead_source": text("lead_source"),
        }
    else:
        values = {
            "crm": "'hubspot'",
            "contact_id": text("contact_id"),
            "first_name": text("first_name"),
            "last_name": text("last_name"),
            "full_name": "cast(null as varchar)",
            "email": text("email"),
            "phone": text("phone"),
            "company": text("company"),
            "lifecycle_stage": text("lifecycle_stage"),
            "lead_status": text("lead_status"),
            "created_at": local("created_at"),
            "created_at_utc": utc("created_at"),
            "became_lead_at": local("became_lead_at"),
            "became_customer_at": local("became_customer_at"),
            "became_customer_at_utc": utc("became_customer_at"),
            "is_converted": "cast(null as boolean)",
            "converted_date": "cast(null as date)",
            "original_source": text("original_source"),
        }
    values["snapshot_at"] = f"cast({quote(snapshot.isoformat(sep=' '))} as timestamp)"
    sql_types = {
        "str": "varchar",
        "float": "double",
        "timestamp": "timestamp",
        "date": "date",
        "bool": "boolean",
        "int": "bigint",
    }
    columns = [Column(c.name, sql_types[c.type], values[c.name]) for c in table.columns]
    columns.append(Column("_dup_of", "bigint", "_dup_of" if repeated else "null"))
    return _Plan(columns, final, (first, second, fourth), windows)


def _filled(check: str, value: str, earlier_line: int | None) -> tuple[str, str]:
    """The rule text with the row's own values, and the value the quarantine shows."""
    parts = value.split(_PARTS)
    check = check.replace(_VALUE, parts[0])
    if len(parts) > 1:
        check = check.replace(_SECOND, parts[1])
    if earlier_line is not None:
        check = check.replace(_LINE, str(earlier_line))
    return check, parts[0]


@dataclass(frozen=True)
class Header:
    """The header row of a CSV export as the Python reader reads it, and how DuckDB reads on."""

    names: list[str]
    encoding: str
    delimiter: str
    lines: int  # physical lines of the header row
    width: int  # cells of the header row


def read_header(path: Path, file: str) -> Header:
    """The header, refused as the Python reader refuses it (empty, no header, a name twice)."""
    text, encoding = head_text(path, file)
    first_line = text.split("\n", 1)[0]
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    first = next(reader, None)
    names = header_of(first, delimiter, file)
    return Header(names, encoding, delimiter, reader.line_num, len(first or []))


def _decimal(dots: int, commas: int, delimiter: str, file: str) -> str:
    """As `text_files.detect_decimal_separator` over every amount cell of the file."""
    if dots and commas:
        raise FileRefused(
            file,
            f"the amounts cannot be read: numbers use both '.' ({dots} cells) and ',' "
            f"({commas} cells) as decimal separator",
        )
    if dots:
        return "."
    if commas:
        return ","
    return "," if delimiter == ";" else "."


def stage(
    path: Path,
    head: Header,
    table: RawTable,
    where: Mapping[str, int | None],
    snapshot: dt.datetime,
    lineage: Lineage,
    options: IngestOptions,
    workdir: Path,
    salt: str | None,
) -> ParsedFile:
    """Type and check every row of a HubSpot CSV export in DuckDB; the good rows are staged as
    Parquet in `workdir` (lineage and, with `salt`, the hashes of personal data included)."""
    file = lineage.source_file
    width = max([head.width, *(p + 1 for p in where.values() if p is not None)]) + EXTRA_CELLS
    csv_file = _File(
        path, head.encoding, head.delimiter, lines_before=head.lines, width=width, records_before=1
    )
    layout = _Layout(head.names, where)
    con = connect(workdir)
    staged = workdir / f"{table.name}.parquet"
    key = "deal_id" if table.name == DEALS else "contact_id"
    warnings: list[str] = []
    try:
        decimal, won, closed = ".", [], []
        if table.name == DEALS:
            won, closed, dots, commas = _stage_states(con, csv_file, layout, options)
            decimal = _decimal(dots, commas, head.delimiter, file)
        # An id twice is rare: the file is read again, with the window that finds the repeats,
        # only when the rows that passed hold one.
        for repeated in (False, True):
            plan = _plan(
                table,
                layout,
                options,
                snapshot,
                decimal=decimal,
                won=won,
                closed=closed,
                repeated=repeated,
            )
            original = f"case when _check is not null then {_original(width)} end"
            plan.columns.append(Column("_py_original", "varchar", original))
            load = CsvLoad(con, csv_file, workdir / "checked")
            try:
                load.check(
                    columns=plan.columns,
                    checks=plan.checks,
                    skip=_blank(csv_file.names),
                    layers=plan.layers,
                    windows=plan.windows,
                )
                if not repeated:
                    (twice,) = con.execute(
                        f"select count({key}) > count(distinct {key}) from {load.good}"
                    ).fetchone()
                    if twice:
                        continue
                values = ", ".join(c.name for c in table.columns)
                load.write(
                    f"select {values}, _line as _row_number{hash_columns(table.pii, salt)}, "
                    f"{lineage_sql(lineage)} from {load.good}",
                    staged,
                )
                summary = load.summary("created_at")
                earlier = f"left join {load.rows} f on f._rn = r._dup_of" if repeated else ""
                found = con.execute(
                    "select r._line, r._problem, r._problem_value, r._py_original, "
                    f"{'f._line' if repeated else 'null'} from {load.rows} r {earlier} "
                    "where r._problem is not null order by r._line"
                ).fetchall()
                warnings = list(load.warnings)
                break
            finally:
                load.close()
    except duckdb.Error as exc:
        raise refusal(file, "a HubSpot export", exc) from exc
    finally:
        con.close()
    rejected = []
    for line, problem, value, original_text, earlier in found:
        column, check = problem.split(chr(31), 1)
        check, shown = _filled(check, value or "", earlier)
        rejected.append(RejectedRow(int(line), column, check, shown, original_text or ""))
    return ParsedFile(
        rows_read=summary.rows_read,
        rows_loaded=summary.rows_loaded,
        staged={table.name: staged},
        rejected=rejected,
        first_date=summary.first_date,
        last_date=summary.last_date,
        warnings=warnings,
    )


def as_tables(parsed: ParsedFile, table: RawTable) -> ParsedFile:
    """The staged rows as a table without lineage or hashes, as the Python reader returns them."""
    schema = table.arrow_schema
    rows: pa.Table = pq.read_table(parsed.staged.pop(table.name))
    parsed.tables[table.name] = rows.select(schema.names).cast(schema)
    return parsed


def scratch() -> tempfile.TemporaryDirectory[str]:
    """A scratch folder for a read whose rows are returned as tables (nothing staged)."""
    return tempfile.TemporaryDirectory(prefix="hubspot-")
