"""The limit to measure against: every portfolio KPI computed straight from the landing files by
one DuckDB connection, written for speed (no raw layer, no checks, no lineage, no quarantine).

    .venv/bin/python -m benchmarks.reference_kpis --landing DIR --as-of 2026-10-01 [--out F.json]

It reads the export variants the demo generator writes (Google Ads reports in English and Dutch,
UTF-8, UTF-8 with BOM and UTF-16; Search Console bulk CSV and Parquet; GA4 reports with their
comment block; Shopify line items; Zendesk tickets; SurveyMonkey exports with two header rows;
Microsoft Advertising reports with their preamble and footer; Meta Ads exports in English and
Dutch with their summary row; the ECB's rate history; the latest HubSpot deal and contact
exports and Salesforce opportunity report) and returns one value per KPI and period. Money is
converted to EUR by the latest ECB rate on or before its day (an as-of join). Salesforce leads
and Pipedrive exports, which the demo does not write, are not read. It assumes files that do
not overlap (the demo data); the pipeline's replacement of re-deliveries is part of what the
pipeline costs.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
from pathlib import Path
from zoneinfo import ZoneInfo

import duckdb

TIMEZONE = "Europe/Amsterdam"
NPS_QUESTION = ("aanbevelen", "recommend")
CSAT_QUESTION = ("tevreden", "satisfied", "satisfaction")
CSAT_LABELS = {
    "zeer ontevreden": 1,
    "ontevreden": 2,
    "neutraal": 3,
    "tevreden": 4,
    "zeer tevreden": 5,
    "very dissatisfied": 1,
    "dissatisfied": 2,
    "neutral": 3,
    "satisfied": 4,
    "very satisfied": 5,
}


def _quote(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"


def _google_ads_sql(path: Path) -> str:
    head = path.read_bytes()[:4]
    encoding = "utf-16" if head[:2] in (b"\xff\xfe", b"\xfe\xff") else "utf-8"
    text = path.read_text(encoding="utf-16" if encoding == "utf-16" else "utf-8-sig")
    header = text.splitlines()[2]
    delimiter = "\t" if "\t" in header else (";" if ";" in header else ",")
    dutch = header.startswith("Dag")

    def number(column: str) -> str:
        value = f"nullif(\"{column}\", '--')"
        if dutch:
            value = f"replace(replace({value}, '.', ''), ',', '.')"
        else:
            value = f"replace({value}, ',', '')"
        return f"cast({value} as double)"

    day, cost, conversions, value, currency = (
        ("Dag", "Kosten", "Conversies", "Conv.waarde", "Valutacode")
        if dutch
        else ("Day", "Cost", "Conversions", "Conv. value", "Currency code")
    )
    columns = next(csv.reader([header], delimiter=delimiter))
    currency_sql = f"nullif(trim(\"{currency}\"), '')" if currency in columns else "null"
    return (
        f"select 'google_ads' as platform, cast(\"{day}\" as date) as day, "
        f"{currency_sql} as currency, {number(cost)} as cost, "
        f"{number(conversions)} as conversions, {number(value)} as conversion_value "
        f"from read_csv({_quote(path)}, skip = 2, header = true, all_varchar = true, "
        f"delim = '{delimiter}', encoding = '{encoding}', quote = '\"') "
        f'where try_cast("{day}" as date) is not null'
    )


def _microsoft_ads_sql(path: Path) -> str:
    """A Microsoft Advertising campaign report: quoted preamble up to the header row, English
    numbers with thousands separators, the copyright footer (no date: dropped)."""
    lines = path.read_text(encoding="utf-8-sig").splitlines()
    header_line = next(i for i, line in enumerate(lines) if line.startswith('"Time period"'))

    def number(column: str) -> str:
        return f"cast(replace(nullif(trim(\"{column}\"), ''), ',', '') as double)"

    return (
        "select 'microsoft_ads' as platform, cast(\"Time period\" as date) as day, "
        "nullif(trim(\"Currency code\"), '') as currency, "
        f"{number('Spend')} as cost, {number('Conversions')} as conversions, "
        f"{number('Revenue')} as conversion_value "
        f"from read_csv({_quote(path)}, skip = {header_line}, header = true, "
        "all_varchar = true, delim = ',', quote = '\"', encoding = 'utf-8', null_padding = true) "
        'where try_cast("Time period" as date) is not null'
    )


META_COLUMNS = {
    # (day, amount spent prefix, purchases, purchases conversion value) per export language
    "Reporting starts": ("Day", "Amount spent (", "Purchases", "Purchases conversion value"),
    "Start rapportage": ("Dag", "Besteed bedrag (", "Aankopen", "Conversiewaarde aankopen"),
}


def _meta_ads_sql(path: Path) -> str:
    """A Meta Ads Manager export with the daily breakdown; the summary row first has no day; the
    currency is in the name of the money column; `-` is no value."""
    with path.open(encoding="utf-8-sig", newline="") as handle:
        header = next(csv.reader(handle))
    day, spent_prefix, purchases, value = META_COLUMNS[header[0]]
    spent = next(c for c in header if c.startswith(spent_prefix))
    currency = spent[len(spent_prefix) :].rstrip(")")

    def number(column: str) -> str:
        return f"cast(nullif(nullif(trim(\"{column}\"), ''), '-') as double)"

    return (
        f"select 'meta_ads' as platform, cast(\"{day}\" as date) as day, "
        f"'{currency}' as currency, {number(spent)} as cost, {number(purchases)} as conversions, "
        f"{number(value)} as conversion_value "
        f"from read_csv({_quote(path)}, header = true, all_varchar = true, delim = ',', "
        "quote = '\"') "
        f'where try_cast("{day}" as date) is not null'
    )


def _fx_rates_sql(path: Path) -> str:
    """The ECB history file: `Date,USD,...,` (a trailing comma), `N/A` for a missing rate; one row
    per day and currency, units of the currency per euro."""
    with path.open(encoding="utf-8-sig", newline="") as handle:
        header = next(csv.reader(handle))
    currencies = ", ".join(f'"{c.strip()}"' for c in header[1:] if c.strip())
    return (
        'select cast("Date" as date) as rate_date, currency, '
        "cast(rate as double) as units_per_euro "
        f"from (unpivot (select * from read_csv({_quote(path)}, header = true, "
        "all_varchar = true, delim = ',', null_padding = true)) "
        f"on {currencies} into name currency value rate) "
        "where trim(rate) not in ('', 'N/A')"
    )


HUBSPOT_WON, HUBSPOT_LOST = "closed won", "closed lost"  # the demo's stage labels


def _latest(paths: list[Path], header_starts: str, snapshot_of) -> Path | None:
    """Of the CRM exports whose header starts with `header_starts`, the latest snapshot."""
    found = [p for p in paths if _header(p).startswith(header_starts)]
    return max(found, key=snapshot_of) if found else None


def _header(path: Path) -> str:
    with path.open(encoding="utf-8-sig") as handle:
        return handle.readline().replace('"', "")


def _hubspot_day(path: Path) -> str:
    """The snapshot day in HubSpot's file name (`...-all-deals-2026-12-01.csv`)."""
    return "-".join(path.stem.rsplit("-", 3)[-3:])


