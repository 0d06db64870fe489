"""The KPI language's ratio of two facts, cohort with a maturity window, and supporting metrics,
built end to end over tests/fixtures/kpi_language/landing with hand-computed values.

The run's as-of time is 2026-10-05 00:00 (Europe/Amsterdam). The orders (one export, 06-28 to
10-03, all +02:00 but one) and the Google Ads report (08-01 to 09-30) are small enough to count by
hand; each expected number is derived in the comment next to it.

Valid orders (paid or partially refunded), by local day and customer:
    #5001 06-28 c0 · #5002 07-03 10:00 c1 · #5003 07-10 12:00 c2 · #5004 07-20 c3 ·
    #5005 07-25 c4 · (#5006 07-30 c4 refunded, not valid) · #5007 08-02 10:00 c1 ·
    #5008 08-09 12:01 c2 · #5009 08-20 c5 · #5010 08-31 23:30 UTC = 09-01 01:30 local c6 ·
    #5011 09-05 c5 · #5012 09-10 c4 · #5013 09-20 c6 · #5014 09-25 c7 · #5015 10-03 c3
Google Ads cost: 08-01 100, 08-15 50, 09-10 90, 09-30 30.
"""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import duckdb
import pytest

from pipelines.settings import PROJECT_DIR
from tests.conftest import FIXTURES, PipelineRun, environment, run_pipeline
from tests.test_pipeline import _values

pytestmark = pytest.mark.slow
D = dt.date
AS_OF = "2026-10-05"

RATIO_KPI = """\
id: test_ad_cost_per_order
name: Ad cost per valid order
description: >
  Sum of Google Ads cost in the month divided by the number of valid Shopify orders placed in
  the same month.
unit: currency
direction: lower_is_better
computation:
  type: ratio
  numerator: {fact: fct_ad_performance_daily, aggregate: sum, measure: cost}
  denominator: {fact: fct_orders, aggregate: count, where: "is_valid"}
frequency: monthly
target: {value: 40}
deadline: 2027-06-30
owner: Lotte Jansen (SEA lead)
goal: profitable_growth
csf: efficient_paid_search
horizon: long
drivers: [test_repeat_within_30_days]
"""

COHORT_METRIC = """\
id: test_repeat_within_30_days
name: Repeat order within 30 days
description: >
  Of the customers whose first valid order was placed in the month, the share that placed a
  second valid order within 30 days (30 x 24 hours) of the first.
unit: percent
direction: higher_is_better
role: metric
computation:
  type: cohort
  entity: customer_key
  base: {fact: fct_orders, at: created_at, where: "is_valid and valid_order_number = 1"}
  conversion: {at: created_at, where: "is_valid and valid_order_number > 1"}
  window: {days: 30}
  scale: 100
frequency: monthly
owner: Noor Hendriks (customer service lead)
goal: loyal_customers
csf: repeat_business
"""


@pytest.fixture(scope="module")
def language_run(tmp_path_factory: pytest.TempPathFactory) -> PipelineRun:
    root = tmp_path_factory.mktemp("kpi_language")
    definitions = root / "kpi_definitions"
    definitions.mkdir()
    shutil.copy(PROJECT_DIR / "kpi_definitions" / "goals.yml", definitions / "goals.yml")
    (definitions / "test_ad_cost_per_order.yml").write_text(RATIO_KPI, encoding="utf-8")
    (definitions / "test_repeat_within_30_days.yml").write_text(COHORT_METRIC, encoding="utf-8")
    landing = root / "landing"
    shutil.copytree(FIXTURES / "kpi_language" / "landing", landing)
    # the temporary folder is outside the project (importing the code location reads it too)
    with environment(KPI_DEFINITIONS_DIR=str(definitions), KPI_ALLOW_PATHS_OUTSIDE_PROJECT="1"):
        run = run_pipeline(root, landing, AS_OF)
    assert run.result.success, "the KPI language run failed"
    return run


