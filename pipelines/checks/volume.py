"""Volume check: does the latest complete day of a raw table hold about as many rows as usual?

A detector in the style of the monitoring tools' volume anomaly tests (Elementary's
`volume_anomalies`): the expected volume of a day comes from the source's own history, and a day
fails only when it is a clear drop. Settings per source come from `volume:` in
config/ingestion.yml (`VolumeSettings` in pipelines/ingest/options.py).

Public functions (all as-of aware: the as-of date is an argument, never the wall clock):

* `check_volume(raw_dir, table, settings, as_of, timezone, landing_dir=None) -> VolumeOutcome` --
  what the blocking Dagster check `volume_within_expected_range` reports: reads the daily counts
  (latest delivery per day) and the partial days of `raw.<table>` and calls `judge_volume`.
* `judge_volume(counts, as_of, settings, partial=frozenset(), table="", tail=None)
  -> VolumeOutcome` -- the detector itself on daily row counts (`{day: rows}`); the backtest
  (benchmarks/volume_backtest.py) calls it directly. `tail` (a `TailEvidence`) adds the cut-off
  test for tables whose rows carry a time.
* `judged_day(counts, as_of, partial) -> date | None` -- which day the check judges.
* `partial_days(raw_dir, table, timezone, landing_dir=None, as_of=None) -> list[PartialDay]` --
  every (table, day) whose latest delivery was exported before that day ended in the reporting
  time zone: its rows are a partial count, so periods containing it are incomplete.
* `is_partial_day(day, exported_at) -> bool` -- the rule itself (`exported_at` local, naive).
* `tail_evidence(raw_dir, table, day, training_days) -> TailEvidence | None` -- the last row time
  of a day and the rows earlier days had after that time (orders, tickets).

`VolumeOutcome.verdict` is one of `ok`, `drop`, `cut_off` (both fail), `spike`, `not_judged`,
`no_data` (pass); `message` says the observed rows, the expected volume and how it was computed,
the range and why.

How a day is judged:

1. Days after the as-of date are ignored. The judged day is the latest day with rows; when that
   day is partial (its export was pulled before the day ended), it is reported as "partial last
   day" and never fails, and the day before it is judged instead.
2. Training set: the `training_days` days before the judged day (days without rows count 0,
   partial days and days before the first row are left out). With fewer than
   `min_training_days` the day is "not judged: only N days of history".
3. Model: a multiplicative decomposition, count = level x weekday factor x noise (the classical
   decomposition behind Prophet-like tools). Weekday factors: each day's share of its week (its
   count over the mean of its 7-day block, blocks counted back from the day before the judged
   day; a block has each weekday once, so its mean carries no weekday effect and follows a slow
   trend such as a yearly season), the median share per weekday over up to `SEASON_WEEKS` (8)
   complete weeks -- training days and the history before them; weeks with a partial day or an
   earlier drop are skipped -- normalised to average 1. Eight weeks because four give a factor
   with a standard error of about half the daily noise (a tickets export varying +-30 % a day
   cannot show a 5 % Monday effect in four samples); the median so that one incident in those
   weeks does not move a factor.
   How much of the measured weekday effect is used (`seasonality: auto`): all of it when the
   training set has at least 3 of each weekday and the one-way analysis of variance of the raw
   counts by weekday gives F >= `SEASONALITY_F` (4.0, about p = 0.01 for four weeks; or no
   variance within the weekdays at all); otherwise, with at least 3 complete weeks, the share
   1 - 1/F, F from the weekly shares grouped by weekday (partial pooling, empirical Bayes: the
   part of the between-weekday variance that is not noise -- a clear pattern counts in full, a
   faint one a little, one within chance (F <= 1) not at all). `day_of_week` uses all of it,
   `none` none.
4. Earlier drops are left out of the training set: days below the lower bound (step 6) computed
   robustly on the counts divided by their weekday factors, from their median and 1.4826 times
   the median absolute deviation, at most `MAX_LEFT_OUT` (3) of them -- more is a change of
   level. (The factors and level are then fitted again without them.)
5. Expected volume = local level x the judged day's weekday factor. Local level: the mean of the
   last `LEVEL_DAYS` (7) deseasonalised training days -- one week, so the level follows the
   yearly season (the mean of 28 days lags a rising season by two weeks) and every weekday counts
   once. Spread: the root mean square of the one-step-ahead errors of that level over the
   training days (each deseasonalised day minus the mean of the 7 before it, so the error of
   estimating the level is in it), times the weekday factor, combined (variances added) with
   the level times the factor's standard error (1.2533 x standard deviation of its shares over
   sqrt(weeks), the standard error of a median) -- never less than the square root of the
   expected volume: small daily counts vary like a Poisson count, so a desk with 2 to 7 tickets
   a day is never judged on a spread of 1. Steady lists (campaigns, channels, queries listed
   every day: median at least `ENTITY_MIN_ROWS` (6), squared scaled median absolute deviation
   under `ENTITY_MAX_DISPERSION` (5 %) of the median) get no such floor.
6. The day fails ("drop") when it is below the lower bound
   `min(expected - sensitivity * spread, expected * (1 - min_drop_share))`: a drop must be both
   unlikely (`sensitivity` standard deviations, default 3) and material (default at least 25 %).
   Counts of events whose expected volume is below `min_expected_rows` (default 10 rows a day) are
   "not judged: expected volume below minimum" -- below about 10 a day, even no rows at all is
   within 3 Poisson standard deviations. Spikes never fail; they are reported in the message.
7. Cut off mid-way ("cut_off"): with `tail`, a day within range whose last row is at a time after
   which the training days had on average at least `min_missing_tail_rows` (20) rows fails: the
   file ends early. (A download pulled mid-day is a partial last day and never gets here.)
"""

