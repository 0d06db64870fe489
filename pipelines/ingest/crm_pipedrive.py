"""Pipedrive deals and persons exports (CSV or XLSX) into `crm_deals` and `crm_contacts`.

Pipedrive names its columns `Entity - Field`: a deals export has `Deal - ID` (and may carry the
linked person's and organisation's fields too), a persons export `Person - ID`. Headers are
matched through the alias table below, never by position.

Deals: `Deal - Status` (`Open`, `Won`, `Lost`, any case) decides closed and won; a closed deal's
`closed_at` is its `Deal - Won time` or `Deal - Lost time`, else `Deal - Deal closed on`; an open
deal has no `closed_at` and its `close_date` is the `Deal - Expected close date` (a forecast). The
currency is `Deal - Currency of Value` (also `Deal - Currency`); Pipedrive exports no amount in a
company currency, so `amount_company` stays empty. `Deal - Source channel` is the lead source.

Persons: `Person - Name` is the full name (first and last name when the export has them), the
first non-empty of `Person - Email - Work|Home|Other` the email, phones likewise,
`Person - Person created` the creation time and `Person - Source channel` the original source.

Times (`2026-09-22 08:36:12`, dates `2026-09-22`) are in the company's time zone
(`crm.timezone`). Pipedrive's file names carry no date, so the snapshot is the time the file was
loaded. Files are read whole in Python (see `crm_files`).
"""

from __future__ import annotations

from pathlib import Path

from pipelines.ingest.crm_files import (
    Clock,
    Row,
    Sheet,
    collect,
    find_column,
    parse_amount,
    parse_crm_time,
    parse_id,
    positions,
    read_header,
    read_sheet,
    snapshot_at,
)
from pipelines.ingest.crm_tables import CONTACTS, CONTACTS_TABLE, DEALS, DEALS_TABLE
from pipelines.ingest.errors import CellRejected, FileRefused
from pipelines.ingest.options import IngestOptions
from pipelines.ingest.parsed import Lineage, ParsedFile

CRM = "pipedrive"
STATUSES = {"open": (False, False), "won": (True, True), "lost": (True, False)}
STATUS_RULE = "status is Open, Won or Lost"
DEAL_COLUMNS: dict[str, tuple[str, ...]] = {
    "deal_id": ("Deal - ID",),
    "deal_name": ("Deal - Title",),
    "pipeline": ("Deal - Pipeline",),
    "stage": ("Deal - Stage",),
    "status": ("Deal - Status",),
    "owner": ("Deal - Owner",),
    "account_name": ("Deal - Organization", "Deal - Organisation", "Organization - Name"),
    "amount": ("Deal - Value",),
    "currency_code": ("Deal - Currency of Value", "Deal - Currency"),
    "created_at": ("Deal - Deal created", "Deal - Add time"),
    "won_time": ("Deal - Won time",),
    "lost_time": ("Deal - Lost time",),
    "closed_on": ("Deal - Deal closed on", "Deal - Close time"),
    "expected_close": ("Deal - Expected close date",),
    "lost_reason": ("Deal - Lost reason",),
    "lead_source": ("Deal - Source channel", "Deal - Source"),
}
EMAILS = ("Person - Email - Work", "Person - Email - Home", "Person - Email - Other")
PHONES = (
    "Person - Phone - Work",
    "Person - Phone - Home",
    "Person - Phone - Mobile",
    "Person - Phone - Other",
)
PERSON_COLUMNS: dict[str, tuple[str, ...]] = {
    "contact_id": ("Person - ID",),
    "full_name": ("Person - Name",),
    "first_name": ("Person - First name",),
    "last_name": ("Person - Last name",),
    "company": ("Person - Organization", "Person - Organisation", "Organization - Name"),
    "created_at": ("Person - Person created", "Person - Add time"),
    "original_source": ("Person - Source channel", "Person - Source"),
    **{name: (name,) for name in (*EMAILS, "Person - Email", *PHONES, "Person - Phone")},
}


def _object(header: list[str]) -> str | None:
    """`crm_deals` (a deals export may carry its persons' fields too), `crm_contacts`, or None."""
    if find_column(header, ("Deal - ID",)) is not None:
        return DEALS
    if find_column(header, ("Person - ID",)) is not None:
        return CONTACTS
    return None


def recognises(path: Path) -> bool:
    return _object(read_header(path)) is not None


