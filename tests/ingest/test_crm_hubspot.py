"""HubSpot deals and contacts exports (CSV and XLSX) into crm_deals and crm_contacts.

Expected values are worked out by hand from the fixture rows: Europe/Amsterdam is UTC+2 until
2026-10-25 03:00 and UTC+1 after it.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import hmac
import shutil
from pathlib import Path

import duckdb
import pytest
from openpyxl import Workbook

from pipelines.ingest import crm, crm_hubspot
from pipelines.ingest.crm_files import MANGLED_ID
from pipelines.ingest.errors import FileRefused
from pipelines.ingest.options import CrmOptions, HubSpotOptions, IngestOptions
from pipelines.ingest.parsed import Lineage, ParsedFile
from pipelines.ingest.raw_store import RawStore
from pipelines.ingest.runner import ingest_source
from pipelines.ingest.sources import SOURCES

FIXTURES = Path(__file__).parent.parent / "fixtures" / "crm"
DEALS = FIXTURES / "hubspot-crm-exports-all-deals-2026-11-20.csv"
CONTACTS = FIXTURES / "hubspot-crm-exports-all-contacts-2026-11-20.csv"
OLD_CONTACTS = FIXTURES / "hubspot_contacts_old_headers.csv"
SAMPLE = FIXTURES / "hubspot_deals_export.csv"  # /work/shared/samples, as shipped
LOADED_AT = dt.datetime(2026, 12, 1, 10, 0)  # UTC: 11:00 in Amsterdam
OPTIONS = IngestOptions(pii_salt="test-salt")
# The Tenders pipeline names its stages in Dutch.
TENDERS = IngestOptions(
    pii_salt="test-salt",
    crm=CrmOptions(
        hubspot=HubSpotOptions(
            won_stages={"*": ["Closed won"], "Tenders": ["Gunning"]},
            lost_stages={"*": ["Closed lost"], "Tenders": ["Niet gegund"]},
        )
    ),
)
SNAPSHOT = dt.datetime(2026, 11, 20)


def _t(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text)


def _read(path: Path, options: IngestOptions = OPTIONS, name: str | None = None) -> ParsedFile:
    lineage = Lineage(f"crm/{name or path.name}", "hash", "load-1", LOADED_AT)
    return crm_hubspot.read(path, lineage, options, path.parent)


def _rows(parsed: ParsedFile, table: str) -> dict[str, dict]:
    key = "deal_id" if table == "crm_deals" else "contact_id"
    return {r[key]: r for r in parsed.tables[table].to_pylist()}


def _rejected(parsed: ParsedFile) -> list[tuple]:
    return [(r.line, r.column, r.check, r.value) for r in parsed.rejected]


def test_a_deals_export_gives_won_lost_and_open_deals_with_both_clocks():
    parsed = _read(DEALS, TENDERS)
    assert (parsed.rows_read, parsed.rows_loaded, parsed.rejected) == (5, 5, [])
    assert list(parsed.tables) == ["crm_deals"]
    deals = _rows(parsed, "crm_deals")
    won = deals["18012345671"]
    assert won == {
        "crm": "hubspot",
        "deal_id": "18012345671",
        "deal_name": "Loungeset restaurant De Haven",
        "pipeline": "Sales Pipeline",
        "stage": "Closed won",
        "owner": "Lotte Jansen",
        "account_name": "De Haven B.V.",
        "amount": 12400.0,
        "currency_code": "EUR",
        "amount_company": 12400.0,
        "company_currency_code": "EUR",
        "created_at": _t("2026-08-03 10:15"),
        "created_at_utc": _t("2026-08-03 08:15"),
        "close_date": dt.date(2026, 9, 30),
        # closed 23:30 local on the last day of September: still September, 21:30 UTC
        "closed_at": _t("2026-09-30 23:30"),
        "closed_at_utc": _t("2026-09-30 21:30"),
        "is_closed": True,
        "is_won": True,
        "lost_reason": None,
        "lead_source": "Organic Search",
        "snapshot_at": SNAPSHOT,  # the date in the file name, midnight local
        "_row_number": 2,
    }
    # Date-only values are local midnight; "Gunning" is won in the Tenders pipeline.
    tender = deals["18012345672"]
    assert (tender["is_closed"], tender["is_won"]) == (True, True)
    assert (tender["created_at"], tender["created_at_utc"]) == (
        _t("2026-09-01 00:00"),
        _t("2026-08-31 22:00"),
    )
    assert (tender["close_date"], tender["closed_at"], tender["closed_at_utc"]) == (
        dt.date(2026, 10, 14),
        _t("2026-10-14 00:00"),
        _t("2026-10-13 22:00"),
    )
    # A lost stage in another case still counts as lost.
    lost = deals["18012345673"]
    assert (lost["stage"], lost["is_closed"], lost["is_won"], lost["lost_reason"]) == (
        "closed lost",
        True,
        False,
        "Budget",
    )
    assert (lost["closed_at"], lost["closed_at_utc"], lost["amount"]) == (
        _t("2026-10-02 09:05"),
        _t("2026-10-02 07:05"),
        2150.5,
    )
    # An open deal's Close Date is a forecast: kept as close_date, no closed_at.
    open_gbp = deals["18012345674"]
    assert (open_gbp["is_closed"], open_gbp["is_won"]) == (False, False)
    assert (open_gbp["close_date"], open_gbp["closed_at"], open_gbp["closed_at_utc"]) == (
        dt.date(2026, 11, 30),
        None,
        None,
    )
    assert (open_gbp["currency_code"], open_gbp["amount"], open_gbp["amount_company"]) == (
        "GBP",
        5600.0,
        6552.0,
    )
    # November is winter time: UTC+1.
    assert open_gbp["created_at_utc"] == _t("2026-11-02 07:36")
    # An empty Currency cell is the company currency.
    offer = deals["18012345675"]
    assert (offer["currency_code"], offer["is_closed"], offer["closed_at"]) == ("EUR", False, None)
    assert (parsed.first_date, parsed.last_date) == (dt.date(2026, 8, 3), dt.date(2026, 11, 10))


def test_a_stage_hubspot_calls_closed_but_the_config_does_not_is_quarantined():
    parsed = _read(DEALS)  # the default config knows only Closed won / Closed lost
    assert parsed.rows_loaded == 4
    assert len(parsed.rejected) == 1
    rejected = parsed.rejected[0]
    assert (rejected.line, rejected.column, rejected.value) == (3, "Deal Stage", "Gunning")
    assert "add the stage there" in rejected.check and "'Tenders'" in rejected.check


def test_times_convert_from_the_portal_time_zone_to_the_reporting_one():
    options = IngestOptions(
        pii_salt="test-salt",
        reporting_timezone="Europe/Amsterdam",
        crm=CrmOptions(timezone="America/New_York"),
    )
    won = _rows(_read(DEALS, options), "crm_deals")["18012345671"]
    # 23:30 in New York (UTC-4) is 03:30 UTC and 05:30 in Amsterdam on 1 October;
    # the close date stays the day HubSpot wrote.
    assert (won["closed_at"], won["closed_at_utc"], won["close_date"]) == (
        _t("2026-10-01 05:30"),
        _t("2026-10-01 03:30"),
        dt.date(2026, 9, 30),
    )
    # The file name's date is midnight in the portal's time zone: 06:00 in Amsterdam.
    assert won["snapshot_at"] == _t("2026-11-20 06:00")


def test_the_shared_sample_with_the_old_deal_id_header_loads_three_deals():
    parsed = _read(SAMPLE)
    assert (parsed.rows_read, parsed.rows_loaded, parsed.rejected) == (3, 3, [])
    deals = _rows(parsed, "crm_deals")
    assert set(deals) == {"4411002201", "4411002202", "4411002203"}
    won, forecast, lost = deals["4411002201"], deals["4411002202"], deals["4411002203"]
    assert (won["is_won"], won["closed_at"], won["closed_at_utc"]) == (
        True,
        _t("2026-08-29 16:10"),
        _t("2026-08-29 14:10"),
    )
    # The open deal's close date is a forecast.
    assert (forecast["is_closed"], forecast["close_date"], forecast["closed_at"]) == (
        False,
        dt.date(2026, 12, 31),
        None,
    )
    # The GBP deal counts with its company-currency amount.
    assert (lost["currency_code"], lost["amount"], lost["amount_company"]) == (
        "GBP",
        7300.0,
        8541.0,
    )
    assert (lost["company_currency_code"], lost["is_closed"], lost["is_won"]) == (
        "EUR",
        True,
        False,
    )
    assert lost["closed_at"] == _t("2026-09-30 23:40")
    # No date in the file name: the snapshot is the load time, in the reporting time zone.
    assert {d["snapshot_at"] for d in deals.values()} == {_t("2026-12-01 11:00")}


def test_a_contacts_export_is_read_from_its_headers():
    parsed = _read(CONTACTS)
    assert (parsed.rows_read, parsed.rows_loaded, parsed.rejected) == (3, 3, [])
    assert list(parsed.tables) == ["crm_contacts"]
    contacts = _rows(parsed, "crm_contacts")
    assert contacts["9051"] == {
        "crm": "hubspot",
        "contact_id": "9051",
        "first_name": "Anouk",
        "last_name": "de Vries",
        "full_name": None,
        "email": "anouk.devries@example.com",
        "phone": "+31 6 12345678",
        "company": "De Haven B.V.",
        "lifecycle_stage": "Customer",
        "lead_status": "Connected",
        "created_at": _t("2026-07-20 09:12"),
        "created_at_utc": _t("2026-07-20 07:12"),
        "became_lead_at": _t("2026-07-20 09:12"),
        "became_customer_at": _t("2026-09-30 23:30"),
        "became_customer_at_utc": _t("2026-09-30 21:30"),
        "is_converted": None,
        "converted_date": None,
        "original_source": "Organic Search",
        "snapshot_at": SNAPSHOT,
        "_row_number": 2,
    }
    lead = contacts["9052"]
    assert (lead["created_at"], lead["created_at_utc"], lead["became_customer_at"]) == (
        _t("2026-09-01 00:00"),
        _t("2026-08-31 22:00"),
        None,
    )
    assert (lead["phone"], lead["original_source"]) == (None, "Offline Sources")
    assert contacts["9053"]["created_at_utc"] == _t("2026-11-02 07:36")


def test_old_contact_headers_and_times_around_the_clock_changes():
    contacts = _rows(_read(OLD_CONTACTS), "crm_contacts")
    assert set(contacts) == {"7701", "7702"}
    daan, sanne = contacts["7701"], contacts["7702"]
    assert (daan["original_source"], sanne["original_source"]) == ("Direct Traffic", "Paid Social")
    assert daan["created_at_utc"] == _t("2026-03-01 11:00")
    # 02:30 on 29 March does not exist in Amsterdam: read with the offset before the change
    # (UTC+1), which is 01:30 UTC, 03:30 summer time.
    assert (daan["became_customer_at"], daan["became_customer_at_utc"]) == (
        _t("2026-03-29 03:30"),
        _t("2026-03-29 01:30"),
    )
    # 02:30 on 25 October happens twice: the first (summer time, UTC+2) is taken.
    assert (sanne["created_at"], sanne["created_at_utc"]) == (
        _t("2026-10-25 02:30"),
        _t("2026-10-25 00:30"),
    )


def _csv_rows(path: Path) -> list[list[str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.reader(handle))


def _write_xlsx(path: Path, rows: list[list[object]]) -> None:
    book = Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    book.save(path)


def test_an_xlsx_deals_export_gives_the_same_rows_as_the_csv(tmp_path):
    """The XLSX holds what Excel stores: ids and amounts as numbers, times as date-times."""
    rows = _csv_rows(DEALS)
    header, body = rows[0], rows[1:]
    typed: list[list[object]] = [header]
    for record in body:
        cells: list[object] = []
        for name, value in zip(header, record, strict=True):
            if name in {"Record ID"}:
                cells.append(int(value))
            elif name in {"Amount", "Amount in company currency"}:
                cells.append(float(value))
            elif name in {"Close Date", "Create Date"}:
                cells.append(dt.datetime.fromisoformat(value))
            else:
                cells.append(value or None)
        typed.append(cells)
    path = tmp_path / DEALS.name.replace(".csv", ".xlsx")
    _write_xlsx(path, typed)
    from_xlsx = _read(path, TENDERS)
    from_csv = _read(DEALS, TENDERS)
    assert (from_xlsx.rows_read, from_xlsx.rows_loaded, from_xlsx.rejected) == (5, 5, [])
    assert from_xlsx.tables["crm_deals"].to_pylist() == from_csv.tables["crm_deals"].to_pylist()
    assert crm_hubspot.recognises(path)


def test_an_excel_mangled_id_is_quarantined_with_line_and_column(tmp_path):
    lines = DEALS.read_text(encoding="utf-8").splitlines(keepends=True)
    assert lines[3].startswith("18012345673,")
    lines[3] = "1.80E+10," + lines[3].split(",", 1)[1]
    path = tmp_path / DEALS.name
    path.write_text("".join(lines), encoding="utf-8")
    parsed = _read(path, TENDERS)
    assert _rejected(parsed) == [(4, "Record ID", MANGLED_ID, "1.80E+10")]
    assert parsed.rows_loaded == 4 and "18012345673" not in _rows(parsed, "crm_deals")


def test_a_header_naming_a_column_twice_refuses_the_file(tmp_path):
    path = tmp_path / "deals.csv"
    path.write_text(
        "Record ID,Deal Name,Deal Stage,Amount,Create Date,Amount\n1,A,Closed won,1,2026-09-01,2\n",
        encoding="utf-8",
    )
    with pytest.raises(FileRefused, match=r"crm/deals.csv, line 1: .*more than once: 'Amount'"):
        _read(path)


def test_a_hubspot_companies_export_is_not_taken_for_deals_or_contacts(tmp_path):
    path = tmp_path / "companies.csv"
    path.write_text("Record ID,Company name,Create Date\n5,Acme,2026-09-01\n", encoding="utf-8")
    assert not crm_hubspot.recognises(path)
    lineage = Lineage("crm/companies.csv", "hash", "load-1", LOADED_AT)
    with pytest.raises(FileRefused, match="not a CRM export this warehouse reads"):
        crm.read(path, lineage, OPTIONS, tmp_path)


def test_a_bad_time_and_a_missing_stage_are_quarantined(tmp_path):
    text = (
        "Record ID,Deal Name,Pipeline,Deal Stage,Amount,Create Date,Close Date\n"
        "1,A,Sales Pipeline,Closed won,10,2026-09-01,30-09-2026\n"
        "2,B,Sales Pipeline,,10,2026-09-01,\n"
        "3,C,Sales Pipeline,Closed won,10,,2026-09-02\n"
        "4,D,Sales Pipeline,Closed won,-10,2026-09-01,2026-09-02\n"
        "5,E,Sales Pipeline,Contract sent,10,2026-09-01 08:00,\n"
    )
    path = tmp_path / "deals.csv"
    path.write_text(text, encoding="utf-8")
    parsed = _read(path)
    assert _rejected(parsed) == [
        (2, "Close Date", "a date like 2026-09-22 or a time like 2026-09-22 08:36", "30-09-2026"),
        (3, "Deal Stage", crm_hubspot.NO_STAGE, ""),
        (4, "Create Date", "create date is present", ""),
        (5, "Amount", "amount >= 0", "-10"),
    ]
    assert [r["deal_id"] for r in parsed.tables["crm_deals"].to_pylist()] == ["5"]


def _hash(kind_value: str) -> str:
    return hmac.new(b"test-salt", kind_value.encode(), hashlib.sha256).hexdigest()


def _query(raw: Path, table: str, sql: str) -> list[tuple]:
    with duckdb.connect() as con:
        pattern = str(raw / table / "*.parquet")
        con.execute(f"create view t as select * from read_parquet('{pattern}', union_by_name=true)")
        return con.execute(sql).fetchall()


def test_a_crm_landing_folder_loads_into_the_raw_layer_with_hashed_personal_data(tmp_path):
    landing = tmp_path / "landing"
    (landing / "crm").mkdir(parents=True)
    for fixture in (DEALS, CONTACTS, SAMPLE, OLD_CONTACTS):
        shutil.copy(fixture, landing / "crm" / fixture.name)
    raw = tmp_path / "raw"
    report = ingest_source(SOURCES["crm"], landing, RawStore(raw), "load-1", TENDERS)
    assert not report.problems, report.problems
    assert (report.files_loaded, report.rows_loaded) == (4, 5 + 3 + 3 + 2)
    assert _query(raw, "crm_deals", "select count(*), count(distinct _source_file) from t") == [
        (8, 2)
    ]
    assert _query(
        raw,
        "crm_deals",
        "select deal_id, closed_at, closed_at_utc from t where deal_id = '18012345671'",
    ) == [("18012345671", _t("2026-09-30 23:30"), _t("2026-09-30 21:30"))]
    hashes = _query(
        raw,
        "crm_contacts",
        "select email_hash, first_name_hash, last_name_hash, phone_hash, full_name_hash from t "
        "where contact_id = '9051'",
    )
    assert hashes == [
        (
            _hash("anouk.devries@example.com"),
            _hash("anouk"),
            _hash("de vries"),
            _hash("+31612345678"),
            None,
        )
    ]
    assert _query(raw, "crm_contacts", "select count(*) from t where email_hash is null") == [(0,)]
    again = ingest_source(SOURCES["crm"], landing, RawStore(raw), "load-2", TENDERS)
    assert (again.files_loaded, again.files_skipped) == (0, 4)  # each file is loaded once


def test_a_hubspot_zip_is_named_as_not_read(tmp_path):
    landing = tmp_path / "landing"
    (landing / "crm").mkdir(parents=True)
    (landing / "crm" / "hubspot-crm-exports-all-deals-2026-11-20.zip").write_bytes(b"PK\x03\x04")
    report = ingest_source(SOURCES["crm"], landing, RawStore(tmp_path / "raw"), "l", OPTIONS)
    assert report.files_loaded == 0
    assert len(report.not_read) == 1
    assert report.not_read[0].startswith(
        "crm/hubspot-crm-exports-all-deals-2026-11-20.zip: not read"
    )
