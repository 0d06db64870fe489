"""Entity facts (orders, order lines, tickets, survey answers) are rebuilt by key: a late file
with an older order renumbers its customer's orders, a ticket's state follows the as-of time, and
after any sequence of deliveries the incremental warehouse equals a clean build."""

from __future__ import annotations

import datetime as dt
import os
import random
from pathlib import Path

import duckdb
import pytest

from tests.entity_builds import TwoWarehouses
from tests.landing_writer import (
    AdDay,
    Order,
    QueryDay,
    Response,
    Ticket,
    google_ads_report,
    search_console_export,
    shopify_orders,
    survey_responses,
    zendesk_tickets,
)

pytestmark = pytest.mark.slow
D, T = dt.date, dt.datetime
SELECT = "+fct_kpi_values +fct_order_lines"
ENTITY_FACTS = ("fct_orders", "fct_order_lines", "fct_support_tickets", "fct_survey_responses")
MARTS = (
    "fct_orders",
    "fct_order_lines",
    "fct_support_tickets",
    "fct_survey_responses",
    "fct_ad_performance_daily",
    "fct_search_queries_daily",
    "fct_kpi_values",
)


def by_key(rows: list[dict], key: str) -> dict:
    return {row[key]: row for row in rows}


def assert_equals_clean_build(warehouses: TwoWarehouses, step: str) -> None:
    """The incremental marts equal the clean build's, and the file published into a copy of the
    previous one holds exactly the incremental marts, lineage included."""
    for mart in MARTS:
        incremental, clean = warehouses.rows(mart), warehouses.rows(mart, clean=True)
        assert incremental == clean, (step, mart)
        published = warehouses.rows(mart, lineage=True, published=True)
        assert published == warehouses.rows(mart, lineage=True), (step, mart, "published")


# -- hand-computed: a late older order, a ticket crossing 24 hours, a backfill ------------------