def _salesforce_ms(path: Path) -> int:
    return int(path.stem.removeprefix("report"))


def _crm_deals_sql(crm_files: list[Path]) -> str:
    """Every deal of the latest HubSpot and Salesforce deal snapshots: created and closed day
    (local), won, the amount to convert (the company-currency amount when there is one) with its
    currency, and the day whose rate converts it (the close day, or the snapshot day when open)."""
    selects = []
    hubspot = _latest(
        [p for p in crm_files if p.name.startswith("hubspot")], "Record ID,Deal Name", _hubspot_day
    )
    if hubspot:
        snapshot = _hubspot_day(hubspot)
        selects.append(
            "select created_day, closed_day, is_won, amount_value, amount_currency, "
            f"coalesce(closed_day, date '{snapshot}') as rate_day from ("
            'select cast(cast("Create Date" as timestamp) as date) as created_day, '
            'case when lower(trim("Deal Stage")) in '
            f"('{HUBSPOT_WON}', '{HUBSPOT_LOST}') then "
            'cast(cast("Close Date" as timestamp) as date) end as closed_day, '
            f"lower(trim(\"Deal Stage\")) = '{HUBSPOT_WON}' as is_won, "
            'coalesce(try_cast("Amount in company currency" as double), '
            'try_cast("Amount" as double)) as amount_value, '
            'case when try_cast("Amount in company currency" as double) is not null '
            "then 'EUR' else coalesce(nullif(trim(\"Currency\"), ''), 'EUR') end "
            "as amount_currency "
            f"from read_csv({_quote(hubspot)}, header = true, all_varchar = true))"
        )
    salesforce = _latest(
        [p for p in crm_files if p.name.startswith("report")], "Opportunity ID", _salesforce_ms
    )
    if salesforce:
        snapshot = dt.datetime.fromtimestamp(_salesforce_ms(salesforce) / 1000, dt.UTC)
        local = snapshot.astimezone(ZoneInfo(TIMEZONE)).date()

        def amount(column: str) -> str:
            return f"try_cast(replace(nullif(trim(\"{column}\"), ''), ',', '') as double)"

        selects.append(
            "select created_day, closed_day, is_won, amount_value, amount_currency, "
            f"coalesce(closed_day, date '{local.isoformat()}') as rate_day from ("
            "select cast(strptime(\"Created Date\", '%m/%d/%Y') as date) as created_day, "
            "case when \"Closed\" = '1' then "
            "cast(strptime(\"Close Date\", '%m/%d/%Y') as date) end as closed_day, "
            "\"Won\" = '1' as is_won, "
            f"coalesce({amount('Amount (converted)')}, {amount('Amount')}) as amount_value, "
            f"case when {amount('Amount (converted)')} is not null "
            "then nullif(trim(\"Amount (converted) Currency\"), '') "
            "else nullif(trim(\"Amount Currency\"), '') end as amount_currency "
            f"from read_csv({_quote(salesforce)}, header = true, all_varchar = true, "
            "null_padding = true) "
            "where coalesce(\"Opportunity ID\", '') <> '' and \"Created Date\" is not null)"
        )
    if not selects:
        return (
            "select null::date as created_day, null::date as closed_day, null::boolean as is_won, "
            "null::double as amount_value, null::varchar as amount_currency, "
            "null::date as rate_day where false"
        )
    return " union all ".join(selects)


