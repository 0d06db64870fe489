"""validate_portfolio reads a warehouse made by hand: KPI periods, the load log, held KPIs.

No dbt run: a DuckDB file with just the tables the validation reads, so each figure below
follows from the rows written here.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import pyarrow as pa

from pipelines.ingest.raw_store import LOAD_LOG_SCHEMA, write_parquet_atomically
from pipelines.kpis.loader import load_portfolio
from pipelines.settings import DEFAULT_KPI_DEFINITIONS_DIR
from pipelines.validation.warehouse import validate_portfolio

AS_OF = dt.date(2026, 10, 5)


def _warehouse(tmp_path: Path, *, held: bool) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(str(tmp_path / "kpi.duckdb"))
    con.execute("create schema marts; create schema bi")
    con.execute(
        "create table marts.fct_kpi_values (kpi_id varchar, period_start date, "
        "is_complete boolean, value double, source_rows bigint)"
    )
    weeks = [dt.date(2026, 6, 1) + dt.timedelta(weeks=i) for i in range(18)]  # to 09-28
    rows = [("sea_roas", w, True, 5.0 + 0.1 * i, 14) for i, w in enumerate(weeks)]
    rows += [("seo_organic_sessions", dt.date(2026, m, 1), True, 1000.0 * m, 30) for m in (8, 9)]
    rows += [("seo_organic_sessions_growth", dt.date(2026, 9, 1), True, 12.5, 30)]
    con.executemany("insert into marts.fct_kpi_values values (?, ?, ?, ?, ?)", rows)
    columns = "kpi_id varchar" + (", held_reason varchar, held_since date" if held else "")
    con.execute(f"create table marts.kpi_scorecard ({columns})")
    if held:
        con.execute(
            "insert into marts.kpi_scorecard values "
            "('sea_roas', 'volume check failed on google_ads_campaign_days', '2026-10-02'), "
            "('sea_cpa', null, null)"
        )
    con.execute("create table bi.about as select timestamp '2026-10-05 00:00' as as_of")
    return con


def _load_log(raw: Path) -> None:
    """Google Ads: one file a week (newest days 06-07 .. 10-04); GA4: two monthly files."""
    records = [
        {"source": "google_ads", "raw_table": "google_ads_campaign_days",
         "first_date": dt.date(2026, 6, 1) + dt.timedelta(weeks=i),
         "last_date": dt.date(2026, 6, 7) + dt.timedelta(weeks=i), "rows_loaded": 14}
        for i in range(18)
    ] + [
        {"source": "ga4", "raw_table": "ga4_channel_days", "first_date": dt.date(2026, m, 1),
         "last_date": dt.date(2026, m, 31 if m == 8 else 30), "rows_loaded": 60}
        for m in (8, 9)
    ]  # fmt: skip
    for i, record in enumerate(records):
        full = {name: None for name in LOAD_LOG_SCHEMA.names} | record
        full |= {"load_id": str(i), "file_hash": f"h{i}", "status": "loaded"}
        table = pa.Table.from_pylist([full], schema=LOAD_LOG_SCHEMA)
        write_parquet_atomically(table, raw / "load_log" / f"h{i}.parquet")
    refused = {name: None for name in LOAD_LOG_SCHEMA.names} | {
        "source": "surveys", "raw_table": "survey_responses", "status": "refused",
        "load_id": "r", "file_hash": "r", "rows_loaded": 0,
    }  # fmt: skip
    write_parquet_atomically(
        pa.Table.from_pylist([refused], schema=LOAD_LOG_SCHEMA), raw / "load_log" / "r.parquet"
    )


def _validate(tmp_path: Path, *, held: bool, **options):
    raw = tmp_path / "raw"
    _load_log(raw)
    portfolio = load_portfolio(DEFAULT_KPI_DEFINITIONS_DIR)
    with _warehouse(tmp_path, held=held) as con:
        results = validate_portfolio(con, portfolio, raw_dir=raw, **options)
    return {result.kpi_id: result for result in results}


def test_weekly_deliveries_with_every_recent_week_are_measurable(tmp_path):
    roas = _validate(tmp_path, held=False, kpi_ids=["sea_roas"])["sea_roas"]
    assert roas.measurability.verdict.value == "measurable"
    assert roas.measurability.figures["days_between_deliveries"] == 7
    # 18 weekly values 5.0 .. 6.7 (+0.1 a week); the target 6.0 is met by the latest 6.7
    assert roas.achievability.verdict.value == "plausible"
    assert roas.achievability.pace.value == "reached"


def test_a_held_kpi_reads_its_reason_from_the_scorecard(tmp_path):
    results = _validate(tmp_path, held=True, as_of=AS_OF)
    roas = results["sea_roas"]
    assert roas.measurability.verdict.value == "not_measurable"
    assert "held: volume check failed on google_ads_campaign_days since 2026-10-02" in (
        roas.reasons
    )
    assert results["sea_cpa"].measurability.figures["source_rows"] == 0  # no rows written


def test_sources_growth_kpis_and_refused_files(tmp_path):
    results = _validate(tmp_path, held=False)
    # the growth KPI reads the GA4 sessions' source: two monthly files, 31 and 30 days apart
    growth = results["seo_organic_sessions_growth"].measurability
    assert growth.figures["days_between_deliveries"] == 30
    assert growth.figures["rows_delivered"] == 120
    # the only survey file was refused: nothing was delivered
    assert results["cs_nps"].reasons[0] == "no survey exports have been loaded"
    # Zendesk has neither a load-log row nor KPI periods
    assert (
        results["cs_replied_within_24h"].reasons[0] == "no Zendesk ticket exports have been loaded"
    )


def test_an_earlier_as_of_day_judges_only_the_periods_ended_by_then(tmp_path):
    roas = _validate(tmp_path, held=False, as_of=dt.date(2026, 8, 3))["sea_roas"]
    # weeks of 06-01 .. 07-27 ended by 08-03: 9 values, the latest 5.0 + 0.8
    assert roas.achievability.figures["periods"] == 9
    assert roas.achievability.figures["latest"] == 5.8
    assert roas.achievability.pace.value != "reached"  # 5.8 is short of the target 6.0
    assert roas.measurability.verdict.value == "measurable"
    # only files whose newest day is on or before 08-03 count: 06-07 .. 08-02, 9 of 14 rows
    assert roas.measurability.figures["rows_delivered"] == 9 * 14