def _scorecard(run: PipelineRun) -> dict[str, dict]:
    with duckdb.connect(str(run.warehouse_path), read_only=True) as con:
        cursor = con.execute("select * from marts.kpi_scorecard")
        names = [d[0] for d in cursor.description]
        return {row[0]: dict(zip(names, row, strict=True)) for row in cursor.fetchall()}


# --- ratio of two facts --------------------------------------------------------------------------


def test_ratio_of_two_facts_is_aligned_on_the_month(language_run):
    ratio = _values(language_run, "test_ad_cost_per_order")
    # August: cost 100 + 50 = 150 over the valid orders of August, #5007, #5008, #5009 (#5010 is
    # 09-01 01:30 in Amsterdam) = 3: 50.0, above the target of 40 by more than 5 %: off track.
    august = ratio[D(2026, 8, 1)]
    assert (august["numerator"], august["denominator"]) == (150, 3)
    assert august["value"] == pytest.approx(50.0)
    assert august["is_complete"] is True and august["status"] == "off_track"
    # rows of both facts: 2 ad days + 3 orders
    assert august["source_rows"] == 5
    # September: cost 90 + 30 = 120 over #5010, #5011, #5012, #5013, #5014 = 5: 24.0, on track.
    september = ratio[D(2026, 9, 1)]
    assert (september["numerator"], september["denominator"]) == (120, 5)
    assert september["value"] == pytest.approx(24.0)
    assert september["is_complete"] is True and september["status"] == "on_track"
    assert september["source_rows"] == 7


def test_a_month_only_one_fact_covers_is_incomplete(language_run):
    ratio = _values(language_run, "test_ad_cost_per_order")
    # July: the orders cover it (from 06-28), the Google Ads report starts 08-01.
    july = ratio[D(2026, 7, 1)]
    assert july["is_complete"] is False and july["status"] is None
    assert july["value"] is None and july["numerator"] is None
    assert july["denominator"] == 4  # #5002, #5003, #5004, #5005 (#5006 is refunded)
    # June: neither covers it whole; October has not ended at the as-of day.
    assert ratio[D(2026, 6, 1)]["is_complete"] is False
    october = ratio[D(2026, 10, 1)]
    assert october["is_complete"] is False and october["value"] is None
    assert sorted(ratio) == [
        D(2026, 6, 1),
        D(2026, 7, 1),
        D(2026, 8, 1),
        D(2026, 9, 1),
        D(2026, 10, 1),
    ]


# --- cohort with a maturity window ----------------------------------------------------------------


def test_cohort_counts_conversions_within_the_window_only(language_run):
    cohort = _values(language_run, "test_repeat_within_30_days")
    # July's first orders: c1 07-03 10:00, c2 07-10 12:00, c3 07-20, c4 07-25.
    # c1's second order 08-02 10:00 is exactly 30 x 24 h later: inside the window.
    # c2's 08-09 12:01 is 30 days and 1 minute later: outside. c3's next is 10-03 (75 days);
    # c4's 07-30 order was refunded (not valid) and the valid one of 09-10 is 47 days later.
    july = cohort[D(2026, 7, 1)]
    assert (july["numerator"], july["denominator"]) == (1, 4)
    assert july["value"] == pytest.approx(25.0)
    # The window of July closed 08-31 00:00 and the orders cover up to 10-03: complete.
    assert july["is_complete"] is True
    # August: c5 (08-20, again 09-05, 16 days): 1 of 1. Its window closed 10-01 00:00, before
    # the as-of time 10-05 00:00, and the orders cover that far.
    august = cohort[D(2026, 8, 1)]
    assert (august["numerator"], august["denominator"]) == (1, 1)
    assert august["value"] == pytest.approx(100.0) and august["is_complete"] is True


