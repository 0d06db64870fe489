"""Achievability verdicts and pace on fixture histories, each worked out by hand.

The weekly history below starts on Monday 2026-01-05: 10, 12, 11, 13, 12, 14, 13, 15 (last
period 2026-02-23). With the deadline Sunday 2026-03-29 four periods are left (the weeks of
2026-03-02, 03-09, 03-16 and 03-23). Its median is 12.5, its best 15, its range 10 to 15 and its
best change in one week +2. The backtest picks the linear trend (see test_forecast.py): 16.79 by
the deadline, 80 % interval 13.92 to 19.65.
"""

from __future__ import annotations

import datetime as dt

import pytest

from pipelines.kpis.models import Direction, Frequency, Unit
from pipelines.validation.achievability import assess_achievability, value_bounds
from pipelines.validation.verdicts import Achievability, Pace

START = dt.date(2026, 1, 5)
DEADLINE = dt.date(2026, 3, 29)
VALUES = [10.0, 12.0, 11.0, 13.0, 12.0, 14.0, 13.0, 15.0]


def weekly(values: list[float]) -> list[tuple[dt.date, float]]:
    return [(START + dt.timedelta(weeks=i), v) for i, v in enumerate(values)]


def judge(target: float, values: list[float] = VALUES, **options):
    options.setdefault("direction", Direction.higher_is_better)
    return assess_achievability(
        weekly(values),
        target=target,
        deadline=options.pop("deadline", DEADLINE),
        frequency=Frequency.weekly,
        unit=options.pop("unit", Unit.count),
        **options,
    )


def test_a_target_at_the_median_is_plausible_and_already_reached():
    verdict = judge(12.5)
    assert verdict.verdict == Achievability.plausible
    assert verdict.pace == Pace.reached
    assert verdict.figures["median"] == 12.5
    assert "already meets the target" in verdict.reasons[0]


def test_a_target_inside_the_forecast_interval_is_plausible_but_the_point_is_behind_pace():
    verdict = judge(17.0)  # 19.65 (interval top) >= 17 > 16.79 (forecast)
    assert verdict.verdict == Achievability.plausible
    assert verdict.pace == Pace.behind
    assert verdict.periods_left == 4
    assert verdict.needed_change_per_period == pytest.approx((17 - 15) / 4)
    assert verdict.figures["method"] == "linear_trend"
    assert verdict.forecast is not None
    assert verdict.forecast.periods == [dt.date(2026, 3, d) for d in (2, 9, 16, 23)]
    assert verdict.forecast.values[-1] == pytest.approx(12.5 + 24 / 42 * 7.5)


def test_a_target_between_the_interval_and_the_best_improvement_is_a_stretch():
    verdict = judge(20.0)
    # 20 is above the interval's 19.65; (20 - 15) / 4 = 1.25 a week is within the best +2, and
    # 20 lies 5 beyond the best period, no more than the range 10..15 the KPI has moved in.
    assert verdict.verdict == Achievability.stretch
    assert verdict.needed_change_per_period == pytest.approx(1.25)
    assert verdict.needed_next_level == pytest.approx(16.25)
    assert "needs +1.25 per period" in verdict.reasons[1]
    assert "best change in one period so far was 2" in verdict.reasons[1]


def test_ten_times_the_best_period_is_implausible():
    verdict = judge(150.0)
    assert verdict.verdict == Achievability.implausible
    assert verdict.needed_change_per_period == pytest.approx((150 - 15) / 4)  # 33.75 a week
    assert "further beyond the best period ever (15)" in verdict.reasons[-1]


def test_a_lower_is_better_target_is_reached_from_above():
    cpa = [40.0 - v for v in VALUES]  # 30, 28, 29, 27, 28, 26, 27, 25: improving downwards
    lower = {"direction": Direction.lower_is_better, "unit": Unit.currency}
    met = judge(26.0, cpa, **lower)
    assert met.verdict == Achievability.plausible and met.pace == Pace.reached
    # mirrored forecast: 40 - 16.79 = 23.21, interval 20.35 to 26.08
    inside = judge(22.0, cpa, **lower)
    assert inside.verdict == Achievability.plausible and inside.pace == Pace.behind
    assert inside.needed_change_per_period == pytest.approx(-0.75)
    assert inside.forecast is not None
    assert inside.forecast.low[-1] == pytest.approx(40 - 19.6479, abs=1e-3)
    stretch = judge(20.0, cpa, **lower)
    assert stretch.verdict == Achievability.stretch
    assert stretch.needed_change_per_period == pytest.approx(-1.25)
    assert "needs -€1.25 per period" in stretch.reasons[1]
    assert judge(2.5, cpa, **lower).verdict == Achievability.implausible  # a tenth of the best
    # the same figures read as higher-is-better would already meet a target of 22
    assert judge(22.0, cpa, unit=Unit.currency).pace == Pace.reached


def test_three_periods_of_history_are_unknown_with_the_periods_still_needed():
    verdict = judge(12.0, [10.0, 11.0, 12.0])
    assert verdict.verdict == Achievability.unknown
    assert verdict.figures == {"periods": 3, "periods_needed": 3}
    assert "only 3 complete weekly period(s)" in verdict.reasons[0]
    assert "3 more are needed" in verdict.reasons[0]


def test_no_target_a_passed_deadline_and_missing_values():
    assert judge(None).verdict == Achievability.unknown  # type: ignore[arg-type]
    passed = judge(20.0, deadline=dt.date(2026, 2, 1))
    assert passed.verdict == Achievability.unknown and passed.pace == Pace.behind
    with_gaps = assess_achievability(
        [*weekly(VALUES), (dt.date(2026, 3, 2), None)],  # type: ignore[list-item]
        target=17.0,
        deadline=DEADLINE,
        direction=Direction.higher_is_better,
        frequency=Frequency.weekly,
    )
    assert with_gaps.figures["periods"] == 8


def test_a_percentage_is_never_forecast_past_100():
    climbing = [80.0, 84.0, 88.0, 92.0, 96.0, 98.0]
    verdict = judge(100.0, climbing, unit=Unit.percent)
    assert verdict.forecast is not None
    assert max(verdict.forecast.high) == 100.0 and max(verdict.forecast.values) <= 100.0
    assert verdict.verdict == Achievability.plausible


def test_value_bounds_follow_the_unit_and_computation():
    assert value_bounds(Unit.percent, "ratio", 100) == (0.0, 100.0)
    assert value_bounds(Unit.ratio, "share", 1.0) == (0.0, 1.0)
    assert value_bounds(Unit.percent, "growth", 100) == (-100.0, None)
    assert value_bounds(Unit.score, "ratio", 100) == (None, None)
    assert value_bounds(Unit.currency, "ratio") == (0.0, None)
