"""`kpi-warehouse validate`, the scorecard, the report and Dagster's metadata on the fixture run.

What the fixture landing folder holds decides every verdict below (as of 2026-10-05):
* Google Ads: files with last days 2026-09-13 and 2026-09-27 (a correction of 09-21..09-27 adds no
  newer day): a delivery every 14 days, more than the 8 days a weekly KPI may go without data;
  complete weeks 08-31, 09-07, 09-14 and 09-21, of the last six ended weeks (08-24 .. 09-28).
  ROAS has no value in the week of 09-07 (no cost): 3 of 6.
* Surveys: one export of Q3 2026, so NPS has 1 complete quarter: 3 more are needed.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess

import dagster as dg
import duckdb
import pytest

from pipelines.cli import main
from pipelines.kpis.loader import load_portfolio
from pipelines.report.html_report import load_report_data, render_report
from pipelines.settings import DEFAULT_KPI_DEFINITIONS_DIR
from pipelines.validation.warehouse import validate_portfolio
from tests.conftest import environment, warehouse_env

pytestmark = pytest.mark.slow
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


def _env(fixture_run):
    return environment(**warehouse_env(fixture_run.root, fixture_run.root / "landing"))


def _json(capsys, *argv: str) -> tuple[int, dict]:
    code = main(["validate", "--format", "json", *argv])
    return code, json.loads(capsys.readouterr().out)


def test_validate_judges_the_fixture_warehouse(fixture_run, capsys):
    with _env(fixture_run):
        code, report = _json(capsys)
    assert code == 1  # not every KPI is measurable on four weeks of data
    assert report["as_of"] == "2026-10-05"
    kpis = {k["kpi_id"]: k for k in report["kpis"]}
    assert len(kpis) == 21
    roas = kpis["sea_roas"]
    assert roas["measurability"] == "not_measurable"
    assert roas["measurability_figures"]["days_between_deliveries"] == 14
    assert roas["measurability_figures"]["complete_with_value"] == 3
    assert any("every 14 days" in r and "at most 8 days" in r for r in roas["reasons"])
    assert kpis["sea_conversions"]["measurability_figures"]["complete_with_value"] == 4
    nps = kpis["cs_nps"]
    assert nps["achievability"] == "unknown"
    assert nps["achievability_figures"] == {"periods": 1, "periods_needed": 3}
    assert {k["achievability"] for k in kpis.values()} == {"unknown"}


def test_validate_options_kpi_strict_text_and_errors(fixture_run, capsys):
    with _env(fixture_run):
        code, report = _json(capsys, "--kpi", "sea_conversions", "--periods", "4")
        # the last 4 ended weeks 09-07 .. 09-28: 3 complete (09-28 is not), but the 14-day
        # deliveries still fail the weekly cadence
        assert [k["kpi_id"] for k in report["kpis"]] == ["sea_conversions"]
        figures = report["kpis"][0]["measurability_figures"]
        assert (figures["recent_periods"], figures["complete_with_value"]) == (4, 3)
        assert code == 1
        assert main(["validate", "--kpi", "no_such_kpi"]) == 2
        assert main(["validate", "--as-of", "yesterday"]) == 2
        capsys.readouterr()
        assert main(["validate", "--kpi", "cs_nps", "--strict"]) == 1
        text = capsys.readouterr().out
    assert "cs_nps" in text and "not measurable" in text and "3 more are needed" in text


def test_the_scorecard_shows_pace_and_carries_the_verdicts(fixture_run, capsys):
    with _env(fixture_run):
        assert main(["scorecard", "--format", "json"]) == 0
        rows = {row["kpi_id"]: row for row in json.loads(capsys.readouterr().out)}
        assert main(["scorecard", "--format", "csv"]) == 0
        header = capsys.readouterr().out.splitlines()[0].split(",")
        assert main(["scorecard"]) == 0
        table = capsys.readouterr().out
    assert rows["sea_roas"]["status"] == "on_track" and rows["sea_roas"]["pace"] == "unknown"
    assert rows["sea_roas"]["validation"]["measurability"] == "not_measurable"
    assert header[-3:] == ["pace", "needed_next_level", "needed_change_per_period"]
    # The compact terminal scorecard gives the pace on each KPI's second line.
    roas = next(line for line in table.splitlines() if line.strip().startswith("Google Ads ROAS"))
    assert "pace unknown" in roas


def test_kpi_materialisations_carry_the_verdicts(fixture_run):
    events = fixture_run.result.asset_materializations_for_node("kpi_warehouse_dbt")
    by_key = {e.asset_key: e for e in events}
    roas = by_key[dg.AssetKey(["kpis", "kpi_sea_roas"])].metadata
    assert roas["kpi/measurability"].value == "not_measurable"
    assert roas["kpi/achievability"].value == "unknown"
    assert roas["kpi/pace"].value == "unknown"
    assert "every 14 days" in roas["kpi/validation_reasons"].value
    nps = by_key[dg.AssetKey(["kpis", "kpi_cs_nps"])].metadata
    assert "3 more are needed" in nps["kpi/validation_reasons"].value


def _validated_report(fixture_run) -> str:
    """The report with validation; four weeks suffice here so that the weekly Google Ads KPIs
    get a forecast (drift, the only method a 4-period history can backtest)."""
    data = load_report_data(fixture_run.warehouse_path)
    portfolio = load_portfolio(DEFAULT_KPI_DEFINITIONS_DIR)
    with duckdb.connect(str(fixture_run.warehouse_path), read_only=True) as con:
        results = validate_portfolio(
            con, portfolio, raw_dir=fixture_run.settings.raw_dir, min_history=4
        )
    data["validation"] = {result.kpi_id: result for result in results}
    return render_report(data)


def test_the_report_shows_validation_pace_and_the_forecast(fixture_run):
    page = _validated_report(fixture_run)
    assert page.count('class="validation"') == 21
    assert page.count('data-measurability="not_measurable"') == 21
    # sea_conversions 19, 1, 9.5, 6: drift backtest from 2 origins: forecasts -17 and 4.75
    # against 9.5 and 6, mean error (26.5 + 1.25) / 2 = 13.875; 27 weeks from 09-28 to the
    # deadline week of 2027-03-29
    results = {}
    with duckdb.connect(str(fixture_run.warehouse_path), read_only=True) as con:
        for result in validate_portfolio(
            con,
            load_portfolio(DEFAULT_KPI_DEFINITIONS_DIR),
            raw_dir=fixture_run.settings.raw_dir,
            min_history=4,
            kpi_ids=["sea_conversions"],
        ):
            results[result.kpi_id] = result
    forecast = results["sea_conversions"].achievability.forecast
    assert forecast is not None and forecast.method == "drift"
    assert forecast.errors == pytest.approx({"drift": 13.875})
    assert len(forecast.periods) == 27 and str(forecast.periods[-1]) == "2027-03-29"
    assert min(forecast.low) == 0.0  # a count is never forecast below zero
    # CPA already meets its target and ROAS has 3 values: only the conversions are forecast
    assert page.count('class="forecast-line"') == 1
    assert "<script" not in page and "http" not in page.replace("http-equiv", "")


@pytest.mark.skipif(CHROMIUM is None, reason="headless Chromium is not installed")
def test_the_validated_report_renders_in_headless_chromium(fixture_run, tmp_path):
    report = tmp_path / "report.html"
    report.write_text(_validated_report(fixture_run), encoding="utf-8")
    dom = subprocess.run(
        [
            CHROMIUM,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            f"--user-data-dir={tmp_path / 'chromium'}",
            "--dump-dom",
            f"file://{report}",
        ],
        check=True,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "HOME": str(tmp_path)},
    ).stdout
    assert dom.count('class="validation"') == 21
    # charts for the 14 KPIs with values (no CRM exports in the fixture)
    assert dom.count('class="trend-chart"') + dom.count('class="trend-chart with-forecast"') == 14
    assert 'class="forecast-band"' in dom and 'class="forecast-line"' in dom
    assert 'data-pace="unknown"' in dom and "pace-text" in dom
