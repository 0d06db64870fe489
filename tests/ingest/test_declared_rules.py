"""Every row rule of every raw table is checked at ingestion: a row that breaks it is quarantined
with its line, column and rule, and the blocking pandera check of the table still passes.

Each case takes a real export from tests/fixtures, changes one cell of one data row and drops the
file into the source's landing folder; the expected line is counted from the file the test wrote.
"""

from __future__ import annotations

import csv
import io
import zipfile
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest

from pipelines.checks.raw_schemas import RAW_SCHEMAS, RAW_TABLES, pandera_schema
from pipelines.ingest.columns import AtLeast, Between, OneOf, checked_rules
from pipelines.ingest.options import IngestOptions, SurveyOptions
from pipelines.ingest.raw_store import RawStore
from pipelines.ingest.runner import ingest_source
from pipelines.ingest.sources import SOURCES, raw_table_schemas, source_by_folder

FIXTURES = Path(__file__).parent.parent / "fixtures"
# Every broken row is quarantined, however small the file: nothing is refused for its share.
# (The survey fixture answers CSAT once with a label.)
OPTIONS = IngestOptions(
    pii_salt="test-salt",
    reject_threshold=1.0,
    surveys=SurveyOptions(csat_labels={"Very dissatisfied": 1}),
)
GSC_ZIP = FIXTURES / "shared_samples" / "gsc_performance_export_en.zip"
NPS = "How likely is it that you would recommend us to a friend or colleague?"
CSAT = "Overall, how satisfied are you with our service?"
STATUSES = "one of authorized, paid, partially_paid, partially_refunded, pending, refunded, voided"


@dataclass(frozen=True)
class Break:
    """Set `column` of the `row`-th data record (after the header on `header_line`) of `fixture`
    (or of its zip `entry`) to `value`; ingestion must reject that row for `check`."""

    source: str
    fixture: str
    header_line: int
    row: int
    column: str
    value: str
    check: str
    entry: str | None = None
    names_line: int | None = None  # the line with the column names (default: header_line)
    shown: str | None = None  # the value the quarantine records (default: `value`, trimmed)


def _ads(column: str, value: str, check: str) -> Break:
    return Break("google_ads", "google_ads/en_comma_utf8.csv", 3, 1, column, value, check)


def _api(column: str, value: str, check: str) -> Break:
    return Break("search_console", "search_console/api_export.csv", 1, 1, column, value, check)


def _dates(column: str, value: str, check: str) -> Break:
    return Break("search_console", "zip", 1, 2, column, value, check, entry="Dates.csv")


def _queries(column: str, value: str, check: str) -> Break:
    return Break("search_console", "zip", 1, 2, column, value, check, entry="Queries.csv")


def _ga4(column: str, value: str, check: str) -> Break:
    # Record 1 after the header is the Grand total row, record 2 the first day.
    return Break("ga4", "ga4/traffic_acquisition_by_date.csv", 12, 2, column, value, check)


def _orders(column: str, value: str, check: str, row: int = 1) -> Break:
    return Break("orders", "orders/orders_export.csv", 1, row, column, value, check)


def _tickets(column: str, value: str, check: str, shown: str | None = None) -> Break:
    fixture = "support_tickets/tickets_export.csv"
    return Break("support_tickets", fixture, 1, 1, column, value, check, shown=shown)


def _surveys(column: str, value: str, check: str) -> Break:
    # Two header rows: the questions, then "Response" under each.
    return Break("surveys", "surveys/nps_csat_en.csv", 2, 1, column, value, check, names_line=1)


def _microsoft(column: str, value: str, check: str) -> Break:
    return Break("microsoft_ads", "microsoft_ads/api_compact_names.csv", 1, 1, column, value, check)


def _meta(column: str, value: str, check: str, row: int = 1) -> Break:
    return Break("meta_ads", "meta_ads/en_daily.csv", 1, row, column, value, check)


def _rates(column: str, value: str, check: str) -> Break:
    return Break(
        "fx_rates", "fx_rates/eurofxref_hist_na_trailing_commas.csv", 1, 1, column, value, check
    )


def _deals(column: str, value: str, check: str, row: int = 1) -> Break:
    return Break("crm", "crm/hubspot_deals_export.csv", 1, row, column, value, check)


