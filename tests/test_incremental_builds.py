"""Daily facts are rebuilt by day: a nightly run rebuilds only the days of new deliveries, a
backfill rebuilds exactly its window, and the result equals a clean build over the same files."""

from __future__ import annotations

import datetime as dt
import re
import shutil
from pathlib import Path

import duckdb
import pytest

from tests.conftest import FIXTURE_AS_OF, run_pipeline

pytestmark = pytest.mark.slow
D = dt.date
DAILY_FACTS = ("fct_ad_performance_daily", "fct_search_queries_daily", "fct_web_sessions_daily")
LINEAGE = ("loaded_through", "built_by_run")
WINDOW = (D(2026, 8, 31), D(2026, 9, 2))
LATE_DAY = D(2026, 9, 7)
# A late Google Ads delivery for one day already published: Brand now has 4 conversions for a
# cost of 50.00 on 09-07 (the first delivery said 1 conversion for 0.00).
LATE_FILE = (
    "Campaign report\n"
    '"September 7, 2026 - September 7, 2026"\n'
    "Day,Campaign,Campaign ID,Currency code,Impr.,Clicks,Cost,Conversions,Conv. value\n"
    "2026-09-07,Brand,111,EUR,200,20,50.00,4.00,400.00\n"
)


def fact_rows(warehouse: Path, fact: str) -> tuple[list[str], list[tuple]]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        cursor = con.execute(f"select * from marts.{fact} order by all")
        return [d[0] for d in cursor.description], cursor.fetchall()


def by_day(columns: list[str], rows: list[tuple]) -> dict[dt.date, list[dict]]:
    days: dict[dt.date, list[dict]] = {}
    for row in rows:
        record = dict(zip(columns, row, strict=True))
        days.setdefault(record["date_day"], []).append(record)
    return days


def without_lineage(records: list[dict]) -> list[dict]:
    return [{k: v for k, v in r.items() if k not in LINEAGE} for r in records]


def kpi_values(warehouse: Path) -> dict[tuple, tuple]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        rows = con.execute(
            "select kpi_id, period_start, value, numerator, denominator, target, status, "
            "is_complete, source_rows from marts.fct_kpi_values"
        ).fetchall()
    return {(r[0], r[1]): r[2:] for r in rows}


def kpi_lineage(warehouse: Path) -> dict[tuple, str]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        rows = con.execute(
            "select kpi_id, period_start, built_by_run from marts.fct_kpi_values"
        ).fetchall()
    return {(r[0], r[1]): r[2] for r in rows}


def kpi_model_rows(work_db: Path) -> dict[str, dict[dt.date, tuple]]:
    """Every incremental KPI model (those with a definition hash): period -> (grain, built_by_run,
    value, numerator, denominator, status, is_complete)."""
    with duckdb.connect(str(work_db), read_only=True) as con:
        models = [
            name
            for (name,) in con.execute(
                "select table_name from information_schema.columns "
                "where table_schema = 'kpis' and column_name = 'definition_hash'"
            ).fetchall()
        ]
        return {
            model: {
                row[0]: row[1:]
                for row in con.execute(
                    "select period_start, grain, built_by_run, value, numerator, denominator, "
                    f"status, is_complete from kpis.{model}"
                ).fetchall()
            }
            for model in models
        }