def _time(clock: Clock, row: Row, field: str) -> tuple[object, object]:
    value = parse_crm_time(row.cell(field), row.column(field))
    return clock.from_crm(value) if value else (None, None)


def _deal(row: Row, clock: Clock, options: IngestOptions) -> dict[str, object]:
    deal_id = parse_id(row.cell("deal_id"), row.column("deal_id"))
    status = row.cell("status")
    if status.casefold() not in STATUSES:
        raise CellRejected(row.column("status"), STATUS_RULE, status)
    is_closed, is_won = STATUSES[status.casefold()]
    created_at, created_at_utc = _time(clock, row, "created_at")
    closed = None
    if is_closed:
        field = "won_time" if is_won else "lost_time"
        for source in (field, "closed_on"):
            closed = parse_crm_time(row.cell(source), row.column(source))
            if closed:
                break
        close_date = closed.date() if closed else None
    else:
        expected = parse_crm_time(row.cell("expected_close"), row.column("expected_close"))
        close_date = expected.date() if expected else None
    closed_at, closed_at_utc = clock.from_crm(closed) if closed else (None, None)
    company = options.crm.company_currency
    return {
        "crm": CRM,
        "deal_id": deal_id,
        "deal_name": row.text("deal_name"),
        "pipeline": row.text("pipeline"),
        "stage": row.text("stage"),
        "owner": row.text("owner"),
        "account_name": row.text("account_name"),
        "amount": parse_amount(row.cell("amount"), row.column("amount")),
        "currency_code": (row.text("currency_code") or company).upper(),
        "amount_company": None,  # Pipedrive exports no company-currency amount
        "company_currency_code": company,
        "created_at": created_at,
        "created_at_utc": created_at_utc,
        "close_date": close_date,
        "closed_at": closed_at,
        "closed_at_utc": closed_at_utc,
        "is_closed": is_closed,
        "is_won": is_won,
        "lost_reason": row.text("lost_reason"),
        "lead_source": row.text("lead_source"),
    }


def _first(row: Row, fields: tuple[str, ...]) -> str | None:
    return next((row.cell(f) for f in fields if row.cell(f)), None)


def _person(row: Row, clock: Clock, options: IngestOptions) -> dict[str, object]:
    created_at, created_at_utc = _time(clock, row, "created_at")
    return {
        "crm": CRM,
        "contact_id": parse_id(row.cell("contact_id"), row.column("contact_id")),
        "first_name": row.text("first_name"),
        "last_name": row.text("last_name"),
        "full_name": row.text("full_name"),
        "email": _first(row, (*EMAILS, "Person - Email")),
        "phone": _first(row, (*PHONES, "Person - Phone")),
        "company": row.text("company"),
        "lifecycle_stage": None,
        "lead_status": None,
        "created_at": created_at,
        "created_at_utc": created_at_utc,
        "became_lead_at": None,
        "became_customer_at": None,
        "became_customer_at_utc": None,
        "is_converted": None,
        "converted_date": None,
        "original_source": row.text("original_source"),
    }


def parse(sheet: Sheet, file: str, lineage: Lineage, options: IngestOptions) -> ParsedFile:
    table_name = _object(sheet.header)
    if table_name is None:
        raise FileRefused(
            file,
            "not a Pipedrive deals or persons export: expected a 'Deal - ID' or 'Person - ID' "
            "column",
            line=sheet.header_line,
        )
    deals = table_name == DEALS
    where = positions(sheet.header, DEAL_COLUMNS if deals else PERSON_COLUMNS)
    needed = ("created_at", "status") if deals else ("created_at",)
    for field in needed:
        if where[field] is None:
            label = (DEAL_COLUMNS if deals else PERSON_COLUMNS)[field][0]
            raise FileRefused(file, f"required column missing: {label}", line=sheet.header_line)
    clock = Clock(options.crm.timezone, options.reporting_timezone, file)
    snapshot = snapshot_at(Path(file).name, None, lineage, clock)
    table = DEALS_TABLE if deals else CONTACTS_TABLE
    key = "deal_id" if deals else "contact_id"
    build = _deal if deals else _person
    return collect(sheet, where, table, key, lambda row: build(row, clock, options), snapshot)


def read(path: Path, lineage: Lineage, options: IngestOptions, workdir: Path) -> ParsedFile:
    """Read one Pipedrive export whole (CRM exports are small; see `crm_files`)."""
    return parse(read_sheet(path, lineage.source_file), lineage.source_file, lineage, options)
