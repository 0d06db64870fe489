"""Typed models of the files in kpi_definitions/: goals, critical success factors and KPIs.

Fields the SMART lint reports on (description, unit, owner, target, deadline, goal, csf) are
optional here so that the lint can name what is missing and how to fix it; everything that makes a
file unreadable (unknown fields, wrong types, bad ids) is refused while loading.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

Identifier = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{1,62}$")]


class Frequency(StrEnum):
    daily = "daily"
    weekly = "weekly"
    monthly = "monthly"
    quarterly = "quarterly"


class Direction(StrEnum):
    higher_is_better = "higher_is_better"
    lower_is_better = "lower_is_better"


class Level(StrEnum):
    organisation = "organisation"
    team = "team"
    individual = "individual"


class Horizon(StrEnum):
    short = "short"
    long = "long"


class Role(StrEnum):
    """`kpi`: a key KPI with a target and a status; `metric`: a supporting figure, no target."""

    kpi = "kpi"
    metric = "metric"


class Unit(StrEnum):
    count = "count"
    ratio = "ratio"
    percent = "percent"
    currency = "currency"
    minutes = "minutes"
    days = "days"
    score = "score"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, use_enum_values=False)


# --- computation -------------------------------------------------------------------------------


class Aggregate(_Strict):
    """One aggregate over the rows of a fact: `sum`, `count` or `count_distinct` of a measure.

    `fact` names the fact the aggregate reads when it is not the computation's own (a ratio of
    two facts)."""

    aggregate: Literal["sum", "count", "count_distinct"]
    fact: Identifier | None = None
    measure: str | None = Field(
        default=None, description="Row expression over the fact's columns; omitted for count(*)."
    )
    where: str | None = Field(default=None, description="Row condition; only matching rows count.")

    @model_validator(mode="after")
    def _measure_needed(self) -> Aggregate:
        if self.aggregate != "count" and not self.measure:
            raise ValueError(f"aggregate '{self.aggregate}' needs a 'measure'")
        return self


class SumComputation(_Strict):
    type: Literal["sum"]
    fact: Identifier
    measure: str
    where: str | None = None


class CountComputation(_Strict):
    type: Literal["count"]
    fact: Identifier
    where: str | None = None


class CountDistinctComputation(_Strict):
    """Distinct values of `column` per period; `having` keeps only values whose group meets it."""

    type: Literal["count_distinct"]
    fact: Identifier
    column: str
    where: str | None = None
    having: str | None = Field(
        default=None,
        description="Condition over aggregates of one value's rows in the period, "
        "e.g. sum(position_sum) / sum(impressions) <= 3",
    )


class RatioComputation(_Strict):
    """Ratio of two aggregates over the same period: Σ numerator ÷ Σ denominator, times scale.

    Numerator and denominator may read different facts (`numerator.fact`, `denominator.fact`,
    each defaulting to `fact`); they are aligned on the period, and a period is complete only
    when both facts cover it."""

    type: Literal["ratio"]
    fact: Identifier | None = None
    numerator: Aggregate
    denominator: Aggregate
    scale: float = 1.0

    @model_validator(mode="after")
    def _facts_named(self) -> RatioComputation:
        for side in ("numerator", "denominator"):
            if self.fact is None and getattr(self, side).fact is None:
                raise ValueError(f"name the fact: `fact:` or `{side}.fact:`")
        return self

    @property
    def numerator_fact(self) -> str:
        return self.numerator.fact or self.fact  # type: ignore[return-value]

    @property
    def denominator_fact(self) -> str:
        return self.denominator.fact or self.fact  # type: ignore[return-value]


class ShareComputation(_Strict):
    """Share of rows meeting `condition` among the rows meeting `where`, times scale."""

    type: Literal["share"]
    fact: Identifier
    condition: str
    where: str | None = None
    scale: float = 1.0


class CohortEvent(_Strict):
    """One event of a cohort: the rows of a fact (meeting `where`) and the time column of each."""

    fact: Identifier | None = None
    at: str = Field(description="Timestamp column of the fact: when the event happened.")
    where: str | None = None


class Window(_Strict):
    """A maturity window: so many days (24 hours each) or hours."""

    days: int | None = Field(default=None, ge=0, le=3660)
    hours: int | None = Field(default=None, ge=0, le=87840)

    @model_validator(mode="after")
    def _one_length(self) -> Window:
        if (self.days is None) == (self.hours is None):
            raise ValueError("give the window in `days` or in `hours` (one of them)")
        return self

    @property
    def hours_total(self) -> int:
        return self.hours if self.hours is not None else 24 * (self.days or 0)

    def text(self) -> str:
        if self.days is not None:
            return f"{self.days} day{'s' if self.days != 1 else ''}"
        return f"{self.hours} hour{'s' if self.hours != 1 else ''}"


class CohortComputation(_Strict):
    """Of the entities whose base event falls in the period, the share (times scale) whose
    conversion event followed within `window` of it. An entity counts once, at its earliest base
    event; a period is complete only once the window has passed after its end at the as-of time
    and the conversion fact covers that far (immature periods are incomplete)."""

    type: Literal["cohort"]
    entity: str = Field(description="Column of both facts that links the two events.")
    base: CohortEvent
    conversion: CohortEvent
    window: Window
    scale: float = 1.0

    @model_validator(mode="after")
    def _base_fact_named(self) -> CohortComputation:
        if self.base.fact is None:
            raise ValueError("name the base event's fact: `base.fact:`")
        return self

    @property
    def fact(self) -> str:
        return self.base.fact  # type: ignore[return-value]

    @property
    def conversion_fact(self) -> str:
        return self.conversion.fact or self.fact


class GrowthComputation(_Strict):
    """Period-over-period growth of another KPI of the same frequency: (this - prev) / prev."""

    type: Literal["growth"]
    of: Identifier
    scale: float = 1.0


Computation = Annotated[
    SumComputation
    | CountComputation
    | CountDistinctComputation
    | RatioComputation
    | ShareComputation
    | CohortComputation
    | GrowthComputation,
    Field(discriminator="type"),
]


# --- KPI -----------------------------------------------------------------------------------------


class PeriodTarget(_Strict):
    period_start: dt.date
    value: float


class Target(_Strict):
    value: float
    per_period: list[PeriodTarget] = Field(default_factory=list)

    def for_period(self, period_start: dt.date) -> float:
        for override in self.per_period:
            if override.period_start == period_start:
                return override.value
        return self.value


class KpiDefinition(_Strict):
    id: Identifier
    name: Annotated[str, Field(min_length=3, max_length=120)]
    description: str | None = None
    unit: Unit | None = None
    direction: Direction
    computation: Computation
    frequency: Frequency
    reporting_frequency: Frequency | None = None
    target: Target | None = None
    deadline: dt.date | None = None
    owner: str | None = None
    level: Level = Level.organisation
    team: str | None = None
    person: str | None = None
    goal: Identifier | None = None
    csf: Identifier | None = None
    horizon: Horizon = Horizon.short
    role: Role = Role.kpi
    drivers: list[Identifier] = Field(
        default_factory=list,
        description="Supporting metrics shown beside this KPI in the report.",
    )

    @property
    def is_metric(self) -> bool:
        """A supporting metric: no target, no status, not counted against the lint's limits."""
        return self.role == Role.metric

    @property
    def model_name(self) -> str:
        """Name of the dbt model that computes this KPI."""
        return f"kpi_{self.id}"

    @property
    def fact(self) -> str | None:
        """The KPI's first (or only) fact; see `facts` for all of them."""
        facts = self.facts
        return facts[0] if facts else None

    @property
    def facts(self) -> list[str]:
        """Every fact the computation reads, first the one that places rows in periods."""
        computation = self.computation
        if isinstance(computation, RatioComputation):
            names = [computation.numerator_fact, computation.denominator_fact]
        elif isinstance(computation, CohortComputation):
            names = [computation.fact, computation.conversion_fact]
        else:
            names = [getattr(computation, "fact", None)]
        return list(dict.fromkeys(name for name in names if name))

    @property
    def review_frequency(self) -> Frequency:
        """How often the owner reviews the KPI: `reporting_frequency`, or else `frequency`."""
        return self.reporting_frequency or self.frequency


