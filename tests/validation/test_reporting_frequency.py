"""`reporting_frequency`: optional, defaults to the frequency, accepted by lint, and validate warns
when a KPI would be reviewed more often than it is measured."""

from __future__ import annotations

from pipelines.kpis.lint import lint_portfolio
from pipelines.kpis.loader import load_portfolio
from pipelines.kpis.models import Frequency
from pipelines.validation.warehouse import review_warning
from tests.kpis.portfolio_factory import kpi, write_portfolio
from tests.kpis.test_lint import FACTS, NPS, TODAY


def _portfolio(tmp_path, **changes):
    return load_portfolio(write_portfolio(tmp_path, [kpi(**changes), NPS]))


def test_reporting_frequency_defaults_to_the_frequency(tmp_path):
    roas = _portfolio(tmp_path).kpi("sea_roas")
    assert roas is not None and roas.reporting_frequency is None
    assert roas.review_frequency is Frequency.weekly
    assert review_warning(roas) is None


def test_a_weekly_kpi_reviewed_monthly_is_clean(tmp_path):
    portfolio = _portfolio(tmp_path, reporting_frequency="monthly")
    roas = portfolio.kpi("sea_roas")
    assert roas is not None and roas.review_frequency is Frequency.monthly
    assert review_warning(roas) is None
    assert lint_portfolio(portfolio, FACTS, today=TODAY) == []


def test_reviewing_more_often_than_measured_is_a_validation_warning(tmp_path):
    portfolio = _portfolio(tmp_path, reporting_frequency="daily")
    roas = portfolio.kpi("sea_roas")
    assert roas is not None
    assert lint_portfolio(portfolio, FACTS, today=TODAY) == []  # lint accepts it
    assert review_warning(roas) == (
        "reported daily but measured weekly: most reviews would show no new value; set "
        "reporting_frequency to weekly or coarser"
    )
