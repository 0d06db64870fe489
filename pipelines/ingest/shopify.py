"""Shopify orders exports: one row per line item, folded into orders.

Order-level fields are filled only on an order's first row; later rows repeat `Name` and `Email`.
Orders take their fields from the first row (never summed over line items); every row becomes an
order line. Timestamps carry an offset and are converted to the reporting time zone. All financial
statuses are kept; which ones count as valid is a KPI's business.
"""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path
from typing import TextIO
from zoneinfo import ZoneInfo

import pyarrow as pa

from pipelines.ingest.errors import CellRejected, FileRefused, RejectedRow
from pipelines.ingest.parsed import ParsedFile
from pipelines.ingest.text_files import decode, open_text, parse_number, records

SOURCE = "orders"
ORDERS = "orders"
ORDER_LINES = "order_lines"
FINANCIAL_STATUSES = {
    "paid",
    "pending",
    "authorized",
    "partially_paid",
    "partially_refunded",
    "refunded",
    "voided",
}
ORDERS_SCHEMA = pa.schema(
    [
        ("order_name", pa.string()),
        ("order_id", pa.string()),
        ("email", pa.string()),
        ("financial_status", pa.string()),
        ("fulfillment_status", pa.string()),
        ("currency", pa.string()),
        ("subtotal", pa.float64()),
        ("shipping", pa.float64()),
        ("taxes", pa.float64()),
        ("total", pa.float64()),
        ("discount_code", pa.string()),
        ("discount_amount", pa.float64()),
        ("refunded_amount", pa.float64()),
        ("created_at", pa.timestamp("us")),
        ("created_at_utc", pa.timestamp("us")),
        ("paid_at", pa.timestamp("us")),
        ("cancelled_at", pa.timestamp("us")),
        ("source_name", pa.string()),
        ("billing_name", pa.string()),
        ("billing_street", pa.string()),
        ("billing_city", pa.string()),
        ("billing_zip", pa.string()),
        ("billing_country", pa.string()),
        ("phone", pa.string()),
        ("line_items", pa.int64()),
        ("_row_number", pa.int64()),
    ]
)
LINES_SCHEMA = pa.schema(
    [
        ("order_name", pa.string()),
        ("line_number", pa.int64()),
        ("quantity", pa.int64()),
        ("item_name", pa.string()),
        ("price", pa.float64()),
        ("sku", pa.string()),
        ("discount", pa.float64()),
        ("_row_number", pa.int64()),
    ]
)
PII = {
    ORDERS: {
        "email": "email",
        "billing_name": "name",
        "billing_street": "street",
        "phone": "phone",
    }
}
REQUIRED = ("Name", "Email", "Financial Status", "Created at", "Total", "Lineitem quantity")
_MONEY = ("Subtotal", "Shipping", "Taxes", "Total", "Discount Amount", "Refunded Amount")


def _timestamp(raw: str, column: str, zone: ZoneInfo) -> tuple[dt.datetime, dt.datetime] | None:
    """(local time in the reporting zone, UTC), both naive; None for an empty cell."""
    raw = raw.strip()
    if not raw:
        return None
    try:
        moment = dt.datetime.strptime(raw, "%Y-%m-%d %H:%M:%S %z")
    except ValueError:
        raise CellRejected(column, "timestamp like 2026-09-01 18:25:25 +0200", raw) from None
    return (
        moment.astimezone(zone).replace(tzinfo=None),
        moment.astimezone(dt.UTC).replace(tzinfo=None),
    )


def _money(raw: str, column: str) -> float | None:
    try:
        value = parse_number(raw, ".")
    except ValueError as exc:
        raise CellRejected(column, str(exc), raw) from None
    return value


def parse(data: bytes | Path, file: str, reporting_timezone: str) -> ParsedFile:
    """Read an export given as bytes or as a path (streamed row by row: bounded memory)."""
    if isinstance(data, Path):
        with open_text(data, file) as stream:
            return _parse_stream(stream, file, reporting_timezone)
    return _parse_stream(io.StringIO(decode(data, file), newline=""), file, reporting_timezone)


