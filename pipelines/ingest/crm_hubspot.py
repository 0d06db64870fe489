"""HubSpot deals and contacts exports (CSV or XLSX) into `crm_deals` and `crm_contacts`.

The object is told from the header, through the alias table below (never from the position of a
column or the file name): `Record ID` (older exports: `Deal ID`, `Contact ID`) with deal columns
(`Deal Name`, `Deal Stage`, `Pipeline`) or contact columns (`Email`, `First Name`, `Lifecycle
Stage`, `Original Traffic Source`, older `Original Source`).

Times carry no offset and are in the portal's time zone (`crm.timezone`): `2026-09-22 08:36` or a
date only (`2026-09-22`, its midnight). Won and lost follow from the stage label per pipeline
(`crm.hubspot.won_stages` / `lost_stages`, any case); when the export also has HubSpot's own
`Is Deal Closed?` flag and it disagrees with the configured stages, the row is quarantined (the
configuration misses a stage). A closed deal's `Close Date` is its close (`closed_at`); an open
deal's is a forecast, kept in `close_date` only. Amounts are in the deal's `Currency` (the company
currency when the export has no such column, i.e. multi-currency is off); `Amount in company
currency` is `amount_company`.

The snapshot time is the date in HubSpot's file name
(`hubspot-crm-exports-all-deals-2026-11-20.csv`, `...-2026-11-20-1.csv` or `... (1).csv` on a
same-day repeat; midnight in the portal's time zone), else the time the file was loaded.

A CSV export is read by DuckDB (`crm_hubspot_native`: Python reads the header, SQL types and
checks every cell and writes Parquet), with the semantics of the Python reader below, which stays
as the reference the native one is tested against (`read_python`) and reads the XLSX exports and
the zips. Very large exports arrive as a zip of several CSVs: they are read as one export (one
snapshot), every entry with the same header; a quarantined row names its entry with the column,
and its line is the entry's own. XLSX files and zips are read whole in Python (see `crm_files`).

`load` is what ingestion calls: a CSV's rows are staged as Parquet with the hashes of personal data
(computed in SQL, equal to `pii.salted_hash`); `read` returns the rows as tables (the interface of
every CRM reader), a CSV read by DuckDB all the same.
"""

from __future__ import annotations

import re
from pathlib import Path

from pipelines.ingest import crm_hubspot_native as native
from pipelines.ingest.columns import RawTable
from pipelines.ingest.crm_files import (
    XLSX_SUFFIXES,
    Clock,
    Row,
    Sheet,
    collect,
    decimal_separator,
    find_column,
    parse_bool,
    parse_crm_time,
    parse_id,
    positions,
    read_header,
    read_sheet,
    read_zip_sheet,
    snapshot_at,
    zip_header,
)
from pipelines.ingest.crm_tables import CONTACTS, CONTACTS_TABLE, DEALS, DEALS_TABLE
from pipelines.ingest.errors import CellRejected, FileRefused
from pipelines.ingest.options import IngestOptions, require_salt
from pipelines.ingest.parsed import Lineage, ParsedFile

CRM = "hubspot"
FILE_NAME = re.compile(
    r"hubspot-crm-exports-.*?(?P<day>\d{4}-\d{2}-\d{2})(?:-\d+|\s*\(\d+\))?\.[A-Za-z]+$",
    re.IGNORECASE,
)
ID_ALIASES = ("Record ID", "Deal ID", "Contact ID")
DEAL_MARKERS = ("Deal ID", "Deal Name", "Deal Stage", "Pipeline")
CONTACT_MARKERS = ("Contact ID", "Email", "First Name", "Last Name", "Lifecycle Stage")
# Deals carry a traffic source too: it marks contacts only when nothing else decides.
SOURCE_MARKERS = ("Original Traffic Source", "Original Source")
DEAL_COLUMNS: dict[str, tuple[str, ...]] = {
    "deal_id": ("Record ID", "Deal ID"),
    "deal_name": ("Deal Name",),
    "pipeline": ("Pipeline",),
    "stage": ("Deal Stage",),
    "owner": ("Deal owner", "Deal Owner", "HubSpot Owner"),
    "account_name": ("Associated Company (Primary)", "Associated Company", "Company name"),
    "amount": ("Amount",),
    "currency_code": ("Currency",),
    "amount_company": ("Amount in company currency",),
    "created_at": ("Create Date", "Created Date"),
    "close_date": ("Close Date",),
    "is_deal_closed": ("Is Deal Closed?", "Is Closed"),
    "lost_reason": ("Closed Lost Reason", "Lost Reason"),
    "lead_source": ("Original Traffic Source", "Original Source", "Original Source Type"),
}
CONTACT_COLUMNS: dict[str, tuple[str, ...]] = {
    "contact_id": ("Record ID", "Contact ID"),
    "first_name": ("First Name",),
    "last_name": ("Last Name",),
    "email": ("Email",),
    "phone": ("Phone Number", "Phone", "Mobile Phone Number"),
    "company": ("Company Name", "Company"),
    "lifecycle_stage": ("Lifecycle Stage",),
    "lead_status": ("Lead Status",),
    "created_at": ("Create Date", "Created Date"),
    "became_lead_at": ("Became a Lead Date",),
    "became_customer_at": ("Became a Customer Date",),
    "original_source": ("Original Traffic Source", "Original Source"),
}
NO_STAGE = native.NO_STAGE


