"""Lint of the KPI language's newer parts: supporting metrics and drivers, ratios of two facts,
cohorts with a maturity window."""

from __future__ import annotations

import pytest

from pipelines.kpis.facts import Fact
from pipelines.kpis.lint import lint_portfolio
from pipelines.kpis.loader import DefinitionError, load_portfolio
from tests.kpis.portfolio_factory import GOALS, kpi, write_portfolio
from tests.kpis.test_lint import FACTS, NPS, TODAY

ORDERS = Fact(
    "fct_orders",
    "created_date",
    "shopify",
    {
        "created_date": "date",
        "created_at": "timestamp",
        "customer_key": "varchar",
        "is_valid": "boolean",
        "valid_order_number": "bigint",
    },
)
ALL_FACTS = {**FACTS, "fct_orders": ORDERS}

METRIC = kpi(
    id="sea_cost",
    name="Google Ads cost",
    description="Sum of Google Ads cost over the week, the denominator of the ROAS.",
    role="metric",
    computation={"type": "sum", "fact": "fct_ad_performance_daily", "measure": "cost"},
    target=None,
    deadline=None,
)
COHORT = {
    "type": "cohort",
    "entity": "customer_key",
    "base": {"fact": "fct_orders", "at": "created_at", "where": "valid_order_number = 1"},
    "conversion": {"at": "created_at", "where": "is_valid and valid_order_number > 1"},
    "window": {"days": 30},
    "scale": 100,
}


def _lint(tmp_path, kpis, goals=None):
    portfolio = load_portfolio(write_portfolio(tmp_path, kpis, goals))
    return lint_portfolio(portfolio, ALL_FACTS, today=TODAY)


def _rules(findings) -> list[tuple[str, str, str | None]]:
    return sorted((f.rule, f.severity.value, f.kpi_id) for f in findings)


def test_a_metric_needs_no_target_or_deadline_and_a_kpi_may_name_it_as_driver(tmp_path):
    assert _lint(tmp_path, [kpi(drivers=["sea_cost"]), METRIC, NPS]) == []


def test_a_metric_with_a_target_is_warned_that_the_target_is_ignored(tmp_path):
    metric = {**METRIC, "target": {"value": 5.0}}
    assert _rules(_lint(tmp_path, [kpi(), metric, NPS])) == [
        ("time_bound.metric_target", "warning", "sea_cost")
    ]


def test_a_key_kpi_still_needs_target_and_deadline(tmp_path):
    rules = _rules(_lint(tmp_path, [kpi(role="kpi", target=None, deadline=None), NPS]))
    assert rules == [
        ("time_bound.deadline", "error", "sea_roas"),
        ("time_bound.target", "error", "sea_roas"),
    ]


@pytest.mark.parametrize(
    ("drivers", "message"),
    [
        (["sea_nothing"], "unknown driver 'sea_nothing'."),
        (["cs_nps"], "driver 'cs_nps' is a key KPI, not a supporting metric."),
        (["sea_roas"], "the KPI names itself as its driver."),
    ],
)
def test_drivers_must_be_existing_metrics(tmp_path, drivers, message):
    findings = _lint(tmp_path, [kpi(drivers=drivers), METRIC, NPS])
    assert [(f.rule, f.severity.value, f.message) for f in findings] == [
        ("relevant.drivers", "error", message)
    ]


def test_metrics_do_not_count_against_the_limits(tmp_path):
    goals = {**GOALS, "limits": {"max_kpis_total": 2, "max_kpis_per_goal": 1}}
    metrics = [
        {
            **METRIC,
            "id": f"sea_cost_{i}",
            "computation": {**METRIC["computation"], "where": f"cost > {i}"},
        }
        for i in range(4)
    ]
    # 2 key KPIs (one per goal) and 4 metrics: within both limits
    assert _lint(tmp_path, [kpi(), NPS, *metrics], goals) == []
    # a third key KPI breaks both limits, and the warning counts key KPIs only
    third = kpi(id="sea_roas_2", computation={**kpi()["computation"], "scale": 2.0})
    findings = _lint(tmp_path, [kpi(), NPS, third, *metrics], goals)
    assert {f.rule for f in findings} == {"portfolio.too_many", "portfolio.too_many_per_goal"}
    assert any(f.message.startswith("3 key KPIs;") for f in findings)