def period_start(grain: str, day: dt.date) -> dt.date:
    if grain == "weekly":
        return day - dt.timedelta(days=day.weekday())
    if grain == "monthly":
        return day.replace(day=1)
    if grain == "quarterly":
        return day.replace(month=(day.month - 1) // 3 * 3 + 1, day=1)
    return day


@pytest.fixture(scope="module")
def incremental(fixture_run, tmp_path_factory):
    """The fixture warehouse (copied), then a run with a late file and a 3-day backfill."""
    root = tmp_path_factory.mktemp("incremental")
    shutil.copytree(fixture_run.root, root, dirs_exist_ok=True)
    published = root / "published" / "kpi.duckdb"
    work_db = root / "work" / "kpi_work.duckdb"
    kpi_models_before = kpi_model_rows(work_db)
    before = {fact: fact_rows(published, fact) for fact in DAILY_FACTS}
    kpis_before = kpi_values(published)
    kpis_built_before = kpi_lineage(published)

    (root / "landing" / "google_ads" / "campaign_report_2026-09-07_late.csv").write_text(LATE_FILE)
    run = run_pipeline(
        root,
        root / "landing",
        FIXTURE_AS_OF,
        rebuild_from=WINDOW[0].isoformat(),
        rebuild_to=WINDOW[1].isoformat(),
    )
    assert run.result.success
    return {
        "root": root,
        "run": run,
        "before": before,
        "after": {fact: fact_rows(published, fact) for fact in DAILY_FACTS},
        "kpis_before": kpis_before,
        "kpis_after": kpi_values(published),
        "kpis_built_before": kpis_built_before,
        "kpis_built_after": kpi_lineage(published),
        "kpi_models_before": kpi_models_before,
        "kpi_models_after": kpi_model_rows(work_db),
        "fixture_run_id": fixture_run.result.run_id,
    }


def test_exactly_the_window_and_the_late_day_are_rebuilt(incremental):
    run_id = incremental["run"].result.run_id
    window_days = {WINDOW[0] + dt.timedelta(days=i) for i in range(3)}
    for fact in DAILY_FACTS:
        before = by_day(*incremental["before"][fact])
        after = by_day(*incremental["after"][fact])
        expected = window_days | ({LATE_DAY} if fact == "fct_ad_performance_daily" else set())
        rebuilt = {
            day for day, rows in after.items() if {r["built_by_run"] for r in rows} == {run_id}
        }
        assert rebuilt == expected & set(after), fact
        assert rebuilt, fact  # the fixture has rows in the window for every daily fact
        for day, rows in after.items():
            if day not in rebuilt:
                assert rows == before[day], (fact, day)  # untouched: not even its lineage
            elif day != LATE_DAY:
                assert without_lineage(rows) == without_lineage(before[day]), (fact, day)
        assert set(after) == set(before), fact


def test_late_day_changes_only_its_weeks_kpi_values(incremental):
    before, after = incremental["kpis_before"], incremental["kpis_after"]
    assert set(before) == set(after)
    week = D(2026, 9, 7)
    # Week of 09-07: 4 conversions (was 1) for 50.00 (was 0.00): CPA 12.5, ROAS 400 / 50 = 8.
    assert after[("sea_conversions", week)][0] == pytest.approx(4)
    assert before[("sea_conversions", week)][0] == pytest.approx(1)
    assert after[("sea_cpa", week)][0] == pytest.approx(12.5)
    assert after[("sea_roas", week)][0] == pytest.approx(8.0)
    # Google Ads is the only ad platform in the fixture: the blended ROAS is the same 400 / 50
    assert after[("paid_blended_roas", week)][0] == pytest.approx(8.0)
    # The month's cost per lead reads the same ad cost: September's numerator grows by the late
    # 50.00 (the fixture has no CRM contacts, so the month has no leads and no value).
    month = D(2026, 9, 1)
    cost_before, cost_after = (
        before[("paid_cost_per_lead", month)],
        after[("paid_cost_per_lead", month)],
    )
    assert cost_after[1] - cost_before[1] == pytest.approx(50.0)
    assert cost_after[0] is None and cost_before[0] is None
    changed = {key for key in before if before[key] != after[key]}
    assert changed == {
        ("sea_conversions", week),
        ("sea_cpa", week),
        ("sea_roas", week),
        ("paid_blended_roas", week),
        ("paid_cost_per_lead", month),
    }
    # Only those periods were rewritten: every other row keeps the run that built it.
    run_id = incremental["run"].result.run_id
    built_before, built_after = incremental["kpis_built_before"], incremental["kpis_built_after"]
    assert {key for key, run in built_after.items() if run == run_id} == changed
    assert {key: built_after[key] for key in built_before if key not in changed} == {
        key: run for key, run in built_before.items() if key not in changed
    }


# A late Google Ads delivery for 2026-09-20 only (no backfill window).
LATE_ONLY_FILE = (
    "Campaign report\n"
    '"September 20, 2026 - September 20, 2026"\n'
    "Day,Campaign,Campaign ID,Currency code,Impr.,Clicks,Cost,Conversions,Conv. value\n"
    "2026-09-20,Brand,111,EUR,300,30,75.00,6.00,600.00\n"
)
GENERATED_KPIS = Path(__file__).parents[1] / "dbt_project" / "generated" / "kpis"


def kpi_model_facts(model: str) -> list[tuple[str, str]]:
    """(fact, date column) an incremental KPI model reads, from its generated config."""
    text = (GENERATED_KPIS / f"{model}.sql").read_text(encoding="utf-8")
    return re.findall(r"\{'name': '(\w+)', 'date_column': '(\w+)'\}", text)


@pytest.fixture(scope="module")
def late_only(fixture_run, tmp_path_factory):
    """The fixture warehouse (copied), then a run after one late Google Ads day, same as-of."""
    root = tmp_path_factory.mktemp("late_only")
    shutil.copytree(fixture_run.root, root, dirs_exist_ok=True)
    work_db = root / "work" / "kpi_work.duckdb"
    before = kpi_model_rows(work_db)
    (root / "landing" / "google_ads" / "campaign_report_2026-09-20_late.csv").write_text(
        LATE_ONLY_FILE
    )
    run = run_pipeline(root, root / "landing", FIXTURE_AS_OF)
    assert run.result.success
    with duckdb.connect(str(root / "published" / "kpi.duckdb"), read_only=True) as con:
        last_days = {
            (fact, column): con.execute(f"select max({column}) from marts.{fact}").fetchone()[0]
            for model in before
            for fact, column in kpi_model_facts(model)
        }
    built = {
        event.asset_key.to_user_string()
        for event in run.result.all_events
        if event.event_type_value == "ASSET_MATERIALIZATION"
    }
    return {
        "root": root,
        "built": built,
        "before": before,
        "after": kpi_model_rows(work_db),
        "run_id": run.result.run_id,
        "fixture_run_id": fixture_run.result.run_id,
        "last_days": last_days,
    }


def test_kpi_models_recompute_only_the_periods_from_the_first_one_that_can_change(late_only):
    """Each incremental KPI model on the ad fact recomputes from the period holding the earliest
    of: the day before a newly loaded raw row's day (09-19), two days before the as-of day
    (10-03), the day before its facts' last day; earlier periods keep their rows, run included.
    The KPI models reading no Google Ads data are not built (pipelines/build_selection.py)."""
    before, after = late_only["before"], late_only["after"]
    as_of = dt.date.fromisoformat(FIXTURE_AS_OF)
    # Simple aggregates and ratios of one or two daily or entity facts are incremental; growth,
    # cohort and snapshot (CRM) KPIs are not.
    assert {"kpi_sea_roas", "kpi_seo_top3_keywords", "kpi_cs_replied_within_24h"} <= set(after)
    assert not {"kpi_seo_organic_sessions_growth", "kpi_crm_win_rate"} & set(after)
    assert set(before) == set(after)
    kept_somewhere, kept_whole = set(), set()
    for model, periods in after.items():
        facts = kpi_model_facts(model)
        if not any(fact == "fct_ad_performance_daily" for fact, _ in facts):
            # Reads no fact of Google Ads, and the as-of time is the same: not built at all.
            assert periods == before[model], model
            kept_whole.add(model)
            continue
        causes = [as_of - dt.timedelta(days=2)]
        causes += [late_only["last_days"][fact] - dt.timedelta(days=1) for fact in facts]
        if any(fact == "fct_ad_performance_daily" for fact, _ in facts):
            causes.append(D(2026, 9, 19))
        assert set(periods) == set(before[model]), model
        for period, (grain, built_by_run, *values) in periods.items():
            if period >= period_start(grain, min(causes)):
                assert built_by_run == late_only["run_id"], (model, period)
            else:
                assert (grain, built_by_run, *values) == before[model][period], (model, period)
                assert built_by_run == late_only["fixture_run_id"]
                kept_somewhere.add(model)
    # The ad KPIs keep the weeks of 08-31 and 09-07; the tickets' and orders' KPIs keep all.
    assert {"kpi_sea_roas", "kpi_sea_cpa", "kpi_sea_conversions"} <= kept_somewhere
    assert {"kpi_cs_replied_within_24h", "kpi_repeat_purchases_per_customer"} <= kept_whole
    # The late day's week has new numbers: its 6 conversions replace what the report of 09-14
    # to 09-27 said for 09-20.
    assert (
        after["kpi_sea_conversions"][D(2026, 9, 14)][3]
        != before["kpi_sea_conversions"][D(2026, 9, 14)][3]
    )


def test_a_build_of_what_changed_equals_a_clean_build(late_only, tmp_path):
    """The late Google Ads day, same as-of time: the models reading no Google Ads data are left
    out, and the published marts equal those of a clean build of the same landing folder."""
    built = late_only["built"]
    assert {"marts/fct_ad_performance_daily", "kpis/kpi_sea_roas", "published/kpi_warehouse"} <= (
        built
    )
    assert not {"marts/fct_orders", "marts/fct_support_tickets", "kpis/kpi_cs_nps"} & built
    landing = tmp_path / "landing"
    shutil.copytree(late_only["root"] / "landing", landing)
    clean = run_pipeline(tmp_path, landing, FIXTURE_AS_OF)
    assert clean.result.success
    incremental = late_only["root"] / "published" / "kpi.duckdb"
    assert kpi_values(incremental) == kpi_values(clean.warehouse_path)
    for fact in [*DAILY_FACTS, "fct_orders", "fct_support_tickets", "fct_survey_responses"]:
        columns, rows = fact_rows(clean.warehouse_path, fact)
        kept_columns, kept_rows = fact_rows(incremental, fact)
        assert columns == kept_columns
        clean_records = without_lineage([dict(zip(columns, r, strict=True)) for r in rows])
        kept_records = without_lineage([dict(zip(columns, r, strict=True)) for r in kept_rows])
        assert sorted(clean_records, key=repr) == sorted(kept_records, key=repr), fact


def test_incremental_result_equals_a_clean_build(incremental, tmp_path):
    landing = tmp_path / "landing"
    shutil.copytree(incremental["root"] / "landing", landing)
    clean = run_pipeline(tmp_path, landing, FIXTURE_AS_OF)
    assert clean.result.success
    assert kpi_values(clean.warehouse_path) == incremental["kpis_after"]
    for fact in DAILY_FACTS:
        columns, rows = fact_rows(clean.warehouse_path, fact)
        clean_days = by_day(columns, rows)
        after = by_day(*incremental["after"][fact])
        assert {d: without_lineage(r) for d, r in clean_days.items()} == {
            d: without_lineage(r) for d, r in after.items()
        }, fact


def test_a_bad_rebuild_window_fails_the_run_with_a_clear_message():
    from pipelines.assets.ingestion import parse_rebuild_window

    assert parse_rebuild_window("", "") is None
    assert parse_rebuild_window("2026-08-31", "2026-09-02") == WINDOW
    with pytest.raises(ValueError, match="needs both"):
        parse_rebuild_window("2026-09-13", "")
    with pytest.raises(ValueError, match="is after"):
        parse_rebuild_window("2026-09-15", "2026-09-13")
    with pytest.raises(ValueError, match="YYYY-MM-DD"):
        parse_rebuild_window("13/09/2026", "2026-09-15")


def test_a_warehouse_from_before_the_watermark_is_upgraded_in_place(fixture_run, tmp_path):
    """Daily facts built before `loaded_through` existed get the column and are rebuilt whole."""
    root = tmp_path / "copy"
    shutil.copytree(fixture_run.root, root)
    with duckdb.connect(str(root / "work" / "kpi_work.duckdb")) as con:
        for fact in DAILY_FACTS:
            con.execute(f"alter table marts.{fact} drop column loaded_through")
            con.execute(f"alter table marts.{fact} drop column built_by_run")
    (root / "work" / "last_complete_build.json").unlink()

    upgraded = run_pipeline(root, root / "landing", FIXTURE_AS_OF)
    assert upgraded.result.success
    published = root / "published" / "kpi.duckdb"
    assert kpi_values(published) == kpi_values(fixture_run.warehouse_path)
    for fact in DAILY_FACTS:
        columns, rows = fact_rows(published, fact)
        records = [dict(zip(columns, row, strict=True)) for row in rows]
        assert {r["built_by_run"] for r in records} == {upgraded.result.run_id}, fact
        assert all(r["loaded_through"] is not None for r in records), fact
        original_columns, original_rows = fact_rows(fixture_run.warehouse_path, fact)
        original = [dict(zip(original_columns, row, strict=True)) for row in original_rows]
        assert without_lineage(records) == without_lineage(original), fact


def test_the_cli_refuses_a_bad_rebuild_window_before_running_anything(capsys):
    from pipelines.cli import main

    assert main(["run", "--rebuild-from", "2026-09-05"]) == 2
    assert "needs both" in capsys.readouterr().err
