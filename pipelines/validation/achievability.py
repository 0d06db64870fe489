"""Achievability and pace of a KPI's target, from its own complete history.

Pure functions over a list of (period_start, value): the verdict is

* `plausible` when the latest period already meets the target, or the forecast's interval reaches
  it by the deadline;
* `stretch` when only the best period-over-period improvement ever seen, repeated every period
  until the deadline, would reach it (and the target is no further beyond the best period ever
  than the whole range the KPI has moved in);
* `implausible` when nothing in the history comes close;
* `unknown` when there is no target or deadline ahead, or the history is too short (with the
  number of periods still needed).

"Meets" follows the KPI's direction: a lower-is-better target is reached from above.
"""

from __future__ import annotations

import datetime as dt
import itertools
import statistics
from collections.abc import Sequence

from pipelines.kpis.models import Direction, Frequency, Unit
from pipelines.report.scorecard import format_value
from pipelines.validation.forecast import forecast_path
from pipelines.validation.periods import SEASON_LENGTH, periods_until
from pipelines.validation.verdicts import (
    Achievability,
    AchievabilityVerdict,
    ForecastView,
    Pace,
)

# Complete periods with a value needed before a target is judged (and the default N of the
# measurability test's recent periods).
MIN_HISTORY = {
    Frequency.daily: 14,
    Frequency.weekly: 6,
    Frequency.monthly: 6,
    Frequency.quarterly: 4,
}

Bounds = tuple[float | None, float | None]


def value_bounds(
    unit: Unit | str | None, computation_type: str | None = None, scale: float = 1.0
) -> Bounds:
    """The range a KPI's values can take: a share lies in 0-scale (0-1 or 0-100 %), a percentage
    in 0-100, a growth rate above -100 %; counts, money, minutes, days and ratios are not negative;
    a score (such as NPS, -100 to 100) is left unbounded."""
    unit = Unit(unit) if unit else None
    if computation_type == "growth":
        return (-abs(scale), None)
    if computation_type == "share":
        return (0.0, abs(scale))
    if unit == Unit.percent:
        return (0.0, 100.0)
    if unit == Unit.score:
        return (None, None)
    return (0.0, None)


def figure_text(value: float, unit: str | None) -> str:
    """A figure in a reason: as the scorecard shows it, but small changes keep their digits
    (+6.55 conversions a week, +0.03 % conversion rate, +0.004 ROAS)."""
    small = value != 0 and abs(value) < 100 and abs(value - round(value)) > 1e-9
    if unit in (None, "count", "minutes", "days") and small:
        return f"{value:,.2f}"
    if unit == "percent" and 0 < abs(value) < 1:
        return f"{value:.2f}%"
    if unit in (None, "ratio", "score") and 0 < abs(value) < 0.1:
        return f"{value:.3f}"
    return format_value(value, unit)


