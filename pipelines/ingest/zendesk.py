"""Zendesk ticket exports: one row per ticket, times in the account's time zone without offset.

`First reply time in minutes` counts calendar minutes and is empty while a ticket has no reply.
Excel re-saves turn ids into `1.03006E+13` (refused per row: the digits are lost) and dates into
`dd-mm-yyyy hh:mm` (unambiguous, so repaired with a warning).

Python reads the header; DuckDB types and checks the rows (any file size, bounded memory).
"""

from __future__ import annotations

import re
from pathlib import Path

from pipelines.ingest import sql_values as v
from pipelines.ingest.columns import AtLeast, Cell, DeclaredChecks, OneOf, RawColumn, RawTable
from pipelines.ingest.errors import FileRefused
from pipelines.ingest.native import Check, Column
from pipelines.ingest.native_csv import (
    UNSAVED,
    CsvFile,
    Layer,
    TableSpec,
    path_or_bytes,
    read_table,
)
from pipelines.ingest.options import IngestOptions, require_salt
from pipelines.ingest.parsed import Lineage, ParsedFile
from pipelines.ingest.source import Source
from pipelines.ingest.text_files import head_text, split_rows, unused_column_warnings

TABLE = "support_tickets"
STATUSES = {"new", "open", "pending", "hold", "on-hold", "solved", "closed"}
SATISFACTION = {"not offered", "offered", "good", "bad", "unoffered"}
_STATUS_TEXT = "one of New, Open, Pending, On-hold, Solved, Closed"
_MINUTES = (AtLeast(0),)
RAW_TABLE = RawTable(
    TABLE,
    (
        RawColumn(
            "ticket_id", "int", nullable=False, rules=(AtLeast(1),), missing="ticket id is present"
        ),
        RawColumn("requester_name", "str", pii="name"),
        RawColumn("requester_email", "str", pii="email"),
        RawColumn("group_name", "str"),
        RawColumn("subject", "str"),
        RawColumn(
            "status", "str", nullable=False, rules=(OneOf(tuple(sorted(STATUSES)), _STATUS_TEXT),)
        ),
        RawColumn("priority", "str"),
        RawColumn("via", "str"),
        RawColumn("ticket_type", "str"),
        RawColumn("created_at", "timestamp", nullable=False, missing="creation time is present"),
        RawColumn("created_at_utc", "timestamp"),
        RawColumn("updated_at", "timestamp"),
        RawColumn("solved_at", "timestamp"),
        RawColumn(
            "satisfaction_score",
            "str",
            rules=(OneOf(tuple(sorted(SATISFACTION)), "one of Not Offered, Offered, Good, Bad"),),
        ),
        RawColumn("replies", "int", rules=_MINUTES),
        RawColumn("first_reply_minutes", "float", rules=_MINUTES),
        RawColumn("first_reply_minutes_business", "float", rules=_MINUTES),
        RawColumn("full_resolution_minutes", "float", rules=_MINUTES),
    ),
    unique=("ticket_id",),
    entity="tickets",
    description="One row per ticket; times converted from the account zone to the reporting zone.",
    day="cast(created_at as date)",
    volume_checked=True,
    row_time="created_at",
)
SCHEMA = RAW_TABLE.arrow_schema
# The columns of the export as the tool writes it; any other column is new (schema drift).
EXPORT_HEADER = (
    "Id",
    "Requester",
    "Requester id",
    "Requester external id",
    "Requester email",
    "Requester domain",
    "Submitter",
    "Assignee",
    "Group",
    "Subject",
    "Tags",
    "Status",
    "Priority",
    "Via",
    "Ticket type",
    "Created at",
    "Updated at",
    "Assigned at",
    "Organization",
    "Due date",
    "Initially assigned at",
    "Solved at",
    "Resolution time",
    "Satisfaction Score",
    "Group stations",
    "Assignee stations",
    "Reopens",
    "Replies",
    "First reply time in minutes",
    "First reply time in minutes within business hours",
    "First resolution time in minutes",
    "First resolution time in minutes within business hours",
    "Full resolution time in minutes",
    "Full resolution time in minutes within business hours",
    "Agent wait time in minutes",
    "Agent wait time in minutes within business hours",
    "Requester wait time in minutes",
    "Requester wait time in minutes within business hours",
    "On hold time in minutes",
    "On hold time in minutes within business hours",
)
EXPORT_COLUMNS = frozenset(EXPORT_HEADER)
# The account's own ticket fields, e.g. `Category [list]`: expected, read nothing from them.
_CUSTOM_FIELD = re.compile(r"\[[a-z ]+\]$")
REQUIRED = ("Id", "Status", "Created at", "First reply time in minutes")
_ISO = r"^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(:\d{2})?$"
_EXCEL_DATE = r"^\d{1,2}-\d{1,2}-\d{4} \d{1,2}:\d{2}$"
_TIMES = {"created_at": "Created at", "updated_at": "Updated at", "solved_at": "Solved at"}
_NUMBERS = {
    "replies": ("Replies", True),
    "first_reply_minutes": ("First reply time in minutes", False),
    "first_reply_minutes_business": ("First reply time in minutes within business hours", False),
    "full_resolution_minutes": ("Full resolution time in minutes", False),
}
_TEXTS = {
    "requester_name": "Requester",
    "requester_email": "Requester email",
    "group_name": "Group",
    "subject": "Subject",
    "via": "Via",
    "ticket_type": "Ticket type",
}  # the columns kept as text, as they are