from __future__ import annotations

import datetime as dt
import math
import statistics
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo

import duckdb

from pipelines.ingest.options import VolumeSettings
from pipelines.ingest.sources import RAW_TABLES, SOURCE_OF_TABLE

# From the source declarations (`RawTable.day`, `volume_checked`, `row_time`):
# volume-checked raw table -> SQL expression of the day a row belongs to (local reporting time)
DATE_EXPRESSIONS: dict[str, str] = {
    t.name: t.day for t in RAW_TABLES.values() if t.volume_checked and t.day is not None
}
# volume-checked raw table -> its source (whose `volume:` settings apply)
TABLE_SOURCES: dict[str, str] = {table: SOURCE_OF_TABLE[table].name for table in DATE_EXPRESSIONS}
# raw tables whose rows carry a creation time (local): a cut-off file shows as an empty end of day
TIME_COLUMNS: dict[str, str] = {
    t.name: t.row_time for t in RAW_TABLES.values() if t.volume_checked and t.row_time
}
SEASONALITY_F = 4.0
ENTITY_MIN_ROWS = 6
ENTITY_MAX_DISPERSION = 0.05  # variance / mean below this: entities listed daily, not events
MAX_LEFT_OUT = 3  # more drops than this in the training window: the level changed, keep them
MIN_SAME_WEEKDAYS = 3
SEASON_WEEKS = 8  # the weekday factors: from up to the last 8 complete weeks
LEVEL_DAYS = 7  # the local level: mean of the last week, deseasonalised
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


@dataclass(frozen=True)
class PartialDay:
    """A day whose latest delivery was exported before the day ended: its count is partial."""

    table: str
    day: dt.date
    rows: int
    exported_at: dt.datetime  # local reporting time, naive
    source_file: str


@dataclass(frozen=True)
class VolumeOutcome:
    """The verdict on one table. `verdict` is one of: ok, drop, spike, not_judged, no_data."""

    passed: bool
    verdict: str
    message: str
    judged_day: dt.date | None = None
    observed: int = 0
    expected: float = 0.0
    lower_bound: float = 0.0
    upper_bound: float = 0.0
    seasonal: bool = False
    training_days: int = 0
    partial_day: dt.date | None = None
    details: dict[str, float] = field(default_factory=dict)


def is_partial_day(day: dt.date, exported_at: dt.datetime) -> bool:
    """A day is partial when its export was pulled before the day ended (local, naive times)."""
    return exported_at < dt.datetime.combine(day + dt.timedelta(days=1), dt.time())


