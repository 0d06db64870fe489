"""Which frequencies fall due on which day."""

from __future__ import annotations

import datetime as dt

import pytest

from pipelines.kpis.models import Frequency as F
from pipelines.kpis.schedule_plan import cron_for, due_frequencies


@pytest.mark.parametrize(
    ("day", "due"),
    [
        (dt.date(2026, 11, 25), [F.daily]),  # a Wednesday
        (dt.date(2026, 11, 30), [F.daily, F.weekly]),  # a Monday
        (dt.date(2026, 12, 1), [F.daily, F.monthly]),  # 1st of a month, a Tuesday
        (dt.date(2026, 10, 1), [F.daily, F.monthly, F.quarterly]),  # 1st of Q4, a Thursday
        (dt.date(2029, 1, 1), [F.daily, F.weekly, F.monthly, F.quarterly]),  # Monday, 1st of Q1
    ],
)
def test_due_frequencies(day, due):
    assert due_frequencies(day) == due


def test_cron_for_time_of_day():
    assert cron_for("06:00") == "0 6 * * *"
    assert cron_for("23:45") == "45 23 * * *"
    with pytest.raises(ValueError, match="not a time of day"):
        cron_for("25:00")