def parse(
    data: bytes | Path,
    file: str,
    account_timezone: str,
    reporting_timezone: str,
    *,
    workdir: Path | None = None,
    lineage: Lineage = UNSAVED,
    salt: str | None = None,
) -> ParsedFile:
    """Read an export given as a path (rows staged as Parquet in `workdir`, personal data hashed
    with `salt`) or as bytes (rows returned as a table, personal data as is)."""

    def read(path: Path, scratch: Path, salt: str | None) -> ParsedFile:
        return _parse_path(path, file, account_timezone, reporting_timezone, scratch, lineage, salt)

    return path_or_bytes(data, workdir, read, {TABLE: SCHEMA}, salt)


def _parse_path(
    path: Path,
    file: str,
    account_timezone: str,
    reporting_timezone: str,
    workdir: Path,
    lineage: Lineage,
    salt: str | None,
) -> ParsedFile:
    text, encoding = head_text(path, file)
    first_line = text.splitlines()[0] if text else ""
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    rows = split_rows(first_line, delimiter)
    header = [h.strip().lstrip("\ufeff") for h in rows[0]] if rows else []
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        raise FileRefused(
            file, f"not a Zendesk ticket export: column(s) missing: {', '.join(missing)}", line=1
        )
    index = {name: i for i, name in enumerate(header)}
    columns, checks, layers, windows = _columns_and_checks(
        index, account_timezone, reporting_timezone
    )
    table = TableSpec(
        TABLE,
        SCHEMA,
        RAW_TABLE.pii,
        columns,
        checks,
        layers,
        windows,
        date_column="created_at",
        what="a Zendesk ticket export",
    )
    csv = CsvFile(path, encoding, delimiter, lines_before=1, width=len(header))
    parsed, repaired = read_table(
        csv, table, name=file, workdir=workdir, lineage=lineage, salt=salt, extra="sum(_repaired)"
    )
    if repaired:
        parsed.warnings.append(
            f"{repaired} Excel-style dates (dd-mm-yyyy hh:mm) were read as day-month-year; "
            "export from Zendesk again to keep the seconds"
        )
    standard = [name for name in header if not _CUSTOM_FIELD.search(name)]
    parsed.warnings.extend(unused_column_warnings(standard, EXPORT_COLUMNS))
    return parsed