def _weekday_f(groups: Mapping[int, list[int]]) -> float:
    """One-way ANOVA F of the counts grouped by weekday (inf: no variance within the weekdays)."""
    values = [v for g in groups.values() for v in g]
    grand = statistics.fmean(values)
    k, n = len(groups), len(values)
    if k < 2 or n <= k:
        return 0.0
    between = sum(len(g) * (statistics.fmean(g) - grand) ** 2 for g in groups.values()) / (k - 1)
    within = sum((v - statistics.fmean(g)) ** 2 for g in groups.values() for v in g) / (n - k)
    if within == 0:
        return math.inf if between > 0 else 0.0
    return between / within


def _use_seasonality(training: Mapping[dt.date, int], settings: VolumeSettings) -> bool:
    if settings.seasonality == "none":
        return False
    groups: dict[int, list[int]] = {}
    for day, rows in training.items():
        groups.setdefault(day.weekday(), []).append(rows)
    enough = len(groups) == 7 and all(len(g) >= MIN_SAME_WEEKDAYS for g in groups.values())
    if settings.seasonality == "day_of_week":
        return len(groups) == 7 and all(len(g) >= 2 for g in groups.values())
    return enough and _weekday_f(groups) >= SEASONALITY_F


@dataclass(frozen=True)
class _Fit:
    """A multiplicative decomposition of the training days: count = level x weekday factor x
    noise (classical decomposition, as Prophet-like tools do it). `factors` are the weekday
    factors (all 1 without seasonality), `level` the local level of the deseasonalised series
    (mean of its last `LEVEL_DAYS` days, so it follows a slow trend such as a yearly season) and
    `spread` the root mean square of the one-step-ahead errors of that level on the training
    days (deseasonalised units): how far a day falls from the level the days before it gave."""

    factors: dict[int, float]
    level: float
    spread: float
    seasonal: bool
    factor_weeks: int = 0
    weight: float = 0.0
    factor_errors: dict[int, float] = field(default_factory=dict)

    def at(self, day: dt.date) -> float:
        return self.level * self.factors[day.weekday()]

    def spread_at(self, day: dt.date) -> float:
        """The day's prediction error: the noise around the level, and the uncertainty of its
        weekday factor (estimated from a few weeks), added as variances."""
        weekday = day.weekday()
        noise = self.spread * self.factors[weekday]
        return math.hypot(noise, self.level * self.factor_errors.get(weekday, 0.0))


def _weekday_factors(
    history: Mapping[dt.date, int], last: dt.date
) -> tuple[dict[int, float], int, float, dict[int, float]]:
    """Each weekday's factor: the mean, over the complete 7-day blocks of the training days
    (counted back from the last one), of its count divided by its block's mean, normalised to
    average 1. A block holds each weekday once, so its mean carries no weekday effect and follows
    a slow trend; dividing by it keeps the trend out of the factors (a plain weekday mean over
    overall mean would credit a rising season to the later weekdays)."""
    ratios: dict[int, list[float]] = {}
    weeks = 0
    for week in range(SEASON_WEEKS):
        block = [last - dt.timedelta(days=7 * week + i) for i in range(7)]
        if not all(d in history for d in block):
            continue  # a week with a partial day or an earlier drop left out
        mean = statistics.fmean(history[d] for d in block)
        if mean > 0:  # a week without rows has no shares
            weeks += 1
            for d in block:
                ratios.setdefault(d.weekday(), []).append(history[d] / mean)
    if len(ratios) < 7 or weeks < 2:
        return {w: 1.0 for w in range(7)}, 0, 0.0, {w: 0.0 for w in range(7)}
    # the median share: one odd week (an incident before the training days) does not move it
    raw = {w: statistics.median(values) for w, values in ratios.items()}
    norm = statistics.fmean(raw.values())
    if norm <= 0:  # sparse rows: most weekdays of most weeks are empty, no pattern to measure
        return {w: 1.0 for w in range(7)}, 0, 0.0, {w: 0.0 for w in range(7)}
    # standard error of a median share: 1.2533 x standard deviation / sqrt(weeks)
    errors = {w: 1.2533 * statistics.stdev(v) / math.sqrt(len(v)) / norm for w, v in ratios.items()}
    return {w: value / norm for w, value in raw.items()}, weeks, _weekday_f(ratios), errors


