"""Demo GA4, Shopify, Zendesk and survey exports for one webshop, consistent with each other."""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
import random
from pathlib import Path
from zoneinfo import ZoneInfo

from pipelines.demo.formatting import write_csv
from pipelines.ingest import shopify, zendesk

ZONE = ZoneInfo("Europe/Amsterdam")
CHANNELS = [  # (channel, share of sessions, key-event rate): about 2 % overall, as in retail
    ("Organic Search", 0.38, 0.0195),
    ("Direct", 0.2, 0.02),
    ("Paid Search", 0.16, 0.028),
    ("Cross-network", 0.1, 0.016),
    ("Organic Social", 0.05, 0.009),
    ("Email", 0.05, 0.035),
    ("Referral", 0.03, 0.015),
    ("Paid Social", 0.03, 0.008),
]
RETURNING_SHARE = 0.3  # of orders: a mid-size shop's repeat rate
GA4_DAILY_SESSIONS = 1750  # at scale 1: about 20,000 organic sessions a month
FIRST_NAMES = [
    "Anna",
    "Bram",
    "Chantal",
    "Daan",
    "Eva",
    "Fleur",
    "Gijs",
    "Hanna",
    "Koen",
    "Lotte",
    "Milan",
    "Noor",
    "Olaf",
    "Puck",
    "Ruben",
    "Sanne",
    "Tim",
    "Vera",
    "Wouter",
    "Yara",
]
LAST_NAMES = [
    "de Vries",
    "Jansen",
    "Bakker",
    "Visser",
    "Smit",
    "Meijer",
    "de Boer",
    "Mulder",
    "de Groot",
    "Bos",
    "Vos",
    "Peters",
    "Hendriks",
    "Dekker",
    "Kok",
]
PRODUCTS = [
    ("Tuinset teak", 899.0),
    ("Loungeset hoek", 1299.0),
    ("Parasol 3x3", 149.0),
    ("Parasolvoet 50 kg", 79.95),
    ("Tuinkussen", 24.95),
    ("Tuinstoel aluminium", 119.0),
    ("Hangstoel", 249.0),
    ("Buitenkleed", 89.0),
]
SHOPIFY_COLUMNS = list(shopify.EXPORT_HEADER)
ZENDESK_COLUMNS = [*zendesk.EXPORT_HEADER, "Category [list]"]  # with a custom field
CSAT_LABELS = ["Zeer ontevreden", "Ontevreden", "Neutraal", "Tevreden", "Zeer tevreden"]


def season(day: dt.date) -> float:
    yearly = 1.0 + 0.45 * math.sin(2 * math.pi * (day.timetuple().tm_yday - 80) / 365)
    return yearly * (1.05, 1.0, 0.98, 0.97, 0.92, 0.9, 1.12)[day.weekday()]


def order_count(day: dt.date, scale: float, rng: random.Random) -> int:
    """Orders placed on a day (created between 07:00 and 23:00)."""
    return int(30 * scale * season(day) * rng.uniform(0.8, 1.2))


def ticket_count(day: dt.date, scale: float, rng: random.Random) -> int:
    """Support tickets created on a day (at any hour)."""
    return int(6 * scale * season(day) * rng.uniform(0.7, 1.3))


def order_moment(day: dt.date, rng: random.Random) -> dt.datetime:
    """When an order is placed: between 07:00 and 23:00."""
    return dt.datetime.combine(
        day, dt.time(rng.randrange(7, 23), rng.randrange(60), rng.randrange(60))
    )


def ticket_moment(day: dt.date, rng: random.Random) -> dt.datetime:
    """When a ticket is created: at any hour."""
    return dt.datetime.combine(day, dt.time(rng.randrange(24), rng.randrange(60)))


def _months(start: dt.date, days: int):
    """(first, last) day of each calendar month touched by the range."""
    end = start + dt.timedelta(days=days - 1)
    first = start
    while first <= end:
        following = dt.date(first.year + (first.month == 12), first.month % 12 + 1, 1)
        yield first, min(following - dt.timedelta(days=1), end)
        first = following


