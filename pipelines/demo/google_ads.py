"""Demo Google Ads campaign reports with the Day segment, one file per month, mixed variants.

The reports are a manager account's: the shop's own account in EUR and a second client account in
USD, each row with its account's currency code."""

from __future__ import annotations

import datetime as dt
import math
import random
from dataclasses import dataclass
from pathlib import Path

from pipelines.demo.formatting import format_number, format_percent, write_csv

EN_HEADER = [
    "Day",
    "Campaign",
    "Campaign ID",
    "Campaign status",
    "Campaign type",
    "Currency code",
    "Impr.",
    "Clicks",
    "CTR",
    "Avg. CPC",
    "Cost",
    "Conversions",
    "Conv. value",
    "Cost / conv.",
]
NL_HEADER = [
    "Dag",
    "Campagne",
    "Campagne-ID",
    "Campagnestatus",
    "Campagnetype",
    "Valutacode",
    "Vertoningen",
    "Klikken",
    "CTR",
    "Gem. CPC",
    "Kosten",
    "Conversies",
    "Conv.waarde",
    "Kosten/conv.",
]
EN_MONTHS = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]
NL_MONTHS = [
    "januari",
    "februari",
    "maart",
    "april",
    "mei",
    "juni",
    "juli",
    "augustus",
    "september",
    "oktober",
    "november",
    "december",
]


@dataclass(frozen=True)
class Campaign:
    campaign_id: str
    name: str
    campaign_type: str
    impressions: float
    ctr: float
    cpc: float
    conversion_rate: float
    order_value: float
    currency: str = "EUR"


CAMPAIGNS = [
    Campaign("20314151", "NL | Search | Brand", "Search", 1800, 0.11, 0.32, 0.095, 118.0),
    Campaign(
        "20314152",
        "NL | Search | Generic - Tuinmeubelen",
        "Search",
        5200,
        0.041,
        0.91,
        0.026,
        142.0,
    ),
    Campaign(
        "20314153", "NL | Search | Generic - Parasols", "Search", 1600, 0.04, 0.77, 0.015, 98.0
    ),
    Campaign(
        "20314154",
        "NL | PMax | Alle producten",
        "Performance Max",
        21000,
        0.012,
        0.47,
        0.021,
        131.0,
    ),
    Campaign(
        "20314155", "NL | Shopping | Bestsellers", "Shopping", 9000, 0.016, 0.55, 0.014, 109.0
    ),
    Campaign("20314156", "NL | Display | Remarketing", "Display", 14500, 0.0033, 0.28, 0.004, 95.0),
]


# A second client account of the manager account, in US dollars (a US reseller's web shop): its
# report rows keep their own currency code, and the warehouse converts them with the ECB rates.
USD_CAMPAIGNS = [
    Campaign(
        "31820401",
        "US | Search | Teak Patio Furniture",
        "Search",
        2400,
        0.045,
        1.35,
        0.03,
        210.0,
        "USD",
    ),
    Campaign(
        "31820402",
        "US | Shopping | Bestsellers",
        "Shopping",
        5200,
        0.015,
        0.82,
        0.016,
        175.0,
        "USD",
    ),
]


def _season(day: dt.date) -> float:
    """Garden furniture: a spring and summer peak, a quiet winter, busier weekdays."""
    yearly = 1.0 + 0.45 * math.sin(2 * math.pi * (day.timetuple().tm_yday - 80) / 365)
    weekday = (1.05, 1.0, 0.98, 0.97, 0.92, 0.9, 1.12)[day.weekday()]
    return yearly * weekday


def campaigns_for(scale: float) -> list[Campaign]:
    """The six campaign templates, repeated per region or product line as the account grows."""
    count = max(len(CAMPAIGNS), int(30 * scale))
    result = []
    for index in range(count):
        template = CAMPAIGNS[index % len(CAMPAIGNS)]
        copy = index // len(CAMPAIGNS)
        if copy == 0:
            result.append(template)
            continue
        result.append(
            Campaign(
                str(int(template.campaign_id) + 100 * copy),
                f"{template.name} #{copy + 1}",
                template.campaign_type,
                template.impressions / 3,
                template.ctr,
                template.cpc,
                template.conversion_rate,
                template.order_value,
            )
        )
    return result


def campaign_days(start: dt.date, days: int, scale: float, rng: random.Random):
    """Yield (day, campaign, impressions, clicks, cost, conversions, value) rows."""
    campaigns = campaigns_for(scale)
    for offset in range(days):
        day = start + dt.timedelta(days=offset)
        season = _season(day)
        for campaign in campaigns:
            impressions = max(0, round(campaign.impressions * season * rng.uniform(0.8, 1.2)))
            clicks = min(impressions, round(impressions * campaign.ctr * rng.uniform(0.85, 1.15)))
            cost = round(clicks * campaign.cpc * rng.uniform(0.9, 1.1), 2)
            conversions = round(clicks * campaign.conversion_rate * rng.uniform(0.6, 1.4), 2)
            value = round(conversions * campaign.order_value * rng.uniform(0.8, 1.2), 2)
            yield day, campaign, impressions, clicks, cost, conversions, value