def _contacts(column: str, value: str, check: str) -> Break:
    fixture = "crm/hubspot-crm-exports-all-contacts-2026-11-20.csv"
    return Break("crm", fixture, 1, 1, column, value, check)


# HubSpot decides closed and won from the stage label: an empty stage leaves both unknown (the
# won deal's stage for one case, the open deal's for the other: two different files).
NO_STAGE = "deal stage is present (closed and won follow from it)"

CASES: dict[tuple[str, str, str], Break] = {
    ("crm_deals", "deal_id", "present"): _deals("Deal ID", "", "deal id is present"),
    ("crm_deals", "amount", ">= 0"): _deals("Amount", "-1", "amount >= 0"),
    ("crm_deals", "amount_company", ">= 0"): _deals(
        "Amount in company currency", "-4250.00", "amount_company >= 0"
    ),
    ("crm_deals", "created_at", "present"): _deals("Create Date", "", "create date is present"),
    ("crm_deals", "is_closed", "present"): _deals("Deal Stage", "", NO_STAGE),
    ("crm_deals", "is_won", "present"): _deals("Deal Stage", "", NO_STAGE, row=2),
    ("crm_contacts", "contact_id", "present"): _contacts("Record ID", "", "contact id is present"),
    ("crm_contacts", "created_at", "present"): _contacts(
        "Create Date", "", "create date is present"
    ),
    ("microsoft_ads_campaign_days", "date_day", "present"): _microsoft(
        "TimePeriod", "", "date is YYYY-MM-DD"
    ),
    ("microsoft_ads_campaign_days", "campaign_name", "present"): Break(
        "microsoft_ads",
        "microsoft_ads/api_compact_names.csv",
        1,
        1,
        "CampaignName",
        " ",
        "campaign is not empty",
        shown=" ",  # the cell as exported
    ),
    ("microsoft_ads_campaign_days", "impressions", ">= 0"): _microsoft(
        "Impressions", "-1", "impressions >= 0"
    ),
    ("microsoft_ads_campaign_days", "clicks", ">= 0"): _microsoft("Clicks", "-2", "clicks >= 0"),
    ("microsoft_ads_campaign_days", "cost", "present"): _microsoft("Spend", "", "cost is present"),
    ("microsoft_ads_campaign_days", "cost", ">= 0"): _microsoft("Spend", "-0.01", "cost >= 0"),
    ("microsoft_ads_campaign_days", "conversions", ">= 0"): _microsoft(
        "Conversions", "-1", "conversions >= 0"
    ),
    ("microsoft_ads_campaign_days", "conversion_value", ">= 0"): _microsoft(
        "Revenue", "-5", "conversion_value >= 0"
    ),
    # Not the first row: a first row spanning days (here: no start) refuses the whole file.
    ("meta_ads_campaign_days", "date_day", "present"): _meta(
        "Reporting starts", "", "date is YYYY-MM-DD", row=3
    ),
    # Not the first row: a first row without a name is the export's summary row (dropped).
    ("meta_ads_campaign_days", "campaign_name", "present"): Break(
        "meta_ads",
        "meta_ads/en_daily.csv",
        1,
        3,
        "Campaign name",
        " ",
        "campaign is not empty",
        shown=" ",  # the cell as exported
    ),
    ("meta_ads_campaign_days", "impressions", ">= 0"): _meta(
        "Impressions", "-1", "impressions >= 0"
    ),
    ("meta_ads_campaign_days", "reach", ">= 0"): _meta("Reach", "-3", "reach >= 0"),
    ("meta_ads_campaign_days", "clicks", ">= 0"): _meta("Link clicks", "-1", "clicks >= 0"),
    ("meta_ads_campaign_days", "cost", "present"): _meta(
        "Amount spent (USD)", "", "cost is present"
    ),
    ("meta_ads_campaign_days", "cost", ">= 0"): _meta("Amount spent (USD)", "-0.5", "cost >= 0"),
    ("meta_ads_campaign_days", "conversions", ">= 0"): _meta("Purchases", "-1", "conversions >= 0"),
    ("meta_ads_campaign_days", "conversion_value", ">= 0"): _meta(
        "Purchases conversion value", "-1", "conversion_value >= 0"
    ),
    ("fx_rates_daily", "rate_date", "present"): _rates("Date", "", "date is YYYY-MM-DD"),
    # An empty cell is not N/A: the rate is not missing, it is lost.
    ("fx_rates_daily", "units_per_euro", "present"): _rates("USD", "", "rate is a number or N/A"),
    ("fx_rates_daily", "units_per_euro", ">= 0.0001"): _rates(
        "USD", "0", "rate is above zero (at least 0.0001)"
    ),
    ("google_ads_campaign_days", "date_day", "present"): _ads("Day", "", "date is YYYY-MM-DD"),
    ("google_ads_campaign_days", "campaign_name", "present"): _ads(
        "Campaign", " ", "campaign is not empty"
    ),
    ("google_ads_campaign_days", "impressions", ">= 0"): _ads("Impr.", "-5", "impressions >= 0"),
    ("google_ads_campaign_days", "clicks", ">= 0"): _ads("Clicks", "-1", "clicks >= 0"),
    ("google_ads_campaign_days", "cost", "present"): _ads("Cost", "", "cost is present"),
    ("google_ads_campaign_days", "cost", ">= 0"): _ads("Cost", "-0.01", "cost >= 0"),
    ("google_ads_campaign_days", "conversions", ">= 0"): _ads(
        "Conversions", "-1", "conversions >= 0"
    ),
    ("google_ads_campaign_days", "conversion_value", ">= 0"): _ads(
        "Conv. value", "-3.50", "conversion_value >= 0"
    ),
    ("search_console_query_days", "date_day", "present"): _api(
        "date", "", "is a date (YYYY-MM-DD)"
    ),
    ("search_console_query_days", "impressions", "present"): _api(
        "impressions", "", "is a whole number"
    ),
    ("search_console_query_days", "impressions", ">= 0"): _api(
        "impressions", "-1", "impressions >= 0"
    ),
    ("search_console_query_days", "clicks", "present"): _api("clicks", "", "is a whole number"),
    ("search_console_query_days", "clicks", ">= 0"): _api("clicks", "-1", "clicks >= 0"),
    # position_sum is position x impressions: the export's position is what breaks it.
    ("search_console_query_days", "position_sum", "present"): _api("position", "", "is a number"),
    ("search_console_query_days", "position_sum", ">= 0"): _api("position", "-2", "position >= 1"),
    ("search_console_site_days", "date_day", "present"): _dates(
        "Date", "", "is a date (YYYY-MM-DD)"
    ),
    ("search_console_site_days", "clicks", "present"): _dates("Clicks", "", "clicks is present"),
    ("search_console_site_days", "clicks", ">= 0"): _dates("Clicks", "-4", "clicks >= 0"),
    ("search_console_site_days", "impressions", "present"): _dates(
        "Impressions", "", "impressions is present"
    ),
    ("search_console_site_days", "impressions", ">= 0"): _dates(
        "Impressions", "-1", "impressions >= 0"
    ),
    ("search_console_site_days", "position", "present"): _dates(
        "Position", "", "position is present"
    ),
    ("search_console_site_days", "position", ">= 1"): _dates("Position", "0.5", "position >= 1"),
    ("search_console_period_queries", "clicks", "present"): _queries(
        "Clicks", "", "clicks is present"
    ),
    ("search_console_period_queries", "clicks", ">= 0"): _queries("Clicks", "-1", "clicks >= 0"),
    ("search_console_period_queries", "impressions", "present"): _queries(
        "Impressions", "", "impressions is present"
    ),
    ("search_console_period_queries", "impressions", ">= 0"): _queries(
        "Impressions", "-7", "impressions >= 0"
    ),
    ("search_console_period_queries", "position", "present"): _queries(
        "Position", "", "position is present"
    ),
    ("search_console_period_queries", "position", ">= 1"): _queries(
        "Position", "0", "position >= 1"
    ),
    ("ga4_channel_days", "date_day", "present"): _ga4("Date", "", "date is YYYYMMDD"),
    ("ga4_channel_days", "channel_group", "present"): _ga4(
        "Session default channel group", "", "one of the GA4 default channel groups"
    ),
    ("ga4_channel_days", "channel_group", "one of"): _ga4(
        "Session default channel group", "Podcasts", "one of the GA4 default channel groups"
    ),
    ("ga4_channel_days", "sessions", "present"): _ga4("Sessions", "", "sessions is present"),
    ("ga4_channel_days", "sessions", ">= 0"): _ga4("Sessions", "-1", "sessions >= 0"),
    ("ga4_channel_days", "engaged_sessions", ">= 0"): _ga4(
        "Engaged sessions", "-2", "engaged_sessions >= 0"
    ),
    ("ga4_channel_days", "key_events", ">= 0"): _ga4("Key events", "-1", "key_events >= 0"),
    ("ga4_channel_days", "total_revenue", ">= 0"): _ga4(
        "Total revenue", "-0.5", "total_revenue >= 0"
    ),
    ("orders", "order_name", "present"): _orders("Name", "", "order name is present"),
    ("orders", "financial_status", "present"): _orders("Financial Status", "", STATUSES),
    ("orders", "financial_status", "one of"): _orders("Financial Status", "settled", STATUSES),
    ("orders", "subtotal", ">= 0"): _orders("Subtotal", "-150.00", "Subtotal >= 0"),
    ("orders", "shipping", ">= 0"): _orders("Shipping", "-5.00", "Shipping >= 0"),
    ("orders", "taxes", ">= 0"): _orders("Taxes", "-1", "Taxes >= 0"),
    ("orders", "total", "present"): _orders("Total", "", "the order's first row has its total"),
    ("orders", "total", ">= 0"): _orders("Total", "-155.00", "Total >= 0"),
    ("orders", "discount_amount", ">= 0"): _orders(
        "Discount Amount", "-2.00", "Discount Amount >= 0"
    ),
    ("orders", "refunded_amount", ">= 0"): _orders(
        "Refunded Amount", "-1.00", "Refunded Amount >= 0"
    ),
    ("orders", "created_at", "present"): _orders(
        "Created at", "", "the order's first row has its creation time"
    ),
    # The second line of order #2001 (its order fields are empty on that row).
    ("order_lines", "order_name", "present"): _orders("Name", "", "order name is present", row=2),
    ("order_lines", "quantity", "present"): _orders(
        "Lineitem quantity", "", "is a whole number >= 0", row=2
    ),
    ("order_lines", "quantity", ">= 0"): _orders(
        "Lineitem quantity", "-1", "is a whole number >= 0", row=2
    ),
    ("order_lines", "price", ">= 0"): _orders(
        "Lineitem price", "-25.00", "Lineitem price >= 0", row=2
    ),
    ("support_tickets", "ticket_id", "present"): _tickets("Id", "", "ticket id is present"),
    ("support_tickets", "ticket_id", ">= 1"): _tickets("Id", "0", "Id >= 1"),
    ("support_tickets", "status", "present"): _tickets(
        "Status", "", "one of New, Open, Pending, On-hold, Solved, Closed"
    ),
    ("support_tickets", "status", "one of"): _tickets(
        "Status", "Escalated", "one of New, Open, Pending, On-hold, Solved, Closed", "escalated"
    ),
    ("support_tickets", "created_at", "present"): _tickets(
        "Created at", "", "creation time is present"
    ),
    ("support_tickets", "satisfaction_score", "one of"): _tickets(
        "Satisfaction Score", "Great", "one of Not Offered, Offered, Good, Bad"
    ),
    ("support_tickets", "replies", ">= 0"): _tickets("Replies", "-1", "Replies >= 0"),
    ("support_tickets", "first_reply_minutes", ">= 0"): _tickets(
        "First reply time in minutes", "-60", "First reply time in minutes >= 0"
    ),
    ("support_tickets", "first_reply_minutes_business", ">= 0"): _tickets(
        "First reply time in minutes within business hours",
        "-1",
        "First reply time in minutes within business hours >= 0",
    ),
    ("support_tickets", "full_resolution_minutes", ">= 0"): _tickets(
        "Full resolution time in minutes", "-2010", "Full resolution time in minutes >= 0"
    ),
    ("survey_responses", "respondent_id", "present"): _surveys(
        "Respondent ID",
        "",
        "a whole number (an Excel re-save may have turned it into scientific notation)",
    ),
    ("survey_responses", "nps_score", "between 0 and 10"): _surveys(
        NPS, "12", "NPS answer is a whole number 0-10"
    ),
    ("survey_responses", "csat_score", "between 1 and 5"): _surveys(
        CSAT, "6", "CSAT answer between 1 and 5"
    ),
}


