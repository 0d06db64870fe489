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
