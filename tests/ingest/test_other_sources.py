"""GA4, Shopify, Zendesk and survey exports: values, quarantine and time zones."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from pipelines.ingest import ga4, shopify, surveys, zendesk
from pipelines.ingest.errors import FileRefused
from pipelines.ingest.options import SurveyOptions, load_options

FIXTURES = Path(__file__).parent.parent / "fixtures"
SAMPLES = FIXTURES / "shared_samples"


def test_ga4_daily_channels_skip_totals_and_trailing_blocks():
    data = (FIXTURES / "ga4" / "traffic_acquisition_by_date.csv").read_bytes()
    parsed = ga4.parse(data, "ga4/traffic.csv")
    rows = parsed.tables[ga4.TABLE].to_pylist()
    assert parsed.summary_rows == 1  # Grand total: dropped, never summed
    assert parsed.rows_read == 5 and parsed.rows_loaded == 4
    assert [(r["date_day"], r["channel_group"], r["sessions"]) for r in rows] == [
        (dt.date(2026, 9, 1), "Organic Search", 500),
        (dt.date(2026, 9, 1), "Direct", 200),
        (dt.date(2026, 9, 2), "Organic Search", 400),
        (dt.date(2026, 9, 2), "Paid Search", 100),
    ]
    assert rows[0]["key_events"] == 12 and rows[0]["total_revenue"] == pytest.approx(1200.25)
    assert rows[0]["_row_number"] == 14
    [custom] = parsed.rejected
    assert (custom.line, custom.column, custom.value) == (
        17,
        "Session default channel group",
        "My Custom Channel",
    )


def test_ga4_reports_without_date_are_refused_with_the_fix():
    for name in ("ga4_traffic_acquisition_channels.csv", "ga4_landing_pages.csv"):
        with pytest.raises(FileRefused, match="no Date column") as info:
            ga4.parse((SAMPLES / name).read_bytes(), name)
        assert "add Date as a secondary dimension" in str(info.value)


def test_shopify_line_items_fold_into_orders_in_the_reporting_time_zone():
    data = (FIXTURES / "orders" / "orders_export.csv").read_bytes()
    parsed = shopify.parse(data, "orders/export.csv", "Europe/Amsterdam")
    orders = {o["order_name"]: o for o in parsed.tables[shopify.ORDERS].to_pylist()}
    lines = parsed.tables[shopify.ORDER_LINES].to_pylist()
    assert parsed.rows_read == 4 and parsed.rows_loaded == 3
    first = orders["#2001"]
    assert first["total"] == 155.0 and first["line_items"] == 2  # total from the first row only
    # 23:30 UTC on 30 September is 01:30 on 1 October in Amsterdam (UTC+2): a Q4 order.
    assert first["created_at"] == dt.datetime(2026, 10, 1, 1, 30)
    assert first["created_at_utc"] == dt.datetime(2026, 9, 30, 23, 30)
    assert first["email"] == "Anna.Vries@Example.com"  # raw keeps the text; staging hashes it
    assert first["billing_zip"] == "3511 AB"
    assert orders["#2002"]["email"] is None and orders["#2002"]["financial_status"] == "pending"
    assert [(line["order_name"], line["line_number"], line["quantity"]) for line in lines] == [
        ("#2001", 1, 1),
        ("#2001", 2, 2),
        ("#2002", 1, 1),
    ]
    [bad] = parsed.rejected
    assert (bad.line, bad.column, bad.value) == (5, "Financial Status", "unknown_status")
    assert {"pending", "paid"} <= {o["financial_status"] for o in orders.values()}


def test_shopify_sample_keeps_every_status():
    parsed = shopify.parse(
        (SAMPLES / "shopify_orders_export_1.csv").read_bytes(), "s.csv", "Europe/Amsterdam"
    )
    statuses = {o["financial_status"] for o in parsed.tables[shopify.ORDERS].to_pylist()}
    assert statuses == {"paid", "partially_refunded", "pending", "refunded", "voided"}
    assert parsed.rows_read == parsed.rows_loaded == 21


def test_zendesk_times_no_reply_and_excel_damage():
    data = (FIXTURES / "support_tickets" / "tickets_export.csv").read_bytes()
    parsed = zendesk.parse(data, "t.csv", "Europe/London", "Europe/Amsterdam")
    tickets = parsed.tables[zendesk.TABLE].to_pylist()
    assert [t["ticket_id"] for t in tickets] == [301, 302]
    # 00:30 London (UTC+1 in September) is 01:30 Amsterdam
    assert tickets[0]["created_at"] == dt.datetime(2026, 9, 1, 1, 30)
    assert tickets[0]["first_reply_minutes"] == 60
    assert tickets[1]["first_reply_minutes"] is None  # no reply yet
    assert tickets[1]["created_at"] == dt.datetime(2026, 9, 1, 15, 5)  # repaired Excel date
    assert parsed.warnings and "dd-mm-yyyy" in parsed.warnings[0]
    [excel_id] = parsed.rejected
    assert (excel_id.line, excel_id.column, excel_id.value) == (4, "Id", "1.03006E+13")
    assert "scientific notation" in excel_id.check


def test_zendesk_sample_loads():
    parsed = zendesk.parse(
        (SAMPLES / "zendesk_tickets_export.csv").read_bytes(),
        "z.csv",
        "Europe/Amsterdam",
        "Europe/Amsterdam",
    )
    assert parsed.rows_read == parsed.rows_loaded == 30


def test_surveys_with_configured_questions_and_labels():
    options = SurveyOptions(
        nps_question=["recommend"],
        csat_question=["how satisfied"],
        csat_labels={"very dissatisfied": 1},
        timezone="UTC",
    )
    data = (FIXTURES / "surveys" / "nps_csat_en.csv").read_bytes()
    parsed = surveys.parse(data, "s.csv", options, "Europe/Amsterdam")
    rows = parsed.tables[surveys.TABLE].to_pylist()
    assert [(r["respondent_id"], r["nps_score"], r["csat_score"]) for r in rows] == [
        ("1001", 10, 5),
        ("1002", 6, 1),
    ]
    assert rows[0]["ended_at"] == dt.datetime(2026, 10, 1, 1, 59)  # 23:59 UTC -> 01:59 CEST
    assert rows[0]["_row_number"] == 3
    [bad] = parsed.rejected
    assert (bad.line, bad.value) == (5, "11") and "0-10" in bad.check


def test_survey_sample_with_dutch_questions_from_config():
    options = load_options().surveys
    parsed = surveys.parse(
        (SAMPLES / "surveymonkey_nps_csat_export.csv").read_bytes(),
        "s.csv",
        options,
        "Europe/Amsterdam",
    )
    rows = parsed.tables[surveys.TABLE].to_pylist()
    assert parsed.rows_read == parsed.rows_loaded == 28
    assert rows[0]["csat_answer"] == "Tevreden" and rows[0]["csat_score"] == 4
    assert "aanbevelen" in rows[0]["nps_question"]


def test_survey_question_not_configured_is_a_clear_refusal():
    options = SurveyOptions(nps_question=["weiterempfehlen"], csat_question=["tevreden"])
    with pytest.raises(FileRefused, match="no NPS question found"):
        surveys.parse(
            (SAMPLES / "surveymonkey_nps_csat_export.csv").read_bytes(),
            "s.csv",
            options,
            "Europe/Amsterdam",
        )
