"""Demo Microsoft Advertising and Meta Ads exports, one file per month, in EUR.

Microsoft Advertising: campaign performance reports aggregated daily as the UI downloads them
(UTF-8 BOM, quoted preamble with `Rows: N`, every cell quoted, thousands separators, the
Microsoft footer). Meta Ads Manager: campaign exports with the daily breakdown, English and Dutch
headers in turn per month, a summary row first, unrounded numbers and `-` where a value does not
apply. `microsoft_ads_days` and `meta_ads_days` are the generating records the files are written
from (tests compare the loaded data with them).
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from pathlib import Path

from pipelines.demo.formatting import format_number, format_percent
from pipelines.demo.shop import season


@dataclass(frozen=True)
class AdCampaign:
    campaign_id: str
    name: str
    daily_cost: float  # at scale 1 and a season factor of 1
    cpc: float
    ctr: float
    conversion_rate: float  # of clicks
    order_value: float


@dataclass(frozen=True)
class AdDay:
    """One campaign's day as the platform reports it."""

    day: dt.date
    campaign: AdCampaign
    impressions: int
    reach: int
    clicks: int
    cost: float
    conversions: float
    conversion_value: float


MICROSOFT_CAMPAIGNS = (
    AdCampaign("512001", "NL - Bing - Merk", 28.0, 0.31, 0.095, 0.09, 121.0),
    AdCampaign("512002", "NL - Bing - Generiek Tuinmeubelen", 96.0, 0.78, 0.038, 0.03, 146.0),
    AdCampaign("512003", "NL - Bing - Parasols", 31.0, 0.66, 0.035, 0.022, 102.0),
)
META_CAMPAIGNS = (
    AdCampaign("120210001", "Prospecting | Tuinmeubels", 52.0, 0.42, 0.011, 0.012, 138.0),
    AdCampaign("120210002", "Retargeting | Alle bezoekers", 24.0, 0.29, 0.019, 0.03, 116.0),
    AdCampaign("120210003", "Advantage+ Shopping | Catalogus", 41.0, 0.37, 0.014, 0.017, 127.0),
)


def _ad_days(
    campaigns: tuple[AdCampaign, ...],
    start: dt.date,
    days: int,
    scale: float,
    rng: random.Random,
    *,
    whole_conversions: bool,
) -> list[AdDay]:
    rows = []
    for offset in range(days):
        day = start + dt.timedelta(days=offset)
        level = season(day) * scale
        for campaign in campaigns:
            cost = round(campaign.daily_cost * level * rng.uniform(0.8, 1.2), 2)
            clicks = max(1, round(cost / (campaign.cpc * rng.uniform(0.9, 1.1))))
            impressions = max(clicks, round(clicks / (campaign.ctr * rng.uniform(0.85, 1.15))))
            reach = round(impressions / rng.uniform(1.2, 1.8))
            expected = clicks * campaign.conversion_rate * rng.uniform(0.6, 1.4)
            # Meta counts whole purchases; Microsoft reports fractional conversions
            conversions = float(int(expected + rng.random())) if whole_conversions else expected
            conversions = round(conversions, 2)
            value = round(conversions * campaign.order_value * rng.uniform(0.8, 1.2), 2)
            rows.append(AdDay(day, campaign, impressions, reach, clicks, cost, conversions, value))
    return rows


def microsoft_ads_days(start: dt.date, days: int, scale: float, seed: int) -> list[AdDay]:
    rng = random.Random(f"microsoft_ads-{seed}")
    return _ad_days(MICROSOFT_CAMPAIGNS, start, days, scale, rng, whole_conversions=False)


def meta_ads_days(start: dt.date, days: int, scale: float, seed: int) -> list[AdDay]:
    rng = random.Random(f"meta_ads-{seed}")
    return _ad_days(META_CAMPAIGNS, start, days, scale, rng, whole_conversions=True)


def _by_month(rows: list[AdDay]) -> list[list[AdDay]]:
    months: dict[tuple[int, int], list[AdDay]] = {}
    for row in rows:
        months.setdefault((row.day.year, row.day.month), []).append(row)
    return [months[key] for key in sorted(months)]


def _us_date(day: dt.date) -> str:
    return f"{day.month}/{day.day}/{day.year}"


def _quoted(cells: list[str]) -> str:
    return ",".join('"' + cell.replace('"', '""') + '"' for cell in cells)


MICROSOFT_HEADER = [
    "Time period",
    "Campaign name",
    "Campaign status",
    "Currency code",
    "Impressions",
    "Clicks",
    "CTR",
    "Avg. CPC",
    "Spend",
    "Conversions",
    "Revenue",
    "Return on ad spend",
]


def _microsoft_row(row: AdDay) -> list[str]:
    return [
        row.day.isoformat(),
        row.campaign.name,
        "Active",
        "EUR",
        format_number(row.impressions, 0, "en"),
        format_number(row.clicks, 0, "en"),
        format_percent(row.clicks / row.impressions, "en"),
        format_number(row.cost / row.clicks, 2, "en"),
        format_number(row.cost, 2, "en"),
        format_number(row.conversions, 2, "en"),
        format_number(row.conversion_value, 2, "en"),
        format_percent(row.conversion_value / row.cost, "en") if row.cost else "",
    ]