def test_an_immature_cohort_month_is_incomplete_not_zero(language_run):
    cohort = _values(language_run, "test_repeat_within_30_days")
    ratio = _values(language_run, "test_ad_cost_per_order")
    # September: c6 (first order 08-31 23:30 UTC = 09-01 local; again 09-20) and c7 (09-25).
    # The orders cover September (the ratio's September is complete), but its window ends
    # 10-31 00:00, after the as-of time: incomplete, with the conversions seen so far.
    september = cohort[D(2026, 9, 1)]
    assert ratio[D(2026, 9, 1)]["is_complete"] is True
    assert september["is_complete"] is False and september["status"] is None
    assert (september["numerator"], september["denominator"]) == (1, 2)
    # June: the orders start 06-28, so June is not covered (c0, no second order).
    june = cohort[D(2026, 6, 1)]
    assert (june["numerator"], june["denominator"], june["is_complete"]) == (0, 1, False)
    # October: one order, a second one (c3): nobody's first, so no cohort and no value.
    october = cohort[D(2026, 10, 1)]
    assert october["source_rows"] == 1 and october["denominator"] == 0
    assert october["value"] is None and october["is_complete"] is False


# --- key KPIs and supporting metrics --------------------------------------------------------------


def test_a_metric_has_values_but_no_target_or_status(language_run):
    cohort = _values(language_run, "test_repeat_within_30_days")
    assert all(row["status"] is None and row["target"] is None for row in cohort.values())
    card = _scorecard(language_run)
    metric = card["test_repeat_within_30_days"]
    assert metric["role"] == "metric" and metric["status"] == "metric"
    assert metric["period_start"] == D(2026, 8, 1) and metric["value"] == pytest.approx(100.0)
    kpi = card["test_ad_cost_per_order"]
    assert kpi["role"] == "kpi" and kpi["status"] == "on_track"
    assert kpi["drivers"] == "test_repeat_within_30_days"
    with duckdb.connect(str(language_run.warehouse_path), read_only=True) as con:
        rows = con.execute(
            "select kpi_id, role, drivers, note_missing from bi.kpi_scorecard order by kpi_id"
        ).fetchall()
        dims = con.execute("select kpi_id, fact_name from marts.dim_kpi order by kpi_id").fetchall()
    assert rows == [
        ("test_ad_cost_per_order", "kpi", "test_repeat_within_30_days", False),
        ("test_repeat_within_30_days", "metric", None, False),
    ]
    assert dims == [
        ("test_ad_cost_per_order", "fct_ad_performance_daily, fct_orders"),
        ("test_repeat_within_30_days", "fct_orders"),
    ]


def test_fixture_files_are_the_ones_described(language_run):
    landing = Path(FIXTURES / "kpi_language" / "landing")
    orders = (landing / "orders").glob("*.csv")
    assert sum(len(p.read_text().splitlines()) - 1 for p in orders) == 15


# --- how the report, scorecard, alerts, digests and checks treat a metric -------------------------


def test_the_report_shows_the_drivers_beside_the_kpi_and_the_metric_without_target(language_run):
    import re

    from pipelines.report.html_report import load_report_data, render_report

    page = render_report(load_report_data(language_run.warehouse_path))
    card = page[page.index('id="kpi-test_ad_cost_per_order"') :]
    card = card[: card.index('<div class="kpi"')] if '<div class="kpi"' in card else card
    driver = re.search(r'<tr data-driver="test_repeat_within_30_days">(.*?)</tr>', card)
    assert driver is not None
    # the metric's latest complete period: August, 100.0 %, 75 points up on July's 25.0 %
    assert "Repeat order within 30 days" in driver.group(1)
    assert "2026-08-01" in driver.group(1) and "100.0%" in driver.group(1)
    assert "▲ 75.0%" in driver.group(1)
    metric_card = page[page.index('id="kpi-test_repeat_within_30_days"') :]
    assert "Supporting metric (no target)" in metric_card[:2000]
    assert "status-metric" in metric_card[:2000]
    # the goal of the metric counts key KPIs only: it has none
    goals = dict(
        re.findall(r'<h2 class="goal">(.*?) <span class="meta goal-count">(.*?)</span>', page)
    )
    assert set(goals.values()) == {"1 of 1 KPIs on track", "0 of 0 KPIs on track"}


