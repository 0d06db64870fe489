"""Very large exports for memory tests and benchmarks: a Shopify orders export of a given size.

Real exports are the same rows repeated with new order numbers, customers and times (all in 2025):
the file is written row by row, so generating a 2-GB file needs no more memory than a small one.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

HEADER = (
    "Name,Email,Financial Status,Paid at,Fulfillment Status,Currency,Subtotal,Shipping,Taxes,"
    "Total,Discount Code,Discount Amount,Created at,Lineitem quantity,Lineitem name,"
    "Lineitem price,Lineitem sku,Billing Name,Billing Street,Billing City,Billing Zip,"
    "Billing Country,Phone,Refunded Amount,Source,Lineitem discount,Id"
)
_ITEMS = (("Tuinset teak", "1299.00", "TS"), ("Kussen", "25.00", "KU"), ("Parasol", "79.95", "PA"))
_STATUSES = ("paid", "paid", "paid", "refunded", "pending", "partially_refunded")


def write_large_orders_export(path: Path, target_bytes: int) -> tuple[int, int]:
    """Write orders until the file holds at least `target_bytes`; returns (rows, orders)."""
    start = dt.datetime(2025, 1, 1, 0, 0)
    minutes_in_year = 365 * 24 * 60
    rows = orders = 0
    written = 0
    with path.open("w", encoding="utf-8", newline="") as out:
        out.write(HEADER + "\n")
        while written < target_bytes:
            orders += 1
            # Orders spread over 2025 (a file of any size stays in the past: never "the future").
            created = start + dt.timedelta(minutes=(7 * orders) % minutes_in_year)
            stamp = created.strftime("%Y-%m-%d %H:%M:%S +0100")
            customer = orders % 50_000
            status = _STATUSES[orders % len(_STATUSES)]
            lines = 1 + orders % 3
            chunk = []
            for number in range(lines):
                item, price, sku = _ITEMS[(orders + number) % len(_ITEMS)]
                if number == 0:
                    chunk.append(
                        f"#{orders},klant{customer}@example.com,{status},{stamp},fulfilled,EUR,"
                        f"{price},4.95,12.00,{price},,0.00,{stamp},1,{item},{price},{sku}-1,"
                        f"Klant {customer},Dorpsstraat {customer % 200},Utrecht,'3511 AB,NL,"
                        f"+3161234{customer:04d},0.00,web,0.00,{6_890_000_000_000 + orders}"
                    )
                else:
                    chunk.append(
                        f"#{orders},klant{customer}@example.com,,,,,,,,,,,,1,{item},{price},"
                        f"{sku}-1,,,,,,,,,0.00,"
                    )
            text = "\n".join(chunk) + "\n"
            out.write(text)
            written += len(text)
            rows += lines
    return rows, orders