def _object(header: list[str]) -> str | None:
    """`crm_deals`, `crm_contacts`, or None when the header is no HubSpot deals/contacts export."""
    if find_column(header, ID_ALIASES) is None:
        return None
    if find_column(header, ("Deal ID",)) is not None:
        return DEALS
    if find_column(header, ("Contact ID",)) is not None:
        return CONTACTS
    deals = find_column(header, DEAL_MARKERS) is not None
    contacts = find_column(header, CONTACT_MARKERS) is not None
    if deals != contacts:
        return DEALS if deals else CONTACTS
    if not deals and find_column(header, SOURCE_MARKERS) is not None:
        return CONTACTS
    return None


def recognises(path: Path) -> bool:
    header = zip_header(path) if path.suffix.lower() == ".zip" else read_header(path)
    return _object(header) is not None


def _local(clock: Clock, row: Row, field: str) -> tuple[object, object]:
    value = parse_crm_time(row.cell(field), row.column(field))
    return clock.from_crm(value) if value else (None, None)


def _deal(row: Row, clock: Clock, options: IngestOptions) -> dict[str, object]:
    deal_id = parse_id(row.cell("deal_id"), row.column("deal_id"))
    pipeline = row.text("pipeline")
    stage = row.text("stage")
    if stage is None:
        raise CellRejected(row.column("stage"), NO_STAGE, "")
    folded = stage.casefold()
    hubspot = options.crm.hubspot
    is_won = folded in hubspot.stages(pipeline, won=True)
    is_closed = is_won or folded in hubspot.stages(pipeline, won=False)
    flagged = parse_bool(row.cell("is_deal_closed"), row.column("is_deal_closed"))
    if flagged is not None and flagged != is_closed:
        raise CellRejected(
            row.column("stage"),
            f"HubSpot calls the deal {'closed' if flagged else 'open'} but stage '{stage}' of "
            f"pipeline '{pipeline}' is {'closed' if is_closed else 'open'} by crm.hubspot "
            "won_stages/lost_stages in config/ingestion.yml; add the stage there",
            stage,
        )
    created_at, created_at_utc = _local(clock, row, "created_at")
    close = parse_crm_time(row.cell("close_date"), row.column("close_date"))
    closed_at, closed_at_utc = clock.from_crm(close) if close and is_closed else (None, None)
    company = options.crm.company_currency
    return {
        "crm": CRM,
        "deal_id": deal_id,
        "deal_name": row.text("deal_name"),
        "pipeline": pipeline,
        "stage": stage,
        "owner": row.text("owner"),
        "account_name": row.text("account_name"),
        "amount": row.amount("amount"),
        "currency_code": (row.text("currency_code") or company).upper(),
        "amount_company": row.amount("amount_company"),
        "company_currency_code": company,
        "created_at": created_at,
        "created_at_utc": created_at_utc,
        "close_date": close.date() if close else None,
        "closed_at": closed_at,
        "closed_at_utc": closed_at_utc,
        "is_closed": is_closed,
        "is_won": is_won,
        "lost_reason": row.text("lost_reason"),
        "lead_source": row.text("lead_source"),
    }