# --- goals and CSFs ------------------------------------------------------------------------------


class CriticalSuccessFactor(_Strict):
    id: Identifier
    name: str
    description: str | None = None


class Goal(_Strict):
    id: Identifier
    name: str
    description: str | None = None
    csfs: list[CriticalSuccessFactor] = Field(default_factory=list)


class PortfolioLimits(_Strict):
    max_kpis_total: int = Field(default=15, ge=1)
    max_kpis_per_goal: int = Field(default=5, ge=1)
    min_description_words: int = Field(default=8, ge=1)


class GoalsFile(_Strict):
    goals: list[Goal]
    limits: PortfolioLimits = Field(default_factory=PortfolioLimits)


class KpiNote(_Strict):
    """Qualitative context for one KPI and period, written by its owner."""

    kpi: Identifier
    period_start: dt.date
    note: Annotated[str, Field(min_length=3, max_length=2000)]
    author: str | None = None


class NotesFile(_Strict):
    notes: list[KpiNote] = Field(default_factory=list)


class Portfolio(BaseModel):
    """Everything in kpi_definitions/: goals, limits and the KPIs with the files they came from."""

    model_config = ConfigDict(frozen=True)

    goals: list[Goal]
    limits: PortfolioLimits
    kpis: list[KpiDefinition]
    kpi_files: dict[str, str] = Field(default_factory=dict, description="kpi id -> file path")
    goals_file: str = "goals.yml"
    notes: list[KpiNote] = Field(default_factory=list)
    note_files: dict[int, str] = Field(default_factory=dict, description="note index -> file")

    def goal(self, goal_id: str) -> Goal | None:
        return next((g for g in self.goals if g.id == goal_id), None)

    def kpi(self, kpi_id: str) -> KpiDefinition | None:
        return next((k for k in self.kpis if k.id == kpi_id), None)
