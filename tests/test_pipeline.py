"""The whole path on tests/fixtures/landing: every portfolio KPI against hand-computed values.

The fixture run uses as-of 2026-10-05 00:00 (Europe/Amsterdam). Each expected number is derived in
the comment next to it from the rows of the fixture files.
"""

from __future__ import annotations

import datetime as dt

import duckdb
import pytest

pytestmark = pytest.mark.slow
D = dt.date


def _values(run, kpi_id: str) -> dict[dt.date, dict]:
    with duckdb.connect(str(run.warehouse_path), read_only=True) as con:
        cursor = con.execute(
            "select * from marts.fct_kpi_values where kpi_id = ? order by period_start", [kpi_id]
        )
        names = [d[0] for d in cursor.description]
        rows = [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
    return {row["period_start"]: row for row in rows}


# --- SEA (Google Ads; three files, the last a corrected re-delivery of 09-21..09-27) -------------


def test_sea_roas_is_a_ratio_of_weekly_sums(fixture_run):
    week = _values(fixture_run, "sea_roas")[D(2026, 8, 31)]
    # 08-31: cost 100, value 1000 (ROAS 10); 09-01: cost 900, value 900 (ROAS 1).
    # Ratio of sums 1900 / 1000 = 1.9; the average of the daily ROAS would be 5.5.
    assert (week["numerator"], week["denominator"]) == (pytest.approx(1900), pytest.approx(1000))
    assert week["value"] == pytest.approx(1.9)
    assert week["value"] != pytest.approx((10 + 1) / 2)
    assert (week["grain"], week["period_end"], week["is_complete"]) == (
        "weekly",
        D(2026, 9, 7),
        True,
    )
    assert week["status"] == "off_track"  # target 6.0, far below 6.0 - 5%


def test_zero_cost_week_has_no_value_instead_of_an_error(fixture_run):
    week = _values(fixture_run, "sea_roas")[D(2026, 9, 7)]
    # cost 0 + 0, value 50 + '--': division by zero gives null and status no_data
    assert (week["numerator"], week["denominator"], week["value"]) == (50, 0, None)
    assert week["status"] == "no_data"


def test_status_tolerance_and_corrected_redelivery(fixture_run):
    roas = _values(fixture_run, "sea_roas")
    # Dutch UTF-16 file: (1000 + 180) / (120 + 80) = 5.9, within 5% of the target 6.0
    assert roas[D(2026, 9, 14)]["value"] == pytest.approx(5.9)
    assert roas[D(2026, 9, 14)]["status"] == "at_risk"
    # The corrected file replaces 09-21..09-27 entirely, also the 09-24 row it no longer has:
    # (480 + 300) / (60 + 40) = 7.8 (the first delivery said (420 + 10 + 280) / 110).
    assert roas[D(2026, 9, 21)]["value"] == pytest.approx(7.8)
    assert roas[D(2026, 9, 21)]["status"] == "on_track"


def test_sea_cpa_lower_is_better_and_sea_conversions(fixture_run):
    cpa = _values(fixture_run, "sea_cpa")
    conversions = _values(fixture_run, "sea_conversions")
    # week 08-31: cost 1000 / conversions (10 + 9) = 52.63 against a target of 25: off track
    assert cpa[D(2026, 8, 31)]["value"] == pytest.approx(1000 / 19)
    assert cpa[D(2026, 8, 31)]["status"] == "off_track"
    # week 09-07: cost 0 / 1 conversion = 0: on track (lower is better)
    assert cpa[D(2026, 9, 7)]["value"] == 0 and cpa[D(2026, 9, 7)]["status"] == "on_track"
    # week 09-14: 200 / (8 + 1.5) = 21.05; week 09-21 (corrected): 100 / (4 + 2) = 16.67
    assert cpa[D(2026, 9, 14)]["value"] == pytest.approx(200 / 9.5)
    assert cpa[D(2026, 9, 21)]["value"] == pytest.approx(100 / 6)
    assert [conversions[D(2026, 8, 31) + dt.timedelta(weeks=i)]["value"] for i in range(4)] == [
        pytest.approx(19),
        pytest.approx(1),
        pytest.approx(9.5),
        pytest.approx(6),
    ]


def test_periods_after_the_data_are_present_but_incomplete(fixture_run):
    roas = _values(fixture_run, "sea_roas")
    # Google Ads data ends 09-27; as of 10-05 the weeks of 09-28 and 10-05 exist, incomplete.
    assert sorted(roas) == [D(2026, 8, 31) + dt.timedelta(weeks=i) for i in range(6)]
    for start in (D(2026, 9, 28), D(2026, 10, 5)):
        assert roas[start]["is_complete"] is False
        assert roas[start]["status"] is None and roas[start]["source_rows"] == 0


# --- SEO (Search Console bulk export; GA4) -------------------------------------------------------


def test_top3_keywords_use_impression_weighted_positions(fixture_run):
    month = _values(fixture_run, "seo_top3_keywords")[D(2026, 9, 1)]
    # tuinset: positions 2.0 (100 impr.) and 4.0 (100 impr.) -> (200 + 400) / 200 = 3.0: counts
    # parasol: 1.0, 1.0, 6.0 -> daily average 2.67 but weighted (10 + 10 + 600) / 120 = 5.17: not
    # loungeset: image search only; the anonymised query: empty -> neither counts
    # kussen: 2.0 -> counts; tuintafel: (60 + 50) / 40 = 2.75 over two devices -> counts
    assert month["value"] == 3
    assert (month["period_end"], month["is_complete"], month["status"]) == (
        D(2026, 10, 1),
        True,
        "off_track",
    )
    october = _values(fixture_run, "seo_top3_keywords")[D(2026, 10, 1)]
    assert october["is_complete"] is False and october["value"] is None


def test_organic_sessions_growth_and_conversions(fixture_run):
    sessions = _values(fixture_run, "seo_organic_sessions")
    growth = _values(fixture_run, "seo_organic_sessions_growth")
    conversions = _values(fixture_run, "seo_organic_conversions")
    # Organic Search sessions: August 1000 + 1000 = 2000; September 1500 + 700 = 2200
    assert sessions[D(2026, 8, 1)]["value"] == 2000 and sessions[D(2026, 9, 1)]["value"] == 2200
    # August has no previous month: growth is null, not 0 or 100%
    assert growth[D(2026, 8, 1)]["value"] is None and growth[D(2026, 8, 1)]["status"] == "no_data"
    # September: (2200 - 2000) / 2000 = 10% against a target of 2%
    assert growth[D(2026, 9, 1)]["value"] == pytest.approx(10.0)
    assert (growth[D(2026, 9, 1)]["numerator"], growth[D(2026, 9, 1)]["denominator"]) == (200, 2000)
    assert growth[D(2026, 9, 1)]["status"] == "on_track"
    # October is incomplete, so its growth has no status
    assert (
        growth[D(2026, 10, 1)]["is_complete"] is False and growth[D(2026, 10, 1)]["status"] is None
    )
    # Organic key events: August 10 + 10 = 20; September 20 + 5 = 25 (Direct and Paid left out)
    assert conversions[D(2026, 8, 1)]["value"] == 20 and conversions[D(2026, 9, 1)]["value"] == 25


# --- CRO (GA4, all channels) --------------------------------------------------------------------


def test_conversion_rate_is_a_ratio_of_weekly_sums(fixture_run):
    rate = _values(fixture_run, "cro_conversion_rate")
    conversions = _values(fixture_run, "cro_conversions")
    # week 08-31: sessions 1000 + 1500 + 500 = 3000, key events 10 + 20 + 10 = 40 -> 1.333%
    week = rate[D(2026, 8, 31)]
    assert week["value"] == pytest.approx(40 / 3000 * 100)
    assert (week["numerator"], week["denominator"]) == (40, 3000)
    assert conversions[D(2026, 8, 31)]["value"] == 40
    # week 07-27 starts before GA4's first day (08-01): incomplete
    assert rate[D(2026, 7, 27)]["is_complete"] is False
    # week 09-07 has no GA4 rows at all: no data
    assert rate[D(2026, 9, 7)]["status"] == "no_data" and rate[D(2026, 9, 7)]["source_rows"] == 0


# --- Customers (Zendesk, surveys, Shopify) ------------------------------------------------------


def test_replied_within_24_hours(fixture_run):
    share = _values(fixture_run, "cs_replied_within_24h")
    # week 09-28: 401 (60 min) and 405 (1440 min, the limit) pass; 402 (1500 min) fails;
    # 403 (no reply, 24 h passed before the as-of time) fails; 404 (no reply, created 10-04 12:00,
    # less than 24 h before 10-05 00:00) is left out: 2 / 4 = 50%
    week = share[D(2026, 9, 28)]
    assert (week["numerator"], week["denominator"], week["value"]) == (2, 4, pytest.approx(50.0))
    assert week["status"] == "off_track"
    assert share[D(2026, 9, 21)]["value"] == pytest.approx(100.0)


def test_csat_per_month(fixture_run):
    csat = _values(fixture_run, "cs_csat")
    # July: 'Zeer tevreden' (5); August: 'Tevreden' (4); September: 'Ontevreden' (2) and
    # 'Neutraal' (3), one response without CSAT left out -> 0 of 2
    assert csat[D(2026, 7, 1)]["value"] == pytest.approx(100.0)
    assert csat[D(2026, 8, 1)]["value"] == pytest.approx(100.0)
    assert (csat[D(2026, 9, 1)]["numerator"], csat[D(2026, 9, 1)]["denominator"]) == (0, 2)
    assert csat[D(2026, 9, 1)]["value"] == 0


def test_nps_per_quarter(fixture_run):
    nps = _values(fixture_run, "cs_nps")
    # Q3 answers 10, 9, 6, 7, 3 (the 23:00 response on 09-30 stays in Q3):
    # promoters 2, detractors 2 -> (2 - 2) / 5 * 100 = 0
    quarter = nps[D(2026, 7, 1)]
    assert (quarter["numerator"], quarter["denominator"], quarter["value"]) == (0, 5, 0)
    assert (quarter["period_end"], quarter["is_complete"]) == (D(2026, 10, 1), True)
    assert nps[D(2026, 10, 1)]["is_complete"] is False


def test_repeat_purchases_per_customer(fixture_run):
    repeat = _values(fixture_run, "repeat_purchases_per_customer")
    # Valid Q3 orders: anna 07-01 (2nd valid ever, after 06-15) and 08-10 (partially refunded,
    # 3rd), bram 07-05 (1st), carla 08-01 (1st; her 07-20 order was refunded). The POS order has no
    # e-mail; eva's is pending. Bram's '  Bram@Example.COM ' order of 09-30 23:30 UTC is 10-01
    # 01:30 in Amsterdam: Q4. Q3 = 2 repeat orders / 3 customers.
    quarter = repeat[D(2026, 7, 1)]
    assert (quarter["numerator"], quarter["denominator"]) == (2, 3)
    assert quarter["value"] == pytest.approx(2 / 3)
    assert quarter["is_complete"] is True and quarter["status"] == "on_track"
    # Q4 so far: bram's second valid order (the normalised e-mail matches) / 1 customer
    q4 = repeat[D(2026, 10, 1)]
    assert (q4["numerator"], q4["denominator"], q4["is_complete"]) == (1, 1, False)


# --- Marts, scorecard, notes --------------------------------------------------------------------


def test_scorecard_shows_latest_complete_period_change_and_note(fixture_run):
    from pipelines.report.scorecard import read_scorecard, scorecard_csv, scorecard_json

    rows = {row["kpi_id"]: row for row in read_scorecard(fixture_run.warehouse_path)}
    assert len(rows) == 21
    roas = rows["sea_roas"]
    assert roas["period_start"] == D(2026, 9, 21)
    assert (roas["value"], roas["previous_value"]) == (pytest.approx(7.8), pytest.approx(5.9))
    assert roas["change"] == pytest.approx(1.9) and roas["status"] == "on_track"
    support = rows["cs_replied_within_24h"]
    assert support["period_start"] == D(2026, 9, 28)
    assert support["note"].startswith("New ticket routing")
    assert '"kpi_id": "sea_roas"' in scorecard_json(list(rows.values()))
    assert "sea_roas,Google Ads ROAS" in scorecard_csv(list(rows.values()))


def test_published_file_has_marts_and_bi_only(fixture_run):
    with duckdb.connect(str(fixture_run.warehouse_path), read_only=True) as con:
        tables = {
            (schema, name)
            for schema, name in con.execute(
                "select schema_name, table_name from duckdb_tables()"
            ).fetchall()
        }
    assert {schema for schema, _ in tables} == {"marts", "bi"}
    assert {
        "fct_kpi_values",
        "kpi_scorecard",
        "dim_kpi",
        "dim_goal",
        "dim_csf",
        "fct_kpi_notes",
        "fct_ad_performance_daily",
        "fct_search_queries_daily",
        "fct_web_sessions_daily",
        "fct_orders",
        "fct_support_tickets",
        "fct_survey_responses",
    } <= {name for _, name in tables}


def test_load_log_reconciles_every_file(fixture_run):
    with duckdb.connect(str(fixture_run.settings.work_db_path), read_only=True) as con:
        log = con.execute(
            "select source, status, rows_read, rows_loaded, rows_rejected from raw.load_log"
        ).fetchall()
    assert len(log) == 8 and {status for _, status, *_ in log} == {"loaded"}
    assert all(read == loaded + rejected for _, _, read, loaded, rejected in log)