def _fit(
    training: Mapping[dt.date, int],
    weight: float = 0.0,
    history: Mapping[dt.date, int] | None = None,
) -> _Fit:
    """`weight`: the share of the measured weekday effect used (0: none, 1: all of it)."""
    weeks = 0
    factors = {w: 1.0 for w in range(7)}
    factor_errors = {w: 0.0 for w in range(7)}
    if weight > 0:
        measured, weeks, _, errors = _weekday_factors(history or training, max(training))
        factors = {w: 1 + weight * (f - 1) for w, f in measured.items()}
        factor_errors = {w: weight * e for w, e in errors.items()}
    seasonal = weeks > 0 and weight > 0
    factors = factors if seasonal else {w: 1.0 for w in range(7)}
    days = sorted(training)
    level_of = [training[d] / factors[d.weekday()] if factors[d.weekday()] else 0.0 for d in days]
    level = statistics.fmean(level_of[-LEVEL_DAYS:])
    errors = [
        level_of[i] - statistics.fmean(level_of[i - LEVEL_DAYS : i])
        for i in range(LEVEL_DAYS, len(days))
    ]
    if len(errors) >= 2:
        spread = math.sqrt(statistics.fmean(e * e for e in errors))
    else:
        spread = statistics.stdev(level_of) if len(level_of) >= 2 else 0.0
    if not seasonal:
        factor_errors = {w: 0.0 for w in range(7)}
    return _Fit(factors, level, spread, seasonal, weeks, weight if seasonal else 0.0, factor_errors)


@dataclass(frozen=True)
class TailEvidence:
    """For tables with row times: when the judged day's last row was created (local time of
    day), and how many rows each earlier day had after that time of day."""

    last_row_at: dt.time
    rows_after: Mapping[dt.date, int]


def judged_day(
    counts: Mapping[dt.date, int], as_of: dt.date, partial: frozenset[dt.date] | set[dt.date]
) -> dt.date | None:
    """The day the check judges: the latest day with rows on or before as_of, or the day before
    it when that day is partial; None without rows."""
    days = [d for d, r in counts.items() if d <= as_of and r > 0]
    if not days:
        return None
    last = max(days)
    return last - dt.timedelta(days=1) if last in partial else last


def _without_drops(
    training: Mapping[dt.date, int],
    factors: Mapping[int, float],
    entities: bool,
    settings: VolumeSettings,
) -> dict[dt.date, int]:
    """The training days that are not drops themselves, judged robustly on the deseasonalised
    counts (each divided by its weekday factor): against their median and the scaled median
    absolute deviation around it, so that the drops being looked for do not widen the spread
    they are judged with (weekday groups of 4 days would give medians too noisy to judge by)."""
    adjusted = {
        d: r / factors[d.weekday()] if factors[d.weekday()] else 0.0 for d, r in training.items()
    }
    median = statistics.median(adjusted.values())
    deviation = 1.4826 * statistics.median(abs(r - median) for r in adjusted.values())
    lower = _lower(median, _floored(deviation, median, entities), settings)
    return {d: training[d] for d, r in adjusted.items() if r >= lower}


def _floored(spread: float, expected: float, entities: bool) -> float:
    """Counts of events vary at least like a Poisson count: sqrt(expected)."""
    return spread if entities else max(spread, math.sqrt(expected))


def _lower(expected: float, spread: float, settings: VolumeSettings) -> float:
    drop = expected * (1 - settings.min_drop_share)
    return max(0.0, min(expected - settings.sensitivity * spread, drop))


