"""Measurability of a KPI in practice: four tests over what the warehouse actually holds.

1. its source has delivered rows;
2. enough of the last N periods (default 6 weekly/monthly, 4 quarterly) are complete with a value
   (not null, so no zero denominator);
3. the source's own delivery cadence (from the load log: the newest day each delivery covers)
   supports the frequency: deliveries come at least as often as the KPI may go without new data
   (its freshness window: the period plus a day);
4. its checks pass: a KPI held by a failed raw check is not measurable for now.

Pure functions over plain records, so tests can feed fixture histories directly.
"""

from __future__ import annotations

import datetime as dt
import itertools
import statistics
from collections.abc import Sequence
from dataclasses import dataclass

from pipelines.kpis.models import Frequency
from pipelines.kpis.schedule_plan import freshness_window
from pipelines.validation.achievability import MIN_HISTORY
from pipelines.validation.periods import ended_periods, next_start
from pipelines.validation.verdicts import Measurability, MeasurabilityVerdict

MIN_COMPLETE_SHARE = 2 / 3


@dataclass(frozen=True)
class Delivery:
    """One loaded landing file of the KPI's source, from raw.load_log."""

    first_date: dt.date | None
    last_date: dt.date | None
    rows_loaded: int


@dataclass(frozen=True)
class PeriodValue:
    """One row of marts.fct_kpi_values."""

    period_start: dt.date
    is_complete: bool
    value: float | None
    source_rows: int = 0


def delivery_interval(deliveries: Sequence[Delivery]) -> tuple[float, int] | None:
    """Median number of days between the newest days successive deliveries cover, and how many
    deliveries extended the coverage; None with fewer than two such deliveries."""
    ends = sorted({d.last_date for d in deliveries if d.last_date and d.rows_loaded > 0})
    if len(ends) < 2:
        return None
    gaps = [(b - a).days for a, b in itertools.pairwise(ends)]
    return float(statistics.median(gaps)), len(ends)


def assess_measurability(
    *,
    frequency: Frequency,
    source_label: str,
    periods: Sequence[PeriodValue],
    deliveries: Sequence[Delivery] | None,
    as_of: dt.date,
    recent_periods: int | None = None,
    min_complete_share: float = MIN_COMPLETE_SHARE,
    held_reason: str | None = None,
    held_since: dt.date | None = None,
) -> MeasurabilityVerdict:
    """`deliveries` None means the load log could not be read (the cadence test is skipped)."""
    problems: list[str] = []
    notes: list[str] = []
    source_rows = sum(p.source_rows or 0 for p in periods)
    delivered_rows = (
        sum(d.rows_loaded for d in deliveries) if deliveries is not None else source_rows
    )
    figures: dict[str, object] = {"rows_delivered": delivered_rows, "source_rows": source_rows}
    if delivered_rows == 0 and source_rows == 0:
        problems.append(f"no {source_label} exports have been loaded")
        return MeasurabilityVerdict(Measurability.not_measurable, problems, figures)

    count = recent_periods or MIN_HISTORY[frequency]
    starts = ended_periods(as_of, frequency, count)
    by_start = {p.period_start: p for p in periods}
    good = [s for s in starts if (p := by_start.get(s)) and p.is_complete and p.value is not None]
    missing = [s for s in starts if s not in good]
    share = len(good) / count
    needed = -(-count * min_complete_share // 1)  # ceiling
    last_day = next_start(starts[-1], frequency) - dt.timedelta(days=1)
    span = f"{frequency.value} periods from {starts[0]} to {last_day}"
    figures.update({"recent_periods": count, "complete_with_value": len(good), "share": share})
    if share < min_complete_share:
        problems.append(
            f"only {len(good)} of the last {count} {span} are complete with a value "
            f"(at least {needed:.0f} needed); missing or without a value: "
            + ", ".join(str(s) for s in missing)
        )
    else:
        notes.append(f"{len(good)} of the last {count} {span} are complete with a value")

    if deliveries is None:
        notes.append("the load log could not be read, so the delivery cadence is not known")
    else:
        interval = delivery_interval(deliveries)
        limit = freshness_window(frequency).days
        figures["max_days_between_deliveries"] = limit
        if interval is None:
            notes.append(f"{source_label}: one delivery so far, so its cadence is not known yet")
        else:
            days, count_deliveries = interval
            figures["days_between_deliveries"] = days
            text = (
                f"{source_label} data arrives every {days:g} days (median over "
                f"{count_deliveries} deliveries)"
            )
            if days > limit:
                problems.append(
                    f"{text}: too seldom for a {frequency.value} KPI, which may go at most "
                    f"{limit} days without new data"
                )
            else:
                notes.append(text)

    if held_reason:
        since = f" since {held_since}" if held_since else ""
        problems.append(f"held: {held_reason}{since}")

    verdict = Measurability.not_measurable if problems else Measurability.measurable
    return MeasurabilityVerdict(verdict, problems + notes, figures)