def _broken_csv(text: str, case: Break) -> tuple[str, int]:
    """The export with the one cell changed, and the physical line of the changed record."""
    lines = text.splitlines(keepends=True)
    head, body = lines[: case.header_line], "".join(lines[case.header_line :])
    header = next(csv.reader([lines[(case.names_line or case.header_line) - 1]]))
    position = [h.strip() for h in header].index(case.column)
    reader = csv.reader(io.StringIO(body, newline=""))
    records, line, seen = [], None, 0
    previous_end = 0
    for record in reader:
        if record:
            seen += 1
            if seen == case.row:
                record[position] = case.value
                line = case.header_line + previous_end + 1
        records.append(record)
        previous_end = reader.line_num
    assert line is not None, "the fixture has fewer data rows than the case needs"
    out = io.StringIO(newline="")
    csv.writer(out, lineterminator="\n").writerows(records)
    return "".join(head) + out.getvalue(), line


def _landing_file(case: Break) -> tuple[str, bytes, int]:
    """(file name suffix, content, line of the broken row)."""
    if case.entry is None:
        text = (FIXTURES / case.fixture).read_text(encoding="utf-8-sig")
        broken, line = _broken_csv(text, case)
        return ".csv", broken.encode(), line
    with zipfile.ZipFile(GSC_ZIP) as archive:
        entries = {name: archive.read(name).decode("utf-8-sig") for name in archive.namelist()}
    entries[case.entry], line = _broken_csv(entries[case.entry], case)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, text in entries.items():
            archive.writestr(name, text)
    return ".zip", buffer.getvalue(), line