def assess_achievability(
    history: Sequence[tuple[dt.date, float]],
    *,
    target: float | None,
    deadline: dt.date | None,
    direction: Direction,
    frequency: Frequency,
    unit: Unit | None = None,
    bounds: Bounds | None = None,
    min_history: int | None = None,
) -> AchievabilityVerdict:
    """The achievability verdict and pace of `target` by `deadline`, from the complete periods'
    values in `history` (periods without a value left out)."""
    points = sorted((start, float(value)) for start, value in history if value is not None)
    needed_history = min_history or MIN_HISTORY[frequency]
    unit_name = unit.value if unit else None

    def fmt(value: float) -> str:
        return figure_text(value, unit_name)

    if target is None:
        return AchievabilityVerdict(Achievability.unknown, ["no target is set"])
    if deadline is None:
        return AchievabilityVerdict(Achievability.unknown, ["no deadline is set"])
    n = len(points)
    if n < needed_history:
        more = needed_history - n
        return AchievabilityVerdict(
            Achievability.unknown,
            [
                f"only {n} complete {frequency.value} period(s) with a value; {more} more "
                f"{'is' if more == 1 else 'are'} needed before the target can be judged"
            ],
            figures={"periods": n, "periods_needed": more},
        )
    sign = 1.0 if direction == Direction.higher_is_better else -1.0
    values = [value for _, value in points]
    last_start, latest = points[-1]
    best = max(values) if sign > 0 else min(values)
    changes = [b - a for a, b in itertools.pairwise(values)]
    best_improvement = max(sign * change for change in changes)
    spread = max(values) - min(values)
    horizon = periods_until(last_start, deadline, frequency)
    h = len(horizon)
    figures: dict[str, object] = {
        "periods": n,
        "latest": latest,
        "best": best,
        "median": statistics.median(values),
        "recent_level": statistics.fmean(values[-3:]),
        "median_change": statistics.median(changes),
        "best_improvement": best_improvement * sign,
        "target": target,
        "deadline": deadline,
        "periods_left": h,
    }
    direction_word = "at least" if sign > 0 else "at most"
    if sign * (latest - target) >= 0:
        return AchievabilityVerdict(
            Achievability.plausible,
            [
                f"the latest period ({fmt(latest)}, {last_start}) already meets the target "
                f"({direction_word} {fmt(target)})"
            ],
            pace=Pace.reached,
            needed_change_per_period=0.0,
            needed_next_level=target,
            periods_left=h,
            figures=figures,
        )
    if h == 0:
        return AchievabilityVerdict(
            Achievability.unknown,
            [
                f"the deadline ({deadline}) has passed and the latest period ({fmt(latest)}) "
                f"misses the target ({fmt(target)})"
            ],
            pace=Pace.behind,
            periods_left=0,
            figures=figures,
        )
    bounds = bounds if bounds is not None else value_bounds(unit)
    forecast = forecast_path(values, SEASON_LENGTH[frequency], h, bounds)
    assert forecast is not None  # MIN_HISTORY leaves at least two periods to backtest drift
    result, path = forecast
    needed = (target - latest) / h
    favourable = [p.high if sign > 0 else p.low for p in path]
    reached_at = next(
        (i for i, level in enumerate(favourable) if sign * (level - target) >= 0), None
    )
    end = path[-1]
    pace = Pace.on_pace if sign * (end.value - target) >= 0 else Pace.behind
    figures.update(
        {
            "method": result.method,
            "backtest_mae": result.mae,
            "backtest_errors": result.errors,
            "forecast_at_deadline": end.value,
            "forecast_low": end.low,
            "forecast_high": end.high,
            "needed_change_per_period": needed,
        }
    )
    view = ForecastView(
        method=result.method,
        backtest_mae=result.mae,
        errors=result.errors,
        periods=horizon,
        values=[p.value for p in path],
        low=[p.low for p in path],
        high=[p.high for p in path],
    )
    method_words = result.method.replace("_", " ")
    forecast_text = (
        f"the {method_words} forecast (best in a backtest over {result.origins} periods, mean "
        f"error {fmt(result.mae)}) gives {fmt(end.value)} by {deadline}, 80 % interval "
        f"{fmt(end.low)} to {fmt(end.high)}"
    )
    needed_text = (
        f"reaching {fmt(target)} from {fmt(latest)} in {h} period(s) needs "
        f"{'+' if needed >= 0 else '-'}{fmt(abs(needed))} per period"
    )
    if reached_at is not None:
        verdict = Achievability.plausible
        reasons = [f"{forecast_text}: the interval reaches the target", needed_text]
    elif (
        best_improvement > 0
        and sign * needed <= best_improvement
        and sign * (target - best) <= spread
    ):
        verdict = Achievability.stretch
        reasons = [
            f"{forecast_text}: short of the target",
            f"{needed_text}; the best change in one period so far was "
            f"{fmt(best_improvement)}, so only a best-ever improvement every period reaches it",
        ]
    else:
        verdict = Achievability.implausible
        beyond = sign * (target - best) > spread
        reasons = [f"{forecast_text}: far short of the target", needed_text]
        if beyond:
            reasons.append(
                f"the target is further beyond the best period ever ({fmt(best)}) than the "
                f"whole range the KPI has moved in ({fmt(min(values))} to {fmt(max(values))})"
            )
        else:
            reasons.append(
                f"more than the best change in one period so far ({fmt(best_improvement)})"
                if best_improvement > 0
                else "the KPI has never improved from one period to the next"
            )
    return AchievabilityVerdict(
        verdict,
        reasons,
        pace=pace,
        needed_change_per_period=needed,
        needed_next_level=latest + needed,
        periods_left=h,
        figures=figures,
        forecast=view,
    )
