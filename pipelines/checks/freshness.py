"""Freshness against a source's own cadence: a source that stops delivering is stale.

Public functions (as-of aware: the as-of date is an argument, never the wall clock):

* `check_freshness(raw_dir, source, settings, as_of, kpis=()) -> FreshnessOutcome` -- what the
  non-blocking Dagster check `fresh_against_usual_cadence` reports: reads the deliveries of the
  source from `raw.load_log` and calls `judge_freshness`.
* `judge_freshness(delivery_days, as_of, settings, source, kpis=()) -> FreshnessOutcome` -- the
  rule on the last data day of each delivery (the backtest calls it directly).
* `usual_gap(delivery_days, settings) -> float | None` -- the source's usual cadence in days.

The rule: each loaded file is a delivery, dated by the last day of data it holds (`last_date` in
the load log; the part after the as-of date is ignored). The usual gap is the mean gap, in whole
days, between the distinct delivery days of the latest `cadence_deliveries` deliveries (with one
delivery only: `default_cadence_days`). The source has been silent for
`as_of - last delivery day - 1` days (a daily source delivering yesterday's data this morning is
silent 0 days). It is stale when silent
for at least `max(min_stale_days, stale_after_gaps * usual gap)` days: with the defaults a daily
source after 2 silent days, a weekly one after 14. Stale warns and alerts; it never blocks: the
published values stay right, their newer periods stay incomplete.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import duckdb

from pipelines.ingest.options import FreshnessSettings
from pipelines.ingest.raw_store import LOAD_LOG


@dataclass(frozen=True)
class FreshnessOutcome:
    """The verdict on one source. `verdict` is one of: fresh, stale, no_data."""

    passed: bool
    verdict: str
    message: str
    last_day: dt.date | None = None
    silent_days: int = 0
    usual_gap_days: float = 0.0
    stale_after_days: float = 0.0


def usual_gap(delivery_days: Iterable[dt.date], settings: FreshnessSettings) -> float | None:
    """Mean gap in whole days between the latest distinct delivery days; None with fewer than two.

    The mean, not the median: a source pulled some nights before and some after the day's first
    rows repeats its last day now and then, which makes single gaps of 2 days common in a daily
    source; the mean over the window stays close to 1."""
    days = sorted(set(delivery_days))[-(settings.cadence_deliveries + 1) :]
    if len(days) < 2:
        return None
    return max(1, math.floor((days[-1] - days[0]).days / (len(days) - 1)))


def judge_freshness(
    delivery_days: Iterable[dt.date],
    as_of: dt.date,
    settings: FreshnessSettings,
    source: str,
    kpis: Sequence[str] = (),
) -> FreshnessOutcome:
    """Whether the source delivered within its usual cadence, as of a day."""
    days = sorted({min(day, as_of) for day in delivery_days})
    readers = f"KPIs that read it: {', '.join(kpis)}" if kpis else "no KPI reads it"
    if not days:
        return FreshnessOutcome(
            True, "no_data", f"{source}: no dated delivery on or before {as_of} yet ({readers})"
        )
    gap = usual_gap(days, settings)
    cadence = (
        f"it usually delivers every {gap:g} day(s) (mean gap between its last "
        f"{min(len(days), settings.cadence_deliveries + 1)} deliveries)"
        if gap is not None
        else f"one delivery so far: assumed every {settings.default_cadence_days} day(s)"
    )
    gap = gap if gap is not None else float(settings.default_cadence_days)
    stale_after = max(float(settings.min_stale_days), settings.stale_after_gaps * gap)
    last = days[-1]
    silent = max(0, (as_of - last).days - 1)
    common = {
        "last_day": last,
        "silent_days": silent,
        "usual_gap_days": gap,
        "stale_after_days": stale_after,
    }
    if silent >= stale_after:
        return FreshnessOutcome(
            False,
            "stale",
            f"{source}: stale: data up to {last}, no new day for {silent} day(s) as of {as_of}; "
            f"{cadence}, so stale after {stale_after:g}. {readers}: their published values stay, "
            "newer periods stay incomplete until the source delivers again",
            **common,
        )
    return FreshnessOutcome(
        True,
        "fresh",
        f"{source}: fresh: data up to {last}, {silent} day(s) without a new day as of {as_of}; "
        f"{cadence}, stale after {stale_after:g} ({readers})",
        **common,
    )


def _load_log_names(source: str) -> list[str]:
    """The names the source's files carry in the load log (see `Source.load_log_names`)."""
    from pipelines.ingest.sources import SOURCES

    return list(SOURCES[source].load_log_names) if source in SOURCES else [source]


def delivery_days(raw_dir: Path, source: str, as_of: dt.date | None = None) -> list[dt.date]:
    """The last data day of every loaded file of the source (files starting after as_of are
    left out)."""
    log_dir = raw_dir / LOAD_LOG
    if not any(log_dir.glob("*.parquet")):
        return []
    pattern = str(log_dir / "*.parquet").replace("'", "''")
    after = "" if as_of is None else f"and first_date <= date '{as_of.isoformat()}'"
    names = _load_log_names(source)
    with duckdb.connect() as con:
        rows = con.execute(
            f"select last_date from read_parquet('{pattern}', union_by_name = true) "
            f"where source in ({', '.join('?' for _ in names)}) and status = 'loaded' "
            f"and last_date is not null {after}",
            names,
        ).fetchall()
    return [day for (day,) in rows]


def check_freshness(
    raw_dir: Path,
    source: str,
    settings: FreshnessSettings,
    as_of: dt.date,
    kpis: Sequence[str] = (),
) -> FreshnessOutcome:
    """The freshness verdict on a landing source, from its load log."""
    return judge_freshness(delivery_days(raw_dir, source, as_of), as_of, settings, source, kpis)