def write_ga4(out_dir: Path, start: dt.date, days: int, scale: float, seed: int) -> list[Path]:
    rng = random.Random(f"ga4-{seed}")
    written = []
    for first, last in _months(start, days):
        rows = []
        totals = [0, 0, 0.0, 0.0]
        day = first
        while day <= last:
            # Web traffic follows the shop's season only softly, and grows a little (SEO work).
            level = season(day) ** 0.25 * (1 + 0.0004 * (day - start).days)
            for channel, share, rate in CHANNELS:
                sessions = int(GA4_DAILY_SESSIONS * scale * share * level * rng.uniform(0.85, 1.15))
                engaged = int(sessions * rng.uniform(0.5, 0.7))
                # rounded at random, so small channels keep their rate on average
                key_events = int(sessions * rate * rng.uniform(0.7, 1.3) + rng.random())
                revenue = round(key_events * rng.uniform(90, 160), 2)
                rows.append(
                    [
                        channel,
                        day.strftime("%Y%m%d"),
                        str(sessions),
                        str(engaged),
                        f"{engaged / sessions:.6f}" if sessions else "0",
                        str(key_events),
                        f"{revenue:.2f}",
                    ]
                )
                totals = [
                    totals[0] + sessions,
                    totals[1] + engaged,
                    totals[2] + key_events,
                    totals[3] + revenue,
                ]
            day += dt.timedelta(days=1)
        header = [
            "Session default channel group",
            "Date",
            "Sessions",
            "Engaged sessions",
            "Engagement rate",
            "Key events",
            "Total revenue",
        ]
        grand = [
            "Grand total",
            "",
            str(totals[0]),
            str(totals[1]),
            f"{totals[1] / max(totals[0], 1):.6f}",
            str(int(totals[2])),
            f"{totals[3]:.2f}",
        ]
        preamble = [
            "# ----------------------------------------",
            "# Traffic acquisition: Session default channel group",
            "# Account: Voorbeeld Webshop",
            "# Property: voorbeeldwebshop.nl - GA4",
            "# ----------------------------------------",
            "#",
            "# All Users",
            f"# Start date: {first:%Y%m%d}",
            f"# End date: {last:%Y%m%d}",
            "# ----------------------------------------",
            "",
        ]
        path = out_dir / "ga4" / f"traffic_acquisition_{first:%Y-%m}.csv"
        write_csv(path, preamble, [header, grand, *rows], line_terminator="\n")
        written.append(path)
    return written