def write_microsoft_ads(
    out_dir: Path, start: dt.date, days: int, scale: float, seed: int
) -> list[Path]:
    written = []
    for rows in _by_month(microsoft_ads_days(start, days, scale, seed)):
        first, last = rows[0].day, rows[-1].day
        downloaded = last + dt.timedelta(days=1)
        lines = [
            _quoted(["Report Name: Campaign performance"]),
            _quoted([f"Report Time: {_us_date(first)}, {_us_date(last)}"]),
            _quoted(["Time Zone: (GMT+01:00) Amsterdam, Berlin, Bern, Rome, Stockholm, Vienna"]),
            _quoted([f"Last Completed Available Day: {_us_date(downloaded)} 6:00:00 AM (GMT)"]),
            _quoted(["Report Aggregation: Daily"]),
            _quoted(["Report Filter: "]),
            _quoted([f"Rows: {len(rows)}"]),
            "",
            _quoted(MICROSOFT_HEADER),
            *(_quoted(_microsoft_row(row)) for row in rows),
            "",
            _quoted([f"\u00a9{downloaded.year} Microsoft Corporation. All rights reserved. "]),
        ]
        path = (
            out_dir
            / "microsoft_ads"
            / f"Campaign_Performance_Report_{first:%Y-%m-%d}_{last:%Y-%m-%d}.csv"
        )
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("\r\n".join(lines) + "\r\n", encoding="utf-8-sig", newline="")
        written.append(path)
    return written


META_HEADERS = {
    "en": [
        "Reporting starts",
        "Reporting ends",
        "Campaign name",
        "Day",
        "Campaign delivery",
        "Results",
        "Result indicator",
        "Amount spent (EUR)",
        "Impressions",
        "Reach",
        "Link clicks",
        "Purchases",
        "Purchases conversion value",
        "Purchase ROAS (return on ad spend)",
    ],
    "nl": [
        "Start rapportage",
        "Einde rapportage",
        "Campagnenaam",
        "Dag",
        "Campagnelevering",
        "Resultaten",
        "Resultaatindicator",
        "Besteed bedrag (EUR)",
        "Weergaven",
        "Bereik",
        "Klikken op links",
        "Aankopen",
        "Conversiewaarde aankopen",
        "ROAS (rendement op advertentie-uitgaven) voor aankoop",
    ],
}
RESULT_INDICATOR = "actions:offsite_conversion.fb_pixel_purchase"


def _meta_number(value: float) -> str:
    """Unrounded, as Meta writes them: `48.17`, `4.19763158`, `3`."""
    text = f"{value:.8f}".rstrip("0").rstrip(".")
    return text or "0"


def _meta_row(row: AdDay, locale: str) -> list[str]:
    day = row.day.isoformat()
    purchases = _meta_number(row.conversions) if row.conversions else "-"
    value = _meta_number(row.conversion_value) if row.conversions else "-"
    roas = _meta_number(row.conversion_value / row.cost) if row.conversions else "-"
    return [
        day,
        day,
        row.campaign.name,
        day,
        "active" if locale == "en" else "actief",
        purchases,
        RESULT_INDICATOR,
        _meta_number(row.cost),
        str(row.impressions),
        str(row.reach),
        str(row.clicks),
        purchases,
        value,
        roas,
    ]


def _meta_summary(rows: list[AdDay]) -> list[str]:
    cost = round(sum(r.cost for r in rows), 2)
    conversions = sum(r.conversions for r in rows)
    value = round(sum(r.conversion_value for r in rows), 2)
    return [
        rows[0].day.isoformat(),
        rows[-1].day.isoformat(),
        "",
        "",
        "",
        _meta_number(conversions),
        RESULT_INDICATOR,
        _meta_number(cost),
        str(sum(r.impressions for r in rows)),
        # reach over the window is less than the sum of the daily reach (people come back)
        str(round(sum(r.reach for r in rows) * 0.55)),
        str(sum(r.clicks for r in rows)),
        _meta_number(conversions),
        _meta_number(value),
        _meta_number(value / cost) if cost else "-",
    ]


def _meta_line(cells: list[str]) -> str:
    """Only cells with spaces, commas or quotes are quoted."""
    return ",".join(
        '"' + c.replace('"', '""') + '"' if any(ch in c for ch in ' ,"') else c for c in cells
    )


def write_meta_ads(out_dir: Path, start: dt.date, days: int, scale: float, seed: int) -> list[Path]:
    written = []
    for index, rows in enumerate(_by_month(meta_ads_days(start, days, scale, seed))):
        locale = ("en", "nl")[index % 2]
        first, last = rows[0].day, rows[-1].day
        lines = [
            _meta_line(META_HEADERS[locale]),
            _meta_line(_meta_summary(rows)),
            *(_meta_line(_meta_row(row, locale)) for row in rows),
        ]
        name = "Campagnes" if locale == "nl" else "Campaigns"
        path = out_dir / "meta_ads" / f"Tuinshop-{name}-{first:%b-%d-%Y}-{last:%b-%d-%Y}.csv"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("\n".join(lines) + "\n", encoding="utf-8", newline="")
        written.append(path)
    return written
