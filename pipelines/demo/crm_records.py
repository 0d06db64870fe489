"""The demo's CRM records: the contacts and deals of the sales team on HubSpot, the
opportunities of the projects team on Salesforce, each with the whole history of its stages.

The numbers hang together with the rest of the demo: paid leads follow the day's ad spend
(Google Ads and Microsoft Advertising for Paid Search, Meta for Paid Social) at a cost per lead of
tens of euros; about one contact in seven reaches a deal, about 30 % of closed deals are won
(deal sizes of thousands of euros, sales cycles of a few weeks), so some 5 % of contacts become
customers within 90 days. The export writers (`hubspot`, `salesforce`) show each record as it was
on a snapshot day; tests compare the loaded data with these records.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from dataclasses import dataclass

from pipelines.demo import google_ads, paid_media
from pipelines.demo.fx_rates import DemoRates
from pipelines.demo.shop import FIRST_NAMES, LAST_NAMES, season

COST_PER_SEARCH_LEAD = 55.0  # EUR of Google Ads (EUR account) + Microsoft Advertising spend
COST_PER_SOCIAL_LEAD = 27.0  # EUR of Meta spend
# Contacts from other sources, per paid lead of the day
OTHER_SOURCES = (
    ("Organic Search", 0.3),
    ("Direct Traffic", 0.1),
    ("Referrals", 0.05),
    ("Email Marketing", 0.05),
    ("Offline Sources", 0.03),
    ("Other Campaigns", 0.02),
)
MQL_SHARE, SQL_SHARE, DEAL_SHARE = 0.5, 0.6, 0.5  # each of the stage before
WIN_RATE = 0.33
DELETED_SHARE = 0.01  # contacts deleted again (spam, duplicates): absent from later exports
HUBSPOT_OWNERS = ("Lotte Jansen", "Sam Peeters", "Iris Willems", "Jeroen Bakker")
SALESFORCE_OWNERS = ("Noor Hendriks", "Pieter de Wit")
HUBSPOT_OPEN_STAGES = (  # HubSpot's default pipeline, in order
    "Appointment scheduled",
    "Qualified to buy",
    "Presentation scheduled",
    "Decision maker bought-in",
    "Contract sent",
)
SALESFORCE_OPEN_STAGES = (  # (stage, probability %)
    ("Prospecting", 10),
    ("Qualification", 20),
    ("Needs Analysis", 40),
    ("Proposal/Price Quote", 60),
    ("Negotiation/Review", 80),
)
LEAD_SOURCES = ("Web", "Phone Inquiry", "Partner Referral", "Trade Show", "Advertisement")
DEAL_PRODUCTS = (
    "Tuinmeubilair",
    "Loungesets",
    "Parasols",
    "Terrasmeubilair",
    "Overkapping",
    "Buitenverlichting",
)
BUSINESSES = ("kantoor", "hotel", "restaurant", "camping", "beach club", "zorginstelling")
CITIES = ("Utrecht", "Amsterdam", "Rotterdam", "Den Haag", "Eindhoven", "Zwolle", "Groningen")
UK_CITIES = ("London", "Brighton", "Leeds")
US_CITIES = ("Boston", "Austin", "Portland")


@dataclass(frozen=True)
class Deal:
    deal_id: str
    name: str
    pipeline: str
    owner: str
    currency: str
    amount: float  # in the deal's currency
    amount_eur: float  # at the creation day's rate
    created_at: dt.datetime
    closes_at: dt.datetime  # when it closes (after the demo's end: still open at its end)
    won: bool
    company_id: str

    def is_closed_on(self, moment: dt.datetime) -> bool:
        return self.closes_at <= moment


@dataclass(frozen=True)
class Contact:
    contact_id: str
    first_name: str
    last_name: str
    email: str
    source: str  # Original Traffic Source
    created_at: dt.datetime
    mql_at: dt.datetime | None
    sql_at: dt.datetime | None
    opportunity_at: dt.datetime | None
    customer_at: dt.datetime | None
    deleted_at: dt.datetime | None
    company_id: str
    deal: Deal | None


@dataclass(frozen=True)
class Opportunity:
    """A Salesforce opportunity of the projects team."""

    opportunity_id: str
    name: str
    account: str
    owner: str
    lead_source: str
    kind: str  # Type
    currency: str
    amount: float
    created: dt.date
    closes: dt.date  # the close, or (after the demo's end) the forecast
    won: bool


@dataclass(frozen=True)
class CrmRecords:
    contacts: tuple[Contact, ...]
    opportunities: tuple[Opportunity, ...]

    @property
    def deals(self) -> tuple[Deal, ...]:
        return tuple(c.deal for c in self.contacts if c.deal is not None)


def _daily_spend(start: dt.date, days: int, scale: float, seed: int) -> dict[dt.date, list[float]]:
    """EUR spend per day: [paid search (Google Ads EUR account + Microsoft), paid social]."""
    spend: dict[dt.date, list[float]] = {}
    rng = random.Random(f"google_ads-{seed}")  # the stream the Google Ads reports use
    for day, _, _, _, cost, _, _ in google_ads.campaign_days(start, days, scale, rng):
        spend.setdefault(day, [0.0, 0.0])[0] += cost
    for row in paid_media.microsoft_ads_days(start, days, scale, seed):
        spend[row.day][0] += row.cost
    for row in paid_media.meta_ads_days(start, days, scale, seed):
        spend[row.day][1] += row.cost
    return spend


def _poisson(rng: random.Random, mean: float) -> int:
    """A Poisson count (Knuth's method; the means here are small)."""
    limit, count, product = math.exp(-mean), 0, rng.random()
    while product > limit:
        count += 1
        product *= rng.random()
    return count


def _later(rng: random.Random, moment: dt.datetime, low_days: float, high_days: float):
    """A working-hours moment some days after `moment`."""
    day = (moment + dt.timedelta(days=rng.uniform(low_days, high_days))).date()
    while day.weekday() >= 5:
        day += dt.timedelta(days=1)
    later = dt.datetime.combine(day, dt.time(rng.randrange(8, 18), rng.randrange(60)))
    return max(later, moment + dt.timedelta(minutes=5))


def _deal(
    rng: random.Random, number: int, created: dt.datetime, rates: DemoRates, company: str
) -> Deal:
    amount_eur = round(min(60_000.0, max(900.0, rng.lognormvariate(math.log(4800), 0.6))), -1)
    draw = rng.random()
    currency, city = (
        ("GBP", rng.choice(UK_CITIES))
        if draw < 0.07
        else ("USD", rng.choice(US_CITIES))
        if draw < 0.11
        else ("EUR", rng.choice(CITIES))
    )
    amount = round(amount_eur * rates.rate_on(currency, created.date()), -1)
    projects = amount_eur > 12_000
    product, business = rng.choice(DEAL_PRODUCTS), rng.choice(BUSINESSES)
    return Deal(
        deal_id=str(31_800_000_000 + number * 7 + rng.randrange(7)),
        name=f"{product} {business} {city}",
        pipeline="Projecten" if projects else "Sales Pipeline",
        owner=rng.choice(HUBSPOT_OWNERS),
        currency=currency,
        amount=amount,
        amount_eur=amount_eur,
        created_at=created,
        # sales cycles of weeks: two to ten, longer for projects
        closes_at=_later(rng, created, 14, 70 if projects else 50),
        won=rng.random() < WIN_RATE,
        company_id=company,
    )


def _contacts(
    start: dt.date, days: int, scale: float, seed: int, rates: DemoRates
) -> list[Contact]:
    rng = random.Random(f"crm-hubspot-{seed}")
    spend = _daily_spend(start, days, scale, seed)
    contacts: list[Contact] = []
    deals = 0
    for offset in range(days):
        day = start + dt.timedelta(days=offset)
        search, social = spend[day]
        paid = [("Paid Search", _poisson(rng, search / COST_PER_SEARCH_LEAD))]
        paid.append(("Paid Social", _poisson(rng, social / COST_PER_SOCIAL_LEAD)))
        base = search / COST_PER_SEARCH_LEAD + social / COST_PER_SOCIAL_LEAD
        others = [(name, _poisson(rng, base * share)) for name, share in OTHER_SOURCES]
        for source, count in [*paid, *others]:
            for _ in range(count):
                number = len(contacts)
                created = dt.datetime.combine(day, dt.time(rng.randrange(7, 23), rng.randrange(60)))
                first = rng.choice(FIRST_NAMES)
                last = rng.choice(LAST_NAMES)
                email = f"{first.lower()}.{last.replace(' ', '').lower()}{number}@example.com"
                company = str(9_400_000_000 + rng.randrange(10_000_000))
                mql = _later(rng, created, 0.5, 7) if rng.random() < MQL_SHARE else None
                sql = _later(rng, mql, 2, 10) if mql and rng.random() < SQL_SHARE else None
                deal = None
                if sql and rng.random() < DEAL_SHARE:
                    opened = _later(rng, sql, 1, 7)
                    deal = _deal(rng, deals, opened, rates, company)
                    deals += 1
                deleted = (
                    _later(rng, created, 3, 20)
                    if deal is None and rng.random() < DELETED_SHARE
                    else None
                )
                contacts.append(
                    Contact(
                        contact_id=str(80_100_000_000 + number * 13 + rng.randrange(13)),
                        first_name=first,
                        last_name=last,
                        email=email,
                        source=source,
                        created_at=created,
                        mql_at=mql,
                        sql_at=sql,
                        opportunity_at=deal.created_at if deal else None,
                        customer_at=deal.closes_at if deal and deal.won else None,
                        deleted_at=deleted,
                        company_id=company,
                        deal=deal,
                    )
                )
    return contacts


_ID_CHARACTERS = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


def _salesforce_id(number: int) -> str:
    """A 15-character opportunity id (`006` prefix), case-sensitive."""
    digits = ""
    for _ in range(5):
        number, rest = divmod(number, len(_ID_CHARACTERS))
        digits = _ID_CHARACTERS[rest] + digits
    return f"0065g00000{digits}"


def _opportunities(start: dt.date, days: int, scale: float, seed: int) -> list[Opportunity]:
    rng = random.Random(f"crm-salesforce-{seed}")
    result: list[Opportunity] = []
    for offset in range(days):
        day = start + dt.timedelta(days=offset)
        if day.weekday() >= 5:
            continue
        for _ in range(_poisson(rng, 1.1 * scale * season(day) ** 0.5)):
            number = 4211 + len(result) * 37
            business, city = rng.choice(BUSINESSES), rng.choice(CITIES)
            currency = "USD" if rng.random() < 0.1 else "EUR"
            amount = round(min(90_000.0, rng.lognormvariate(math.log(9500), 0.55)), -2)
            result.append(
                Opportunity(
                    opportunity_id=_salesforce_id(number * 7919),
                    name=f"{rng.choice(DEAL_PRODUCTS)} {business}",
                    account=f"{business.title()} {city} {rng.choice(LAST_NAMES)}",
                    owner=rng.choice(SALESFORCE_OWNERS),
                    lead_source=rng.choice(LEAD_SOURCES),
                    kind="New Customer" if rng.random() < 0.8 else "Existing Customer - Upgrade",
                    currency=currency,
                    amount=amount,
                    created=day,
                    closes=day + dt.timedelta(days=rng.randrange(21, 84)),
                    won=rng.random() < 0.32,
                )
            )
    return result


def crm_records(start: dt.date, days: int, scale: float, seed: int, rates: DemoRates) -> CrmRecords:
    """Every contact, deal and opportunity of the demo's `days` days from `start`."""
    return CrmRecords(
        tuple(_contacts(start, days, scale, seed, rates)),
        tuple(_opportunities(start, days, scale, seed)),
    )


def snapshot_days(start: dt.date, end: dt.date) -> list[dt.date]:
    """The days the teams export their CRM: the first of every month after `start`, and the day
    after `end` (the morning after the demo's last day)."""
    days = []
    day = dt.date(start.year + (start.month == 12), start.month % 12 + 1, 1)
    while day <= end:
        days.append(day)
        day = dt.date(day.year + (day.month == 12), day.month % 12 + 1, 1)
    last = end + dt.timedelta(days=1)
    if last not in days:
        days.append(last)
    return days
