"""Calendar periods of a KPI frequency: the period holding a day, and the next one."""

from __future__ import annotations

import datetime as dt

from pipelines.kpis.models import Frequency

# How many periods a season spans, for the seasonal-naive forecast.
SEASON_LENGTH = {
    Frequency.daily: 7,
    Frequency.weekly: 52,
    Frequency.monthly: 12,
    Frequency.quarterly: 4,
}


def period_start(day: dt.date, frequency: Frequency) -> dt.date:
    if frequency == Frequency.daily:
        return day
    if frequency == Frequency.weekly:
        return day - dt.timedelta(days=day.weekday())
    if frequency == Frequency.monthly:
        return day.replace(day=1)
    return dt.date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)


def next_start(start: dt.date, frequency: Frequency) -> dt.date:
    if frequency == Frequency.daily:
        return start + dt.timedelta(days=1)
    if frequency == Frequency.weekly:
        return start + dt.timedelta(days=7)
    months = 1 if frequency == Frequency.monthly else 3
    month = start.month - 1 + months
    return dt.date(start.year + month // 12, month % 12 + 1, 1)


def ended_periods(as_of: dt.date, frequency: Frequency, count: int) -> list[dt.date]:
    """Starts of the last `count` periods that ended on or before `as_of`, oldest first."""
    starts: list[dt.date] = []
    current = period_start(as_of, frequency)  # the period holding as_of has not ended
    while len(starts) < count:
        previous = period_start(current - dt.timedelta(days=1), frequency)
        starts.append(previous)
        current = previous
    return starts[::-1]


def periods_until(last_start: dt.date, deadline: dt.date, frequency: Frequency) -> list[dt.date]:
    """Starts of the periods after `last_start` up to the one holding `deadline`."""
    starts: list[dt.date] = []
    current = next_start(last_start, frequency)
    while current <= deadline:
        starts.append(current)
        current = next_start(current, frequency)
    return starts
