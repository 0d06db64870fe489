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


def test_kpis_due_for_a_mixed_portfolio(tmp_path):
    from pipelines.kpis.loader import load_portfolio
    from pipelines.kpis.schedule_plan import kpis_due
    from tests.kpis.portfolio_factory import kpi, write_portfolio

    portfolio = load_portfolio(
        write_portfolio(
            tmp_path,
            [
                kpi(id="k_daily", frequency="daily", target={"value": 1.0}),
                kpi(id="k_weekly", frequency="weekly", target={"value": 2.0}),
                kpi(id="k_monthly", frequency="monthly", target={"value": 3.0}),
                kpi(id="k_quarterly", frequency="quarterly", target={"value": 4.0}),
            ],
        )
    )
    assert kpis_due(portfolio, dt.date(2026, 11, 25)) == ["k_daily"]
    assert kpis_due(portfolio, dt.date(2026, 11, 30)) == ["k_daily", "k_weekly"]
    assert kpis_due(portfolio, dt.date(2026, 12, 1)) == ["k_daily", "k_monthly"]
    # A Monday that starts a quarter: every frequency, in one list (one run, one writer)
    assert kpis_due(portfolio, dt.date(2029, 1, 1)) == [
        "k_daily",
        "k_monthly",
        "k_quarterly",
        "k_weekly",
    ]