def _name(key: tuple[str, str, str]) -> str:
    table, column, rule = key
    kind = {">": "at_least", "b": "between", "o": "one_of", "p": "present"}[rule[0]]
    return f"{table}__{column}__{kind}"


@dataclass
class Loaded:
    raw: Path
    lines: dict[tuple[str, str, str], tuple[str, int]]  # case -> (landing file, broken line)


@pytest.fixture(scope="module")
def loaded(tmp_path_factory) -> Loaded:
    """One landing folder holding one broken export per case, loaded source by source."""
    root = tmp_path_factory.mktemp("declared_rules")
    landing, raw = root / "landing", root / "raw"
    lines = {}
    for key, case in CASES.items():
        suffix, data, line = _landing_file(case)
        relative = f"{case.source}/{_name(key)}{suffix}"
        (landing / case.source).mkdir(parents=True, exist_ok=True)
        (landing / relative).write_bytes(data)
        lines[key] = (relative, line)
    for source in sorted({c.source for c in CASES.values()}):
        report = ingest_source(source_by_folder(source), landing, RawStore(raw), "load-1", OPTIONS)
        assert not report.problems, report.problems
    return Loaded(raw, lines)


def _rows(raw: Path, table: str, sql: str) -> list[tuple]:
    with duckdb.connect() as con:
        source = f"read_parquet('{raw / table}/*.parquet', union_by_name = true)"
        return con.execute(sql.format(table=source)).fetchall()


