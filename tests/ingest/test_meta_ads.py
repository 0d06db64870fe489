"""Meta Ads Manager exports with the daily breakdown: every variant, values checked by hand."""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from pipelines.ingest import meta_ads
from pipelines.ingest.errors import FileRefused, RejectedRow
from pipelines.ingest.options import IngestOptions
from pipelines.ingest.parsed import Lineage, ParsedFile

FIXTURES = Path(__file__).parent.parent / "fixtures" / "meta_ads"
SHARED_SAMPLES = Path(__file__).parent.parent / "fixtures" / "shared_samples"
OPTIONS = IngestOptions()
LOADED_AT = dt.datetime(2026, 11, 3, 7, 0)


def _read(path: Path, workdir: Path) -> ParsedFile:
    lineage = Lineage(f"meta_ads/{path.name}", "hash", "load", LOADED_AT)
    return meta_ads.read(path, lineage, OPTIONS, workdir)


def _rows(parsed: ParsedFile) -> list[dict]:
    rows = pq.read_table(parsed.staged[meta_ads.TABLE]).to_pylist()
    lineage = {"_source_file", "_file_hash", "_load_id", "_loaded_at"}
    return [{k: v for k, v in row.items() if k not in lineage} for row in rows]


def _row(day, name, delivery, currency, impr, reach, clicks, cost, conv, value, line):
    return {
        "date_day": day,
        "campaign_id": None,
        "campaign_name": name,
        "campaign_delivery": delivery,
        "currency_code": currency,
        "impressions": impr,
        "reach": reach,
        "clicks": clicks,
        "cost": pytest.approx(cost, abs=1e-12),
        "conversions": conv,
        "conversion_value": value,
        "_row_number": line,
    }


def test_english_export_currency_from_the_column_name_dash_as_null(tmp_path):
    parsed = _read(FIXTURES / "en_daily.csv", tmp_path)
    nov1, nov2 = dt.date(2026, 11, 1), dt.date(2026, 11, 2)
    name = "Prospecting, lookalike 1%"
    assert _rows(parsed) == [
        _row(nov1, name, "active", "USD", 10422, 8120, 131, 41.23456789, 4.0, 310.5, 2),
        # `-` (does not apply) is null, never 0.
        _row(nov1, "Retargeting", "inactive", "USD", 120, 115, None, 0.5, None, None, 3),
        _row(nov2, name, "active", "USD", 9870, 7702, 118, 38.1, 2.0, 155.25, 4),
    ]
    assert (parsed.rows_read, parsed.rows_loaded, parsed.summary_rows) == (3, 3, 0)
    assert parsed.rejected == [] and parsed.warnings == []
    assert (parsed.first_date, parsed.last_date) == (nov1, nov2)


def test_dutch_export_with_day_column_and_results_as_conversions(tmp_path):
    parsed = _read(FIXTURES / "nl_daily.csv", tmp_path)
    assert _rows(parsed) == [
        _row(
            dt.date(2026, 11, 1),
            "Merk | Zomer",
            "active",
            "EUR",
            2048,
            1900,
            64,
            12.3456,
            7.0,
            None,
            2,
        ),
        _row(
            dt.date(2026, 11, 2),
            "Merk | Zomer",
            "active",
            "EUR",
            1500,
            1420,
            40,
            9.87,
            None,
            None,
            3,
        ),
    ]
    assert parsed.warnings == [
        "no Purchases column: conversions are the export's Results (whatever its result "
        "indicator counts)"
    ]


def test_summary_row_is_dropped_not_quarantined_and_said_so(tmp_path):
    parsed = _read(FIXTURES / "en_summary_row.csv", tmp_path)
    rows = _rows(parsed)
    assert [(r["date_day"], r["campaign_name"], r["_row_number"]) for r in rows] == [
        (dt.date(2026, 11, 1), "Sale", 3),
        (dt.date(2026, 11, 2), "Sale", 4),
        (dt.date(2026, 11, 3), "Sale", 5),
    ]
    # 20.25 + 20.5 + 20 = 60.75, the summary row's total: it is not added a second time.
    assert sum(r["cost"] for r in rows) == pytest.approx(60.75)
    assert [r["currency_code"] for r in rows] == ["EUR"] * 3
    assert (parsed.rows_read, parsed.rows_loaded, parsed.summary_rows) == (3, 3, 1)
    assert parsed.rejected == []
    assert parsed.warnings == [
        "1 summary row(s) (no campaign name, totals over the window) dropped: not data"
    ]


