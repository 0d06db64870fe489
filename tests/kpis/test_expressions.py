"""KPI expressions are parsed and checked; nothing outside the allow-list reaches SQL."""

from __future__ import annotations

import pytest

from pipelines.kpis.expressions import ExpressionError, parse_expression, to_sql

COLUMNS = {"cost", "conversion_value", "query", "nps_score", "channel"}


@pytest.mark.parametrize(
    ("text", "sql"),
    [
        ("conversion_value", "conversion_value"),
        ("cost * 1.21", "cost * 1.21"),
        ("channel = 'Organic Search'", "channel = 'Organic Search'"),
        ("trim(query) <> ''", "TRIM(query) <> ''"),
        (
            "case when nps_score >= 9 then 1 when nps_score <= 6 then -1 else 0 end",
            "CASE WHEN nps_score >= 9 THEN 1 WHEN nps_score <= 6 THEN -1 ELSE 0 END",
        ),
        (
            "nps_score between 0 and 10 and query is not null",
            "nps_score BETWEEN 0 AND 10 AND NOT query IS NULL",
        ),
        ("COST", "cost"),
        ("round(cost / conversion_value, 2) > 1", "ROUND(cost / conversion_value, 2) > 1"),
    ],
)
def test_allowed_expressions_render_as_checked(text, sql):
    assert to_sql(text, COLUMNS) == sql


def test_aggregate_conditions_are_allowed_only_where_asked():
    assert to_sql("sum(cost) / sum(conversion_value) <= 3", COLUMNS, allow_aggregates=True) == (
        "SUM(cost) / SUM(conversion_value) <= 3"
    )
    with pytest.raises(ExpressionError, match="is an aggregate"):
        parse_expression("sum(cost)", COLUMNS)
    with pytest.raises(ExpressionError, match="condition over aggregates"):
        parse_expression("cost > 3", COLUMNS, allow_aggregates=True, require_aggregate=True)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("cost; drop table marts.fct_kpi_values", "a ';'"),
        ("cost -- and everything after", "a comment"),
        ("cost /* hidden */", "a comment"),
        ("(select max(cost) from marts.fct_orders)", "subquery"),
        ("cost in (select cost from raw.orders)", "subquery"),
        ("raw.orders.email", "refers to another table or schema"),
        ("main.cost", "refers to another table or schema"),
        ("read_csv('/etc/passwd')", "not allowed"),
        ("current_setting('home_directory')", "not allowed"),
        ("pg_sleep(10)", "not allowed"),
        ("revenue", "unknown column 'revenue'"),
        ("", "empty"),
        ("cost +", "cannot parse"),
        ("x" * 600, "longer than"),
    ],
)
def test_injection_attempts_and_unknown_columns_are_refused(text, reason):
    with pytest.raises(ExpressionError, match=reason):
        parse_expression(text, COLUMNS)