def test_every_checked_rule_of_every_raw_table_has_a_breaking_case():
    assert set(CASES) == set(checked_rules(RAW_TABLES.values()))
    # ... and each case belongs to the source that writes the table.
    for (table, _, _), case in CASES.items():
        assert table in source_by_folder(case.source).raw_tables


@pytest.mark.parametrize("key", list(CASES), ids=_name)
def test_a_row_breaking_the_rule_is_quarantined_with_line_column_and_rule(loaded, key):
    case = CASES[key]
    file, line = loaded.lines[key]
    rejected = _rows(
        loaded.raw,
        "rejected_rows",
        f"select line_number, column_name, check_name, value from {{table}} "
        f"where file_path = '{file}' and line_number = {line}",
    )
    shown = case.value.strip() if case.shown is None else case.shown
    assert rejected == [(line, case.column, case.check, shown)]
    table = key[0]
    kept = _rows(
        loaded.raw,
        table,
        f"select count(*) from {{table}} where _source_file = '{file}' and _row_number = {line}",
    )
    assert kept == [(0,)]


@pytest.mark.parametrize("table", sorted({key[0] for key in CASES}))
def test_the_blocking_raw_check_passes_with_every_broken_row_quarantined(loaded, table):
    from pipelines.checks.raw_schemas import validate_raw_table

    loaded_rows = _rows(loaded.raw, table, "select count(*) from {table}")[0][0]
    outcome = validate_raw_table(loaded.raw, table)
    assert loaded_rows > 0 and outcome.passed, outcome.summary()


