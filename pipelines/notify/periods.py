"""Calendar periods (ISO weeks, months, quarters; end exclusive) for choosing a KPI's digest."""

from __future__ import annotations

import datetime as dt

from pipelines.kpis.models import Frequency


def period_start(day: dt.date, frequency: Frequency) -> dt.date:
    """First day of the period of `frequency` that holds `day`."""
    if frequency == Frequency.daily:
        return day
    if frequency == Frequency.weekly:
        return day - dt.timedelta(days=day.weekday())
    if frequency == Frequency.monthly:
        return day.replace(day=1)
    return day.replace(month=(day.month - 1) // 3 * 3 + 1, day=1)


def period_end(start: dt.date, frequency: Frequency) -> dt.date:
    """Exclusive end of the period that starts on `start`."""
    if frequency == Frequency.daily:
        return start + dt.timedelta(days=1)
    if frequency == Frequency.weekly:
        return start + dt.timedelta(days=7)
    months = 1 if frequency == Frequency.monthly else 3
    month = start.month - 1 + months
    return dt.date(start.year + month // 12, month % 12 + 1, 1)


def latest_complete_period(bound: dt.date, frequency: Frequency) -> tuple[dt.date, dt.date]:
    """The latest period of `frequency` whose (exclusive) end is on or before `bound`."""
    start = period_start(bound - dt.timedelta(days=1), frequency)
    end = period_end(start, frequency)
    if end > bound:
        start = period_start(start - dt.timedelta(days=1), frequency)
        end = period_end(start, frequency)
    return start, end


def review_period(
    frequency: Frequency,
    review_frequency: Frequency,
    latest_start: dt.date,
    latest_end: dt.date,
    as_of_day: dt.date,
) -> tuple[dt.date, dt.date] | None:
    """The review period a KPI's latest complete period is reported in, if one is complete.

    When the KPI is reviewed as often as it is measured, that is the period itself; otherwise the
    latest review period that has ended by both the as-of day and the end of the KPI's data and
    that the latest period reaches into (a weekly KPI reviewed monthly is in September's digest
    once its week of 28 September is complete, not before).
    """
    if review_frequency == frequency:
        return (latest_start, latest_end) if latest_end <= as_of_day else None
    start, end = latest_complete_period(min(latest_end, as_of_day), review_frequency)
    return (start, end) if end > latest_start else None