PAID_SOURCES = ("paid search", "paid social")  # HubSpot's paid original traffic sources


def _crm_contacts_sql(crm_files: list[Path]) -> str:
    """Every contact of the latest HubSpot contact snapshot: created and became-a-customer times
    (local times of the portal, as instants), whether the original source is paid media."""
    hubspot = _latest(
        [p for p in crm_files if p.name.startswith("hubspot")],
        "Record ID,First Name",
        _hubspot_day,
    )
    if hubspot is None:
        return (
            "select null::timestamptz as created_at, null::timestamptz as customer_at, "
            "null::boolean as is_paid where false"
        )
    paid = ", ".join(f"'{source}'" for source in PAID_SOURCES)
    return (
        "select timezone('" + TIMEZONE + '\', cast("Create Date" as timestamp)) as created_at, '
        "timezone('" + TIMEZONE + "', try_cast(nullif(\"Became a Customer Date\", '') "
        "as timestamp)) as customer_at, "
        f"lower(trim(coalesce(\"Original Traffic Source\", ''))) in ({paid}) as is_paid "
        f"from read_csv({_quote(hubspot)}, header = true, all_varchar = true) "
        "where coalesce(\"Create Date\", '') <> ''"
    )


def _survey_sql(path: Path) -> str:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        header = next(csv.reader(handle))
    lowered = [column.lower() for column in header]
    nps = next(i for i, c in enumerate(lowered) if any(q in c for q in NPS_QUESTION))
    csat = next(i for i, c in enumerate(lowered) if any(q in c for q in CSAT_QUESTION))
    labels = " ".join(f"when '{label}' then {score}" for label, score in CSAT_LABELS.items())
    return (
        "select cast(strptime(column03, '%m/%d/%Y %I:%M:%S %p') as date) as response_date, "
        f"try_cast(column{nps:02d} as integer) as nps_score, "
        f"coalesce(try_cast(column{csat:02d} as integer), "
        f"case lower(trim(column{csat:02d})) {labels} end) as csat_score "
        f"from read_csv({_quote(path)}, skip = 2, header = false, all_varchar = true, "
        f"column_names = [{', '.join(repr(f'column{i:02d}') for i in range(len(header)))}])"
    )