def test_a_goal_with_only_metrics_has_no_kpi(tmp_path):
    metric_nps = {**NPS, "id": "cs_nps_metric", "role": "metric", "target": None}
    metric_nps.pop("deadline")
    rules = _rules(_lint(tmp_path, [kpi(), metric_nps]))
    assert ("portfolio.goal_without_kpi", "warning", None) in rules
    assert ("portfolio.no_customer_voice", "warning", None) in rules


def test_a_ratio_of_two_facts_checks_each_side_against_its_own_fact(tmp_path):
    two_facts = {
        "type": "ratio",
        "numerator": {"fact": "fct_ad_performance_daily", "aggregate": "sum", "measure": "cost"},
        "denominator": {"fact": "fct_orders", "aggregate": "count", "where": "is_valid"},
    }
    assert _lint(tmp_path, [kpi(computation=two_facts), NPS]) == []
    # `cost` is not a column of fct_orders
    swapped = {
        **two_facts,
        "denominator": {"fact": "fct_orders", "aggregate": "sum", "measure": "cost"},
    }
    findings = _lint(tmp_path, [kpi(computation=swapped), NPS])
    assert [(f.rule, f.fix) for f in findings] == [
        (
            "measurable.computation",
            "write `computation.denominator.measure` over the columns of fct_orders only.",
        )
    ]
    unknown = {**two_facts, "denominator": {"fact": "fct_leads", "aggregate": "count"}}
    findings = _lint(tmp_path, [kpi(computation=unknown), NPS])
    assert [f.message for f in findings] == ["unknown fact 'fct_leads'."]


def test_a_ratio_without_any_fact_is_refused_on_loading(tmp_path):
    no_fact = {
        "type": "ratio",
        "numerator": {"aggregate": "sum", "measure": "cost"},
        "denominator": {"aggregate": "count"},
    }
    with pytest.raises(DefinitionError, match=r"computation: .*name the fact: `fact:` or"):
        load_portfolio(write_portfolio(tmp_path, [kpi(computation=no_fact), NPS]))


def test_a_cohort_is_checked_against_its_facts_and_needs_timestamps(tmp_path):
    cohort_kpi = kpi(computation=COHORT, unit="percent", frequency="monthly")
    assert _lint(tmp_path, [cohort_kpi, NPS]) == []
    on_a_date = {**COHORT, "conversion": {**COHORT["conversion"], "at": "created_date"}}
    findings = _lint(tmp_path, [kpi(computation=on_a_date, unit="percent"), NPS])
    assert [f.message for f in findings] == [
        "computation.conversion.at: 'created_date' is not a timestamp column of fct_orders."
    ]
    bad_entity = {**COHORT, "entity": "requester_key"}
    findings = _lint(tmp_path, [kpi(computation=bad_entity, unit="percent"), NPS])
    assert [f.rule for f in findings] == ["measurable.computation"]
    assert "requester_key" in findings[0].message


@pytest.mark.parametrize(
    ("window", "message"),
    [
        ({}, "give the window in `days` or in `hours`"),
        ({"days": 1, "hours": 2}, "give the window in `days` or in `hours`"),
        ({"days": -1}, "greater than or equal to 0"),
    ],
)
def test_a_cohort_window_is_days_or_hours(tmp_path, window, message):
    bad = kpi(computation={**COHORT, "window": window})
    with pytest.raises(DefinitionError, match=message):
        load_portfolio(write_portfolio(tmp_path, [bad, NPS]))
