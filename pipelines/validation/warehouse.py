"""Validate every KPI from the built tables, the raw layer's load log and the definitions."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from pathlib import Path
from typing import Any

import duckdb

from pipelines.kpis.facts import Fact, load_fact_catalog
from pipelines.kpis.models import Frequency, KpiDefinition, Portfolio
from pipelines.validation.achievability import assess_achievability, value_bounds
from pipelines.validation.measurability import (
    MIN_COMPLETE_SHARE,
    Delivery,
    PeriodValue,
    assess_measurability,
)
from pipelines.validation.periods import next_start, period_start
from pipelines.validation.sources import source_label, source_raw_tables
from pipelines.validation.verdicts import KpiValidation, Measurability, MeasurabilityVerdict

FREQUENCY_ORDER = [Frequency.daily, Frequency.weekly, Frequency.monthly, Frequency.quarterly]


def _columns(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> set[str]:
    rows = con.execute(
        "select column_name from information_schema.columns "
        "where table_schema = ? and table_name = ?",
        [schema, table],
    ).fetchall()
    return {row[0] for row in rows}


def read_deliveries(raw_dir: Path | None) -> list[dict[str, Any]] | None:
    """The load log's loaded files (None when there is no load log to read)."""
    if raw_dir is None:
        return None
    folder = raw_dir / "load_log"
    if not any(folder.glob("*.parquet")):
        return None
    pattern = str(folder / "*.parquet").replace("'", "''")
    with duckdb.connect() as con:
        cursor = con.execute(
            "select raw_table, first_date, last_date, rows_loaded "
            f"from read_parquet('{pattern}', union_by_name = true) where status = 'loaded'"
        )
        return [
            {"raw_tables": set((table or "").split(",")), "first": a, "last": b, "rows": r}
            for table, a, b, r in cursor.fetchall()
        ]


def warehouse_as_of(con: duckdb.DuckDBPyConnection) -> dt.date | None:
    try:
        row = con.execute("select max(as_of) from bi.about").fetchone()
    except duckdb.Error:
        return None
    return row[0].date() if row and row[0] else None


def _sources_of(kpi: KpiDefinition, portfolio: Portfolio, facts: dict[str, Fact]) -> list[str]:
    """The sources of the KPI's facts (two for a ratio of two facts; a growth KPI: its base's)."""
    seen: set[str] = set()
    while not kpi.facts and kpi.id not in seen:  # a growth KPI reads another KPI's source
        seen.add(kpi.id)
        base = portfolio.kpi(getattr(kpi.computation, "of", ""))
        if base is None:
            return []
        kpi = base
    return list(dict.fromkeys(facts[name].source for name in kpi.facts if name in facts))


def review_warning(kpi: KpiDefinition) -> str | None:
    review = kpi.review_frequency
    if FREQUENCY_ORDER.index(review) < FREQUENCY_ORDER.index(kpi.frequency):
        return (
            f"reported {review.value} but measured {kpi.frequency.value}: most reviews would "
            f"show no new value; set reporting_frequency to {kpi.frequency.value} or coarser"
        )
    return None


def validate_portfolio(
    con: duckdb.DuckDBPyConnection,
    portfolio: Portfolio,
    *,
    raw_dir: Path | None,
    as_of: dt.date | None = None,
    recent_periods: int | None = None,
    min_complete_share: float = MIN_COMPLETE_SHARE,
    kpi_ids: list[str] | None = None,
    min_history: int | None = None,
) -> list[KpiValidation]:
    """The verdicts of every KPI (or of `kpi_ids`), in the portfolio's order."""
    as_of = as_of or warehouse_as_of(con) or dt.date.today()
    periods: dict[str, list[PeriodValue]] = defaultdict(list)
    for kpi_id, start, complete, value, rows in con.execute(
        "select kpi_id, period_start, is_complete, value, source_rows "
        "from marts.fct_kpi_values order by kpi_id, period_start"
    ).fetchall():
        periods[kpi_id].append(PeriodValue(start, bool(complete), value, int(rows or 0)))
    held: dict[str, tuple[str | None, dt.date | None]] = {}
    if {"held_reason", "held_since"} <= _columns(con, "marts", "kpi_scorecard"):
        for kpi_id, reason, since in con.execute(
            "select kpi_id, held_reason, held_since from marts.kpi_scorecard "
            "where held_reason is not null"
        ).fetchall():
            held[kpi_id] = (reason, since)
    deliveries = read_deliveries(raw_dir)
    facts = load_fact_catalog()
    tables_of = source_raw_tables()
    results = []
    for kpi in portfolio.kpis:
        if kpi_ids and kpi.id not in kpi_ids:
            continue
        reason, since = held.get(kpi.id, (None, None))
        # A KPI reading two facts is measurable only when each of their sources is.
        verdicts = []
        for source in _sources_of(kpi, portfolio, facts) or ["unknown"]:
            source_tables = tables_of.get(source, set())
            source_deliveries = (
                None
                if deliveries is None
                else [
                    Delivery(d["first"], d["last"], int(d["rows"] or 0))
                    for d in deliveries
                    if d["raw_tables"] & source_tables and (d["last"] is None or d["last"] <= as_of)
                ]
            )
            verdicts.append(
                assess_measurability(
                    frequency=kpi.frequency,
                    source_label=source_label(source),
                    periods=periods.get(kpi.id, []),
                    deliveries=source_deliveries,
                    as_of=as_of,
                    recent_periods=recent_periods,
                    min_complete_share=min_complete_share,
                    held_reason=reason,
                    held_since=since,
                )
            )
        failing = [v for v in verdicts if v.verdict == Measurability.not_measurable]
        chosen = failing[0] if failing else verdicts[0]
        measurability = MeasurabilityVerdict(
            chosen.verdict,
            list(
                dict.fromkeys(
                    r
                    for v in [chosen, *(v for v in verdicts if v is not chosen)]
                    for r in v.reasons
                )
            ),
            chosen.figures,
        )
        history = [
            (p.period_start, p.value)
            for p in periods.get(kpi.id, [])
            if p.is_complete
            and p.value is not None
            and next_start(p.period_start, kpi.frequency) <= as_of  # ended by the as-of day
        ]
        computation = kpi.computation
        achievability = assess_achievability(
            history,
            target=kpi.target.for_period(period_start(kpi.deadline, kpi.frequency))
            if kpi.target and kpi.deadline
            else (kpi.target.value if kpi.target else None),
            deadline=kpi.deadline,
            direction=kpi.direction,
            frequency=kpi.frequency,
            unit=kpi.unit,
            bounds=value_bounds(kpi.unit, computation.type, getattr(computation, "scale", 1.0)),
            min_history=min_history,
        )
        warning = review_warning(kpi)
        results.append(
            KpiValidation(kpi.id, measurability, achievability, [warning] if warning else [])
        )
    return results
