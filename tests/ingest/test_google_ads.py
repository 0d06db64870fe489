"""Google Ads campaign reports in every variant, with values checked cell by cell."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from pipelines.ingest import google_ads
from pipelines.ingest.errors import FileRefused

FIXTURES = Path(__file__).parent.parent / "fixtures" / "google_ads"
# Copies of ../shared/samples, so the tests run wherever the clone is.
SHARED_SAMPLES = Path(__file__).parent.parent / "fixtures" / "shared_samples"


def _parse(name: str):
    return google_ads.parse((FIXTURES / name).read_bytes(), name)


def test_english_comma_utf8():
    parsed = _parse("en_comma_utf8.csv")
    rows = parsed.tables["google_ads_campaign_days"].to_pylist()
    assert parsed.rows_read == 3 and parsed.rows_loaded == 3 and parsed.summary_rows == 1
    assert rows[0]["date_day"] == dt.date(2026, 9, 1)
    assert rows[0]["campaign_name"] == "Brand" and rows[0]["campaign_id"] == "111"
    assert rows[0]["impressions"] == 12345 and rows[0]["clicks"] == 1234
    assert rows[0]["cost"] == pytest.approx(1234.56)
    assert rows[0]["conversions"] == pytest.approx(12.5)
    assert rows[0]["conversion_value"] == pytest.approx(6172.80)
    assert rows[1]["conversions"] == 0.0  # '0.00' is zero; only '--' is null
    assert [r["_row_number"] for r in rows] == [4, 5, 6]
    assert (parsed.first_date, parsed.last_date) == (dt.date(2026, 9, 1), dt.date(2026, 9, 2))


def test_dutch_semicolon_utf8_with_bom():
    rows = _parse("nl_semicolon_utf8_bom.csv").tables["google_ads_campaign_days"].to_pylist()
    assert len(rows) == 2
    assert rows[0]["campaign_name"] == "Merk"
    assert rows[0]["impressions"] == 12345 and rows[0]["clicks"] == 1234
    assert rows[0]["cost"] == pytest.approx(1234.56)
    assert rows[0]["conversions"] == pytest.approx(12.5)
    assert rows[0]["conversion_value"] == pytest.approx(6172.80)
    assert rows[1]["cost"] == pytest.approx(50.0)


def test_excel_utf16_tab_english():
    parsed = _parse("excel_utf16_tab.csv")
    rows = parsed.tables["google_ads_campaign_days"].to_pylist()
    assert [r["cost"] for r in rows] == pytest.approx([1234.56, 50.0])
    assert [r["conversion_value"] for r in rows] == pytest.approx([6172.80, 300.0])
    assert rows[0]["impressions"] is None  # the report had no impressions column
    assert parsed.summary_rows == 1


def test_excel_utf16_tab_dutch_short_headers():
    rows = _parse("nl_utf16_tab.csv").tables["google_ads_campaign_days"].to_pylist()
    assert rows == [
        {
            "date_day": dt.date(2026, 9, 1),
            "campaign_id": None,
            "campaign_name": "Merk",
            "campaign_status": None,
            "campaign_type": None,
            "currency_code": None,
            "impressions": None,
            "clicks": None,
            "cost": pytest.approx(1234.56),
            "conversions": pytest.approx(12.5),
            "conversion_value": pytest.approx(6172.80),
            "_row_number": 4,
        }
    ]


def test_report_without_day_column_is_refused_with_the_fix():
    data = (SHARED_SAMPLES / "google_ads_campaign_report_en.csv").read_bytes()
    with pytest.raises(FileRefused) as info:
        google_ads.parse(data, "google_ads_campaign_report_en.csv")
    message = str(info.value)
    assert message.startswith("google_ads_campaign_report_en.csv, line 3:")
    assert "September 1, 2026 - September 30, 2026" in message
    assert "Day" in message and "download it again" in message


def test_bad_rows_are_rejected_with_line_column_and_value():
    text = (
        "Day,Campaign,Cost,Conversions,Conv. value\n"
        "2026-09-01,Brand,10.00,1,100.00\n"
        "01-09-2026,Brand,10.00,1,100.00\n"
        "2026-09-02,Brand,-5.00,1,100.00\n"
        "2026-09-03,Brand,abc,1,100.00\n"
        "2026-09-04,,1.00,1,1.00\n"
    )
    parsed = google_ads.parse(text.encode(), "bad.csv")
    assert parsed.rows_read == 5 and parsed.rows_loaded == 1
    rejected = [(r.line, r.column, r.value) for r in parsed.rejected]
    assert rejected == [
        (3, "Day", "01-09-2026"),
        (4, "Cost", "-5.00"),
        (5, "Cost", "abc"),
        (6, "Campaign", ""),
    ]
    assert parsed.rows_read == parsed.rows_loaded + len(parsed.rejected)


def test_missing_required_column_is_named():
    with pytest.raises(FileRefused, match=r"required column\(s\) missing: conversion_value"):
        google_ads.parse(b"Day,Campaign,Cost,Conversions\n2026-09-01,A,1,1\n", "x.csv")


def test_unknown_extra_columns_are_ignored_with_a_warning():
    parsed = google_ads.parse(
        b"Day,Campaign,Cost,Conversions,Conv. value,Labels\n2026-09-01,A,1,1,2,x\n", "x.csv"
    )
    assert parsed.rows_loaded == 1
    assert parsed.warnings == ["column 'Labels' is not used and was ignored"]


def test_non_csv_input_is_refused_clearly():
    with pytest.raises(FileRefused, match="empty"):
        google_ads.parse(b"", "empty.csv")
    with pytest.raises(FileRefused, match="zip archive"):
        google_ads.parse(b"PK\x03\x04junk", "report.csv")
    with pytest.raises(FileRefused, match="not UTF-8 or UTF-16"):
        google_ads.parse("Day,Campaign,Cost\n2026-09-01,Caf\xe9,1\n".encode("latin-1"), "l1.csv")
    with pytest.raises(FileRefused, match="no Google Ads report header"):
        google_ads.parse(b"a,b,c\n1,2,3\n", "other.csv")
