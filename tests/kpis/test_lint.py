"""Every SMART and portfolio lint rule, each triggered by a fixture portfolio."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from pipelines.cli import main
from pipelines.kpis.facts import Fact, load_fact_catalog
from pipelines.kpis.lint import Severity, exit_code, lint_portfolio
from pipelines.kpis.loader import load_portfolio
from tests.kpis.portfolio_factory import GOALS, kpi, write_portfolio

TODAY = dt.date(2026, 11, 27)
FACTS = {
    "fct_ad_performance_daily": Fact(
        "fct_ad_performance_daily",
        "date_day",
        "google_ads",
        {
            "date_day": "date",
            "cost": "double",
            "conversion_value": "double",
            "conversions": "double",
        },
    ),
    "fct_survey_responses": Fact(
        "fct_survey_responses",
        "response_date",
        "surveymonkey",
        {"response_date": "date", "nps_score": "integer"},
        customer_voice=True,
    ),
}
NPS = {
    "id": "cs_nps",
    "name": "Net promoter score",
    "description": "Percentage of promoters minus percentage of detractors among survey answers.",
    "unit": "score",
    "direction": "higher_is_better",
    "computation": {
        "type": "ratio",
        "fact": "fct_survey_responses",
        "numerator": {
            "aggregate": "sum",
            "measure": "case when nps_score >= 9 then 1 when nps_score <= 6 then -1 else 0 end",
        },
        "denominator": {"aggregate": "count", "measure": "nps_score"},
        "scale": 100,
    },
    "frequency": "quarterly",
    "target": {"value": 40},
    "deadline": "2099-12-31",
    "owner": "Customer service lead",
    "goal": "loyal_customers",
    "csf": "fast_support",
    "horizon": "long",
}


def _lint(tmp_path, kpis, goals=None, facts=None):
    portfolio = load_portfolio(write_portfolio(tmp_path, kpis, goals))
    return lint_portfolio(portfolio, FACTS if facts is None else facts, today=TODAY)


def _rules(findings) -> set[tuple[str, str]]:
    return {(f.rule, f.severity.value) for f in findings}


def test_clean_portfolio_has_no_findings(tmp_path):
    assert _lint(tmp_path, [kpi(), NPS]) == []


@pytest.mark.parametrize(
    ("changes", "rule", "severity"),
    [
        ({"description": None}, "specific.description", "error"),
        ({"description": "ROAS per week."}, "specific.description", "warning"),
        ({"unit": None}, "specific.unit", "error"),
        ({"owner": None}, "acceptable.owner", "error"),
        ({"team": None}, "acceptable.level", "error"),
        ({"level": "individual"}, "acceptable.level", "error"),
        ({"goal": None}, "relevant.goal", "error"),
        ({"goal": "world_peace"}, "relevant.goal", "error"),
        ({"csf": None}, "relevant.csf", "error"),
        ({"csf": "fast_support"}, "relevant.csf", "error"),
        ({"target": None}, "time_bound.target", "error"),
        ({"deadline": None}, "time_bound.deadline", "error"),
        ({"deadline": "2025-01-01"}, "time_bound.deadline", "warning"),
        (
            {"computation": {**kpi()["computation"], "fact": "fct_unknown"}},
            "measurable.computation",
            "error",
        ),
        (
            {
                "computation": {
                    **kpi()["computation"],
                    "numerator": {"aggregate": "sum", "measure": "revenue"},
                }
            },
            "measurable.computation",
            "error",
        ),
        (
            {
                "computation": {
                    **kpi()["computation"],
                    "denominator": {"aggregate": "sum", "measure": "cost; drop table x"},
                }
            },
            "measurable.computation",
            "error",
        ),
        (
            {"computation": {"type": "growth", "of": "nothing_here"}},
            "measurable.computation",
            "error",
        ),
    ],
)
def test_each_smart_rule(tmp_path, changes, rule, severity):
    findings = _lint(tmp_path, [kpi(**changes), NPS])
    assert (rule, severity) in _rules(findings)
    finding = next(f for f in findings if f.rule == rule)
    assert finding.file.endswith("sea_roas.yml")
    assert finding.fix


def test_growth_needs_the_same_frequency(tmp_path):
    growth = kpi(
        id="sea_roas_growth",
        computation={"type": "growth", "of": "sea_roas"},
        frequency="monthly",
        unit="percent",
    )
    findings = _lint(tmp_path, [kpi(), growth, NPS])
    assert any(
        f.rule == "measurable.computation" and "at frequency monthly" in f.message for f in findings
    )


def test_too_many_kpis_in_total_and_per_goal(tmp_path):
    goals = {**GOALS, "limits": {"max_kpis_total": 3, "max_kpis_per_goal": 2}}
    many = [
        kpi(
            id=f"sea_roas_{i}",
            target={"value": float(i + 1)},
            computation={**kpi()["computation"], "scale": float(i + 1)},
        )
        for i in range(3)
    ]
    rules = _rules(_lint(tmp_path, [*many, NPS], goals))
    assert ("portfolio.too_many", "warning") in rules
    assert ("portfolio.too_many_per_goal", "warning") in rules


def test_duplicate_computation(tmp_path):
    findings = _lint(tmp_path, [kpi(), kpi(id="sea_roas_copy", name="ROAS again"), NPS])
    duplicate = [f for f in findings if f.rule == "portfolio.duplicate"]
    assert len(duplicate) == 1
    assert "'sea_roas'" in duplicate[0].message and duplicate[0].kpi_id == "sea_roas_copy"


def test_only_short_term_kpis_for_a_goal(tmp_path):
    findings = _lint(tmp_path, [kpi(horizon="short"), NPS])
    assert any(
        f.rule == "portfolio.only_short_term" and "profitable_growth" in f.message for f in findings
    )


def test_no_customer_voice_anywhere(tmp_path):
    goals = {"goals": [GOALS["goals"][0]]}
    assert ("portfolio.no_customer_voice", "warning") in _rules(_lint(tmp_path, [kpi()], goals))


def test_goal_without_kpi(tmp_path):
    findings = _lint(tmp_path, [kpi()])
    assert any(
        f.rule == "portfolio.goal_without_kpi" and "loyal_customers" in f.message for f in findings
    )


def test_exit_codes(tmp_path):
    assert exit_code([], strict=True) == 0
    warnings = _lint(tmp_path / "w", [kpi(horizon="short"), NPS])
    assert {f.severity for f in warnings} == {Severity.warning}
    assert exit_code(warnings, strict=False) == 0
    assert exit_code(warnings, strict=True) == 1
    errors = _lint(tmp_path / "e", [kpi(owner=None), NPS])
    assert exit_code(errors, strict=False) == 2


def test_cli_json_output_and_exit_code(tmp_path, capsys):
    directory = write_portfolio(tmp_path, [kpi(owner=None)])
    code = main(["lint", "--definitions", str(directory), "--format", "json"])
    payload = json.loads(capsys.readouterr().out)
    assert code == 2
    assert payload["errors"] >= 1
    owner = next(f for f in payload["findings"] if f["rule"] == "acceptable.owner")
    assert owner["file"].endswith("sea_roas.yml") and owner["fix"]


def test_cli_reports_unloadable_files_as_errors(tmp_path, capsys):
    directory = write_portfolio(tmp_path, [kpi(frequency="hourly")])
    assert main(["lint", "--definitions", str(directory), "--format", "json"]) == 2
    payload = json.loads(capsys.readouterr().out)
    assert payload["findings"][0]["field"] == "frequency"


def test_shipped_portfolio_is_lint_clean(capsys):
    # The verdict must not change with the calendar: deadlines are judged at a fixed as-of date.
    assert main(["lint", "--strict", "--format", "json", "--as-of", "2026-12-01"]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert payload == {"errors": 0, "warnings": 0, "findings": []}


def test_shipped_deadlines_warn_once_they_have_passed(capsys):
    # Past every shipped deadline, each key KPI gets exactly one finding: its passed deadline
    # (supporting metrics have none).
    portfolio = load_portfolio(Path("kpi_definitions"))
    as_of = max(k.deadline for k in portfolio.kpis if k.deadline) + dt.timedelta(days=1)
    assert main(["lint", "--strict", "--format", "json", "--as-of", as_of.isoformat()]) == 1
    payload = json.loads(capsys.readouterr().out)
    assert payload["errors"] == 0
    assert sorted((f["rule"], Path(f["file"]).stem) for f in payload["findings"]) == sorted(
        ("time_bound.deadline", k.id) for k in portfolio.kpis if not k.is_metric
    )


def test_a_fact_naming_an_unknown_source_fails_lint_naming_its_file_and_the_known_sources(
    tmp_path,
):
    marts = tmp_path / "dbt_project" / "models" / "marts"
    marts.mkdir(parents=True)
    (marts / "_orders__models.yml").write_text(
        """version: 2