def _person(rng: random.Random, customer: int) -> tuple[str, str]:
    first = FIRST_NAMES[customer % len(FIRST_NAMES)]
    last = LAST_NAMES[(customer // len(FIRST_NAMES)) % len(LAST_NAMES)]
    email = f"{first.lower()}.{last.replace(' ', '').lower()}{customer}@example.com"
    return f"{first} {last}", email


def _offset_time(moment: dt.datetime) -> str:
    aware = moment.replace(tzinfo=ZONE)
    return aware.strftime("%Y-%m-%d %H:%M:%S %z")


def write_orders(
    out_dir: Path,
    start: dt.date,
    days: int,
    scale: float,
    seed: int,
    *,
    cut_last_day_after: int | None = None,
    parts: frozenset[str] = frozenset({"months", "last_day"}),
) -> list[Path]:
    """One Shopify export per month. With `cut_last_day_after`, the last day is left out of its
    month's export and delivered on its own, cut off after that many orders (a download that
    stopped early); `parts` says which of the two (`months`, `last_day`) to write."""
    rng = random.Random(f"orders-{seed}")
    last_day = start + dt.timedelta(days=days - 1)
    late = io.StringIO()
    late_writer = csv.writer(late, lineterminator="\n")
    late_writer.writerow(SHOPIFY_COLUMNS)
    seen = 0  # customers so far
    statuses = (
        ["paid"] * 86
        + ["partially_refunded"] * 4
        + ["refunded"] * 4
        + ["pending"] * 3
        + ["voided"] * 2
        + ["authorized"]
    )
    number = 1000
    written = []
    for first, last in _months(start, days):
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(SHOPIFY_COLUMNS)
        day = first
        while day <= last:
            separate = cut_last_day_after is not None and day == last_day
            for order_index in range(order_count(day, scale, rng)):
                number += 1
                target = None
                if not separate:
                    target = writer
                elif order_index < (cut_last_day_after or 0):
                    target = late_writer
                # most orders come from new customers; a few loyal ones buy again and again
                if seen and rng.random() < RETURNING_SHARE:
                    customer = int(seen * rng.random() ** 2.2)
                else:
                    customer = seen
                    seen += 1
                name, email = _person(rng, customer)
                pos = rng.random() < 0.04
                moment = order_moment(day, rng)
                lines = [rng.choice(PRODUCTS) for _ in range(rng.choice((1, 1, 1, 2, 2, 3)))]
                quantities = [rng.choice((1, 1, 1, 2, 4)) for _ in lines]
                subtotal = round(sum(p * q for (_, p), q in zip(lines, quantities, strict=True)), 2)
                shipping = 0.0 if subtotal > 75 else 4.95
                total = round(subtotal + shipping, 2)
                status = rng.choice(statuses)
                refunded = (
                    round(total * 0.3, 2)
                    if status == "partially_refunded"
                    else (total if status == "refunded" else 0.0)
                )
                for index, ((product, price), quantity) in enumerate(
                    zip(lines, quantities, strict=True)
                ):
                    row = dict.fromkeys(SHOPIFY_COLUMNS, "")
                    row.update(
                        {
                            "Name": f"#{number}",
                            "Email": "" if pos else email,
                            "Lineitem quantity": str(quantity),
                            "Lineitem name": product,
                            "Lineitem price": f"{price:.2f}",
                            "Lineitem sku": product[:3].upper(),
                        }
                    )
                    if index == 0:
                        row.update(
                            {
                                "Financial Status": status,
                                "Currency": "EUR",
                                "Paid at": _offset_time(moment + dt.timedelta(minutes=2))
                                if status != "pending"
                                else "",
                                "Subtotal": f"{subtotal:.2f}",
                                "Shipping": f"{shipping:.2f}",
                                "Taxes": f"{total * 21 / 121:.2f}",
                                "Total": f"{total:.2f}",
                                "Discount Amount": "0.00",
                                "Created at": _offset_time(moment),
                                "Billing Name": "" if pos else name,
                                "Billing Street": ""
                                if pos
                                else f"Dorpsstraat {customer % 200 + 1}",
                                "Billing City": "Utrecht",
                                "Billing Zip": "'3511 AB",
                                "Billing Country": "NL",
                                "Refunded Amount": f"{refunded:.2f}",
                                "Source": "pos" if pos else "web",
                                "Id": str(6890000000000 + number),
                                "Phone": "" if pos else f"+3161234{customer % 10000:04d}",
                            }
                        )
                    if target is not None:
                        target.writerow([row[c] for c in SHOPIFY_COLUMNS])
            day += dt.timedelta(days=1)
        if "months" in parts:
            path = out_dir / "orders" / f"orders_export_{first:%Y-%m}.csv"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(buffer.getvalue(), encoding="utf-8")
            written.append(path)
    if cut_last_day_after is not None and "last_day" in parts:
        path = out_dir / "orders" / f"orders_export_{last_day:%Y-%m-%d}.csv"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(late.getvalue(), encoding="utf-8")
        written.append(path)
    return written


def _business_reply_minutes(created: dt.datetime, rng: random.Random) -> float:
    """Replies come during office hours (Mon-Sat 9-17): evening and Sunday tickets wait."""
    moment = created + dt.timedelta(minutes=rng.choice((15, 45, 90, 180, 300, 600)))
    while moment.weekday() == 6 or not 9 <= moment.hour < 17:
        moment += dt.timedelta(hours=1)
        moment = moment.replace(minute=rng.randrange(60))
    return round((moment - created).total_seconds() / 60)


def write_tickets(
    out_dir: Path, start: dt.date, days: int, scale: float, seed: int, end_of_data: dt.datetime
) -> list[Path]:
    rng = random.Random(f"tickets-{seed}")
    ticket_id = 180000
    written = []
    for first, last in _months(start, days):
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(ZENDESK_COLUMNS)
        day = first
        while day <= last:
            for _ in range(ticket_count(day, scale, rng)):
                ticket_id += 1
                created = ticket_moment(day, rng)
                reply = _business_reply_minutes(created, rng)
                replied = (
                    created + dt.timedelta(minutes=reply) <= end_of_data and rng.random() > 0.02
                )
                name, email = _person(rng, rng.randrange(5000))
                solved = created + dt.timedelta(minutes=reply + rng.randrange(60, 4000))
                is_solved = replied and solved <= end_of_data
                row = dict.fromkeys(ZENDESK_COLUMNS, "")
                row.update(
                    {
                        "Id": str(ticket_id),
                        "Requester": name,
                        "Requester id": str(38900000 + ticket_id),
                        "Requester email": email,
                        "Group": "Klantenservice",
                        "Subject": rng.choice(
                            ["Levertijd", "Retour", "Factuur", "Defect", "Montage"]
                        ),
                        "Status": "Solved" if is_solved else ("Open" if replied else "New"),
                        "Priority": "Normal",
                        "Via": rng.choice(["Mail", "Chat", "Web form"]),
                        "Ticket type": "Question",
                        "Created at": created.strftime("%Y-%m-%d %H:%M:%S"),
                        "Updated at": created.strftime("%Y-%m-%d %H:%M:%S"),
                        "Solved at": solved.strftime("%Y-%m-%d %H:%M:%S") if is_solved else "",
                        "Satisfaction Score": rng.choice(
                            ["Good", "Good", "Offered", "Not Offered", "Bad"]
                        ),
                        "Replies": str(1 if replied else 0),
                        "First reply time in minutes": str(int(reply)) if replied else "",
                        "Full resolution time in minutes": str(
                            int((solved - created).total_seconds() // 60)
                        )
                        if is_solved
                        else "",
                    }
                )
                writer.writerow([row[c] for c in ZENDESK_COLUMNS])
            day += dt.timedelta(days=1)
        path = out_dir / "support_tickets" / f"tickets_{first:%Y-%m}.csv"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(buffer.getvalue(), encoding="utf-8")
        written.append(path)
    return written


def write_surveys(out_dir: Path, start: dt.date, days: int, scale: float, seed: int) -> list[Path]:
    rng = random.Random(f"surveys-{seed}")
    nps = (
        "Hoe waarschijnlijk is het dat u Voorbeeld Webshop zou aanbevelen aan een vriend of "
        "collega?"
    )
    csat = "Hoe tevreden bent u over de afhandeling van uw vraag?"
    header = [
        "Respondent ID",
        "Collector ID",
        "Start Date",
        "End Date",
        "IP Address",
        "Email Address",
        "First Name",
        "Last Name",
        "Custom Data 1",
        nps,
        csat,
        "Wat is de belangrijkste reden voor uw score?",
    ]
    sub = [""] * 9 + ["Response", "Response", "Open-Ended Response"]
    respondent = 114820000000
    written = []
    for first, last in _months(start, days):
        rows = [header, sub]
        day = first
        while day <= last:
            for _ in range(int(1.2 * scale * rng.uniform(0.4, 1.6) + rng.random())):
                respondent += 3301
                score = min(10, max(0, round(rng.gauss(8.3, 1.6))))
                csat_index = min(4, max(0, round((score - 1) / 2.2 + rng.uniform(-0.6, 0.6))))
                ended = dt.datetime.combine(day, dt.time(rng.randrange(24), rng.randrange(60)))
                name, email = _person(rng, rng.randrange(5000))
                rows.append(
                    [
                        str(respondent),
                        "431207788",
                        (ended - dt.timedelta(minutes=4)).strftime("%m/%d/%Y %I:%M:%S %p"),
                        ended.strftime("%m/%d/%Y %I:%M:%S %p"),
                        f"203.0.113.{rng.randrange(1, 255)}",
                        email,
                        *name.split(" ", 1),
                        "",
                        str(score),
                        "" if rng.random() < 0.1 else CSAT_LABELS[csat_index],
                        "",
                    ]
                )
            day += dt.timedelta(days=1)
        path = out_dir / "surveys" / f"nps_csat_{first:%Y-%m}.csv"
        write_csv(path, [], rows, line_terminator="\n")
        written.append(path)
    return written
