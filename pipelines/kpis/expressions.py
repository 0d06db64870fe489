"""Safe KPI expressions: parsed, checked against a fact's columns, and rendered as portable SQL.

KPI files never carry SQL that is pasted into a query. Each expression is parsed into a syntax tree;
only an allow-list of node types (columns, literals, arithmetic, comparisons, boolean logic, CASE,
a few scalar functions and, where asked for, aggregates) is accepted; every column must belong to
the fact the KPI reads. The tree is then rendered back to SQL, so what runs is what was checked.
"""

from __future__ import annotations

from collections.abc import Collection

import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError

_SCALAR_NODES: tuple[type[exp.Expression], ...] = (
    exp.Column,
    exp.Identifier,
    exp.Literal,
    exp.Boolean,
    exp.Null,
    exp.Paren,
    exp.Neg,
    exp.Not,
    exp.And,
    exp.Or,
    exp.Add,
    exp.Sub,
    exp.Mul,
    exp.Div,
    exp.EQ,
    exp.NEQ,
    exp.GT,
    exp.GTE,
    exp.LT,
    exp.LTE,
    exp.Is,
    exp.In,
    exp.Between,
    exp.Case,
    exp.If,
    exp.Coalesce,
    exp.Abs,
    exp.Round,
    exp.Lower,
    exp.Upper,
    exp.Trim,
    exp.Length,
    exp.Like,
    exp.ILike,
)
_AGGREGATE_NODES: tuple[type[exp.Expression], ...] = (
    exp.Sum,
    exp.Count,
    exp.Min,
    exp.Max,
    exp.Avg,
    exp.Star,
    exp.Distinct,
)
_FORBIDDEN_TEXT = {
    ";": "a ';' (only one expression is allowed)",
    "--": "a comment",
    "/*": "a comment",
}
MAX_EXPRESSION_LENGTH = 500


class ExpressionError(ValueError):
    """An expression that cannot be used, with the reason in plain words."""


def _describe(node: exp.Expression) -> str:
    if isinstance(node, exp.Func):
        return f"function {node.sql_name().lower()}()"
    if isinstance(node, exp.Subquery | exp.Select):
        return "a subquery"
    return f"{type(node).__name__.lower()} syntax"


def parse_expression(
    text: str,
    columns: Collection[str],
    *,
    allow_aggregates: bool = False,
    require_aggregate: bool = False,
) -> exp.Expression:
    """Parse and check one expression; raise ExpressionError with a clear reason otherwise."""
    if not isinstance(text, str) or not text.strip():
        raise ExpressionError("the expression is empty")
    if len(text) > MAX_EXPRESSION_LENGTH:
        raise ExpressionError(f"the expression is longer than {MAX_EXPRESSION_LENGTH} characters")
    for token, what in _FORBIDDEN_TEXT.items():
        if token in text:
            raise ExpressionError(f"the expression contains {what}")
    try:
        tree = sqlglot.parse_one(text, read="duckdb")
    except ParseError as exc:
        first = exc.errors[0]["description"] if exc.errors else str(exc)
        raise ExpressionError(f"cannot parse the expression: {first}") from exc

    allowed = _SCALAR_NODES + (_AGGREGATE_NODES if allow_aggregates else ())
    known = {c.lower() for c in columns}
    saw_aggregate = False
    for node in tree.walk():
        if isinstance(node, _AGGREGATE_NODES) and not isinstance(node, exp.Star | exp.Distinct):
            if not allow_aggregates:
                raise ExpressionError(
                    f"{_describe(node)} is an aggregate; here a per-row expression is expected"
                )
            saw_aggregate = True
        if not isinstance(node, allowed):
            raise ExpressionError(f"{_describe(node)} is not allowed in KPI expressions")
        if isinstance(node, exp.Column):
            if node.table or node.args.get("db") or node.args.get("catalog"):
                raise ExpressionError(
                    f"'{node.sql()}' refers to another table or schema; use a plain column name"
                )
            name = node.name.lower()
            if name not in known:
                raise ExpressionError(
                    f"unknown column '{node.name}'; the fact has: {', '.join(sorted(known))}"
                )
        if isinstance(node, exp.In) and node.args.get("query") is not None:
            raise ExpressionError("a subquery is not allowed in KPI expressions")
    if require_aggregate and not saw_aggregate:
        raise ExpressionError("expected a condition over aggregates such as sum(...) or count(*)")
    return tree


def render(tree: exp.Expression) -> str:
    """Render a checked expression as portable (ANSI) SQL with lower-case identifiers."""
    return tree.sql(dialect=None, normalize=True, identify=False)


def to_sql(text: str, columns: Collection[str], **kwargs: bool) -> str:
    return render(parse_expression(text, columns, **kwargs))
