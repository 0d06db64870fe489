"""The whole path once: hand-made Google Ads files -> raw -> dbt -> fct_kpi_values -> scorecard.

Expected values are computed by hand from tests/fixtures/landing/google_ads (see the comments).
"""

from __future__ import annotations

import datetime as dt

import duckdb
import pytest

pytestmark = pytest.mark.slow


def _kpi_rows(run, kpi_id: str) -> dict[dt.date, dict]:
    with duckdb.connect(str(run.warehouse_path), read_only=True) as con:
        cursor = con.execute(
            "select * from marts.fct_kpi_values where kpi_id = ? order by period_start", [kpi_id]
        )
        names = [d[0] for d in cursor.description]
        return {
            row[names.index("period_start")]: dict(zip(names, row, strict=True))
            for row in cursor.fetchall()
        }


def test_sea_roas_is_a_ratio_of_weekly_sums(fixture_run):
    rows = _kpi_rows(fixture_run, "sea_roas")
    week = rows[dt.date(2026, 8, 31)]
    # 2026-08-31: cost 100, value 1000 (ROAS 10); 2026-09-01: cost 900, value 900 (ROAS 1).
    # Ratio of sums: 1900 / 1000 = 1.9 (the average of daily ROAS would be 5.5).
    assert week["numerator"] == pytest.approx(1900.0)
    assert week["denominator"] == pytest.approx(1000.0)
    assert week["value"] == pytest.approx(1.9)
    assert week["value"] != pytest.approx((10 + 1) / 2)
    assert week["period_end"] == dt.date(2026, 9, 7)
    assert week["grain"] == "weekly"
    assert week["is_complete"] is True
    assert week["status"] == "off_track"  # target 6.0; 1.9 is far below 6.0 - 5%


def test_zero_cost_week_has_no_value_instead_of_an_error(fixture_run):
    week = _kpi_rows(fixture_run, "sea_roas")[dt.date(2026, 9, 7)]
    # Cost 0 + 0, value 50 + '--': division by zero gives null, status no_data.
    assert week["denominator"] == 0
    assert week["numerator"] == pytest.approx(50.0)
    assert week["value"] is None
    assert week["status"] == "no_data"


def test_status_follows_target_and_tolerance(fixture_run):
    rows = _kpi_rows(fixture_run, "sea_roas")
    # Dutch UTF-16 file: (1000 + 180) / (120 + 80) = 5.9: within 5% of the target 6.0.
    assert rows[dt.date(2026, 9, 14)]["value"] == pytest.approx(5.9)
    assert rows[dt.date(2026, 9, 14)]["status"] == "at_risk"
    # (420 + 280) / (60 + 40) = 7.0
    assert rows[dt.date(2026, 9, 21)]["value"] == pytest.approx(7.0)
    assert rows[dt.date(2026, 9, 21)]["status"] == "on_track"


def test_period_after_the_data_is_present_but_incomplete(fixture_run):
    rows = _kpi_rows(fixture_run, "sea_roas")
    # As of 2026-10-01 the week of 2026-09-28 has not ended and has no data yet.
    week = rows[dt.date(2026, 9, 28)]
    assert week["is_complete"] is False
    assert week["status"] is None
    assert week["source_rows"] == 0
    assert sorted(rows) == [dt.date(2026, 8, 31) + dt.timedelta(weeks=i) for i in range(5)]


def test_scorecard_shows_latest_complete_week_and_change(fixture_run):
    from pipelines.report.scorecard import read_scorecard, scorecard_csv, scorecard_json

    rows = {row["kpi_id"]: row for row in read_scorecard(fixture_run.warehouse_path)}
    roas = rows["sea_roas"]
    assert roas["period_start"] == dt.date(2026, 9, 21)
    assert roas["value"] == pytest.approx(7.0)
    assert roas["previous_value"] == pytest.approx(5.9)
    assert roas["change"] == pytest.approx(1.1)
    assert roas["status"] == "on_track"
    assert '"kpi_id": "sea_roas"' in scorecard_json(list(rows.values()))
    assert "sea_roas,Google Ads ROAS" in scorecard_csv(list(rows.values()))


def test_published_file_has_marts_only_and_raw_stays_in_parquet(fixture_run):
    with duckdb.connect(str(fixture_run.warehouse_path), read_only=True) as con:
        schemas = {
            r[0] for r in con.execute("select distinct schema_name from duckdb_tables()").fetchall()
        }
    assert schemas == {"marts"}
    with duckdb.connect(str(fixture_run.settings.work_db_path), read_only=True) as con:
        raw_tables = {
            r[0]
            for r in con.execute(
                "select view_name from duckdb_views() where schema_name = 'raw'"
            ).fetchall()
        }
        rows = con.execute("select count(*) from raw.google_ads_campaign_days").fetchone()[0]
    assert {"google_ads_campaign_days", "load_log", "rejected_rows", "run_context"} <= raw_tables
    assert rows == 8  # 4 + 4 data rows; the two total rows are not data


def test_load_log_reconciles_rows(fixture_run):
    with duckdb.connect(str(fixture_run.settings.work_db_path), read_only=True) as con:
        log = con.execute(
            "select file_path, status, rows_read, rows_loaded, rows_rejected, summary_rows "
            "from raw.load_log order by file_path"
        ).fetchall()
    assert [(r[1], r[2], r[3], r[4], r[5]) for r in log] == [
        ("loaded", 4, 4, 0, 1),
        ("loaded", 4, 4, 0, 1),
    ]