@pytest.fixture(scope="module")
def late_order(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """Three runs over a small landing folder, keeping the incremental facts of each:

    1. anna@ orders #1002 (09-05, paid) and #1003 (09-08, paid); bram@ #1004 (09-06, paid);
       tickets 1 (09-09 10:00, no reply) and 2 (09-09 09:00, replied after 30 minutes);
       as of 09-10 08:00 (ticket 1 is 22 hours old).
    2. A late file brings #1001 of anna@, placed 09-01, before her other orders; as of
       09-10 11:00 (ticket 1 is 25 hours old now).
    3. A backfill of 09-06 to 09-06 with the as-of back at 09-10 08:00.
    4. Nothing new, over facts from before the lineage columns (dropped from the incremental
       database): every row is rebuilt once.
    """
    warehouses = TwoWarehouses(tmp_path_factory.mktemp("late_order"), SELECT)
    warehouses.write(
        "orders/orders_export_1.csv",
        shopify_orders(
            [
                Order("#1002", "anna@example.com", "paid", T(2026, 9, 5, 12)),
                Order("#1003", "anna@example.com", "paid", T(2026, 9, 8, 12)),
                Order("#1004", "bram@example.com", "paid", T(2026, 9, 6, 12)),
            ]
        ),
    )
    warehouses.write(
        "support_tickets/tickets_1.csv",
        zendesk_tickets([Ticket(1, T(2026, 9, 9, 10), None), Ticket(2, T(2026, 9, 9, 9), 30)]),
    )
    steps = {}
    run = warehouses.load(T(2026, 9, 10, 8))
    warehouses.build()
    steps["first"] = _facts(warehouses, run)
    warehouses.write(
        "orders/orders_export_late.csv",
        shopify_orders([Order("#1001", "anna@example.com", "paid", T(2026, 9, 1, 12))]),
    )
    run = warehouses.load(T(2026, 9, 10, 11))
    warehouses.build()
    steps["late"] = _facts(warehouses, run)
    run = warehouses.load(T(2026, 9, 10, 8), (D(2026, 9, 6), D(2026, 9, 6)))
    warehouses.build()
    steps["backfill"] = _facts(warehouses, run)
    with duckdb.connect(str(warehouses.incremental_db)) as con:
        for fact in ENTITY_FACTS:
            con.execute(f"alter table marts.{fact} drop column loaded_through")
            con.execute(f"alter table marts.{fact} drop column built_by_run")
    run = warehouses.load(T(2026, 9, 10, 8))
    warehouses.build()
    steps["upgraded"] = _facts(warehouses, run)
    steps["upgraded"]["lineage"] = {
        fact: {(row["built_by_run"], row["loaded_through"] is not None) for row in rows}
        for fact in ENTITY_FACTS
        if (rows := warehouses.rows(fact, lineage=True))
    }
    return steps


def _facts(warehouses: TwoWarehouses, run: str) -> dict:
    return {
        "run": run,
        "orders": by_key(warehouses.rows("fct_orders", lineage=True), "order_name"),
        "tickets": by_key(warehouses.rows("fct_support_tickets", lineage=True), "ticket_id"),
        "equal": all(warehouses.rows(mart) == warehouses.rows(mart, clean=True) for mart in MARTS),
    }


def test_a_late_older_order_becomes_the_first_and_the_next_one_a_repeat(late_order):
    first, late = late_order["first"]["orders"], late_order["late"]["orders"]
    assert {n: first[n]["valid_order_number"] for n in first} == {
        "#1002": 1,
        "#1003": 2,
        "#1004": 1,
    }
    assert [first[n]["is_repeat_order"] for n in ("#1002", "#1003")] == [False, True]
    # #1001 (09-01) is now anna's first valid order: #1002 becomes her second, a repeat.
    assert {n: late[n]["valid_order_number"] for n in late} == {
        "#1001": 1,
        "#1002": 2,
        "#1003": 3,
        "#1004": 1,
    }
    assert {n: late[n]["is_repeat_order"] for n in late} == {
        "#1001": False,
        "#1002": True,
        "#1003": True,
        "#1004": False,
    }


def test_only_the_affected_customers_orders_are_rebuilt(late_order):
    first, late = late_order["first"], late_order["late"]
    rebuilt = {n for n, row in late["orders"].items() if row["built_by_run"] == late["run"]}
    assert rebuilt == {"#1001", "#1002", "#1003"}  # anna's orders; bram's #1004 is kept
    assert late["orders"]["#1004"] == first["orders"]["#1004"]  # lineage included


def test_a_ticket_without_reply_fails_once_24_hours_passed_and_only_it_is_rebuilt(late_order):
    first, late = late_order["first"], late_order["late"]
    assert first["tickets"][1]["response_state"] == "awaiting_first_reply"  # 22 hours old
    assert late["tickets"][1]["response_state"] == "unanswered_after_24h"  # 25 hours old
    assert late["tickets"][1]["built_by_run"] == late["run"]
    assert first["tickets"][2]["response_state"] == "replied_within_24h"
    assert late["tickets"][2] == first["tickets"][2]  # its state does not depend on the as-of


def test_a_backfill_with_an_earlier_as_of_rebuilds_its_window_and_the_tickets_state(late_order):
    late, backfill = late_order["late"], late_order["backfill"]
    run = backfill["run"]
    assert backfill["tickets"][1]["response_state"] == "awaiting_first_reply"  # 22 hours again
    assert backfill["tickets"][1]["built_by_run"] == run
    assert backfill["tickets"][2] == late["tickets"][2]
    # The window holds bram's #1004 (09-06): every order of bram is rebuilt, anna's are kept.
    rebuilt = {n for n, row in backfill["orders"].items() if row["built_by_run"] == run}
    assert rebuilt == {"#1004"}
    assert backfill["orders"]["#1002"] == late["orders"]["#1002"]


def test_facts_from_before_the_lineage_columns_are_rebuilt_once(late_order):
    upgraded = late_order["upgraded"]
    # The landing folder has no survey file: fct_survey_responses is empty.
    assert upgraded["lineage"] == {
        fact: {(upgraded["run"], True)}
        for fact in ("fct_orders", "fct_order_lines", "fct_support_tickets")
    }
    assert {n: r["valid_order_number"] for n, r in upgraded["orders"].items()} == {
        "#1001": 1,
        "#1002": 2,
        "#1003": 3,
        "#1004": 1,
    }


def test_each_step_equals_a_clean_build(late_order):
    steps = ("first", "late", "backfill", "upgraded")
    assert [late_order[step]["equal"] for step in steps] == [True] * 4


# -- random delivery sequences ---------------------------------------------------------------

CUSTOMERS = [f"c{i}@example.com" for i in range(1, 6)]
CAMPAIGNS = (("Brand", 111), ("Generic", 222))
QUERIES = ("tuinset", "parasol")
CSAT = ("Zeer tevreden", "Tevreden", "Neutraal", "Ontevreden")


class Shop:
    """The state of a small shop's exports, and a delivery of each kind of change."""

    def __init__(self, warehouses: TwoWarehouses, rng: random.Random) -> None:
        self.w, self.rng = warehouses, rng
        self.orders: dict[str, Order] = {}
        self.tickets: dict[int, Ticket] = {}
        self.responses: dict[int, Response] = {}
        self.ad_days: dict[tuple[dt.date, str], AdDay] = {}
        self.files = 0
        self.last_day = D(2026, 9, 10)
        self.as_of = T(2026, 9, 11, 6)
        self.done: list[str] = []

    def _name(self, stem: str) -> str:
        self.files += 1
        return f"{stem}_{self.files:03d}.csv"

    def _order(self, day: dt.date, email: str | None = None) -> Order:
        name = f"#{1001 + len(self.orders)}"
        status = self.rng.choice(["paid", "paid", "paid", "partially_refunded", "pending"])
        lines = [
            (self.rng.choice(["Tuinset", "Kussen", "Parasol"]), self.rng.randint(1, 3), price)
            for price in self.rng.sample([10.0, 25.0, 60.0], self.rng.randint(1, 2))
        ]
        when = T(day.year, day.month, day.day, self.rng.randint(8, 21), self.rng.choice([0, 30]))
        order = Order(name, email, status, when, lines)
        self.orders[name] = order
        return order

    def _ticket(self, day: dt.date) -> Ticket:
        ticket_id = 100 + len(self.tickets)
        reply = self.rng.choice([None, None, 30, 600, 1500])
        when = T(day.year, day.month, day.day, self.rng.randint(8, 22))
        ticket = Ticket(ticket_id, when, reply)
        self.tickets[ticket_id] = ticket
        return ticket

    def _ads(self, day: dt.date) -> list[AdDay]:
        days = []
        for campaign, campaign_id in CAMPAIGNS:
            clicks = self.rng.randint(5, 50)
            ad = AdDay(
                day,
                campaign,
                campaign_id,
                clicks * 10,
                clicks,
                round(clicks * 0.5, 2),
                float(self.rng.randint(0, 4)),
                float(self.rng.randint(0, 4) * 40),
            )
            self.ad_days[(day, campaign)] = ad
            days.append(ad)
        return days

    def _queries(self, day: dt.date) -> list[QueryDay]:
        return [
            QueryDay(day, q, self.rng.randint(10, 200), self.rng.randint(0, 9), 3) for q in QUERIES
        ]

    def history(self) -> None:
        """Ten days: orders of customers who order several times, tickets, answers, ads, queries."""
        days = [D(2026, 9, 1) + dt.timedelta(days=i) for i in range(10)]
        orders = [
            self._order(day, self.rng.choice([*CUSTOMERS, None]))
            for day in days
            for _ in range(self.rng.randint(1, 2))
        ]
        self.w.write(self._name("orders/orders_export"), shopify_orders(orders))
        tickets = [self._ticket(day) for day in days[-4:] for _ in range(2)]
        self.w.write(self._name("support_tickets/tickets"), zendesk_tickets(tickets))
        for i, day in enumerate(days[::2]):
            self.responses[i + 1] = Response(
                i + 1, T(day.year, day.month, day.day, 10), self.rng.randint(0, 10), CSAT[i % 4]
            )
        self.w.write(
            self._name("surveys/nps_csat"), survey_responses(list(self.responses.values()))
        )
        ads = [ad for day in days for ad in self._ads(day)]
        self.w.write(
            self._name("google_ads/campaign_report"), google_ads_report(ads, days[0], days[-1])
        )
        queries = [q for day in days for q in self._queries(day)]
        self.w.write(
            self._name("search_console/searchdata_site_impression"),
            search_console_export(queries),
        )

    # Each change writes its files and says what it did.

    def new_day(self) -> None:
        self.last_day += dt.timedelta(days=1)
        day = self.last_day
        orders = [
            self._order(day, self.rng.choice([*CUSTOMERS, None]))
            for _ in range(self.rng.randint(1, 2))
        ]
        self.w.write(self._name("orders/orders_export"), shopify_orders(orders))
        tickets = [self._ticket(day) for _ in range(self.rng.randint(1, 2))]
        self.w.write(self._name("support_tickets/tickets"), zendesk_tickets(tickets))
        self.w.write(
            self._name("google_ads/campaign_report"), google_ads_report(self._ads(day), day, day)
        )
        self.w.write(
            self._name("search_console/searchdata_site_impression"),
            search_console_export(self._queries(day)),
        )
        if self.rng.random() < 0.5:
            respondent = len(self.responses) + 1
            self.responses[respondent] = Response(
                respondent, T(day.year, day.month, day.day, 15), self.rng.randint(0, 10), "Tevreden"
            )
            self.w.write(
                self._name("surveys/nps_csat"), survey_responses([self.responses[respondent]])
            )
        self.as_of = max(self.as_of, T(day.year, day.month, day.day) + dt.timedelta(hours=30))
        self.done.append(f"new day {day}")

    def late_older_order(self) -> None:
        """An order of an existing customer, placed before every order of hers."""
        customer = self.rng.choice([c for c in CUSTOMERS if self._orders_of(c)])
        earliest = min(o.created_at for o in self._orders_of(customer))
        day = (earliest - dt.timedelta(days=self.rng.randint(1, 3))).date()
        order = self._order(day, customer)
        order.status = "paid"
        self.w.write(self._name("orders/orders_export_late"), shopify_orders([order]))
        self.done.append(f"late order {order.name} of {customer} on {day}")

    def _orders_of(self, customer: str) -> list[Order]:
        return [o for o in self.orders.values() if o.email == customer]

    def refund_or_move(self) -> None:
        """A corrected re-delivery: an order refunded, another moved to another customer."""
        paid = [o for o in self.orders.values() if o.status == "paid"]
        refunded = self.rng.choice(paid)
        refunded.status = "refunded"
        moved = self.rng.choice([o for o in self.orders.values() if o.email and o is not refunded])
        moved.email = self.rng.choice([c for c in CUSTOMERS if c != moved.email])
        self.w.write(
            self._name("orders/orders_export_corrected"), shopify_orders([refunded, moved])
        )
        self.done.append(f"{refunded.name} refunded, {moved.name} moved to {moved.email}")

    def ticket_reply(self) -> None:
        """A ticket without reply is re-delivered with its first reply."""
        waiting = [t for t in self.tickets.values() if t.first_reply_minutes is None]
        ticket = self.rng.choice(waiting)
        ticket.first_reply_minutes = self.rng.choice([45, 2000])
        self.w.write(self._name("support_tickets/tickets_updated"), zendesk_tickets([ticket]))
        self.done.append(f"ticket {ticket.ticket_id} replied")

    def ads_day_removed(self) -> None:
        """A corrected Google Ads export of three days, without the middle day."""
        first = D(2026, 9, 1) + dt.timedelta(days=self.rng.randint(0, 7))
        middle, last = first + dt.timedelta(days=1), first + dt.timedelta(days=2)
        for day in (first, middle, last):
            for campaign, _ in CAMPAIGNS:
                self.ad_days.pop((day, campaign), None)
        kept = [*self._ads(first), *self._ads(last)]
        self.w.write(
            self._name("google_ads/campaign_report_corrected"), google_ads_report(kept, first, last)
        )
        self.done.append(f"ads {first} to {last} corrected without {middle}")

    def survey_correction(self) -> None:
        response = self.rng.choice(list(self.responses.values()))
        response.nps = (response.nps + 5) % 11
        self.w.write(self._name("surveys/nps_csat_corrected"), survey_responses([response]))
        self.done.append(f"survey answer {response.respondent_id} corrected")

    def backfill_window(self) -> tuple[dt.date, dt.date]:
        first = D(2026, 9, 1) + dt.timedelta(days=self.rng.randint(0, 8))
        self.done.append(f"backfill {first} to {first + dt.timedelta(days=2)}")
        return first, first + dt.timedelta(days=2)


def test_random_delivery_sequences_equal_a_clean_build(tmp_path: Path) -> None:
    """Seeded random sequences: ten days of history, then steps that each bring one of a late
    older order of an existing customer, a refunded and a moved order, a ticket's first reply,
    a Google Ads range re-delivered without a day, or a backfill window with the as-of moved back
    (a ticket's 24 hours cross back), in a random order, plus at random a new day (orders,
    tickets, ads, queries, maybe an answer), a corrected survey answer and the as-of moved on by
    6 to 30 hours (tickets crossing 24 hours). After the history and every step the incremental
    warehouse's marts equal a clean build over the same raw layer and as-of, every column but the
    lineage.

    One sequence of five steps by default (KPI_EQUALITY_SEQUENCES=n runs n): each step costs two
    dbt runs of the KPI models and their facts (about 8 s each on 2 cores), so one sequence that
    reaches every kind of change once keeps the test under two minutes."""
    sequences = int(os.environ.get("KPI_EQUALITY_SEQUENCES", "1"))
    for seed in range(sequences):
        rng = random.Random(20 + seed)
        warehouses = TwoWarehouses(tmp_path / f"sequence_{seed}", SELECT)
        shop = Shop(warehouses, rng)
        shop.history()
        warehouses.load(shop.as_of)
        warehouses.build()
        assert_equals_clean_build(warehouses, "history")
        kinds = ["late", "correct", "reply", "ads", "backfill"]
        rng.shuffle(kinds)
        kept_orders = 0
        for step, kind in enumerate(kinds, start=1):
            window = None
            if rng.random() < 0.6:
                shop.new_day()
            shop.as_of += dt.timedelta(hours=rng.choice([6, 12, 20, 30]))
            if rng.random() < 0.3:
                shop.survey_correction()
            if kind == "late":
                shop.late_older_order()
            elif kind == "correct":
                shop.refund_or_move()
            elif kind == "reply":
                shop.ticket_reply()
            elif kind == "ads":
                shop.ads_day_removed()
            else:
                window = shop.backfill_window()
                shop.as_of -= dt.timedelta(hours=36)
            run = warehouses.load(shop.as_of, window)
            warehouses.build()
            assert_equals_clean_build(warehouses, f"seed {seed}, step {step}: {shop.done}")
            shop.done = []
            orders = warehouses.rows("fct_orders", lineage=True)
            kept_orders += sum(row["built_by_run"] != run for row in orders)
        # The incremental builds really were incremental: orders were kept from earlier runs.
        assert kept_orders > 0, seed


def test_more_keys_than_the_constant_limit_are_read_through_the_subquery(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Above KPI_REBUILD_KEYS_CONSTANT_LIMIT keys (50,000 by default; 0 here) the entity facts
    filter their staged rows by the query of the keys instead of constants: the same marts as a
    clean build after a late older order, a refund or move and a ticket's first reply."""
    monkeypatch.setenv("KPI_REBUILD_KEYS_CONSTANT_LIMIT", "0")
    rng = random.Random(7)
    warehouses = TwoWarehouses(tmp_path, SELECT)
    shop = Shop(warehouses, rng)
    shop.history()
    warehouses.load(shop.as_of)
    warehouses.build()
    steps = [
        (shop.late_older_order, "fct_orders"),
        (shop.refund_or_move, "fct_orders"),
        (shop.ticket_reply, "fct_support_tickets"),
    ]
    for step, fact in steps:
        step()
        shop.as_of += dt.timedelta(hours=12)
        warehouses.load(shop.as_of)
        warehouses.build()
        assert_equals_clean_build(warehouses, f"subquery: {shop.done}")
        # The fact the step changed read its keys through the query, not as constants.
        assert "as keys_to_rebuild" in warehouses.compiled[fact], (fact, shop.done)
        shop.done = []