def judge_volume(
    counts: Mapping[dt.date, int],
    as_of: dt.date,
    settings: VolumeSettings,
    partial: frozenset[dt.date] | set[dt.date] = frozenset(),
    table: str = "",
    tail: TailEvidence | None = None,
) -> VolumeOutcome:
    """Judge the latest complete day of daily row counts (`{day: rows}`, latest delivery a day).

    `tail` (optional, tables with row times): the judged day's last row time and the rows of
    earlier days after that time of day; a complete day with no rows in a part of the day that
    usually holds at least `min_missing_tail_rows` is a file cut off mid-way.
    """
    name = f"raw.{table}" if table else "the source"
    days = {d: r for d, r in counts.items() if d <= as_of}
    judged = judged_day(days, as_of, partial)
    if judged is None:
        return VolumeOutcome(True, "no_data", f"{name}: no rows on or before {as_of} yet")
    first = min(d for d, r in days.items() if r > 0)
    last = max(d for d, r in days.items() if r > 0)
    partial_note = ""
    partial_day = None
    if last in partial:
        partial_day = last
        partial_note = (
            f"partial last day {last}: {days[last]:,} rows so far (the export was pulled before "
            "the day ended), not a drop; "
        )
    if judged < first:
        return VolumeOutcome(
            True,
            "not_judged",
            f"{name}: {partial_note}not judged: no complete day yet",
            partial_day=partial_day,
        )
    window_start = max(first, judged - dt.timedelta(days=settings.training_days))
    training = {
        window_start + dt.timedelta(days=i): days.get(window_start + dt.timedelta(days=i), 0)
        for i in range((judged - window_start).days)
    }
    training = {d: r for d, r in training.items() if d not in partial}
    observed = days.get(judged, 0)
    label = f"{judged} ({WEEKDAYS[judged.weekday()]})"
    if len(training) < settings.min_training_days:
        return VolumeOutcome(
            True,
            "not_judged",
            f"{name}: {partial_note}{observed:,} rows on {label}; not judged: only "
            f"{len(training)} days of history (needs {settings.min_training_days})",
            judged_day=judged,
            observed=observed,
            training_days=len(training),
            partial_day=partial_day,
        )
    # The weekday pattern is measured on up to SEASON_WEEKS weeks before the judged day (the
    # training days and the history before them), as each day's share of its week.
    season_start = max(first, judged - dt.timedelta(days=7 * SEASON_WEEKS))
    history = {
        season_start + dt.timedelta(days=i): days.get(season_start + dt.timedelta(days=i), 0)
        for i in range((judged - season_start).days)
    }
    history = {d: r for d, r in history.items() if d not in partial}
    _, weeks, ratio_f, _ = _weekday_factors(history, judged - dt.timedelta(days=1))
    if settings.seasonality == "none":
        weight = 0.0
    elif settings.seasonality == "day_of_week" or _use_seasonality(training, settings):
        weight = 1.0
    elif weeks >= MIN_SAME_WEEKDAYS and ratio_f > 1:
        # Partial pooling (empirical Bayes): of the weekday effect measured, the share that is
        # not noise, 1 - 1/F -- all of a clear pattern, little of a faint one, none below chance.
        weight = 1 - 1 / ratio_f
    else:
        weight = 0.0
    seasonal = weight >= 1 - 1 / SEASONALITY_F  # weekday groups for finding earlier drops
    fit = _fit(training, weight, history)
    # Rows that vary far less than a count of events would are entities listed every day --
    # campaigns, channels, queries: no Poisson floor, and judged whatever their number. Robust
    # to an earlier incident: median level at least ENTITY_MIN_ROWS, and the squared scaled
    # median absolute deviation under ENTITY_MAX_DISPERSION of it.
    level = statistics.median(training.values())
    deviation = 1.4826 * statistics.median(abs(r - level) for r in training.values())
    entities = level >= ENTITY_MIN_ROWS and deviation**2 < level * ENTITY_MAX_DISPERSION
    # Past drops (days that would have failed themselves) are left out of the training set, so
    # one incident does not widen the expected range for the next weeks; more than MAX_LEFT_OUT
    # of them is a change of level, and they stay.
    kept = _without_drops(training, fit.factors, entities, settings)
    left_out = len(training) - len(kept)
    if 0 < left_out <= MAX_LEFT_OUT and len(kept) >= settings.min_training_days:
        history = {d: r for d, r in history.items() if d in kept or d not in training}
        training = kept
        fit = _fit(training, weight, history)
    else:
        left_out = 0
    seasonal = fit.seasonal
    expected = fit.at(judged)
    level = f"level {fit.level:,.1f} (mean of the last {min(LEVEL_DAYS, len(training))} days"
    if seasonal:
        factor = fit.factors[judged.weekday()]
        basis = (
            f"{level}, weekday-adjusted) x {WEEKDAYS[judged.weekday()]} factor {factor:.3f} "
            f"(weekday pattern from {fit.factor_weeks} weeks, "
            f"{'all' if fit.weight >= 1 else f'{fit.weight:.0%}'} of it used)"
        )
    else:
        basis = f"{level})"
    basis += f" of {len(training)} training days"
    if left_out:
        basis += f", {left_out} earlier drop(s) left out"
    if entities:
        basis += "; rows vary far less than counts of events, so no count floor"
    spread = _floored(fit.spread_at(judged), expected, entities)
    lower = _lower(expected, spread, settings)
    upper = expected + settings.sensitivity * spread
    common = {
        "judged_day": judged,
        "observed": observed,
        "expected": expected,
        "lower_bound": lower,
        "upper_bound": upper,
        "seasonal": seasonal,
        "training_days": len(training),
        "partial_day": partial_day,
        "details": {"spread": spread},
    }
    described = (
        f"{name}: {partial_note}{observed:,} rows on {label}; expected {expected:,.1f} "
        f"({basis}, spread {spread:,.1f})"
    )
    if expected < settings.min_expected_rows and not entities:
        return VolumeOutcome(
            True,
            "not_judged",
            f"{described}; not judged: expected volume below minimum "
            f"({settings.min_expected_rows:g} rows a day)",
            **common,
        )
    if observed < lower:
        return VolumeOutcome(
            False,
            "drop",
            f"{described}; expected range at least {lower:,.1f}: below it "
            f"({observed / expected:.0%} of expected, more than {settings.sensitivity:g} "
            "standard deviations and the minimum drop); KPIs are not rebuilt until the "
            "delivery is complete (re-deliver the file)",
            **common,
        )
    if tail is not None:
        missing = statistics.fmean(tail.rows_after.get(d, 0) for d in training)
        common["details"] = {**common["details"], "usual_rows_after_last_row": missing}
        if missing >= settings.min_missing_tail_rows:
            return VolumeOutcome(
                False,
                "cut_off",
                f"{described}; its last row is at {tail.last_row_at:%H:%M}, but the training "
                f"days had {missing:,.1f} rows a day after that time: the delivery looks cut "
                "off mid-way (re-deliver the file); KPIs are not rebuilt until it is complete",
                **common,
            )
    if settings.report_spikes and observed > upper:
        return VolumeOutcome(
            True,
            "spike",
            f"{described}; above the expected range (at most {upper:,.1f}): a spike, reported only",
            **common,
        )
    return VolumeOutcome(
        True, "ok", f"{described}; expected range at least {lower:,.1f}: within it", **common
    )


