"""What a failed blocking check holds: exactly the models and KPIs downstream of its raw table."""

from __future__ import annotations

import datetime as dt
import json

import dagster as dg
import pytest

from pipelines.checks.holds import (
    Hold,
    held_selection,
    never_held_models,
    update_holds,
)
from pipelines.checks.raw_checks import CheckVerdict
from pipelines.settings import DBT_PROJECT_DIR

# Which raw table each shipped KPI reads, from its definition file (fact) and the fact's source.
SEA = {"sea_conversions", "sea_cpa", "sea_roas"}
# every ad platform in the fact (cost per lead: its numerator)
ADS = SEA | {"paid_blended_roas", "paid_cost_per_lead"}
DEALS = {
    "crm_average_deal_size",
    "crm_pipeline_created",
    "crm_sales_cycle_days",
    "crm_win_rate",
}
# contacts (cost per lead: its denominator of paid leads)
CONTACTS = {"crm_lead_to_customer_rate", "crm_new_leads", "paid_cost_per_lead"}
GA4 = {
    "cro_conversion_rate",
    "cro_conversions",
    "seo_organic_conversions",
    "seo_organic_sessions",
    "seo_organic_sessions_growth",  # growth of seo_organic_sessions
}
KPIS_OF_TABLE = {
    "google_ads_campaign_days": ADS,
    "crm_deals": DEALS,
    "crm_contacts": CONTACTS,
    "ga4_channel_days": GA4,
    "search_console_query_days": {"seo_top3_keywords"},
    "orders": {"repeat_purchases_per_customer"},
    "support_tickets": {"cs_replied_within_24h"},
    "survey_responses": {"cs_csat", "cs_nps"},
}


@pytest.fixture(scope="module")
def manifest(fixture_run):
    return json.loads((DBT_PROJECT_DIR / "target" / "manifest.json").read_text())


def _hold(table: str) -> Hold:
    return Hold(table, ("pandera_schema",), "cost: ge(0) failed", dt.date(2026, 10, 5))


@pytest.mark.parametrize("table", sorted(KPIS_OF_TABLE))
def test_a_held_table_holds_exactly_the_kpis_that_read_it(manifest, table):
    selection = held_selection(manifest, {table: _hold(table)})
    assert set(selection.kpis) == KPIS_OF_TABLE[table]
    names = set(selection.exclude)
    # The models that gather every KPI are never held: they carry the held KPIs' last good rows.
    assert not names & {"fct_kpi_values", "kpi_scorecard", "int_kpi_values_unioned", "bi_about"}
    assert {f"kpi_{k}" for k in KPIS_OF_TABLE[table]} <= names
    other_kpis = set().union(*KPIS_OF_TABLE.values()) - KPIS_OF_TABLE[table]
    assert not names & {f"kpi_{k}" for k in other_kpis}


def test_held_rows_name_the_check_the_table_and_the_day(manifest):
    hold = _hold("google_ads_campaign_days")
    rows = held_selection(manifest, {"google_ads_campaign_days": hold}).check_hold_rows()
    by_subject = {(r["subject_kind"], r["subject"]): r for r in rows}
    assert set(by_subject) == {("kpi", k) for k in ADS} | {("source", "google_ads")}
    reason = "held: pandera_schema on raw.google_ads_campaign_days since 2026-10-05"
    assert {r["held_reason"] for r in rows} == {reason}
    assert {r["held_since"] for r in rows} == {dt.date(2026, 10, 5)}


def test_the_published_file_depends_only_on_marts_that_are_always_built(manifest):
    always = {uid.split(".")[-1] for uid in never_held_models(manifest)}
    assert {"fct_kpi_values", "kpi_scorecard", "dim_kpi", "dim_goal", "fct_kpi_notes"} <= always
    assert not always & {"fct_orders", "fct_ad_performance_daily", "kpi_sea_roas"}


def test_a_kpis_lineage_reaches_only_the_sources_of_its_fact(fixture_run):
    graph = fixture_run.defs.resolve_asset_graph()
    upstream = graph.get(dg.AssetKey(["kpis", "kpi_sea_roas"])).parent_keys
    seen, queue = set(), list(upstream)
    while queue:
        key = queue.pop()
        if key in seen:
            continue
        seen.add(key)
        queue.extend(graph.get(key).parent_keys)
    raw = {k.to_user_string() for k in seen if k.path[0] == "raw"}
    # its fact's data sources (every ad platform and the exchange rates), and the run's own
    # records (as-of time; holds and partial days)
    assert raw == {
        "raw/google_ads_campaign_days",
        "raw/microsoft_ads_campaign_days",
        "raw/meta_ads_campaign_days",
        "raw/fx_rates_daily",
        "raw/run_context",
        "raw/check_holds",
    }


def test_a_hold_keeps_its_first_day_until_the_table_passes(tmp_path):
    failed = [CheckVerdict("orders", "pandera_schema", False, "total: ge(0)")]
    first = update_holds(tmp_path, {"orders": failed}, dt.date(2026, 10, 5))
    assert first["orders"].since == dt.date(2026, 10, 5)
    again = update_holds(tmp_path, {"orders": failed}, dt.date(2026, 10, 6))
    assert again["orders"].since == dt.date(2026, 10, 5)
    assert again["orders"].reason == "held: pandera_schema on raw.orders since 2026-10-05"
    assert update_holds(tmp_path, {}, dt.date(2026, 10, 7)) == {}
    after = update_holds(tmp_path, {"orders": failed}, dt.date(2026, 10, 8))
    assert after["orders"].since == dt.date(2026, 10, 8)
