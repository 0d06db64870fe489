"""Demo ECB euro reference rates (`fx_rates/eurofxref-hist.csv`) and the rate series behind them.

The rates walk at random around plausible levels, one a working day (no weekends, no TARGET
holidays), newest first, with a trailing comma as the real file has, and a few `N/A`. The other
demo exports that convert amounts (HubSpot's `Amount in company currency`) read the same series,
through `DemoRates.rate_on`, so the files agree with each other.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from pathlib import Path

from pipelines.demo.formatting import write_csv

FILE_NAME = "eurofxref-hist.csv"
# (currency, level around which it walks, daily relative step, decimals as the ECB publishes)
CURRENCIES = (
    ("USD", 1.12, 0.0035, 4),
    ("JPY", 168.0, 0.004, 2),
    ("GBP", 0.855, 0.0025, 5),
    ("CHF", 0.935, 0.0025, 4),
    ("SEK", 11.05, 0.003, 4),
)
HISTORY_BEFORE_START = 30  # the file starts a month before the demo: every day has an earlier rate
MISSING_EVERY = 47  # every 47th published day one currency had no rate (`N/A`)


def _easter(year: int) -> dt.date:
    """Easter Sunday (the anonymous Gregorian algorithm)."""
    a, b, c = year % 19, year // 100, year % 100
    d, e = b // 4, b % 4
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = c // 4, c % 4
    el = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * el) // 451
    month = (h + el - 7 * m + 114) // 31
    day = (h + el - 7 * m + 114) % 31 + 1
    return dt.date(year, month, day)


def is_target_holiday(day: dt.date) -> bool:
    """TARGET2 closing days: 1 January, Good Friday, Easter Monday, 1 May, 25 and 26 December."""
    easter = _easter(day.year)
    fixed = {(1, 1), (5, 1), (12, 25), (12, 26)}
    return (day.month, day.day) in fixed or day in {
        easter - dt.timedelta(days=2),
        easter + dt.timedelta(days=1),
    }


@dataclass(frozen=True)
class DemoRates:
    """Units of each currency per euro on each published day (None: `N/A` that day)."""

    days: tuple[dt.date, ...]  # oldest first
    rates: dict[str, tuple[float | None, ...]]

    def rate_on(self, currency: str, day: dt.date) -> float:
        """The latest published rate on or before `day` (1 for the euro)."""
        if currency == "EUR":
            return 1.0
        series = self.rates[currency]
        for index in range(len(self.days) - 1, -1, -1):
            if self.days[index] <= day and series[index] is not None:
                return series[index]  # type: ignore[return-value]
        raise ValueError(f"no demo rate for {currency} on or before {day}")


def demo_rates(start: dt.date, end: dt.date, seed: int) -> DemoRates:
    """The rate series from a month before `start` through `end`."""
    rng = random.Random(f"fx_rates-{seed}")
    first = start - dt.timedelta(days=HISTORY_BEFORE_START)
    days = []
    day = first
    while day <= end:
        if day.weekday() < 5 and not is_target_holiday(day):
            days.append(day)
        day += dt.timedelta(days=1)
    rates: dict[str, tuple[float | None, ...]] = {}
    for position, (currency, level, step, decimals) in enumerate(CURRENCIES):
        value = level
        series: list[float | None] = []
        for index in range(len(days)):
            # a random walk pulled back towards its level, so it stays plausible for years
            value *= 1 + rng.gauss(0, step) + 0.02 * (level - value) / level
            missing = index % MISSING_EVERY == (11 * position) % MISSING_EVERY and index > 0
            series.append(None if missing else round(value, decimals))
        rates[currency] = tuple(series)
    return DemoRates(tuple(days), rates)


def write_rates(out_dir: Path, rates: DemoRates) -> list[Path]:
    """The ECB history file: `Date,USD,...,` newest first, `N/A` for a missing rate."""
    header = ["Date", *(c for c, *_ in CURRENCIES), ""]
    rows = [header]
    for index in range(len(rates.days) - 1, -1, -1):
        cells = [rates.days[index].isoformat()]
        for currency, _, _, decimals in CURRENCIES:
            value = rates.rates[currency][index]
            cells.append("N/A" if value is None else f"{value:.{decimals}f}")
        rows.append([*cells, ""])
    path = out_dir / "fx_rates" / FILE_NAME
    write_csv(path, [], rows, line_terminator="\n")
    return [path]
