"""Which KPI frequencies fall due on a day: pure functions behind the KPI schedule."""

from __future__ import annotations

import datetime as dt

from pipelines.kpis.models import Frequency, Portfolio


def due_frequencies(day: dt.date) -> list[Frequency]:
    """Daily KPIs every day, weekly on Mondays, monthly on the 1st, quarterly on a quarter's 1st."""
    due = [Frequency.daily]
    if day.weekday() == 0:
        due.append(Frequency.weekly)
    if day.day == 1:
        due.append(Frequency.monthly)
        if day.month in (1, 4, 7, 10):
            due.append(Frequency.quarterly)
    return due


def kpis_due(portfolio: Portfolio, day: dt.date) -> list[str]:
    """Ids of the KPIs whose period closes on `day` (all frequencies in one list: one run)."""
    due = set(due_frequencies(day))
    return sorted(k.id for k in portfolio.kpis if k.frequency in due)


def cron_for(time_of_day: str) -> str:
    """Daily cron string for a HH:MM time."""
    hours, minutes = (int(part) for part in time_of_day.split(":"))
    if not (0 <= hours < 24 and 0 <= minutes < 60):
        raise ValueError(f"'{time_of_day}' is not a time of day (HH:MM)")
    return f"{minutes} {hours} * * *"


# How old a KPI may get before it counts as stale: its period plus a day of slack.
FRESHNESS_WINDOWS = {
    Frequency.daily: dt.timedelta(days=2),
    Frequency.weekly: dt.timedelta(days=8),
    Frequency.monthly: dt.timedelta(days=32),
    Frequency.quarterly: dt.timedelta(days=93),
}
SCHEDULE_TEXT = {
    Frequency.daily: "every day",
    Frequency.weekly: "every Monday",
    Frequency.monthly: "on the 1st of every month",
    Frequency.quarterly: "on the 1st of January, April, July and October",
}


def freshness_window(frequency: Frequency) -> dt.timedelta:
    return FRESHNESS_WINDOWS[frequency]


def schedule_text(frequency: Frequency, schedule_name: str, time_of_day: str, timezone: str) -> str:
    """What the UI shows on a KPI asset: which schedule builds it, and when."""
    return f"{schedule_name}: {SCHEDULE_TEXT[frequency]} at {time_of_day} {timezone}"
