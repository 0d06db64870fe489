"""The DuckDB readers: exact line numbers, time zones and hashes equal to Python's own."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest

from pipelines.ingest import ga4, google_ads, search_console, shopify, sql_values, surveys, zendesk
from pipelines.ingest.errors import FileRefused
from pipelines.ingest.native_csv import count_lines
from pipelines.ingest.options import SurveyOptions
from pipelines.ingest.parsed import Lineage

FIXTURES = Path(__file__).parent.parent / "fixtures"
ZENDESK_HEADER = (
    "Id,Requester,Requester email,Subject,Status,Created at,First reply time in minutes"
)


def _hmac(salt: str, text: str) -> str:
    return hmac.new(salt.encode(), text.encode(), hashlib.sha256).hexdigest()


@pytest.mark.parametrize(
    ("kind", "value", "normalised"),
    [
        ("email", "  Anna.Vries@Example.COM ", "anna.vries@example.com"),
        ("name", "Anna\u00a0 de   VRIES\t", "anna de vries"),
        ("phone", "+31 (6) 1234-5000", "+31612345000"),
        ("street", " Molenweg  25 ", "molenweg 25"),
        ("ip", "203.0.113.7", "203.0.113.7"),
    ],
)
@pytest.mark.parametrize("salt", ["short", "x" * 100])  # a salt longer than a block is hashed
def test_sql_hash_equals_hmac_sha256_of_the_normalised_value(kind, value, normalised, salt):
    expected = _hmac(salt, normalised)
    sql = sql_values.salted_hash("v", kind, salt)
    (found,) = duckdb.execute(f"select {sql} from (select ? as v)", [value]).fetchone()
    assert found == expected


def test_sql_hash_of_empty_and_missing_values_is_null():
    sql = sql_values.salted_hash("v", "email", "salt")
    rows = duckdb.execute(f"select {sql} from (values (null), (''), ('  ')) t(v)").fetchall()
    assert rows == [(None,), (None,), (None,)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [("1,234.50", 1234.5), ("12%", 0.12), ("--", None), ("", None), ("< 10", 10.0)],
)
def test_sql_numbers_read_like_the_exports_write_them(text, expected):
    (found,) = duckdb.execute(
        f"select {sql_values.number('v', '.')} from (select ? as v)", [text]
    ).fetchone()
    assert found == (pytest.approx(expected) if expected is not None else None)


def _zendesk(path: Path, tmp_path: Path, account: str = "Europe/Amsterdam"):
    lineage = Lineage("t.csv", "hash", "load", dt.datetime(2026, 10, 1))
    parsed = zendesk.parse(
        path,
        "t.csv",
        account,
        "Europe/Amsterdam",
        workdir=tmp_path / "work",
        lineage=lineage,
        salt="salt",
    )
    return parsed, pq.read_table(parsed.staged[zendesk.TABLE]).to_pylist()


def test_rows_carry_their_physical_line_despite_blank_lines_and_multiline_cells(tmp_path):
    # Line 1 header; 2 a ticket; 3 blank; 4-5 one ticket whose subject spans two lines;
    # 6 blank; 7 a bad status; 8 a ticket. DuckDB skips blank lines and reads 4-5 as one row.
    path = tmp_path / "tickets.csv"
    path.write_text(
        f"{ZENDESK_HEADER}\n"
        "1,Ann,ann@example.com,Hello,Open,2026-09-01 10:00:00,5\n"
        "\n"
        '2,Bob,bob@example.com,"Two\nlines",Solved,2026-09-01 11:00:00,\n'
        "\n"
        "3,Cas,cas@example.com,Bad,Lost,2026-09-01 12:00:00,\n"
        "4,Dirk,dirk@example.com,Last,Pending,2026-09-02 09:00:00,30\n",
        encoding="utf-8",
    )
    parsed, rows = _zendesk(path, tmp_path)
    assert [(r["ticket_id"], r["_row_number"]) for r in rows] == [(1, 2), (2, 4), (4, 8)]
    assert rows[1]["subject"] == "Two\nlines"
    [bad] = parsed.rejected
    assert (bad.line, bad.column, bad.value) == (7, "Status", "lost")
    assert parsed.rows_read == 4 == parsed.rows_loaded + len(parsed.rejected)


def test_one_line_per_record_uses_the_row_ordinal(tmp_path):
    path = tmp_path / "tickets.csv"
    rows = [f"{i},N,n@example.com,S,Open,2026-09-01 10:00:00,1" for i in range(1, 6)]
    path.write_text(ZENDESK_HEADER + "\n" + "\n".join(rows) + "\n\n\n", encoding="utf-8")
    assert count_lines(path, "utf-8") == 6  # trailing blank lines do not count
    parsed, loaded = _zendesk(path, tmp_path)
    assert [r["_row_number"] for r in loaded] == [2, 3, 4, 5, 6]
    assert not parsed.warnings


def test_an_ambiguous_local_time_is_its_first_occurrence_like_python(tmp_path):
    # 02:30 on 25 October 2026 happens twice in Amsterdam (summer time ends at 03:00 CEST).
    path = tmp_path / "tickets.csv"
    path.write_text(
        f"{ZENDESK_HEADER}\n"
        "1,A,a@example.com,S,Open,2026-10-25 02:30:00,\n"
        "2,B,b@example.com,S,Open,2026-03-29 02:30:00,\n"  # does not exist: clocks jump
        "3,C,c@example.com,S,Open,2026-07-01 12:00:00,\n",
        encoding="utf-8",
    )
    _, rows = _zendesk(path, tmp_path, account="Europe/Amsterdam")
    zone = __import__("zoneinfo").ZoneInfo("Europe/Amsterdam")
    expected = [
        dt.datetime(2026, 10, 25, 2, 30, tzinfo=zone),
        dt.datetime(2026, 3, 29, 2, 30, tzinfo=zone),
        dt.datetime(2026, 7, 1, 12, 0, tzinfo=zone),
    ]
    assert [r["created_at_utc"] for r in rows] == [
        e.astimezone(dt.UTC).replace(tzinfo=None) for e in expected
    ]
    assert rows[0]["created_at_utc"] == dt.datetime(2026, 10, 25, 0, 30)


def test_personal_data_is_hashed_while_read_and_equals_the_python_hash(tmp_path):
    path = tmp_path / "tickets.csv"
    path.write_text(
        f"{ZENDESK_HEADER}\n1, Ann  Smit ,Ann@Example.com,S,Open,2026-09-01 10:00:00,\n",
        encoding="utf-8",
    )
    _, [row] = _zendesk(path, tmp_path)
    assert row["requester_email_hash"] == _hmac("salt", "ann@example.com")
    assert row["requester_name_hash"] == _hmac("salt", "ann smit")
    assert (row["_source_file"], row["_file_hash"], row["_load_id"]) == ("t.csv", "hash", "load")


def test_shopify_orders_fold_with_rejections_spread_over_an_order(tmp_path):
    header = "Name,Email,Financial Status,Created at,Total,Lineitem quantity,Lineitem name"
    path = tmp_path / "orders.csv"
    path.write_text(
        f"{header}\n"
        "#1,a@example.com,paid,2026-09-01 10:00:00 +0200,30.00,1,Chair\n"
        "#2,b@example.com,paid,2026-09-01 11:00:00 +0200,-5,1,Table\n"  # order refused
        "#1,a@example.com,,,,x,Cushion\n"  # bad quantity: line rejected, order kept
        "#2,b@example.com,,,,1,Lamp\n"  # its order's first row was rejected
        "#1,a@example.com,,,,2,Plaid\n",
        encoding="utf-8",
    )
    parsed = shopify.parse(
        path,
        "o.csv",
        "Europe/Amsterdam",
        workdir=tmp_path / "work",
        lineage=Lineage("o.csv", "h", "l", dt.datetime(2026, 10, 1)),
        salt="salt",
    )
    orders = pq.read_table(parsed.staged[shopify.ORDERS]).to_pylist()
    lines = pq.read_table(parsed.staged[shopify.ORDER_LINES]).to_pylist()
    assert [(o["order_name"], o["line_items"], o["_row_number"]) for o in orders] == [("#1", 2, 2)]
    assert orders[0]["email_hash"] == _hmac("salt", "a@example.com")
    assert [(x["item_name"], x["line_number"], x["_row_number"]) for x in lines] == [
        ("Chair", 1, 2),
        ("Plaid", 2, 6),
    ]
    assert [(r.line, r.column, r.check) for r in parsed.rejected] == [
        (3, "Total", "Total >= 0"),
        (4, "Lineitem quantity", "is a whole number"),
        (5, "Name", "the order's first row was rejected"),
    ]
    assert parsed.rows_read == 5 and parsed.rows_loaded == 2


def test_survey_header_rows_spanning_lines_keep_answer_lines_exact(tmp_path):
    path = tmp_path / "survey.csv"
    path.write_text(
        'Respondent ID,End Date,"How likely is it that you would\nrecommend us?",'
        "How satisfied are you?\n"
        ",,Response,Response\n"
        "11,09/30/2026 11:59:00 PM,9,5\n"
        "12,09/30/2026 11:59:00 PM,12,5\n",
        encoding="utf-8",
    )
    options = SurveyOptions(nps_question=["recommend"], csat_question=["satisfied"], timezone="UTC")
    parsed = surveys.parse(path, "s.csv", options, "Europe/Amsterdam")
    [row] = parsed.tables[surveys.TABLE].to_pylist()
    assert (row["respondent_id"], row["_row_number"], row["nps_score"]) == ("11", 4, 9)
    assert row["ended_at"] == dt.datetime(2026, 10, 1, 1, 59)
    [bad] = parsed.rejected
    assert (bad.line, bad.value) == (5, "12")


def test_a_new_column_is_ignored_with_a_warning_naming_it(tmp_path):
    path = tmp_path / "tickets.csv"
    path.write_text(  # a custom ticket field (`[list]`) is the account's own: no warning
        f"{ZENDESK_HEADER},Loyalty tier,Category [list]\n"
        "1,A,a@example.com,S,Open,2026-09-01 10:00:00,5,gold,delivery\n",
        encoding="utf-8",
    )
    parsed, [row] = _zendesk(path, tmp_path)
    assert parsed.warnings == [
        "column 'Loyalty tier' is not part of the export layout and was ignored"
    ]
    assert row["first_reply_minutes"] == 5 and "loyalty_tier" not in row

    header = "Name,Email,Financial Status,Created at,Total,Lineitem quantity,Gift wrap"
    orders = tmp_path / "orders.csv"
    orders.write_text(
        f"{header}\n#1,a@example.com,paid,2026-09-01 10:00:00 +0200,30.00,1,yes\n",
        encoding="utf-8",
    )
    parsed = shopify.parse(orders.read_bytes(), "o.csv", "Europe/Amsterdam")
    assert parsed.warnings == [
        "column 'Gift wrap' is not part of the export layout and was ignored"
    ]
    assert parsed.rows_loaded == 1


@pytest.mark.parametrize("encoding", ["utf-8", "utf-16"])
def test_google_ads_lines_are_exact_after_title_lines_and_a_blank_line(tmp_path, encoding):
    report = (
        "Campaign report\n"
        '"September 1, 2026 - September 2, 2026"\n'
        "Day,Campaign,Campaign ID,Impr.,Clicks,Cost,Conversions,Conv. value\n"
        "2026-09-01,Brand,1,100,10,5.00,1,20.00\n"
        "\n"
        "2026-09-02,Brand,1,100,10,-5.00,1,20.00\n"
        "2026-09-02,Generic,2,50,5,2.50,0,0.00\n"
        "Total: Account,,,250,25,2.50,2,40.00\n"
    )
    path = tmp_path / "report.csv"
    path.write_bytes(report.encode(encoding))
    parsed = google_ads.parse(
        path, "r.csv", tmp_path / "work", Lineage("r.csv", "h", "l", dt.datetime(2026, 10, 1))
    )
    rows = pq.read_table(parsed.staged[google_ads.TABLE]).to_pylist()
    assert [(r["campaign_name"], r["_row_number"]) for r in rows] == [("Brand", 4), ("Generic", 7)]
    [bad] = parsed.rejected
    assert (bad.line, bad.column, bad.check) == (6, "Cost", "cost >= 0")
    assert parsed.summary_rows == 1 and parsed.rows_read == 3


def test_new_columns_in_search_console_and_ga4_exports_are_reported(tmp_path):
    bulk = tmp_path / "bulk.csv"
    bulk.write_text(
        "data_date,site_url,query,is_anonymized_query,country,search_type,device,impressions,"
        "clicks,sum_top_position,is_video,freshness\n"
        "2026-09-01,sc-domain:example.com,tuinset,false,nld,WEB,MOBILE,100,5,150,false,new\n",
        encoding="utf-8",
    )
    lineage = Lineage("bulk.csv", "h", "l", dt.datetime(2026, 10, 1))
    parsed = search_console.parse(bulk, lineage, tmp_path / "work")
    assert parsed.warnings == [
        "column 'freshness' is not part of the export layout and was ignored"
    ]
    assert parsed.rows_loaded == 1

    report = (FIXTURES / "ga4" / "traffic_acquisition_by_date.csv").read_text(encoding="utf-8")
    report = report.replace("Key events,Total revenue", "Key events,Total revenue,Scroll depth")
    parsed = ga4.parse(report.encode(), "ga4.csv")
    assert parsed.warnings == [
        "column 'Scroll depth' is not part of the report layout and was ignored"
    ]
    assert parsed.rows_loaded == 4


def test_invalid_text_far_into_a_file_is_refused_with_its_line(tmp_path):
    # The first 64 KiB decide the encoding; a bad byte after them is found by DuckDB.
    good = "1,A,a@example.com,S,Open,2026-09-01 10:00:00,5\n"
    path = tmp_path / "tickets.csv"
    path.write_bytes(
        (ZENDESK_HEADER + "\n" + good * 5000).encode()
        + b"2,B\xff,b@example.com,S,Open,2026-09-01 10:00:00,5\n"
    )
    with pytest.raises(FileRefused) as refused:
        _zendesk(path, tmp_path)
    assert str(refused.value) == (
        "t.csv, line 5002: not valid UTF-8 text; save the export as UTF-8 (or UTF-16) CSV"
    )


FUTURE_ROWS = {
    # source: (file text with one good row and one row dated in 2099, the column named)
    "google_ads": (
        "Day,Campaign,Campaign ID,Cost,Conversions,Conv. value\n"
        "2026-09-01,Brand,1,5.00,1,20.00\n2099-09-01,Brand,1,5.00,1,20.00\n",
        "Day",
    ),
    "search_console": (
        "data_date,site_url,query,is_anonymized_query,country,search_type,device,impressions,"
        "clicks,sum_top_position\n"
        "2026-09-01,sc-domain:example.com,q,false,nld,WEB,MOBILE,10,1,5\n"
        "2099-09-01,sc-domain:example.com,q,false,nld,WEB,MOBILE,10,1,5\n",
        "data_date",
    ),
    "ga4": (
        "# Start date: 20260901\n\nSession default channel group,Date,Sessions,Key events\n"
        "Direct,20260901,10,1\nDirect,20990901,10,1\n",
        "Date",
    ),
    "orders": (
        "Name,Email,Financial Status,Created at,Total,Lineitem quantity\n"
        "#1,a@example.com,paid,2026-09-01 10:00:00 +0200,10.00,1\n"
        "#2,b@example.com,paid,2099-09-01 10:00:00 +0200,10.00,1\n",
        "Created at",
    ),
    "support_tickets": (
        f"{ZENDESK_HEADER}\n1,A,a@example.com,S,Open,2026-09-01 10:00:00,5\n"
        "2,B,b@example.com,S,Open,2099-09-01 10:00:00,5\n",
        "Created at",
    ),
    "surveys": (
        "Respondent ID,End Date,How likely is it that you would recommend us?,How satisfied?\n"
        ",,Response,Response\n11,09/30/2026 11:59:00 PM,9,5\n12,09/30/2099 11:59:00 PM,9,5\n",
        "End Date",
    ),
}


@pytest.mark.parametrize("source", sorted(FUTURE_ROWS))
def test_a_row_dated_in_the_future_is_quarantined_in_every_source(tmp_path, source):
    from pipelines.ingest.options import IngestOptions
    from pipelines.ingest.raw_store import RawStore
    from pipelines.ingest.runner import ingest_source
    from pipelines.ingest.sources import source_by_folder

    text, column = FUTURE_ROWS[source]
    (tmp_path / "landing" / source).mkdir(parents=True)
    (tmp_path / "landing" / source / "export.csv").write_text(text, encoding="utf-8")
    options = IngestOptions(pii_salt="salt", reject_threshold=0.5)
    surveys_options = options.surveys.model_copy(update={"timezone": "UTC"})
    options = options.model_copy(update={"surveys": surveys_options})
    store = RawStore(tmp_path / "raw")
    report = ingest_source(source_by_folder(source), tmp_path / "landing", store, "load", options)
    assert report.problems == []
    assert (report.rows_read, report.rows_loaded, report.rows_rejected) == (2, 1, 1)
    [(line, rejected_column, check)] = duckdb.execute(
        "select line_number, column_name, check_name from read_parquet(?)",
        [str(next((tmp_path / "raw" / "rejected_rows").glob("*.parquet")))],
    ).fetchall()
    assert (rejected_column, check) == (column, "date is not in the future")
    assert line == text.count("\n")  # the last line of the file
