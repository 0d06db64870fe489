"""The demo's CRM snapshots: monthly over the whole span, or only from a given day on."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

from pipelines.demo.landing import write_demo_landing

END = dt.date(2026, 9, 30)
DAYS = 100  # from 2026-06-23


def _hubspot_days(landing: Path) -> set[str]:
    names = (p.name for p in (landing / "crm").iterdir())
    return {m.group(1) for n in names if (m := re.search(r"(\d{4}-\d{2}-\d{2})\.csv$", n))}


def test_crm_snapshots_are_monthly_and_the_morning_after_the_last_day(tmp_path: Path) -> None:
    write_demo_landing(tmp_path, end=END, days=DAYS, scale=1.0)
    assert _hubspot_days(tmp_path) == {"2026-07-01", "2026-08-01", "2026-09-01", "2026-10-01"}


def test_crm_snapshots_can_start_later_than_the_other_exports(tmp_path: Path) -> None:
    written = write_demo_landing(
        tmp_path, end=END, days=DAYS, scale=1.0, crm_snapshots_from=dt.date(2026, 8, 15)
    )
    assert _hubspot_days(tmp_path) == {"2026-09-01", "2026-10-01"}
    # the other sources still cover the whole span: Google Ads' first day is 2026-06-23
    assert any("2026-06" in p.name for p in written if p.parent.name == "google_ads")
