"""Demo HubSpot exports (`crm/`): all deals and all contacts, downloaded on every snapshot day.

Each export shows the records as they were that morning (`SNAPSHOT_TIME`): deals in their stage
of the moment (open deals carry a forecast close date, HubSpot's default of the creation month's
last day, moved on once passed), contacts with the "Became a ..." dates reached so far and their
lifecycle stage; deleted contacts are absent. `Amount in company currency` (EUR) follows the
latest rate while a deal is open and is fixed at the close day's rate once it closed.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from pipelines.demo.crm_records import HUBSPOT_OPEN_STAGES, Contact, CrmRecords, Deal
from pipelines.demo.formatting import write_csv
from pipelines.demo.fx_rates import DemoRates

SNAPSHOT_TIME = dt.time(8, 30)  # the morning download, in the portal's time zone
DEAL_COLUMNS = [
    "Record ID",
    "Deal Name",
    "Pipeline",
    "Deal Stage",
    "Amount",
    "Amount in company currency",
    "Currency",
    "Close Date",
    "Create Date",
    "Deal owner",
    "Associated Company IDs (Primary)",
]
CONTACT_COLUMNS = [
    "Record ID",
    "First Name",
    "Last Name",
    "Email",
    "Lifecycle Stage",
    "Create Date",
    "Became a Lead Date",
    "Became a Marketing Qualified Lead Date",
    "Became a Sales Qualified Lead Date",
    "Became an Opportunity Date",
    "Became a Customer Date",
    "Original Traffic Source",
    "Associated Company IDs (Primary)",
]


def snapshot_moment(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, SNAPSHOT_TIME)


def _stamp(moment: dt.datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M") if moment else ""


def _month_end(day: dt.date) -> dt.date:
    following = dt.date(day.year + (day.month == 12), day.month % 12 + 1, 1)
    return following - dt.timedelta(days=1)


def deal_stage(deal: Deal, moment: dt.datetime) -> str:
    """The deal's stage label at `moment`."""
    if deal.is_closed_on(moment):
        return "Closed won" if deal.won else "Closed lost"
    elapsed = (moment - deal.created_at) / (deal.closes_at - deal.created_at)
    return HUBSPOT_OPEN_STAGES[min(len(HUBSPOT_OPEN_STAGES) - 1, int(elapsed * 5))]


def amount_in_company_currency(deal: Deal, moment: dt.datetime, rates: DemoRates) -> float:
    """EUR: at the close day's rate once closed, else at the latest rate before `moment`'s day."""
    day = (
        deal.closes_at.date() if deal.is_closed_on(moment) else moment.date() - dt.timedelta(days=1)
    )
    return round(deal.amount / rates.rate_on(deal.currency, day), 2)


def _close_date(deal: Deal, moment: dt.datetime) -> dt.datetime:
    if deal.is_closed_on(moment):
        return deal.closes_at
    forecast = _month_end(deal.created_at.date())
    if forecast < moment.date():  # the owner moved the forecast on
        forecast = _month_end(moment.date())
    return dt.datetime.combine(forecast, dt.time(0, 0))


def deals_on(records: CrmRecords, moment: dt.datetime) -> list[Deal]:
    return [d for d in records.deals if d.created_at <= moment]


def contacts_on(records: CrmRecords, moment: dt.datetime) -> list[Contact]:
    return [
        c
        for c in records.contacts
        if c.created_at <= moment and (c.deleted_at is None or c.deleted_at > moment)
    ]


def _reached(moment: dt.datetime, at: dt.datetime | None) -> dt.datetime | None:
    return at if at is not None and at <= moment else None


def lifecycle_stage(contact: Contact, moment: dt.datetime) -> str:
    stages = (
        ("Customer", contact.customer_at),
        ("Opportunity", contact.opportunity_at),
        ("Sales Qualified Lead", contact.sql_at),
        ("Marketing Qualified Lead", contact.mql_at),
    )
    for label, at in stages:
        if _reached(moment, at):
            return label
    return "Lead"


def _deal_row(deal: Deal, moment: dt.datetime, rates: DemoRates) -> list[str]:
    return [
        deal.deal_id,
        deal.name,
        deal.pipeline,
        deal_stage(deal, moment),
        f"{deal.amount:.2f}",
        f"{amount_in_company_currency(deal, moment, rates):.2f}",
        deal.currency,
        _stamp(_close_date(deal, moment)),
        _stamp(deal.created_at),
        deal.owner,
        deal.company_id,
    ]


def _contact_row(contact: Contact, moment: dt.datetime) -> list[str]:
    return [
        contact.contact_id,
        contact.first_name,
        contact.last_name,
        contact.email,
        lifecycle_stage(contact, moment),
        _stamp(contact.created_at),
        _stamp(contact.created_at),
        _stamp(_reached(moment, contact.mql_at)),
        _stamp(_reached(moment, contact.sql_at)),
        _stamp(_reached(moment, contact.opportunity_at)),
        _stamp(_reached(moment, contact.customer_at)),
        contact.source,
        contact.company_id,
    ]


def write_exports(
    out_dir: Path, records: CrmRecords, days: list[dt.date], rates: DemoRates
) -> list[Path]:
    """The deals and contacts exports of every snapshot day."""
    written = []
    for day in days:
        moment = snapshot_moment(day)
        deals = [_deal_row(d, moment, rates) for d in deals_on(records, moment)]
        contacts = [_contact_row(c, moment) for c in contacts_on(records, moment)]
        for kind, header, rows in (
            ("deals", DEAL_COLUMNS, deals),
            ("contacts", CONTACT_COLUMNS, contacts),
        ):
            path = out_dir / "crm" / f"hubspot-crm-exports-all-{kind}-{day.isoformat()}.csv"
            write_csv(path, [], [header, *rows], line_terminator="\n")
            written.append(path)
    return written