models:
  - name: fct_orders
    config:
      meta:
        kpi_fact: {date_column: order_date, source: shopfy}
    columns:
      - {name: order_date, data_type: date}
      - {name: total, data_type: double}
""",
        encoding="utf-8",
    )
    facts = load_fact_catalog(tmp_path / "dbt_project")
    revenue = kpi(
        id="revenue",
        computation={"type": "sum", "fact": "fct_orders", "measure": "total"},
    )
    findings = _lint(tmp_path / "defs", [revenue, NPS], facts={**FACTS, **facts})
    errors = [f for f in findings if f.severity == Severity.error]
    by_rule = {f.rule: f for f in errors}
    assert set(by_rule) == {"fact.unknown_source", "measurable.source"}
    fact_error = by_rule["fact.unknown_source"]
    assert fact_error.file == "dbt_project/models/marts/_orders__models.yml"
    known = "crm, fx_rates, ga4, google_ads, meta_ads, microsoft_ads, search_console, shopify, "
    known += "surveymonkey, zendesk"
    assert f"'shopfy', which is not a declared source; known: {known}." in fact_error.message
    kpi_error = by_rule["measurable.source"]
    assert kpi_error.kpi_id == "revenue" and kpi_error.file.endswith("revenue.yml")
    assert "dbt_project/models/marts/_orders__models.yml" in kpi_error.message
    assert exit_code(findings, strict=False) == 2


def test_fact_catalog_comes_from_the_dbt_mart_contracts():
    facts = load_fact_catalog()
    ads = facts["fct_ad_performance_daily"]
    assert ads.date_column == "date_day" and ads.source == "google_ads"
    assert {"cost", "conversion_value", "conversions"} <= set(ads.columns)


def test_strict_preparation_refuses_invalid_definitions_with_the_problems(
    tmp_path, monkeypatch, capsys
):
    directory = write_portfolio(tmp_path / "defs", [kpi(owner=None)])
    monkeypatch.setenv("KPI_DEFINITIONS_DIR", str(directory))
    monkeypatch.setenv("KPI_ALLOW_PATHS_OUTSIDE_PROJECT", "1")
    assert main(["generate", "--strict"]) == 2
    err = capsys.readouterr().err
    assert "The KPI definitions have errors; nothing was run." in err
    assert "sea_roas.yml: acceptable.owner: no owner." in err
    assert main(["run", "--strict"]) == 2
    assert "sea_roas.yml: acceptable.owner: no owner." in capsys.readouterr().err

    # Without --strict the broken KPI is left out, and said so; the rest is prepared.
    assert main(["generate"]) == 3
    err = capsys.readouterr().err
    assert "left out sea_roas" in err and "acceptable.owner: no owner." in err
