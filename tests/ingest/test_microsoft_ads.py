"""Microsoft Advertising campaign performance reports: every variant, values checked by hand."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from pipelines.ingest import microsoft_ads
from pipelines.ingest.errors import FileRefused, RejectedRow
from pipelines.ingest.options import IngestOptions
from pipelines.ingest.parsed import Lineage, ParsedFile

FIXTURES = Path(__file__).parent.parent / "fixtures" / "microsoft_ads"
SHARED_SAMPLES = Path(__file__).parent.parent / "fixtures" / "shared_samples"
OPTIONS = IngestOptions()
LOADED_AT = dt.datetime(2026, 11, 3, 7, 0)


def _read(path: Path, workdir: Path) -> ParsedFile:
    lineage = Lineage(f"microsoft_ads/{path.name}", "hash", "load", LOADED_AT)
    return microsoft_ads.read(path, lineage, OPTIONS, workdir)


def _rows(parsed: ParsedFile) -> list[dict]:
    rows = pq.read_table(parsed.staged[microsoft_ads.TABLE]).to_pylist()
    lineage = {"_source_file", "_file_hash", "_load_id", "_loaded_at"}
    return [{k: v for k, v in row.items() if k not in lineage} for row in rows]


def _row(day, campaign_id, name, status, currency, impr, clicks, cost, conv, value, line):
    return {
        "date_day": day,
        "campaign_id": campaign_id,
        "campaign_name": name,
        "campaign_status": status,
        "currency_code": currency,
        "impressions": impr,
        "clicks": clicks,
        "cost": pytest.approx(cost),
        "conversions": pytest.approx(conv) if conv is not None else None,
        "conversion_value": pytest.approx(value) if value is not None else None,
        "_row_number": line,
    }


def test_ui_report_with_preamble_footer_bom_and_thousands_separators(tmp_path):
    parsed = _read(FIXTURES / "ui_preamble_footer_bom.csv", tmp_path)
    nov1, nov2 = dt.date(2026, 11, 1), dt.date(2026, 11, 2)
    brand = "NL - Brand, exact"
    assert _rows(parsed) == [
        _row(nov1, "4001", brand, "Active", "EUR", 12345, 1020, 2565.17, 41.5, 12480.0, 11),
        _row(nov1, "4002", "NL - Generic", "Paused", "EUR", 980, 14, 12.60, 0.0, 0.0, 12),
        _row(nov2, "4001", brand, "Active", "EUR", 11002, 987, 2437.89, 38.25, 1150.75, 13),
    ]
    # Three data rows; the copyright footer is set aside, not read and not quarantined.
    assert (parsed.rows_read, parsed.rows_loaded, parsed.summary_rows) == (3, 3, 1)
    assert parsed.rejected == []
    assert (parsed.first_date, parsed.last_date) == (nov1, nov2)
    assert parsed.warnings == []  # CTR, Avg. CPC and Return on ad spend are known, unused


def test_api_download_with_compact_names(tmp_path):
    parsed = _read(FIXTURES / "api_compact_names.csv", tmp_path)
    assert _rows(parsed) == [
        _row(
            dt.date(2026, 10, 30), "77", "US - Search", "Active", "USD", 500, 25, 40.0, 2, 180.5, 2
        ),
        _row(
            dt.date(2026, 10, 31), "77", "US - Search", "Active", "USD", 620, 31, 51.25, 3, 240, 3
        ),
    ]
    assert (parsed.rows_read, parsed.rows_loaded, parsed.summary_rows) == (2, 2, 0)
    assert parsed.warnings == []  # no preamble: no footer expected


def test_summary_report_without_a_day_column_is_refused_with_the_fix(tmp_path):
    with pytest.raises(FileRefused) as info:
        _read(FIXTURES / "no_day_column.csv", tmp_path)
    assert info.value.line == 8
    assert "aggregated 'Summary'" in info.value.reason
    assert "(10/1/2026, 10/31/2026)" in info.value.reason
    assert "set the report's Time to Daily" in info.value.reason


def test_report_without_a_day_column_and_no_preamble_is_refused(tmp_path):
    path = tmp_path / "no_day.csv"
    path.write_text("CampaignName,CurrencyCode,Spend\nUS - Search,USD,40.00\n", encoding="utf-8")
    with pytest.raises(FileRefused) as info:
        _read(path, tmp_path / "work")
    assert info.value.line == 1
    assert "has no day column" in info.value.reason
    assert "set the report's Time to Daily" in info.value.reason


def test_weekly_aggregation_is_refused_even_with_a_time_period_column(tmp_path):
    with pytest.raises(FileRefused) as info:
        _read(FIXTURES / "weekly_aggregation.csv", tmp_path)
    assert "aggregated 'Weekly'" in info.value.reason


def test_bad_rows_are_quarantined_with_line_column_and_rule(tmp_path):
    parsed = _read(FIXTURES / "bad_rows.csv", tmp_path)
    assert parsed.rejected == [
        RejectedRow(
            10,
            "Spend",
            "is a number in this file's format (1,234.5)",
            "12,34.50",
            "2026-11-01,NL - Generic,EUR,2,000,80,12,34.50,1.00,90.00",
        ),
        RejectedRow(
            11,
            "Clicks",
            "clicks >= 0",
            "-3",
            "2026-11-02,NL - Brand,EUR,1,100,-3,130.00,5.00,450.00",
        ),
    ]
    rows = _rows(parsed)
    assert [(r["date_day"], r["campaign_name"], r["_row_number"]) for r in rows] == [
        (dt.date(2026, 11, 1), "NL - Brand", 9),
        (dt.date(2026, 11, 2), "NL - Generic", 12),
    ]
    assert [r["cost"] for r in rows] == pytest.approx([120.0, 95.10])
    # Rows: 4 in the preamble = 2 loaded + 2 quarantined: the file is complete.
    assert (parsed.rows_read, parsed.rows_loaded, len(parsed.rejected)) == (4, 2, 2)


def test_a_cut_off_download_is_caught_by_the_preamble_row_count(tmp_path):
    with pytest.raises(FileRefused) as info:
        _read(FIXTURES / "cut_off.csv", tmp_path)
    assert info.value.reason == (
        "the report's preamble says Rows: 3, but the file holds 2 data rows: the download is "
        "incomplete (cut off or edited). Download the report again."
    )
    assert not (tmp_path / f"{microsoft_ads.TABLE}.parquet").exists()  # nothing left staged


def test_a_workbook_is_refused_with_save_as_csv(tmp_path):
    path = tmp_path / "report.xlsx"
    path.write_bytes(b"PK\x03\x04 not a csv")
    with pytest.raises(FileRefused, match="download the report as CSV"):
        _read(path, tmp_path / "work")


def test_shared_sample_loads_two_rows(tmp_path):
    parsed = _read(SHARED_SAMPLES / "microsoft_ads_campaign_report.csv", tmp_path)
    nov2 = dt.date(2026, 11, 2)
    assert _rows(parsed) == [
        _row(nov2, None, "NL - Bing - Merk", "Active", "EUR", 1204, 52, 31.20, 2.0, 188.0, 10),
        _row(
            nov2, None, "NL - Bing - Generiek", "Active", "EUR", 3877, 101, 74.75, 1.5, 1240.5, 11
        ),
    ]
    assert (parsed.rows_read, parsed.rows_loaded, parsed.summary_rows) == (2, 2, 1)


def test_schema_matches_the_declaration():
    assert microsoft_ads.SCHEMA.names == [
        "date_day",
        "campaign_id",
        "campaign_name",
        "campaign_status",
        "currency_code",
        "impressions",
        "clicks",
        "cost",
        "conversions",
        "conversion_value",
        "_row_number",
    ]
    assert microsoft_ads.RAW_TABLE.unique == ("date_day", "campaign_name", "campaign_id")


def test_a_campaign_named_like_the_footer_is_data(tmp_path):
    path = tmp_path / "report.csv"
    path.write_text(
        '"Rows: 1"\n\n"Day","Campaign name","Spend"\n'
        '"2026-11-01","Microsoft Corporation brand","10.00"\n\n'
        '"©2026 Microsoft Corporation. All rights reserved. "\n',
        encoding="utf-8",
    )
    parsed = _read(path, tmp_path / "work")
    rows = _rows(parsed)
    assert [(r["campaign_name"], r["cost"], r["_row_number"]) for r in rows] == [
        ("Microsoft Corporation brand", 10.0, 4)
    ]
    assert (parsed.rows_read, parsed.summary_rows) == (1, 1)


@pytest.mark.parametrize(
    ("column", "value", "check"),
    [
        ("TimePeriod", "", "date is YYYY-MM-DD"),
        ("TimePeriod", "2026-02-30", "date is a real calendar day"),
        ("CampaignName", " ", "campaign is not empty"),
        ("Impressions", "-1", "impressions >= 0"),
        ("Clicks", "-1", "clicks >= 0"),
        ("Spend", "", "cost is present"),
        ("Spend", "-0.01", "cost >= 0"),
        ("Conversions", "-1", "conversions >= 0"),
        ("Revenue", "-5", "conversion_value >= 0"),
    ],
)
def test_every_declared_rule_is_checked_per_row(tmp_path, column, value, check):
    lines = (FIXTURES / "api_compact_names.csv").read_text(encoding="utf-8").splitlines()
    header = lines[0].split(",")
    cells = lines[2].split(",")
    cells[header.index(column)] = value
    path = tmp_path / "broken.csv"
    path.write_text("\n".join([lines[0], lines[1], ",".join(cells)]) + "\n", encoding="utf-8")
    parsed = _read(path, tmp_path / "work")
    assert [(r.line, r.column, r.check, r.value) for r in parsed.rejected] == [
        (3, column, check, value)
    ]
    assert [r["_row_number"] for r in _rows(parsed)] == [2]
