"""Demo Search Console bulk exports, generated inside DuckDB (millions of rows in seconds).

One file per month, alternating CSV and Parquet, plus a UI download (zip) of the last 28 days.
Queries follow a long-tail of impressions; each has a typical position with daily noise.
"""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from pathlib import Path

import duckdb

from pipelines.demo.formatting import format_percent

WORDS = [
    "tuinset",
    "loungeset",
    "parasol",
    "tuinstoel",
    "tuintafel",
    "ligbed",
    "hangstoel",
    "tuinkussen",
    "zweefparasol",
    "picknicktafel",
    "tuinbank",
    "buitenkleed",
    "windscherm",
    "tuinverlichting",
    "barkruk",
    "statafel",
    "tuinhaard",
    "kussenbox",
    "overkapping",
    "schaduwdoek",
]
MODIFIERS = [
    "",
    "kopen",
    "aluminium",
    "teak",
    "sale",
    "goedkoop",
    "6 personen",
    "hoek",
    "waterdicht",
    "grijs",
    "zwart",
    "rond",
    "outlet",
    "review",
    "beste",
    "xl",
    "klein",
    "design",
    "set",
    "hout",
]


def _query_sql(queries: int, seed: int) -> str:
    words = ", ".join(f"'{w}'" for w in WORDS)
    modifiers = ", ".join(f"'{m}'" for m in MODIFIERS)
    combos = len(WORDS) * len(MODIFIERS)
    return f"""
        select
            q as query_id,
            trim(list_extract([{words}], (q % {len(WORDS)}) + 1) || ' ' ||
                 list_extract([{modifiers}], ((q // {len(WORDS)}) % {len(MODIFIERS)}) + 1) ||
                 case when q >= {combos} then ' ' || (q // {combos})::varchar else '' end
            ) as query,
            -- typical position: a few top-ranking queries, a long tail further down
            1.0 + 40.0 * pow((hash(q, {seed}) % 1000) / 1000.0, 2) as base_position,
            greatest(1, cast(4000.0 / pow(q + 1, 0.8) as integer)) as base_impressions
        from range({queries}) as t(q)
    """


def query_count(scale: float) -> int:
    """Distinct queries of the demo site; every query has one row per day."""
    return max(50, int(300 * scale))


def write_exports(out_dir: Path, start: dt.date, days: int, scale: float, seed: int) -> list[Path]:
    folder = out_dir / "search_console"
    folder.mkdir(parents=True, exist_ok=True)
    queries = query_count(scale)
    end = start + dt.timedelta(days=days - 1)
    written: list[Path] = []
    con = duckdb.connect()
    try:
        con.execute(f"create temp table queries as {_query_sql(queries, seed)}")
        month = dt.date(start.year, start.month, 1)
        index = 0
        while month <= end:
            following = dt.date(month.year + (month.month == 12), month.month % 12 + 1, 1)
            first, last = max(month, start), min(following - dt.timedelta(days=1), end)
            sql = f"""
                select
                    d::date as data_date,
                    'sc-domain:voorbeeldwebshop.nl' as site_url,
                    case when hash(q.query_id, d, {seed}) % 20 = 0 then ''
                         else q.query end as query,
                    hash(q.query_id, d, {seed}) % 20 = 0 as is_anonymized_query,
                    'nld' as country,
                    'WEB' as search_type,
                    case when hash(q.query_id, d) % 3 = 0 then 'DESKTOP'
                         else 'MOBILE' end as device,
                    impressions,
                    cast(floor(impressions * greatest(0.0, 0.35 - 0.012 * q.base_position)
                               * ((hash(d, q.query_id) % 100) / 100.0)) as bigint) as clicks,
                    round(impressions * greatest(0.0, q.base_position - 1
                          + (cast(hash(q.query_id, d, 7) % 200 as integer) - 100) / 100.0), 1)
                      as sum_top_position
                from queries as q,
                     range(cast('{first}' as timestamp),
                           cast('{last}' as timestamp) + interval 1 day, interval 1 day) as r(d),
                     lateral (select greatest(1, cast(q.base_impressions
                              * (1.0 + 0.4 * sin(2 * pi() * (dayofyear(d) - 80) / 365))
                              * (0.7 + (hash(d, q.query_id, {seed}) % 60) / 100.0) as bigint))
                              as impressions)
            """
            if index % 2 == 0:
                path = folder / f"searchdata_site_impression_{month:%Y-%m}.csv"
                con.execute(f"copy ({sql}) to '{path}' (header, delimiter ',')")
            else:
                path = folder / f"searchdata_site_impression_{month:%Y-%m}.parquet"
                con.execute(f"copy ({sql}) to '{path}' (format parquet)")
            written.append(path)
            month, index = following, index + 1
        written.append(_ui_zip(con, folder, end))
    finally:
        con.close()
    return written


def _ui_zip(con: duckdb.DuckDBPyConnection, folder: Path, end: dt.date) -> Path:
    """The Performance report download of the last 28 days: daily site totals and top queries."""
    first = end - dt.timedelta(days=27)
    rows = con.execute(
        f"""
        select d::date, 0 from range(cast('{first}' as timestamp),
                                     cast('{end}' as timestamp) + interval 1 day,
                                     interval 1 day) as r(d)
        order by 1 desc
        """
    ).fetchall()
    daily = ["Date,Clicks,Impressions,CTR,Position"]
    for offset, (day, _) in enumerate(rows):
        impressions = 9000 + (offset * 137) % 5000
        clicks = impressions * 3 // 100
        daily.append(
            f"{day},{clicks},{impressions},{format_percent(clicks / impressions, 'en')},"
            f"{12 + (offset % 7) * 0.5:.2f}"
        )
    top = ["Top queries,Clicks,Impressions,CTR,Position"]
    for rank, word in enumerate(WORDS[:10]):
        impressions = 20000 // (rank + 1)
        clicks = impressions // (5 + rank)
        top.append(
            f"{word},{clicks},{impressions},{format_percent(clicks / impressions, 'en')},"
            f"{1.5 + rank * 1.7:.2f}"
        )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("Dates.csv", "\n".join(daily) + "\n")
        archive.writestr("Queries.csv", "\n".join(top) + "\n")
        archive.writestr("Filters.csv", "Filter,Value\nSearch type,Web\nDate,Last 28 days\n")
    path = folder / f"performance-report-{end:%Y-%m-%d}.zip"
    path.write_bytes(buffer.getvalue())
    return path
