"""Write a whole demo landing folder."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from pipelines.demo import google_ads


def write_demo_landing(out_dir: Path, *, end: dt.date, days: int, scale: float, seed: int = 7):
    """Demo exports for `days` days ending on `end` (inclusive); returns the files written."""
    start = end - dt.timedelta(days=days - 1)
    written: list[Path] = []
    written += google_ads.write_reports(out_dir, start, days, scale, seed)
    return written
