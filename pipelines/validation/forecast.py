"""Simple, explainable forecasts of a KPI series, the method chosen per KPI by a backtest.

Three methods, as in ServiceNow's performance analytics: seasonal naive (the value one season
ago), drift (the last value plus the average change per period so far) and a linear trend
(least squares over the whole history). Each is backtested over the KPI's own history with a
rolling origin: for every period from the first one all methods can forecast, the method is fitted
on the periods before it and forecasts it; the method with the smallest mean absolute error
wins (ties go to the simpler method, in the order drift, linear trend, seasonal naive). The
interval around the forecast widens with the horizon: ± z · RMSE of the backtest · √h.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

Z_80 = 1.2816  # two-sided 80 % interval of a normal error

Method = Callable[[Sequence[float], int], float]


def seasonal_naive(season: int) -> Method:
    def forecast(history: Sequence[float], h: int) -> float:
        n = len(history)
        return history[n - season + (h - 1) % season]

    return forecast


def drift(history: Sequence[float], h: int) -> float:
    n = len(history)
    slope = (history[-1] - history[0]) / (n - 1)
    return history[-1] + h * slope


def linear_trend(history: Sequence[float], h: int) -> float:
    n = len(history)
    mean_x = (n - 1) / 2
    mean_y = sum(history) / n
    sxx = sum((i - mean_x) ** 2 for i in range(n))
    slope = sum((i - mean_x) * (y - mean_y) for i, y in enumerate(history)) / sxx
    return mean_y + slope * (n - 1 + h - mean_x)


@dataclass(frozen=True)
class Candidate:
    name: str
    forecast: Method
    min_history: int


def candidates(season: int) -> list[Candidate]:
    """The methods in tie-break order (simplest first)."""
    return [
        Candidate("drift", drift, 2),
        Candidate("linear_trend", linear_trend, 3),
        Candidate("seasonal_naive", seasonal_naive(season), season),
    ]


@dataclass(frozen=True)
class Backtest:
    method: str
    mae: float
    rmse: float
    origins: int
    errors: dict[str, float]  # mean absolute error of every method that could be tested


def backtest(values: Sequence[float], season: int) -> Backtest | None:
    """One-step-ahead rolling-origin backtest; None when fewer than two periods can be tested."""
    usable = [c for c in candidates(season) if len(values) - c.min_history >= 2]
    if not usable:
        return None
    first = max(c.min_history for c in usable)
    scores: dict[str, tuple[float, float]] = {}
    for candidate in usable:
        errors = [values[t] - candidate.forecast(values[:t], 1) for t in range(first, len(values))]
        mae = sum(abs(e) for e in errors) / len(errors)
        rmse = math.sqrt(sum(e * e for e in errors) / len(errors))
        scores[candidate.name] = (mae, rmse)
    best = min(usable, key=lambda c: round(scores[c.name][0], 12))  # stable: first wins ties
    mae, rmse = scores[best.name]
    return Backtest(
        method=best.name,
        mae=mae,
        rmse=rmse,
        origins=len(values) - first,
        errors={name: score[0] for name, score in scores.items()},
    )


@dataclass(frozen=True)
class ForecastPoint:
    step: int
    value: float
    low: float
    high: float


def forecast_path(
    values: Sequence[float],
    season: int,
    horizon: int,
    bounds: tuple[float | None, float | None] = (None, None),
) -> tuple[Backtest, list[ForecastPoint]] | None:
    """The backtest's winner forecasts `horizon` periods ahead with its interval, clipped to
    `bounds` (a percentage never leaves 0-100); None when the history is too short."""
    result = backtest(values, season)
    if result is None:
        return None
    method = next(c for c in candidates(season) if c.name == result.method)
    low_bound, high_bound = bounds

    def clip(value: float) -> float:
        if low_bound is not None:
            value = max(low_bound, value)
        if high_bound is not None:
            value = min(high_bound, value)
        return value

    points = []
    for h in range(1, horizon + 1):
        point = method.forecast(values, h)
        half = Z_80 * result.rmse * math.sqrt(h)
        points.append(ForecastPoint(h, clip(point), clip(point - half), clip(point + half)))
    return result, points