def _columns_and_checks(
    index: dict[str, int], account_timezone: str, reporting_timezone: str
) -> tuple[list[Column], list[Check], tuple[Layer, ...], tuple[Layer, ...]]:
    def cell(column: str) -> str:
        return f"c{index[column]}" if column in index else "cast(null as varchar)"

    def raw(column: str) -> str:
        return f"trim(coalesce({cell(column)}, ''))"

    # Layer 1: each cell parsed once.
    parsed = [
        ("_id", v.number(cell("Id"), ".", percent=False)),
        ("_status", f"lower({raw('Status')})"),
    ]
    for name, column in _TIMES.items():
        parsed.append(
            (
                f"_{name}_naive",
                f"case when regexp_matches({raw(column)}, '{_ISO}') "
                f"then try_cast(replace({raw(column)}, 'T', ' ') as timestamp) "
                f"when regexp_matches({raw(column)}, '{_EXCEL_DATE}') "
                f"then try_strptime({raw(column)}, '%d-%m-%Y %H:%M') end",
            )
        )
    for name, (column, _) in _NUMBERS.items():
        parsed.append((f"_{name}", v.number(cell(column), ".", percent=False)))
    repaired = " + ".join(
        f"cast(regexp_matches({raw(column)}, '{_EXCEL_DATE}') as integer)"
        for column in _TIMES.values()
    )
    parsed.append(("_repaired", repaired))
    # Layer 2: instants (a time zone conversion each).
    instants = [
        (f"_{name}_instant", v.local_to_instant(f"_{name}_naive", account_timezone))
        for name in _TIMES
    ]
    layers = (parsed, instants)
    windows = ([("_id_seen", "row_number() over (partition by _id order by _rn)")],)

    scientific = (
        "a plain number (Excel turned it into scientific notation; the digits are lost, export "
        "again)"
    )
    satisfaction = f"lower({raw('Satisfaction Score')})"
    cells = {
        "ticket_id": Cell("_id", "Id", raw("Id")),
        "status": Cell("_status", "Status", "_status"),
        "created_at": Cell("_created_at_naive", "Created at", raw("Created at")),
        "satisfaction_score": Cell(
            f"nullif({satisfaction}, '')", "Satisfaction Score", raw("Satisfaction Score")
        ),
        **{name: Cell(f"_{name}", column, raw(column)) for name, (column, _) in _NUMBERS.items()},
    }
    declared = DeclaredChecks(RAW_TABLE, cells)
    checks = [
        Check(v.is_scientific(cell("Id")), "Id", scientific, raw("Id")),
        Check(f"not {v.is_number_or_empty(cell('Id'), '.')}", "Id", "is a whole number", raw("Id")),
        *declared.presence("ticket_id"),
        *declared.rules("ticket_id"),
        Check("_id <> floor(_id)", "Id", "is a whole number", raw("Id")),
        *declared.of("status"),
    ]
    for name, column in _TIMES.items():
        checks += [
            Check(
                f"{raw(column)} <> '' and not regexp_matches({raw(column)}, '{_ISO}') "
                f"and not regexp_matches({raw(column)}, '{_EXCEL_DATE}')",
                column,
                "timestamp like 2026-09-01 12:33:30",
                raw(column),
            ),
            Check(
                f"{raw(column)} <> '' and _{name}_naive is null",
                column,
                "a real date and time",
                raw(column),
            ),
        ]
        if name == "created_at":
            checks += declared.presence("created_at")
            checks.append(
                Check(  # exports never hold the future (a day's tolerance for time zones)
                    f"cast({v.in_zone('_created_at_instant', reporting_timezone)} as date) "
                    "> current_date + 1",
                    column,
                    "date is not in the future",
                    raw(column),
                )
            )
    checks += declared.of("satisfaction_score")
    for name, (column, whole) in _NUMBERS.items():
        checks.append(
            Check(
                v.is_scientific(cell(column)),
                column,
                scientific,
                raw(column),
            )
        )
        checks.append(
            Check(
                f"not {v.is_number_or_empty(cell(column), '.')}",
                column,
                "is a number (1,234.5)",
                raw(column),
            )
        )
        checks += declared.of(name)
        if whole:
            checks.append(
                Check(f"_{name} <> floor(_{name})", column, "is a whole number", raw(column))
            )
    checks += declared.rest()
    checks.append(
        Check(
            "_id_seen > 1",
            "Id",
            "ticket id is unique in the file (an earlier row has it)",
            raw("Id"),
        )
    )

    def local(name: str) -> str:
        return v.in_zone(f"_{name}_instant", reporting_timezone)

    status = "case when _status = 'on-hold' then 'hold' else _status end"
    columns = [
        Column("ticket_id", "bigint", "_id"),
        *(Column(name, "varchar", v.text(cell(column))) for name, column in _TEXTS.items()),
        Column("status", "varchar", status),
        Column("priority", "varchar", f"nullif(lower({raw('Priority')}), '')"),
        Column("created_at", "timestamp", local("created_at")),
        Column("created_at_utc", "timestamp", v.in_zone("_created_at_instant", "UTC")),
        Column("updated_at", "timestamp", local("updated_at")),
        Column("solved_at", "timestamp", local("solved_at")),
        Column("satisfaction_score", "varchar", f"nullif({satisfaction}, '')"),
        *(
            Column(name, "bigint" if whole else "double", f"_{name}")
            for name, (_, whole) in _NUMBERS.items()
        ),
        Column("_repaired", "integer", "_repaired"),
    ]
    return columns, checks, layers, windows


def read(path: Path, lineage: Lineage, options: IngestOptions, workdir: Path) -> ParsedFile:
    return _parse_path(
        path,
        lineage.source_file,
        options.support_tickets.account_timezone,
        options.reporting_timezone,
        workdir,
        lineage,
        require_salt(options),
    )


SOURCE = Source(
    name="zendesk",
    landing_folder="support_tickets",
    label="Zendesk ticket",
    description="Zendesk ticket exports.",
    tables=(RAW_TABLE,),
    coverage=TABLE,
    read=read,
)