def _parse_stream(stream: TextIO, file: str, reporting_timezone: str) -> ParsedFile:
    zone = ZoneInfo(reporting_timezone)
    rows = records(stream, ",")
    first = next(rows, None)
    if first is None:
        raise FileRefused(file, "the file has no header")
    header = [h.strip().lstrip("\ufeff") for h in first[1]]
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        raise FileRefused(
            file,
            f"not a Shopify orders export: column(s) missing: {', '.join(missing)}",
            line=1,
        )
    index = {name: i for i, name in enumerate(header)}

    def cell(row: list[str], column: str) -> str:
        position = index.get(column)
        return row[position].strip() if position is not None and position < len(row) else ""

    orders: dict[str, dict] = {}
    order_values: dict[str, list] = {f.name: [] for f in LINES_SCHEMA}
    rejected: list[RejectedRow] = []
    refused_orders: set[str] = set()
    read = 0
    for line, row in rows:
        if not any(c.strip() for c in row):
            continue
        read += 1
        name = cell(row, "Name")
        try:
            if not name:
                raise CellRejected("Name", "order name is present", "")
            if name in refused_orders:
                raise CellRejected("Name", "the order's first row was rejected", name)
            if name not in orders:
                orders[name] = _order(row, cell, name, line, zone)
            order_line = _line(row, cell, name, line, orders[name])
        except CellRejected as exc:
            if name and name not in orders:
                refused_orders.add(name)
            rejected.append(RejectedRow(line, exc.column, exc.check, exc.value, ",".join(row)))
            continue
        for column, values in order_values.items():
            values.append(order_line[column])
    for order in orders.values():
        order["line_items"] = order.pop("_lines", 0)
    orders_table = pa.table(
        {f.name: [o.get(f.name) for o in orders.values()] for f in ORDERS_SCHEMA},
        schema=ORDERS_SCHEMA,
    )
    lines_table = pa.table(order_values, schema=LINES_SCHEMA)
    days = [o["created_at"].date() for o in orders.values()]
    return ParsedFile(
        rows_read=read,
        rows_loaded=lines_table.num_rows,
        tables={ORDERS: orders_table, ORDER_LINES: lines_table},
        rejected=rejected,
        first_date=min(days) if days else None,
        last_date=max(days) if days else None,
    )


def _order(row, cell, name: str, line: int, zone: ZoneInfo) -> dict:
    status = cell(row, "Financial Status").lower()
    if status not in FINANCIAL_STATUSES:
        raise CellRejected(
            "Financial Status", "one of " + ", ".join(sorted(FINANCIAL_STATUSES)), status
        )
    created = _timestamp(cell(row, "Created at"), "Created at", zone)
    if created is None:
        raise CellRejected("Created at", "the order's first row has its creation time", "")
    paid = _timestamp(cell(row, "Paid at"), "Paid at", zone)
    cancelled = _timestamp(cell(row, "Cancelled at"), "Cancelled at", zone)
    money = {column: _money(cell(row, column), column) for column in _MONEY}
    if money["Total"] is None:
        raise CellRejected("Total", "the order's first row has its total", "")
    for column, value in money.items():
        if value is not None and value < 0:
            raise CellRejected(column, f"{column} >= 0", cell(row, column))
    return {
        "order_name": name,
        "order_id": cell(row, "Id") or None,
        "email": cell(row, "Email") or None,
        "financial_status": status,
        "fulfillment_status": cell(row, "Fulfillment Status").lower() or None,
        "currency": cell(row, "Currency").upper() or None,
        "subtotal": money["Subtotal"],
        "shipping": money["Shipping"],
        "taxes": money["Taxes"],
        "total": money["Total"],
        "discount_code": cell(row, "Discount Code") or None,
        "discount_amount": money["Discount Amount"],
        "refunded_amount": money["Refunded Amount"],
        "created_at": created[0],
        "created_at_utc": created[1],
        "paid_at": paid[0] if paid else None,
        "cancelled_at": cancelled[0] if cancelled else None,
        "source_name": cell(row, "Source") or None,
        "billing_name": cell(row, "Billing Name") or None,
        "billing_street": cell(row, "Billing Street") or None,
        "billing_city": cell(row, "Billing City") or None,
        "billing_zip": cell(row, "Billing Zip").lstrip("'") or None,
        "billing_country": cell(row, "Billing Country") or None,
        "phone": cell(row, "Phone") or cell(row, "Billing Phone") or None,
        "_row_number": line,
    }


def _line(row, cell, name: str, line: int, order: dict) -> dict:
    raw_quantity = cell(row, "Lineitem quantity")
    try:
        quantity = parse_number(raw_quantity, ".")
    except ValueError:
        raise CellRejected("Lineitem quantity", "is a whole number", raw_quantity) from None
    if quantity is None or quantity != int(quantity) or quantity < 0:
        raise CellRejected("Lineitem quantity", "is a whole number >= 0", raw_quantity)
    price = _money(cell(row, "Lineitem price"), "Lineitem price")
    if price is not None and price < 0:
        raise CellRejected("Lineitem price", "Lineitem price >= 0", cell(row, "Lineitem price"))
    order_lines = order.setdefault("_lines", 0) + 1
    order["_lines"] = order_lines
    return {
        "order_name": name,
        "line_number": order_lines,
        "quantity": int(quantity),
        "item_name": cell(row, "Lineitem name") or None,
        "price": price,
        "sku": cell(row, "Lineitem sku") or None,
        "discount": _money(cell(row, "Lineitem discount"), "Lineitem discount"),
        "_row_number": line,
    }