def usd_campaign_days(start: dt.date, days: int, seed: int):
    """The USD account's (day, campaign, impressions, clicks, cost, conversions, value) rows, from
    their own random stream (the EUR account's rows stay as they were)."""
    rng = random.Random(f"google_ads-usd-{seed}")
    for offset in range(days):
        day = start + dt.timedelta(days=offset)
        season = _season(day)
        for campaign in USD_CAMPAIGNS:
            impressions = max(0, round(campaign.impressions * season * rng.uniform(0.8, 1.2)))
            clicks = min(impressions, round(impressions * campaign.ctr * rng.uniform(0.85, 1.15)))
            cost = round(clicks * campaign.cpc * rng.uniform(0.9, 1.1), 2)
            conversions = round(clicks * campaign.conversion_rate * rng.uniform(0.6, 1.4), 2)
            value = round(conversions * campaign.order_value * rng.uniform(0.8, 1.2), 2)
            yield day, campaign, impressions, clicks, cost, conversions, value


def _row(values, locale: str) -> list[str]:
    day, campaign, impressions, clicks, cost, conversions, value = values
    ctr = format_percent(clicks / impressions, locale) if impressions else "--"
    cpc = format_number(cost / clicks, 2, locale) if clicks else "--"
    per_conversion = format_number(cost / conversions, 2, locale) if conversions else "--"
    return [
        day.isoformat(),
        campaign.name,
        campaign.campaign_id,
        "Enabled" if locale == "en" else "Ingeschakeld",
        campaign.campaign_type,
        campaign.currency,
        format_number(impressions, 0, locale),
        format_number(clicks, 0, locale),
        ctr,
        cpc,
        format_number(cost, 2, locale),
        format_number(conversions, 2, locale),
        format_number(value, 2, locale),
        per_conversion,
    ]


def _date_range_line(first: dt.date, last: dt.date, locale: str) -> str:
    if locale == "nl":
        return (
            f"{first.day} {NL_MONTHS[first.month - 1]} {first.year} - {last.day} "
            f"{NL_MONTHS[last.month - 1]} {last.year}"
        )
    return (
        f'"{EN_MONTHS[first.month - 1]} {first.day}, {first.year} - '
        f'{EN_MONTHS[last.month - 1]} {last.day}, {last.year}"'
    )


# (language, encoding, delimiter): the variants people really download, used in turn per month.
VARIANTS = [
    ("en", "utf-8", ","),
    ("nl", "utf-8-sig", ";"),
    ("en", "utf-16", "\t"),
    ("nl", "utf-16", "\t"),
]


def write_reports(out_dir: Path, start: dt.date, days: int, scale: float, seed: int) -> list[Path]:
    rng = random.Random(f"google_ads-{seed}")
    by_month: dict[tuple[int, int], list] = {}
    for values in campaign_days(start, days, scale, rng):
        by_month.setdefault((values[0].year, values[0].month), []).append(values)
    for values in usd_campaign_days(start, days, seed):
        by_month[(values[0].year, values[0].month)].append(values)
    for rows in by_month.values():
        rows.sort(key=lambda values: values[0])  # by day (stable: EUR campaigns first)
    written = []
    for index, ((year, month), rows) in enumerate(sorted(by_month.items())):
        locale, encoding, delimiter = VARIANTS[index % len(VARIANTS)]
        first, last = rows[0][0], rows[-1][0]
        title = "Campaign report" if locale == "en" else "Campagnerapport"
        header = EN_HEADER if locale == "en" else NL_HEADER
        body = [header] + [_row(values, locale) for values in rows]
        totals = [sum(v[i] for v in rows) for i in (2, 3, 4, 5, 6)]
        label = "Total: Account" if locale == "en" else "Totaal: account"
        body.append(
            [
                label,
                "",
                "",
                "",
                "",
                "",
                format_number(totals[0], 0, locale),
                format_number(totals[1], 0, locale),
                "",
                "",
                format_number(totals[2], 2, locale),
                format_number(totals[3], 2, locale),
                format_number(totals[4], 2, locale),
                "",
            ]
        )
        path = out_dir / "google_ads" / f"campaign_report_{year}-{month:02d}.csv"
        write_csv(
            path,
            [title, _date_range_line(first, last, locale)],
            body,
            delimiter=delimiter,
            encoding=encoding,
        )
        written.append(path)
    return written
