"""Write a whole demo landing folder."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from pipelines.demo import google_ads, search_console, shop


def write_demo_landing(
    out_dir: Path, *, end: dt.date, days: int, scale: float, seed: int = 7
) -> list[Path]:
    """Demo exports of every source for `days` days ending on `end` (inclusive)."""
    start = end - dt.timedelta(days=days - 1)
    end_of_data = dt.datetime.combine(end, dt.time(23, 59))
    written: list[Path] = []
    written += google_ads.write_reports(out_dir, start, days, scale, seed)
    written += search_console.write_exports(out_dir, start, days, scale, seed)
    written += shop.write_ga4(out_dir, start, days, scale, seed)
    written += shop.write_orders(out_dir, start, days, scale, seed)
    written += shop.write_tickets(out_dir, start, days, scale, seed, end_of_data)
    written += shop.write_surveys(out_dir, start, days, scale, seed)
    return written