def _quoted_pattern(raw_dir: Path, table: str) -> str:
    return str(raw_dir / table / "*.parquet").replace("'", "''")


def _latest_deliveries(
    raw_dir: Path, table: str, as_of: dt.date | None
) -> list[tuple[dt.date, int, dt.datetime, str]]:
    """(day, rows, loaded_at UTC, source file) of the latest delivery of each day, by day."""
    day = DATE_EXPRESSIONS[table]
    until = "" if as_of is None else f"and day <= date '{as_of.isoformat()}'"
    source = f"read_parquet('{_quoted_pattern(raw_dir, table)}', union_by_name = true)"
    with duckdb.connect() as con:
        columns = {name for name, *_ in con.execute(f"describe select * from {source}").fetchall()}
        file_column = "_source_file" if "_source_file" in columns else "''"
        return con.execute(
            f"""
            with delivered as (
                select {day} as day, _loaded_at, {file_column} as _source_file,
                       max(_loaded_at) over (partition by {day}) as latest_load
                from {source}
            )
            select day, count(*) as rows, max(_loaded_at), min(_source_file)
            from delivered
            where _loaded_at = latest_load and day is not null {until}
            group by day
            order by day
            """
        ).fetchall()


def _exported_at(
    loaded_at_utc: dt.datetime, source_file: str, zone: ZoneInfo, landing_dir: Path | None
) -> dt.datetime:
    """When the export was pulled, local: the landing file's modification time when the file is
    still there (a download's mtime is its download time), capped by the load time."""
    moment = loaded_at_utc.replace(tzinfo=dt.UTC)
    if landing_dir is not None and source_file:
        try:
            mtime = (landing_dir / source_file).stat().st_mtime
        except OSError:
            mtime = None
        if mtime is not None:
            moment = min(moment, dt.datetime.fromtimestamp(mtime, dt.UTC))
    return moment.astimezone(zone).replace(tzinfo=None)