def test_a_zendesk_ticket_with_id_0_is_quarantined_with_its_line(tmp_path):
    text = (FIXTURES / "support_tickets" / "tickets_export.csv").read_text(encoding="utf-8")
    lines = text.splitlines(keepends=True)
    assert lines[2].startswith("302,")
    lines[2] = "0" + lines[2][3:]  # ticket 302, on line 3, becomes ticket 0
    folder = tmp_path / "landing" / "support_tickets"
    folder.mkdir(parents=True)
    (folder / "tickets.csv").write_text("".join(lines), encoding="utf-8")
    raw = tmp_path / "raw"
    report = ingest_source(
        SOURCES["zendesk"], tmp_path / "landing", RawStore(raw), "load-1", OPTIONS
    )
    assert report.files_loaded == 1 and not report.problems
    assert _rows(
        raw, "rejected_rows", "select line_number, column_name, check_name, value from {table}"
    ) == [(3, "Id", "Id >= 1", "0"), (4, "Id", _SCIENTIFIC, "1.03006E+13")]
    ids = _rows(raw, "support_tickets", "select ticket_id from {table} order by ticket_id")
    assert (0,) not in ids and (301,) in ids
    assert RAW_SCHEMAS["support_tickets"] is not None
    from pipelines.checks.raw_schemas import validate_raw_table

    assert validate_raw_table(raw, "support_tickets").passed


_SCIENTIFIC = (
    "a plain number (Excel turned it into scientific notation; the digits are lost, export again)"
)


def test_the_pandera_schemas_are_the_declarations():
    """Each pandera column carries exactly the declared type, nullability and rules."""
    assert (
        set(RAW_SCHEMAS)
        == set(RAW_TABLES)
        == {t for spec in SOURCES.values() for t in spec.raw_tables}
    )
    for name, table in RAW_TABLES.items():
        schema = RAW_SCHEMAS[name]
        declared = {c.name for c in table.columns}
        assert set(schema.columns) == declared | {
            "_row_number",
            "_source_file",
            "_file_hash",
            "_load_id",
        }
        for column in table.columns:
            pandera_column = schema.columns[column.name]
            assert pandera_column.nullable == column.nullable, (name, column.name)
            found = [(c.name, c.statistics) for c in pandera_column.checks]
            expected = []
            for rule in column.rules:
                if isinstance(rule, AtLeast):
                    expected.append(("greater_than_or_equal_to", {"min_value": rule.bound}))
                elif isinstance(rule, Between):
                    expected.append(
                        (
                            "in_range",
                            {
                                "min_value": rule.low,
                                "max_value": rule.high,
                                "include_min": True,
                                "include_max": True,
                            },
                        )
                    )
                else:
                    assert isinstance(rule, OneOf)
                    expected.append(("isin", {"allowed_values": list(rule.values)}))
            assert found == expected, (name, column.name)
        key = ["_file_hash", *table.unique] if table.unique else None
        assert schema.unique == key
        assert pandera_schema(table).columns.keys() == schema.columns.keys()


def test_the_readers_write_the_declared_columns():
    """The stored schema of each raw table: its declared columns in order, the line, a hash per
    personal-data column, then the lineage."""
    schemas = raw_table_schemas()
    for spec in SOURCES.values():
        for table in spec.tables:
            names = [c.name for c in table.columns] + ["_row_number"]
            names += [f"{c.name}_hash" for c in table.columns if c.pii]
            names += ["_source_file", "_file_hash", "_load_id", "_loaded_at"]
            assert schemas[table.name].names == names, table.name
            assert spec.pii.get(table.name, {}) == {c.name: c.pii for c in table.columns if c.pii}
