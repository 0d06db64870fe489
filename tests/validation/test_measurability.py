"""Measurability verdicts on fixture load logs and KPI periods, worked out by hand.

As of Monday 2026-10-05 the last six ended weeks start on 2026-08-24, 08-31, 09-07, 09-14, 09-21
and 09-28 (the week of 10-05 has not ended).
"""

from __future__ import annotations

import datetime as dt

from pipelines.kpis.models import Frequency
from pipelines.validation.measurability import (
    Delivery,
    PeriodValue,
    assess_measurability,
    delivery_interval,
)
from pipelines.validation.verdicts import Measurability

AS_OF = dt.date(2026, 10, 5)
D = dt.date


def weeks(first: dt.date, last: dt.date, value: float | None = 1.0) -> list[PeriodValue]:
    out, start = [], first
    while start <= last:
        out.append(PeriodValue(start, True, value, source_rows=7))
        start += dt.timedelta(days=7)
    return out


# one file a week, Monday to Sunday: 2026-06-01 .. 2026-10-04
WEEKLY_DELIVERIES = [
    Delivery(D(2026, 6, 1) + dt.timedelta(weeks=i), D(2026, 6, 7) + dt.timedelta(weeks=i), 70)
    for i in range(18)
]


def judge(periods, deliveries, frequency=Frequency.weekly, **options):
    return assess_measurability(
        frequency=frequency,
        source_label=options.pop("source_label", "Google Ads"),
        periods=periods,
        deliveries=deliveries,
        as_of=AS_OF,
        **options,
    )


def test_a_weekly_source_with_every_recent_week_is_measurable():
    verdict = judge(weeks(D(2026, 6, 1), D(2026, 9, 28)), WEEKLY_DELIVERIES)
    assert verdict.verdict == Measurability.measurable
    assert verdict.figures["complete_with_value"] == 6
    assert verdict.figures["days_between_deliveries"] == 7
    assert any("every 7 days" in reason for reason in verdict.reasons)


def test_a_kpi_whose_source_never_delivered_is_not_measurable():
    verdict = judge([], [], frequency=Frequency.monthly, source_label="survey")
    assert verdict.verdict == Measurability.not_measurable
    assert verdict.reasons == ["no survey exports have been loaded"]
    # periods computed over no rows count as no rows too
    empty = [PeriodValue(D(2026, 9, 1), False, None, 0)]
    assert judge(empty, [], source_label="survey").reasons == ["no survey exports have been loaded"]


def test_a_monthly_export_cannot_support_a_weekly_kpi():
    monthly = [
        Delivery(D(2026, 6, 1), D(2026, 6, 30), 300),
        Delivery(D(2026, 7, 1), D(2026, 7, 31), 310),
        Delivery(D(2026, 8, 1), D(2026, 8, 31), 310),
        Delivery(D(2026, 9, 1), D(2026, 9, 30), 300),
    ]
    # newest days 06-30, 07-31, 08-31, 09-30: 31, 31 and 30 days apart, median 31
    assert delivery_interval(monthly) == (31.0, 4)
    periods = weeks(D(2026, 6, 1), D(2026, 9, 21))  # 5 of the last 6 weeks complete (09-28 not)
    verdict = judge(periods, monthly)
    assert verdict.verdict == Measurability.not_measurable
    assert verdict.figures["complete_with_value"] == 5
    assert verdict.reasons[0] == (
        "Google Ads data arrives every 31 days (median over 4 deliveries): too seldom for a "
        "weekly KPI, which may go at most 8 days without new data"
    )
    months = [PeriodValue(D(2026, m, 1), True, 1.0, 30) for m in range(4, 10)]
    assert judge(months, monthly, frequency=Frequency.monthly).verdict == (
        Measurability.measurable
    )  # 31 days is within a monthly KPI's 32


def test_a_kpi_whose_last_complete_periods_are_missing_is_not_measurable():
    periods = weeks(D(2026, 6, 1), D(2026, 8, 31))  # nothing after the week of 08-31
    periods.append(PeriodValue(D(2026, 9, 7), False, None, 3))
    verdict = judge(periods, WEEKLY_DELIVERIES[:14])
    assert verdict.verdict == Measurability.not_measurable
    assert verdict.figures["complete_with_value"] == 2  # 08-24 and 08-31
    assert verdict.reasons[0] == (
        "only 2 of the last 6 weekly periods from 2026-08-24 to 2026-10-04 are complete with a "
        "value (at least 4 needed); missing or without a value: 2026-09-07, 2026-09-14, "
        "2026-09-21, 2026-09-28"
    )


def test_a_period_without_a_value_does_not_count_and_n_is_configurable():
    periods = weeks(D(2026, 6, 1), D(2026, 9, 28))
    periods[-1] = PeriodValue(D(2026, 9, 28), True, None, 7)  # zero denominator: no value
    periods[-2] = PeriodValue(D(2026, 9, 21), True, None, 7)
    periods[-3] = PeriodValue(D(2026, 9, 14), True, None, 7)
    six = judge(periods, WEEKLY_DELIVERIES)
    assert six.verdict == Measurability.not_measurable  # 3 of 6 < two thirds
    assert judge(periods, WEEKLY_DELIVERIES, recent_periods=12).verdict == (
        Measurability.measurable  # 9 of the last 12
    )
    quarterly = [PeriodValue(D(2025, m, 1), True, 1.0, 90) for m in (10,)] + [
        PeriodValue(D(2026, m, 1), True, 1.0, 90) for m in (1, 4, 7)
    ]
    verdict = judge(quarterly, None, frequency=Frequency.quarterly)
    assert verdict.figures["recent_periods"] == 4  # quarterly default
    assert verdict.verdict == Measurability.measurable
    assert any("load log could not be read" in reason for reason in verdict.reasons)


def test_a_daily_feed_with_weekend_gaps_supports_a_weekly_kpi():
    weekdays = [
        D(2026, 8, 3) + dt.timedelta(days=i)
        for i in range(63)
        if (D(2026, 8, 3) + dt.timedelta(days=i)).weekday() < 5
    ]  # one file per working day: gaps of 1 day, 3 over each weekend; median 1
    deliveries = [Delivery(day, day, 40) for day in weekdays]
    assert delivery_interval(deliveries) == (1.0, len(weekdays))
    verdict = judge(weeks(D(2026, 8, 3), D(2026, 9, 28)), deliveries)
    assert verdict.verdict == Measurability.measurable


def test_a_kpi_held_by_a_failed_check_is_not_measurable_with_the_reason():
    verdict = judge(
        weeks(D(2026, 6, 1), D(2026, 9, 28)),
        WEEKLY_DELIVERIES,
        held_reason="raw check volume failed on google_ads_campaign_days",
        held_since=D(2026, 10, 1),
    )
    assert verdict.verdict == Measurability.not_measurable
    assert verdict.reasons[0] == (
        "held: raw check volume failed on google_ads_campaign_days since 2026-10-01"
    )


def test_a_single_delivery_leaves_the_cadence_unknown_but_measurable():
    one = [Delivery(D(2026, 6, 1), D(2026, 10, 4), 800)]
    verdict = judge(weeks(D(2026, 6, 1), D(2026, 9, 28)), one)
    assert verdict.verdict == Measurability.measurable
    assert any("one delivery so far" in reason for reason in verdict.reasons)
