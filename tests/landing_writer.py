"""Landing files in the real export formats, written from simple records, for the tests that
build warehouses delivery by delivery (tests/test_entity_incremental.py)."""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass, field

from tests.conftest import FIXTURES

_FIXTURE = FIXTURES / "landing"


def _header(relative: str, lines: int = 1) -> list[str]:
    with (_FIXTURE / relative).open(encoding="utf-8") as handle:
        return [handle.readline().rstrip("\n") for _ in range(lines)]


@dataclass
class Order:
    name: str
    email: str | None
    status: str
    created_at: dt.datetime  # reporting time zone (Europe/Amsterdam, +02:00 in September)
    lines: list[tuple[str, int, float]] = field(default_factory=lambda: [("Item", 1, 10.0)])

    @property
    def total(self) -> float:
        return sum(quantity * price for _, quantity, price in self.lines)


@dataclass
class Ticket:
    ticket_id: int
    created_at: dt.datetime
    first_reply_minutes: int | None


@dataclass
class Response:
    respondent_id: int
    ended_at: dt.datetime
    nps: int
    csat: str  # a label of the configuration: Zeer tevreden, Tevreden, Neutraal, ...


@dataclass
class AdDay:
    day: dt.date
    campaign: str
    campaign_id: int
    impressions: int
    clicks: int
    cost: float
    conversions: float
    value: float


@dataclass
class QueryDay:
    day: dt.date
    query: str
    impressions: int
    clicks: int
    sum_top_position: int


def _csv(header: list[str], rows: list[dict[str, str]]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=header, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow(row)
    return out.getvalue()


def shopify_orders(orders: list[Order]) -> str:
    header = next(csv.reader(_header("orders/orders_export_2026-06-15_2026-09-30.csv")))
    rows = []
    for order in orders:
        for index, (item, quantity, price) in enumerate(order.lines):
            row = {
                "Name": order.name,
                "Email": order.email or "",
                "Lineitem quantity": str(quantity),
                "Lineitem name": item,
                "Lineitem price": f"{price:.2f}",
            }
            if index == 0:
                row |= {
                    "Financial Status": order.status,
                    "Currency": "EUR",
                    "Subtotal": f"{order.total:.2f}",
                    "Total": f"{order.total:.2f}",
                    "Created at": order.created_at.strftime("%Y-%m-%d %H:%M:%S +0200"),
                    "Refunded Amount": f"{order.total:.2f}" if order.status == "refunded" else "",
                    "Source": "web",
                }
            rows.append(row)
    return _csv(header, rows)


def zendesk_tickets(tickets: list[Ticket]) -> str:
    header = next(csv.reader(_header("support_tickets/tickets_2026-09-21_2026-10-04.csv")))
    rows = [
        {
            "Id": str(t.ticket_id),
            "Requester": "Klant",
            "Requester email": f"klant{t.ticket_id}@example.com",
            "Group": "Klantenservice",
            "Status": "Solved" if t.first_reply_minutes is not None else "Open",
            "Via": "Mail",
            "Created at": t.created_at.strftime("%Y-%m-%d %H:%M:%S"),
            "First reply time in minutes": ""
            if t.first_reply_minutes is None
            else str(t.first_reply_minutes),
        }
        for t in tickets
    ]
    return _csv(header, rows)


def survey_responses(responses: list[Response]) -> str:
    questions, subheader = _header("surveys/nps_csat_2026-q3.csv", 2)
    header = next(csv.reader([questions]))
    nps_column, csat_column = header[9], header[10]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerow(next(csv.reader([subheader])))
    for r in responses:
        started = r.ended_at - dt.timedelta(minutes=3)
        row = dict.fromkeys(header, "")
        row |= {
            header[0]: str(r.respondent_id),
            header[1]: "500",
            header[2]: started.strftime("%m/%d/%Y %I:%M:%S %p"),
            header[3]: r.ended_at.strftime("%m/%d/%Y %I:%M:%S %p"),
            header[5]: f"r{r.respondent_id}@example.com",
            nps_column: str(r.nps),
            csat_column: r.csat,
        }
        writer.writerow([row[h] for h in header])
    return out.getvalue()


def _long_date(day: dt.date) -> str:
    return f"{day:%B} {day.day}, {day.year}"


def google_ads_report(days: list[AdDay], first: dt.date, last: dt.date) -> str:
    lines = [
        "Campaign report",
        f'"{_long_date(first)} - {_long_date(last)}"',
        "Day,Campaign,Campaign ID,Currency code,Impr.,Clicks,Cost,Conversions,Conv. value",
    ]
    for d in sorted(days, key=lambda d: (d.day, d.campaign)):
        lines.append(
            f"{d.day.isoformat()},{d.campaign},{d.campaign_id},EUR,{d.impressions},{d.clicks},"
            f"{d.cost:.2f},{d.conversions:.2f},{d.value:.2f}"
        )
    return "\n".join(lines) + "\n"


def search_console_export(days: list[QueryDay]) -> str:
    header = _header("search_console/searchdata_site_impression_2026-09.csv")[0].split(",")
    rows = [
        {
            "data_date": d.day.isoformat(),
            "site_url": "sc-domain:example.com",
            "query": d.query,
            "is_anonymized_query": "false",
            "country": "nld",
            "search_type": "WEB",
            "device": "MOBILE",
            "impressions": str(d.impressions),
            "clicks": str(d.clicks),
            "sum_top_position": str(d.sum_top_position),
        }
        for d in days
    ]
    return _csv(header, rows)