def _partial(
    table: str,
    deliveries: list[tuple[dt.date, int, dt.datetime, str]],
    timezone: str,
    landing_dir: Path | None,
) -> list[PartialDay]:
    zone = ZoneInfo(timezone)
    exports: dict[tuple[dt.datetime, str], dt.datetime] = {}
    found = []
    for day, rows, loaded_at, source_file in deliveries:
        key = (loaded_at, source_file)
        if key not in exports:
            exports[key] = _exported_at(loaded_at, source_file, zone, landing_dir)
        if is_partial_day(day, exports[key]):
            found.append(PartialDay(table, day, rows, exports[key], source_file))
    return found


def partial_days(
    raw_dir: Path,
    table: str,
    timezone: str,
    landing_dir: Path | None = None,
    as_of: dt.date | None = None,
) -> list[PartialDay]:
    """Every day of `raw.<table>` whose latest delivery was exported before that day ended.

    The export time is the landing file's modification time (when the file is still in
    `landing_dir`), capped by the rows' `_loaded_at`, in the reporting time zone. Such a day's
    rows are a partial count: the KPI layer should treat its periods as incomplete, and the volume
    check does not judge it. A re-delivery exported after the day ended makes it complete again.
    Days after `as_of` are left out.
    """
    if not any((raw_dir / table).glob("*.parquet")):
        return []
    return _partial(table, _latest_deliveries(raw_dir, table, as_of), timezone, landing_dir)


def tail_evidence(
    raw_dir: Path, table: str, day: dt.date, training_days: int
) -> TailEvidence | None:
    """The last row time of `day` and the rows of the days before it after that time of day
    (latest delivery per day); None for tables without row times or a day without rows."""
    column = TIME_COLUMNS.get(table)
    if column is None:
        return None
    expression = DATE_EXPRESSIONS[table]
    first = day - dt.timedelta(days=training_days)
    latest = f"""
        with delivered as (
            select {expression} as day, {column} as created, _loaded_at,
                   max(_loaded_at) over (partition by {expression}) as latest_load
            from read_parquet('{_quoted_pattern(raw_dir, table)}', union_by_name = true)
            where {expression} between ? and ?
        )
        select day, cast(created as time) as time_of_day
        from delivered where _loaded_at = latest_load
    """
    with duckdb.connect() as con:
        found = con.execute(
            f"select max(time_of_day) from ({latest}) where day = ?", [first, day, day]
        ).fetchone()
        if found is None or found[0] is None:
            return None
        last_time = found[0]
        rows = con.execute(
            f"select day, count(*) filter (where time_of_day > ?) from ({latest}) "
            "where day < ? group by day",
            [last_time, first, day, day],
        ).fetchall()
    return TailEvidence(last_time, dict(rows))


def check_volume(
    raw_dir: Path,
    table: str,
    settings: VolumeSettings,
    as_of: dt.date,
    timezone: str,
    landing_dir: Path | None = None,
) -> VolumeOutcome:
    """The volume verdict on `raw.<table>` as of a day (latest delivery per day counts)."""
    if not any((raw_dir / table).glob("*.parquet")):
        return VolumeOutcome(True, "no_data", f"raw.{table}: no rows loaded yet")
    deliveries = _latest_deliveries(raw_dir, table, as_of)
    counts = {day: rows for day, rows, _, _ in deliveries}
    partial = frozenset(p.day for p in _partial(table, deliveries, timezone, landing_dir))
    day = judged_day(counts, as_of, partial)
    tail = None if day is None else tail_evidence(raw_dir, table, day, settings.training_days)
    return judge_volume(counts, as_of, settings, partial, table, tail)
