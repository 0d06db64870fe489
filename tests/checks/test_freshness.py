"""Freshness against a source's own cadence, and which KPIs read a source."""

from __future__ import annotations

import datetime as dt

from pipelines.checks.freshness import check_freshness, delivery_days, judge_freshness, usual_gap
from pipelines.ingest.options import FreshnessSettings
from pipelines.ingest.raw_store import LoadRecord, RawStore
from pipelines.kpis.facts import load_fact_catalog
from pipelines.kpis.loader import load_portfolio
from pipelines.kpis.source_kpis import kpis_reading
from pipelines.settings import PROJECT_DIR

DEFAULTS = FreshnessSettings()


def _daily(first: dt.date, last: dt.date) -> list[dt.date]:
    return [first + dt.timedelta(days=i) for i in range((last - first).days + 1)]


def test_a_daily_source_silent_for_3_days_is_stale():
    days = _daily(dt.date(2026, 10, 1), dt.date(2026, 10, 27))
    # As of the 31st the 28th, 29th and 30th brought nothing: silent 3 days; a daily source is
    # stale after max(2, 2 x 1) = 2.
    outcome = judge_freshness(days, dt.date(2026, 10, 31), DEFAULTS, "support_tickets", ["cs_x"])
    assert not outcome.passed and outcome.verdict == "stale"
    assert (outcome.silent_days, outcome.usual_gap_days, outcome.stale_after_days) == (3, 1, 2)
    assert outcome.message.startswith("support_tickets: stale: data up to 2026-10-27")
    assert "KPIs that read it: cs_x" in outcome.message
    # Delivered yesterday's data this morning: fresh; one silent day still is.
    assert judge_freshness(days, dt.date(2026, 10, 28), DEFAULTS, "s").passed
    assert judge_freshness(days, dt.date(2026, 10, 29), DEFAULTS, "s").passed
    assert not judge_freshness(days, dt.date(2026, 10, 30), DEFAULTS, "s").passed


def test_a_weekly_source_silent_for_5_days_is_not_stale():
    sundays = [dt.date(2026, 9, 6) + dt.timedelta(weeks=i) for i in range(8)]  # to 2026-10-25
    assert usual_gap(sundays, DEFAULTS) == 7
    outcome = judge_freshness(sundays, dt.date(2026, 10, 31), DEFAULTS, "search_console")
    assert outcome.passed and outcome.silent_days == 5 and outcome.stale_after_days == 14
    # 14 silent days (as of 2026-11-09) is two missed deliveries: stale.
    assert not judge_freshness(sundays, dt.date(2026, 11, 9), DEFAULTS, "search_console").passed
    assert judge_freshness(sundays, dt.date(2026, 11, 8), DEFAULTS, "search_console").passed


def test_freshness_reads_the_load_log_as_of_a_day(tmp_path):
    store = RawStore(tmp_path)
    # The first file was loaded when the load log named sources by landing folder (`orders`).
    for index, (name, last) in enumerate(
        [("orders", dt.date(2026, 10, 25)), ("shopify", dt.date(2026, 10, 26))]
    ):
        store.write_load_record(
            LoadRecord(
                "load",
                name,
                "orders",
                f"orders/{index}.csv",
                f"hash{index}",
                "loaded",
                first_date=last - dt.timedelta(days=30),
                last_date=last,
                loaded_at=dt.datetime(2026, 12, 1),
            )
        )
    store.write_load_record(  # a refused file is no delivery
        LoadRecord(
            "load",
            "orders",
            "orders",
            "orders/bad.csv",
            "bad",
            "refused",
            first_date=dt.date(2026, 10, 30),
            last_date=dt.date(2026, 10, 30),
        )
    )
    stale = check_freshness(tmp_path, "shopify", DEFAULTS, dt.date(2026, 10, 30))
    assert not stale.passed and stale.last_day == dt.date(2026, 10, 26)
    assert stale.silent_days == 3
    # As of the 26th, the delivery of the 26th counts up to then: fresh.
    assert check_freshness(tmp_path, "shopify", DEFAULTS, dt.date(2026, 10, 26)).passed
    # Both names of the source count as its deliveries; the refused file does not.
    assert sorted(delivery_days(tmp_path, "shopify")) == [
        dt.date(2026, 10, 25),
        dt.date(2026, 10, 26),
    ]
    assert check_freshness(tmp_path, "ga4", DEFAULTS, dt.date(2026, 10, 26)).verdict == "no_data"


def test_kpis_reading_each_source_of_the_shipped_portfolio():
    portfolio = load_portfolio(PROJECT_DIR / "kpi_definitions")
    facts = load_fact_catalog()
    # From kpi_definitions/*.yml (computation.fact) and the marts' meta.kpi_fact.source.
    expected = {
        "google_ads": [
            "paid_blended_roas",
            "paid_cost_per_lead",  # its numerator: ad cost over every platform
            "sea_conversions",
            "sea_cpa",
            "sea_roas",
        ],
        "search_console": ["seo_top3_keywords"],
        "ga4": [
            "cro_conversion_rate",
            "cro_conversions",
            "seo_organic_conversions",
            "seo_organic_sessions",
            "seo_organic_sessions_growth",  # grows seo_organic_sessions
        ],
        "shopify": ["repeat_purchases_per_customer"],
        "zendesk": ["cs_replied_within_24h"],
        "surveymonkey": ["cs_csat", "cs_nps"],
        "crm": [
            "crm_average_deal_size",
            "crm_lead_to_customer_rate",
            "crm_new_leads",
            "crm_pipeline_created",
            "crm_sales_cycle_days",
            "crm_win_rate",
            "paid_cost_per_lead",  # its denominator: paid leads
        ],
    }
    assert {s: kpis_reading(s, portfolio.kpis, facts) for s in expected} == expected
