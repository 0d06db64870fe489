"""Write a whole demo landing folder.

The demo's calendar is fixed (it ends on `DEMO_END`), so the owners' notes shipped in
`kpi_definitions/notes/` name periods the demo really has, whatever day it is run.

Its story includes one delivery problem: the Shopify orders export of the last day stopped after
`CUT_ORDERS` orders. The volume check on `raw.orders` catches it and holds the KPIs that read
orders at their last good values. A hold keeps the values of an earlier run, so the demo comes in
two deliveries: `history` (every export up to the day before the last, and every other source's
last day) and `latest` (the cut-off orders export); `all` writes both, `clean` the same data with
the last day's orders complete and no problem.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Literal

from pipelines.demo import (
    crm_records,
    fx_rates,
    google_ads,
    hubspot,
    paid_media,
    salesforce,
    search_console,
    shop,
)

DEMO_END = dt.date(2026, 11, 30)
CUT_ORDERS = 3  # orders of the last day left in the cut-off export
AS_OF_FILE = ".demo-as-of"  # hidden: never read as an export; `make run` runs as of this day

Deliveries = Literal["clean", "history", "latest", "all"]


def demo_as_of(end: dt.date) -> dt.date:
    """The day a run over the demo is as of: the day after its last day of data."""
    return end + dt.timedelta(days=1)


def write_demo_landing(
    out_dir: Path,
    *,
    end: dt.date,
    days: int,
    scale: float,
    seed: int = 7,
    deliveries: Deliveries = "clean",
    crm_snapshots_from: dt.date | None = None,
) -> list[Path]:
    """Demo exports of every source for `days` days ending on `end` (inclusive). The CRM
    snapshots are monthly over the whole span, or only from `crm_snapshots_from` on (each
    snapshot lists every record created before it, so a long history of monthly snapshots grows
    with the square of its length)."""
    start = end - dt.timedelta(days=days - 1)
    end_of_data = dt.datetime.combine(end, dt.time(23, 59))
    cut = None if deliveries == "clean" else CUT_ORDERS
    parts = {
        "clean": frozenset({"months"}),
        "history": frozenset({"months"}),
        "latest": frozenset({"last_day"}),
        "all": frozenset({"months", "last_day"}),
    }[deliveries]
    written: list[Path] = []
    if deliveries != "latest":
        written += google_ads.write_reports(out_dir, start, days, scale, seed)
        written += search_console.write_exports(out_dir, start, days, scale, seed)
        written += shop.write_ga4(out_dir, start, days, scale, seed)
    written += shop.write_orders(
        out_dir, start, days, scale, seed, cut_last_day_after=cut, parts=parts
    )
    if deliveries != "latest":
        written += shop.write_tickets(out_dir, start, days, scale, seed, end_of_data)
        written += shop.write_surveys(out_dir, start, days, scale, seed)
        written += write_paid_media_and_crm(
            out_dir, start, end, days, scale, seed, crm_snapshots_from
        )
    return written


def write_paid_media_and_crm(
    out_dir: Path,
    start: dt.date,
    end: dt.date,
    days: int,
    scale: float,
    seed: int,
    crm_snapshots_from: dt.date | None = None,
) -> list[Path]:
    """Microsoft Advertising, Meta Ads, the ECB rates and the CRM snapshots (HubSpot and
    Salesforce)."""
    rates = fx_rates.demo_rates(start, end, seed)
    records = crm_records.crm_records(start, days, scale, seed, rates)
    snapshots = [
        day
        for day in crm_records.snapshot_days(start, end)
        if crm_snapshots_from is None or day >= crm_snapshots_from
    ]
    return [
        *paid_media.write_microsoft_ads(out_dir, start, days, scale, seed),
        *paid_media.write_meta_ads(out_dir, start, days, scale, seed),
        *fx_rates.write_rates(out_dir, rates),
        *hubspot.write_exports(out_dir, records, snapshots, rates),
        *salesforce.write_reports(out_dir, records, snapshots, rates),
    ]
