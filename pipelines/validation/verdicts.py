"""The verdicts of the validation step, with their reasons in plain words and the figures."""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any


class Measurability(StrEnum):
    measurable = "measurable"
    not_measurable = "not_measurable"


class Achievability(StrEnum):
    plausible = "plausible"
    stretch = "stretch"
    implausible = "implausible"
    unknown = "unknown"


class Pace(StrEnum):
    reached = "reached"  # the latest complete period already meets the target
    on_pace = "on_pace"  # the forecast reaches the target by the deadline
    behind = "behind"  # it does not
    unknown = "unknown"  # no target, no deadline ahead or too little history


@dataclass(frozen=True)
class MeasurabilityVerdict:
    verdict: Measurability
    reasons: list[str]
    figures: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ForecastView:
    """The chosen forecast up to the deadline, for the report's chart."""

    method: str
    backtest_mae: float
    errors: dict[str, float]
    periods: list[dt.date]
    values: list[float]
    low: list[float]
    high: list[float]


@dataclass(frozen=True)
class AchievabilityVerdict:
    verdict: Achievability
    reasons: list[str]
    pace: Pace = Pace.unknown
    needed_change_per_period: float | None = None
    needed_next_level: float | None = None
    periods_left: int | None = None
    figures: dict[str, Any] = field(default_factory=dict)
    forecast: ForecastView | None = None


@dataclass(frozen=True)
class KpiValidation:
    kpi_id: str
    measurability: MeasurabilityVerdict
    achievability: AchievabilityVerdict
    warnings: list[str] = field(default_factory=list)

    @property
    def passes(self) -> bool:
        return (
            self.measurability.verdict == Measurability.measurable
            and self.achievability.verdict != Achievability.implausible
        )

    @property
    def reasons(self) -> list[str]:
        return self.measurability.reasons + self.achievability.reasons

    def as_json(self) -> dict[str, Any]:
        forecast = self.achievability.forecast
        return _plain(
            {
                "kpi_id": self.kpi_id,
                "measurability": self.measurability.verdict.value,
                "achievability": self.achievability.verdict.value,
                "pace": self.achievability.pace.value,
                "needed_change_per_period": self.achievability.needed_change_per_period,
                "needed_next_level": self.achievability.needed_next_level,
                "periods_left": self.achievability.periods_left,
                "reasons": self.reasons,
                "warnings": self.warnings,
                "measurability_figures": self.measurability.figures,
                "achievability_figures": self.achievability.figures,
                "forecast": asdict(forecast) if forecast else None,
            }
        )


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, StrEnum):
        return value.value
    return value