def test_the_terminal_scorecard_names_drivers_and_shows_metric_as_status(language_run):
    from rich.console import Console

    from pipelines.report.scorecard import compact_scorecard, read_scorecard

    rows = read_scorecard(language_run.warehouse_path)
    console = Console(width=100, record=True, color_system=None)
    console.print(compact_scorecard(rows, width=100))
    text = console.export_text()
    metric_line = next(line for line in text.splitlines() if line.startswith("test_repeat"))
    assert metric_line.split()[1:4] == ["2026-08", "100.0%", "-"]
    assert metric_line.split()[4] == "metric"
    assert "drivers test_repeat_within_30_days" in text


def test_a_metric_never_alerts_even_when_held():
    from pipelines.notify.alerting import alert_kind

    held = {"status": "held", "held_reason": "held: volume on raw.orders since 2026-10-05"}
    assert alert_kind({**held, "role": "kpi"}) == "held"
    assert alert_kind({**held, "role": "metric"}) is None
    assert alert_kind({"status": "off_track", "role": "kpi"}) == "off_track"
    assert alert_kind({"status": "metric", "role": "metric"}) is None


def test_a_held_metric_asks_no_note_in_the_digest_and_passes_the_on_target_check():
    import yaml

    from pipelines.assets.kpi_checks import on_target_result
    from pipelines.kpis.models import KpiDefinition
    from pipelines.notify.digest import DigestKpi

    metric = KpiDefinition.model_validate(yaml.safe_load(COHORT_METRIC))
    kpi = KpiDefinition.model_validate(yaml.safe_load(RATIO_KPI))
    row = {"status": "held", "held_reason": "held", "note": None}
    day = D(2026, 8, 1)
    assert DigestKpi(metric, {**row, "role": "metric"}, day, day, []).needs_note is False
    assert DigestKpi(kpi, {**row, "role": "kpi"}, day, day, []).needs_note is True
    card = {"period_start": day, "status": "held", "held_reason": "held", "role": "metric"}
    assert on_target_result(metric.id, card).passed is True
    assert on_target_result(kpi.id, {**card, "role": "kpi"}).passed is False


def test_a_ratio_of_two_facts_reads_both_sources():
    import yaml

    from pipelines.kpis.facts import load_fact_catalog
    from pipelines.kpis.models import KpiDefinition
    from pipelines.kpis.source_kpis import kpis_reading

    kpis = [
        KpiDefinition.model_validate(yaml.safe_load(RATIO_KPI)),
        KpiDefinition.model_validate(yaml.safe_load(COHORT_METRIC)),
    ]
    facts = load_fact_catalog()
    assert kpis_reading("google_ads", kpis, facts) == ["test_ad_cost_per_order"]
    assert kpis_reading("shopify", kpis, facts) == [
        "test_ad_cost_per_order",
        "test_repeat_within_30_days",
    ]


def test_validation_judges_a_ratio_of_two_facts_on_both_sources(language_run):
    from pipelines.kpis.loader import load_portfolio
    from pipelines.validation.warehouse import validate_portfolio

    portfolio = load_portfolio(language_run.settings.definitions_dir)
    with duckdb.connect(str(language_run.warehouse_path), read_only=True) as con:
        results = validate_portfolio(
            con, portfolio, raw_dir=language_run.settings.raw_dir, as_of=D(2026, 10, 5)
        )
    ratio = next(r for r in results if r.kpi_id == "test_ad_cost_per_order")
    # one delivery per source: both cadences are named; two complete months of six
    assert ratio.measurability.verdict.value == "not_measurable"
    assert "Google Ads: one delivery so far, so its cadence is not known yet" in (
        ratio.measurability.reasons
    )
    assert "Shopify order: one delivery so far, so its cadence is not known yet" in (
        ratio.measurability.reasons
    )