def test_export_without_the_daily_breakdown_is_refused_with_the_fix(tmp_path):
    with pytest.raises(FileRefused) as info:
        _read(FIXTURES / "en_no_daily_breakdown.csv", tmp_path)
    assert info.value.line == 3  # the first campaign row (line 2 is the summary row)
    assert info.value.reason == (
        "rows cover more than one day (Reporting starts 2026-10-01, Reporting ends 2026-10-31): "
        "the export has no daily breakdown, so it cannot feed daily KPIs. In Ads Manager, choose "
        "Breakdown > By time > Day (Uitsplitsing > Op tijd > Dag) and export again."
    )


def test_bad_rows_are_quarantined_with_line_column_and_rule(tmp_path):
    parsed = _read(FIXTURES / "en_bad_rows.csv", tmp_path)
    assert [(r.line, r.column, r.check, r.value) for r in parsed.rejected] == [
        (3, "Reporting ends", "Reporting starts = Reporting ends (daily breakdown)", "2026-11-03"),
        (4, "Day", "Day = Reporting starts", "2026-11-04"),
        (5, "Amount spent (EUR)", "cost is present", "-"),
        (6, "Impressions", "is a whole number", "1000.5"),
    ]
    assert parsed.rejected[0] == RejectedRow(
        3,
        "Reporting ends",
        "Reporting starts = Reporting ends (daily breakdown)",
        "2026-11-03",
        "2026-11-02,2026-11-03,Sale,2026-11-02,20.5,1000,30,1,100",
    )
    assert [(r["date_day"], r["_row_number"]) for r in _rows(parsed)] == [(dt.date(2026, 11, 1), 2)]
    assert (parsed.rows_read, parsed.rows_loaded) == (5, 1)


def test_ad_set_level_export_is_refused(tmp_path):
    path = tmp_path / "adsets.csv"
    path.write_text(
        "Reporting starts,Reporting ends,Campaign name,Ad set name,Amount spent (EUR)\n"
        "2026-11-01,2026-11-01,Sale,Set A,1.5\n",
        encoding="utf-8",
    )
    with pytest.raises(FileRefused, match="export at the campaign level"):
        _read(path, tmp_path / "work")


def test_xlsx_is_refused_with_save_as_csv(tmp_path):
    # The warehouse reads no Excel workbooks anywhere.
    path = tmp_path / "Meta export.xlsx"
    path.write_bytes(b"PK\x03\x04 a workbook")
    with pytest.raises(FileRefused) as info:
        _read(path, tmp_path / "work")
    assert "save the workbook as CSV UTF-8" in info.value.reason


def test_shared_sample_loads_two_rows_in_euro(tmp_path):
    parsed = _read(SHARED_SAMPLES / "meta_ads_export_nl.csv", tmp_path)
    nov2 = dt.date(2026, 11, 2)
    assert _rows(parsed) == [
        _row(
            nov2, "Prospecting | Tuinmeubels", None, "EUR", 10422, None, 131, 48.17, 3.0, 512.85, 2
        ),
        _row(
            nov2, "Retargeting | Alle bezoekers", None, "EUR", 4102, None, 77, 21.9, 2.0, 318.4, 3
        ),
    ]
    assert (parsed.rows_read, parsed.rows_loaded, parsed.summary_rows) == (2, 2, 0)


@pytest.mark.parametrize(
    ("column", "value", "check"),
    [
        ("Reporting starts", "2026-11-01", "Reporting starts = Reporting ends (daily breakdown)"),
        ("Campaign name", "", "campaign is not empty"),
        ("Impressions", "-1", "impressions >= 0"),
        ("Reach", "-1", "reach >= 0"),
        ("Link clicks", "-1", "clicks >= 0"),
        ("Amount spent (USD)", "-0.5", "cost >= 0"),
        ("Purchases", "-1", "conversions >= 0"),
        ("Purchases conversion value", "-1", "conversion_value >= 0"),
        ("Impressions", "1.000,5", "is a number in this file's format (1,234.5)"),
    ],
)
def test_every_declared_rule_is_checked_per_row(tmp_path, column, value, check):
    rows = list(csv.reader(io.StringIO((FIXTURES / "en_daily.csv").read_text(encoding="utf-8"))))
    rows[3][rows[0].index(column)] = value  # the third data row, on line 4
    path = tmp_path / "broken.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows(rows)
    parsed = _read(path, tmp_path / "work")
    shown = {"Reporting starts": "2026-11-02"}.get(column, value)  # the check reads the end
    named = "Reporting ends" if column == "Reporting starts" else column
    assert [(r.line, r.column, r.check, r.value) for r in parsed.rejected] == [
        (4, named, check, shown)
    ]
    assert [r["_row_number"] for r in _rows(parsed)] == [2, 3]
