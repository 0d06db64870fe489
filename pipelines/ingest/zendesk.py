"""Zendesk ticket exports: one row per ticket, times in the account's time zone without offset.

`First reply time in minutes` counts calendar minutes and is empty while a ticket has no reply.
Excel re-saves turn ids into `1.03006E+13` (refused per row: the digits are lost) and dates into
`dd-mm-yyyy hh:mm` (unambiguous, so repaired with a warning).
"""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

import pyarrow as pa

from pipelines.ingest.errors import CellRejected, FileRefused, RejectedRow
from pipelines.ingest.parsed import ParsedFile
from pipelines.ingest.text_files import decode, parse_number, physical_line_numbers, split_rows

SOURCE = "support_tickets"
TABLE = "support_tickets"
STATUSES = {"new", "open", "pending", "hold", "on-hold", "solved", "closed"}
SATISFACTION = {"not offered", "offered", "good", "bad", "unoffered"}
SCHEMA = pa.schema(
    [
        ("ticket_id", pa.int64()),
        ("requester_name", pa.string()),
        ("requester_email", pa.string()),
        ("group_name", pa.string()),
        ("subject", pa.string()),
        ("status", pa.string()),
        ("priority", pa.string()),
        ("via", pa.string()),
        ("ticket_type", pa.string()),
        ("created_at", pa.timestamp("us")),
        ("created_at_utc", pa.timestamp("us")),
        ("updated_at", pa.timestamp("us")),
        ("solved_at", pa.timestamp("us")),
        ("satisfaction_score", pa.string()),
        ("replies", pa.int64()),
        ("first_reply_minutes", pa.float64()),
        ("first_reply_minutes_business", pa.float64()),
        ("full_resolution_minutes", pa.float64()),
        ("_row_number", pa.int64()),
    ]
)
PII = {TABLE: {"requester_name": "name", "requester_email": "email"}}
REQUIRED = ("Id", "Status", "Created at", "First reply time in minutes")
_ISO = re.compile(r"^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(:\d{2})?$")
_EXCEL_DATE = re.compile(r"^(\d{1,2})-(\d{1,2})-(\d{4}) (\d{1,2}):(\d{2})$")
_SCIENTIFIC = re.compile(r"^\d+([.,]\d+)?[eE]\+?\d+$")


def _local(
    raw: str, column: str, account: ZoneInfo, reporting: ZoneInfo, repaired: list[str]
) -> tuple[dt.datetime, dt.datetime] | None:
    """(reporting-zone local time, UTC), both naive, from an account-zone local time."""
    raw = raw.strip()
    if not raw:
        return None
    if _ISO.match(raw):
        naive = dt.datetime.fromisoformat(raw.replace("T", " "))
    else:
        excel = _EXCEL_DATE.match(raw)
        if not excel:
            raise CellRejected(column, "timestamp like 2026-09-01 12:33:30", raw)
        day, month, year, hour, minute = (int(g) for g in excel.groups())
        try:
            naive = dt.datetime(year, month, day, hour, minute)
        except ValueError:
            raise CellRejected(column, "a real date and time", raw) from None
        repaired.append(column)
    moment = naive.replace(tzinfo=account)
    return (
        moment.astimezone(reporting).replace(tzinfo=None),
        moment.astimezone(dt.UTC).replace(tzinfo=None),
    )