def _contact(row: Row, clock: Clock, options: IngestOptions) -> dict[str, object]:
    created_at, created_at_utc = _local(clock, row, "created_at")
    became_lead_at, _ = _local(clock, row, "became_lead_at")
    became_customer_at, became_customer_at_utc = _local(clock, row, "became_customer_at")
    return {
        "crm": CRM,
        "contact_id": parse_id(row.cell("contact_id"), row.column("contact_id")),
        "first_name": row.text("first_name"),
        "last_name": row.text("last_name"),
        "full_name": None,  # HubSpot exports first and last name only
        "email": row.text("email"),
        "phone": row.text("phone"),
        "company": row.text("company"),
        "lifecycle_stage": row.text("lifecycle_stage"),
        "lead_status": row.text("lead_status"),
        "created_at": created_at,
        "created_at_utc": created_at_utc,
        "became_lead_at": became_lead_at,
        "became_customer_at": became_customer_at,
        "became_customer_at_utc": became_customer_at_utc,
        "is_converted": None,
        "converted_date": None,
        "original_source": row.text("original_source"),
    }


def _layout(
    header: list[str], file: str, header_line: int
) -> tuple[RawTable, dict[str, int | None]]:
    """The raw table of an export with this header and where its fields are; refused when the
    header is no HubSpot deals or contacts export or lacks the create date."""
    table_name = _object(header)
    if table_name is None:
        raise FileRefused(
            file,
            "not a HubSpot deals or contacts export: expected Record ID (or Deal ID / Contact "
            "ID) with deal columns (Deal Name, Deal Stage, Pipeline) or contact columns (Email, "
            "First Name, Lifecycle Stage, Original Traffic Source)",
            line=header_line,
        )
    deals = table_name == DEALS
    where = positions(header, DEAL_COLUMNS if deals else CONTACT_COLUMNS)
    if where["created_at"] is None:
        raise FileRefused(file, "required column missing: Create Date", line=header_line)
    return (DEALS_TABLE if deals else CONTACTS_TABLE), where


def parse(sheet: Sheet, file: str, lineage: Lineage, options: IngestOptions) -> ParsedFile:
    table, where = _layout(sheet.header, file, sheet.header_line)
    deals = table is DEALS_TABLE
    clock = Clock(options.crm.timezone, options.reporting_timezone, file)
    snapshot = snapshot_at(Path(file).name, FILE_NAME, lineage, clock)
    key = "deal_id" if deals else "contact_id"
    build = _deal if deals else _contact
    amounts = {name: where.get(name) for name in ("amount", "amount_company")}
    decimal = decimal_separator(sheet, amounts, file)
    return collect(
        sheet, where, table, key, lambda row: build(row, clock, options), snapshot, decimal
    )


def _is_csv(path: Path) -> bool:
    suffix = path.suffix.lower()
    return suffix != ".zip" and suffix not in XLSX_SUFFIXES


def _stage(
    path: Path, lineage: Lineage, options: IngestOptions, workdir: Path, *, hashed: bool
) -> tuple[ParsedFile, RawTable]:
    file = lineage.source_file
    # No size limit: DuckDB streams the file (a year of a large portal's contacts is several
    # hundred MB); the limit is for the exports read whole in Python.
    head = native.read_header(path, file)
    table, where = _layout(head.names, file, 1)
    clock = Clock(options.crm.timezone, options.reporting_timezone, file)
    snapshot = snapshot_at(Path(file).name, FILE_NAME, lineage, clock)
    salt = require_salt(options) if hashed and table.pii else None
    parsed = native.stage(path, head, table, where, snapshot, lineage, options, workdir, salt)
    return parsed, table


def load(path: Path, lineage: Lineage, options: IngestOptions, workdir: Path) -> ParsedFile:
    """Read one HubSpot export for ingestion: a CSV's rows staged as Parquet in `workdir`
    (personal data hashed), an XLSX or zip export as tables."""
    if not _is_csv(path):
        return read_python(path, lineage, options, workdir)
    return _stage(path, lineage, options, workdir, hashed=True)[0]


def read(path: Path, lineage: Lineage, options: IngestOptions, workdir: Path) -> ParsedFile:
    """Read one HubSpot export into tables (a CSV by DuckDB, in a scratch folder)."""
    if not _is_csv(path):
        return read_python(path, lineage, options, workdir)
    with native.scratch() as scratch:
        parsed, table = _stage(path, lineage, options, Path(scratch), hashed=False)
        return native.as_tables(parsed, table)


def read_python(path: Path, lineage: Lineage, options: IngestOptions, workdir: Path) -> ParsedFile:
    """Read one HubSpot export whole in Python: XLSX, zips, and the reference for CSV."""
    file = lineage.source_file
    zipped = path.suffix.lower() == ".zip"
    sheet = read_zip_sheet(path, file) if zipped else read_sheet(path, file)
    return parse(sheet, file, lineage, options)