def compute(landing: Path, as_of: dt.date, con: duckdb.DuckDBPyConnection) -> list[tuple]:
    """(kpi_id, period_start, value) for every KPI and every period with data."""
    files = lambda folder, pattern: sorted((landing / folder).glob(pattern))  # noqa: E731
    con.execute(f"set TimeZone = '{TIMEZONE}'")
    ad_selects = [
        *(_google_ads_sql(p) for p in files("google_ads", "*.csv")),
        *(_microsoft_ads_sql(p) for p in files("microsoft_ads", "*.csv")),
        *(_meta_ads_sql(p) for p in files("meta_ads", "*.csv")),
    ]
    rate_files = files("fx_rates", "*.csv")
    con.execute(
        "create or replace temp table rates as "
        + (
            " union ".join(_fx_rates_sql(p) for p in rate_files)
            if rate_files
            else "select null::date as rate_date, null::varchar as currency, "
            "null::double as units_per_euro where false"
        )
    )
    # Every ad day in EUR by the latest ECB rate on or before it (an as-of join); a day in a
    # currency with no rate on or before it is left out, as the pipeline leaves it out.
    con.execute(
        "create or replace temp table ads as "
        "select a.platform, a.day, a.cost / f.rate as cost, a.conversions, "
        "a.conversion_value / f.rate as conversion_value "
        f"from ({' union all '.join(ad_selects)}) as a "
        "asof left join (select currency, rate_date, units_per_euro as rate from rates "
        "union all select 'EUR', date '1900-01-01', 1.0) as f "
        "on coalesce(a.currency, 'EUR') = f.currency and a.day >= f.rate_date "
        "where f.rate is not null"
    )
    searches = [
        "select data_date, query, search_type, impressions, sum_top_position from "
        + (f"read_parquet({_quote(p)})" if p.suffix == ".parquet" else f"read_csv({_quote(p)})")
        for p in files("search_console", "searchdata_*")
    ]
    con.execute(
        "create or replace temp table searches as select cast(data_date as date) as day, "
        "nullif(trim(query), '') as query, lower(search_type) as search_type, "
        "cast(impressions as bigint) as impressions, "
        "cast(sum_top_position as double) + impressions as position_sum "
        f"from ({' union all '.join(searches)})"
    )
    ga4 = ", ".join(_quote(p) for p in files("ga4", "*.csv"))
    con.execute(
        "create or replace temp table sessions as select "
        'strptime("Date", \'%Y%m%d\')::date as day, "Session default channel group" as '
        'channel_group, cast("Sessions" as bigint) as sessions, '
        'cast("Key events" as double) as key_events '
        f"from read_csv([{ga4}], comment = '#', header = true, all_varchar = true, "
        "union_by_name = true) "
        "where try_strptime(\"Date\", '%Y%m%d') is not null"
    )
    con.execute(
        "create or replace temp table deals as "
        "select d.created_day, d.closed_day, d.is_won, d.amount_value / f.rate as amount "
        f"from ({_crm_deals_sql(files('crm', '*.csv'))}) as d "
        "asof left join (select currency, rate_date, units_per_euro as rate from rates "
        "union all select 'EUR', date '1900-01-01', 1.0) as f "
        "on d.amount_currency = f.currency and d.rate_day >= f.rate_date"
    )
    con.execute(
        "create or replace temp table contacts as "
        f"select * from ({_crm_contacts_sql(files('crm', '*.csv'))})"
    )
    orders = ", ".join(_quote(p) for p in files("orders", "*.csv"))
    con.execute(
        'create or replace temp table orders as select "Name" as order_name, '
        'nullif(lower(trim("Email")), \'\') as customer, "Financial Status" as status, '
        "cast(strptime(\"Created at\", '%Y-%m-%d %H:%M:%S %z') as timestamp) as created_at "
        f"from read_csv([{orders}], header = true, all_varchar = true, union_by_name = true) "
        "where coalesce(\"Created at\", '') <> ''"
    )
    tickets = ", ".join(_quote(p) for p in files("support_tickets", "*.csv"))
    con.execute(
        "create or replace temp table tickets as select "
        'cast("Created at" as timestamp) as created_at, '
        'try_cast("First reply time in minutes" as double) as first_reply_minutes '
        f"from read_csv([{tickets}], header = true, all_varchar = true, union_by_name = true)"
    )
    surveys = files("surveys", "*.csv")
    con.execute(
        "create or replace temp table surveys as "
        + " union all ".join(_survey_sql(p) for p in surveys)
    )
    as_of_ts = f"timestamp '{as_of.isoformat()} 00:00:00'"
    return con.execute(f"""
        with
        sea as (
            select date_trunc('week', day)::date as period_start, sum(cost) as cost,
                sum(conversions) as conversions, sum(conversion_value) as conversion_value
            from ads where platform in ('google_ads', 'microsoft_ads') group by 1
        ),
        paid as (
            select date_trunc('week', day)::date as period_start, sum(cost) as cost,
                sum(conversion_value) as conversion_value
            from ads group by 1
        ),
        web_weekly as (
            select date_trunc('week', day)::date as period_start, sum(sessions) as sessions,
                sum(key_events) as key_events
            from sessions group by 1
        ),
        organic_monthly as (
            select date_trunc('month', day)::date as period_start,
                sum(sessions) filter (where channel_group = 'Organic Search') as sessions,
                sum(key_events) filter (where channel_group = 'Organic Search') as key_events
            from sessions group by 1
        ),
        top3 as (
            select period_start, count(*) as keywords from (
                select date_trunc('month', day)::date as period_start, query
                from searches where query is not null and search_type = 'web'
                group by 1, 2 having round(sum(position_sum) / sum(impressions), 6) <= 3.0
            ) group by 1
        ),
        searched_months as (select distinct date_trunc('month', day)::date as period_start
                            from searches),
        sequenced as (
            select *, date_trunc('quarter', created_at)::date as period_start,
                case when status in ('paid', 'partially_refunded') and customer is not null
                    then row_number() over (
                        partition by customer, status in ('paid', 'partially_refunded')
                        order by created_at, order_name)
                end as valid_order_number,
                status in ('paid', 'partially_refunded') as is_valid
            from orders
        ),
        repeat as (
            select period_start,
                count(*) filter (where is_valid and valid_order_number > 1) as repeats,
                count(distinct customer) filter (where is_valid) as customers
            from sequenced group by 1
        ),
        replies as (
            select date_trunc('week', created_at)::date as period_start,
                count(*) filter (where first_reply_minutes <= 1440) as within,
                count(*) filter (where first_reply_minutes is not null
                    or created_at + interval 24 hour <= {as_of_ts}) as decided
            from tickets group by 1
        ),
        csat as (
            select date_trunc('month', response_date)::date as period_start,
                count(*) filter (where csat_score >= 4) as satisfied,
                count(csat_score) as answered
            from surveys group by 1
        ),
        nps as (
            select date_trunc('quarter', response_date)::date as period_start,
                sum(case when nps_score >= 9 then 1 when nps_score <= 6 then -1 else 0 end)
                    as net, count(nps_score) as answered
            from surveys group by 1
        ),
        closed_deals as (
            select date_trunc('quarter', closed_day)::date as period_start,
                count(*) filter (where is_won) as won, count(*) as closed,
                sum(amount) filter (where is_won) as won_amount,
                count(amount) filter (where is_won) as won_with_amount,
                sum(date_diff('day', created_day, closed_day)) filter (where is_won)
                    as won_cycle_days
            from deals where closed_day is not null group by 1
        ),
        created_deals as (
            select date_trunc('month', created_day)::date as period_start,
                sum(amount) as amount
            from deals group by 1
        ),
        leads as (
            select date_trunc('month', created_at)::date as period_start, count(*) as leads,
                count(*) filter (where is_paid) as paid_leads,
                count(*) filter (where customer_at >= created_at
                    and epoch(customer_at) - epoch(created_at) <= 90 * 86400) as customers
            from contacts group by 1
        ),
        ad_cost_monthly as (
            select date_trunc('month', day)::date as period_start, sum(cost) as cost
            from ads group by 1
        ),
        growth as (
            select period_start, 100.0 * (sessions - previous) / nullif(previous, 0) as value
            from (select period_start, sessions,
                    lag(sessions) over (order by period_start) as previous,
                    lag(period_start) over (order by period_start) as previous_start
                  from organic_monthly)
            where previous_start = period_start - interval 1 month
        )
        select 'sea_conversions', period_start, conversions from sea
        union all select 'sea_cpa', period_start, cost / nullif(conversions, 0) from sea
        union all select 'sea_roas', period_start, conversion_value / nullif(cost, 0) from sea
        union all select 'paid_blended_roas', period_start,
            conversion_value / nullif(cost, 0) from paid
        union all select 'cro_conversions', period_start, key_events from web_weekly
        union all select 'cro_conversion_rate', period_start,
            100.0 * key_events / nullif(sessions, 0) from web_weekly
        union all select 'seo_organic_sessions', period_start, coalesce(sessions, 0)
            from organic_monthly
        union all select 'seo_organic_conversions', period_start, coalesce(key_events, 0)
            from organic_monthly
        union all select 'seo_organic_sessions_growth', period_start, value from growth
        union all select 'seo_top3_keywords', months.period_start, coalesce(keywords, 0)
            from searched_months as months left join top3 using (period_start)
        union all select 'repeat_purchases_per_customer', period_start,
            repeats / nullif(customers, 0) from repeat
        union all select 'cs_replied_within_24h', period_start,
            100.0 * within / nullif(decided, 0) from replies
        union all select 'cs_csat', period_start, 100.0 * satisfied / nullif(answered, 0)
            from csat
        union all select 'cs_nps', period_start, 100.0 * net / nullif(answered, 0) from nps
        union all select 'crm_win_rate', period_start, 100.0 * won / nullif(closed, 0)
            from closed_deals
        union all select 'crm_average_deal_size', period_start,
            won_amount / nullif(won_with_amount, 0) from closed_deals
        union all select 'crm_sales_cycle_days', period_start,
            won_cycle_days / nullif(won, 0) from closed_deals
        union all select 'crm_pipeline_created', period_start, amount from created_deals
        union all select 'crm_new_leads', period_start, leads from leads
        union all select 'crm_lead_to_customer_rate', period_start,
            100.0 * customers / nullif(leads, 0) from leads
        union all select 'paid_cost_per_lead', period_start, cost / nullif(paid_leads, 0)
            from ad_cost_monthly join leads using (period_start)
    """).fetchall()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--landing", required=True)
    parser.add_argument("--as-of", required=True)
    parser.add_argument("--out", help="write the values to this JSON file")
    args = parser.parse_args()
    with duckdb.connect() as con:
        rows = compute(Path(args.landing), dt.date.fromisoformat(args.as_of), con)
    if args.out:
        Path(args.out).write_text(
            json.dumps([[kpi, str(period), value] for kpi, period, value in rows]),
            encoding="utf-8",
        )
    print(f"{len(rows)} KPI values")


if __name__ == "__main__":
    main()
