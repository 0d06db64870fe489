"""Loading definition files: valid files become typed models, invalid ones name file and field."""

from __future__ import annotations

import datetime as dt

import pytest

from pipelines.kpis.loader import DefinitionError, load_portfolio
from pipelines.kpis.models import Frequency, RatioComputation
from pipelines.settings import DEFAULT_KPI_DEFINITIONS_DIR
from tests.kpis.portfolio_factory import kpi, write_portfolio


def _problems(directory) -> list[str]:
    with pytest.raises(DefinitionError) as info:
        load_portfolio(directory)
    return [str(p) for p in info.value.problems]


def test_valid_portfolio_loads_into_typed_models(tmp_path):
    portfolio = load_portfolio(write_portfolio(tmp_path, [kpi()]))
    roas = portfolio.kpi("sea_roas")
    assert roas is not None
    assert roas.frequency is Frequency.weekly
    assert isinstance(roas.computation, RatioComputation)
    assert roas.computation.numerator.measure == "conversion_value"
    assert roas.deadline == dt.date(2099, 12, 31)
    assert roas.target is not None and roas.target.value == 6.0
    assert portfolio.kpi_files["sea_roas"].endswith("sea_roas.yml")
    assert [g.id for g in portfolio.goals] == ["profitable_growth", "loyal_customers"]


def test_shipped_portfolio_loads():
    portfolio = load_portfolio(DEFAULT_KPI_DEFINITIONS_DIR)
    assert portfolio.kpi("sea_roas") is not None


def test_per_period_target_overrides_the_default(tmp_path):
    document = kpi(
        target={"value": 6.0, "per_period": [{"period_start": "2026-12-07", "value": 8}]}
    )
    roas = load_portfolio(write_portfolio(tmp_path, [document])).kpi("sea_roas")
    assert roas.target.for_period(dt.date(2026, 12, 7)) == 8
    assert roas.target.for_period(dt.date(2026, 12, 14)) == 6.0


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"frequency": "hourly"}, "sea_roas.yml: frequency: Input should be 'daily', 'weekly'"),
        ({"direction": None}, "sea_roas.yml: direction: required field is missing"),
        ({"colour": "red"}, "sea_roas.yml: colour: unknown field"),
        ({"deadline": "next year"}, "sea_roas.yml: deadline: Input should be a valid date"),
        (
            {"target": {"value": "high"}},
            "sea_roas.yml: target.value: Input should be a valid number",
        ),
        (
            {"computation": {"type": "median", "fact": "fct_ad_performance_daily"}},
            "sea_roas.yml: computation: unknown computation type",
        ),
        (
            {
                "computation": {
                    "type": "ratio",
                    "fact": "fct_ad_performance_daily",
                    "numerator": {"aggregate": "sum"},
                    "denominator": {"aggregate": "count"},
                }
            },
            "sea_roas.yml: computation.numerator: Value error, aggregate 'sum' needs a 'measure'",
        ),
        ({"goal": "Profitable Growth!"}, "sea_roas.yml: goal: expected a lower-case identifier"),
    ],
)
def test_invalid_kpi_fields_name_file_and_field(tmp_path, changes, expected):
    problems = _problems(write_portfolio(tmp_path, [kpi(**changes)]))
    assert any(expected in p for p in problems), problems


def test_id_must_match_file_name(tmp_path):
    write_portfolio(tmp_path, [kpi()])
    (tmp_path / "sea_roas.yml").rename(tmp_path / "roas.yml")
    assert any("id 'sea_roas' must match the file name 'roas'" in p for p in _problems(tmp_path))


def test_yaml_syntax_error_names_line_and_column(tmp_path):
    write_portfolio(tmp_path, [])
    (tmp_path / "broken.yml").write_text("id: broken\nname: [unclosed\n", encoding="utf-8")
    problems = _problems(tmp_path)
    assert any("broken.yml: line 3, column 1: invalid YAML" in p for p in problems), problems


def test_python_object_tags_are_refused_not_constructed(tmp_path):
    write_portfolio(tmp_path, [])
    (tmp_path / "evil.yml").write_text(
        "id: !!python/object/apply:os.system ['touch pwned']\n", encoding="utf-8"
    )
    problems = _problems(tmp_path)
    assert any("evil.yml" in p and "invalid YAML" in p for p in problems)
    assert not (tmp_path / "pwned").exists()


def test_oversized_and_deeply_nested_files_are_refused(tmp_path):
    write_portfolio(tmp_path, [])
    (tmp_path / "huge.yml").write_text("description: " + "x" * 300_000, encoding="utf-8")
    (tmp_path / "deep.yml").write_text("a: " + "[" * 20 + "]" * 20, encoding="utf-8")
    problems = _problems(tmp_path)
    assert any("huge.yml" in p and "the limit is" in p for p in problems)
    assert any("deep.yml" in p and "nested deeper than" in p for p in problems)


def test_missing_goals_file_is_reported(tmp_path):
    (tmp_path / "sea_roas.yml").write_text("id: sea_roas\n", encoding="utf-8")
    assert any("goals.yml: goals file is missing" in p for p in _problems(tmp_path))


def test_all_problems_of_all_files_are_reported_together(tmp_path):
    write_portfolio(tmp_path, [kpi(frequency="hourly"), kpi(id="sea_cpa", unit="apples")])
    problems = _problems(tmp_path)
    assert any(p.startswith(str(tmp_path / "sea_roas.yml")) for p in problems)
    assert any(p.startswith(str(tmp_path / "sea_cpa.yml")) for p in problems)