def parse(data: bytes, file: str, account_timezone: str, reporting_timezone: str) -> ParsedFile:
    account, reporting = ZoneInfo(account_timezone), ZoneInfo(reporting_timezone)
    text = decode(data, file)
    first_line = text.splitlines()[0] if text else ""
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    rows = split_rows(text, delimiter)
    lines = physical_line_numbers(text, delimiter)
    header = [h.strip().lstrip("\ufeff") for h in rows[0]] if rows else []
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        raise FileRefused(
            file, f"not a Zendesk ticket export: column(s) missing: {', '.join(missing)}", line=1
        )
    index = {name: i for i, name in enumerate(header)}

    def cell(row: list[str], column: str) -> str:
        position = index.get(column)
        return row[position].strip() if position is not None and position < len(row) else ""

    values: dict[str, list] = {f.name: [] for f in SCHEMA}
    rejected: list[RejectedRow] = []
    repaired: list[str] = []
    seen: dict[int, int] = {}
    read = 0
    for i, row in enumerate(rows[1:], start=1):
        if not any(c.strip() for c in row):
            continue
        read += 1
        line = lines[i]
        try:
            record = _record(row, cell, account, reporting, repaired)
            if record["ticket_id"] in seen:
                raise CellRejected(
                    "Id",
                    f"unique in the file (also on line {seen[record['ticket_id']]})",
                    str(record["ticket_id"]),
                )
        except CellRejected as exc:
            rejected.append(
                RejectedRow(line, exc.column, exc.check, exc.value, delimiter.join(row))
            )
            continue
        seen[record["ticket_id"]] = line
        record["_row_number"] = line
        for name in values:
            values[name].append(record.get(name))
    table = pa.table(values, schema=SCHEMA)
    days = [c.date() for c in values["created_at"]]
    warnings = []
    if repaired:
        warnings.append(
            f"{len(repaired)} Excel-style dates (dd-mm-yyyy hh:mm) were read as day-month-year; "
            "export from Zendesk again to keep the seconds"
        )
    return ParsedFile(
        rows_read=read,
        rows_loaded=table.num_rows,
        tables={TABLE: table},
        rejected=rejected,
        first_date=min(days) if days else None,
        last_date=max(days) if days else None,
        warnings=warnings,
    )


def _number(raw: str, column: str, *, whole: bool = False) -> float | int | None:
    if _SCIENTIFIC.match(raw):
        raise CellRejected(
            column,
            "a plain number (Excel turned it into scientific notation; the "
            "digits are lost, export again)",
            raw,
        )
    try:
        value = parse_number(raw, ".")
    except ValueError as exc:
        raise CellRejected(column, str(exc), raw) from None
    if value is None:
        return None
    if value < 0:
        raise CellRejected(column, f"{column} >= 0", raw)
    if whole:
        if value != int(value):
            raise CellRejected(column, "is a whole number", raw)
        return int(value)
    return value


def _record(row, cell, account, reporting, repaired) -> dict:
    ticket_id = _number(cell(row, "Id"), "Id", whole=True)
    if ticket_id is None:
        raise CellRejected("Id", "ticket id is present", "")
    status = cell(row, "Status").lower()
    if status not in STATUSES:
        raise CellRejected("Status", "one of New, Open, Pending, On-hold, Solved, Closed", status)
    created = _local(cell(row, "Created at"), "Created at", account, reporting, repaired)
    if created is None:
        raise CellRejected("Created at", "creation time is present", "")
    updated = _local(cell(row, "Updated at"), "Updated at", account, reporting, repaired)
    solved = _local(cell(row, "Solved at"), "Solved at", account, reporting, repaired)
    satisfaction = cell(row, "Satisfaction Score")
    if satisfaction and satisfaction.lower() not in SATISFACTION:
        raise CellRejected(
            "Satisfaction Score", "one of Not Offered, Offered, Good, Bad", satisfaction
        )
    return {
        "ticket_id": ticket_id,
        "requester_name": cell(row, "Requester") or None,
        "requester_email": cell(row, "Requester email") or None,
        "group_name": cell(row, "Group") or None,
        "subject": cell(row, "Subject") or None,
        "status": "hold" if status == "on-hold" else status,
        "priority": cell(row, "Priority").lower() or None,
        "via": cell(row, "Via") or None,
        "ticket_type": cell(row, "Ticket type") or None,
        "created_at": created[0],
        "created_at_utc": created[1],
        "updated_at": updated[0] if updated else None,
        "solved_at": solved[0] if solved else None,
        "satisfaction_score": satisfaction.lower() or None,
        "replies": _number(cell(row, "Replies"), "Replies", whole=True),
        "first_reply_minutes": _number(
            cell(row, "First reply time in minutes"), "First reply time in minutes"
        ),
        "first_reply_minutes_business": _number(
            cell(row, "First reply time in minutes within business hours"),
            "First reply time in minutes within business hours",
        ),
        "full_resolution_minutes": _number(
            cell(row, "Full resolution time in minutes"), "Full resolution time in minutes"
        ),
    }
