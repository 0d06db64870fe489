"""fct_order_lines: every line item of the fixture's orders, with the amounts of the export."""

from __future__ import annotations

import csv
import datetime as dt
from collections import defaultdict
from zoneinfo import ZoneInfo

import duckdb
import pytest

from tests.conftest import FIXTURES

pytestmark = pytest.mark.slow
ORDERS_CSV = FIXTURES / "landing" / "orders" / "orders_export_2026-06-15_2026-09-30.csv"


def _expected_lines() -> dict[tuple[str, int], tuple[int, float, str]]:
    """(order, line number) -> (quantity, quantity * price - discount, created day), read from the
    export itself: a line's number is its position among the order's rows, the day is the one of
    the reporting time zone (Europe/Amsterdam, the default)."""
    numbers: dict[str, int] = defaultdict(int)
    created: dict[str, str] = {}
    lines = {}
    with ORDERS_CSV.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            name = row["Name"]
            if name not in created:  # on the order's first row
                moment = dt.datetime.strptime(row["Created at"], "%Y-%m-%d %H:%M:%S %z")
                created[name] = moment.astimezone(ZoneInfo("Europe/Amsterdam")).date().isoformat()
            numbers[name] += 1
            quantity = int(row["Lineitem quantity"])
            amount = quantity * float(row["Lineitem price"]) - float(row["Lineitem discount"] or 0)
            lines[(name, numbers[name])] = (quantity, round(amount, 2), created[name])
    return lines


def test_order_lines_carry_the_exported_quantities_and_amounts(fixture_run) -> None:
    with duckdb.connect(str(fixture_run.settings.work_db_path), read_only=True) as con:
        built = con.execute(
            "select order_name, line_number, quantity, line_amount, cast(created_date as varchar) "
            "from marts.fct_order_lines"
        ).fetchall()
        orders = {n for (n,) in con.execute("select order_name from marts.fct_orders").fetchall()}
    expected = _expected_lines()
    assert len(expected) == 10 and ("#3002", 2) in expected  # the fixture: #3002 has two lines
    assert {(n, i): (q, round(a, 2), d) for n, i, q, a, d in built} == {
        key: value for key, value in expected.items() if key[0] in orders
    }
    # Every order has its lines (no order of the fixture is without one).
    assert {name for name, *_ in built} == orders
