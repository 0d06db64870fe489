"""Pipedrive deals and persons exports into crm_deals and crm_contacts.

Expected values are worked out by hand from the fixture rows: Europe/Amsterdam is UTC+2 until
2026-10-25 03:00 and UTC+1 after it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import shutil
from pathlib import Path

import duckdb
import pytest

from pipelines.ingest import crm, crm_hubspot, crm_pipedrive
from pipelines.ingest.crm_files import MANGLED_ID
from pipelines.ingest.errors import FileRefused
from pipelines.ingest.options import IngestOptions
from pipelines.ingest.parsed import Lineage, ParsedFile
from pipelines.ingest.raw_store import RawStore
from pipelines.ingest.runner import ingest_source
from pipelines.ingest.sources import SOURCES

FIXTURES = Path(__file__).parent.parent / "fixtures" / "crm"
DEALS = FIXTURES / "pipedrive_deals.csv"
OLD_DEALS = FIXTURES / "pipedrive_deals_old_headers.csv"
PERSONS = FIXTURES / "pipedrive_persons.csv"
LOADED_AT = dt.datetime(2026, 12, 1, 10, 0)  # UTC: 11:00 in Amsterdam
OPTIONS = IngestOptions(pii_salt="test-salt")


def _t(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text)


def _read(path: Path) -> ParsedFile:
    lineage = Lineage(f"crm/{path.name}", "hash", "load-1", LOADED_AT)
    return crm.read(path, lineage, OPTIONS, path.parent)  # through the dispatcher


def _rows(parsed: ParsedFile, table: str) -> dict[str, dict]:
    key = "deal_id" if table == "crm_deals" else "contact_id"
    return {r[key]: r for r in parsed.tables[table].to_pylist()}


def test_the_dispatcher_tells_pipedrive_from_hubspot_by_the_header():
    # The deals export carries the linked person's fields: it is still a deals export.
    assert crm_pipedrive.recognises(DEALS) and not crm_hubspot.recognises(DEALS)
    assert crm_pipedrive.recognises(PERSONS) and not crm_hubspot.recognises(PERSONS)
    hubspot = FIXTURES / "hubspot_deals_export.csv"
    assert crm_hubspot.recognises(hubspot) and not crm_pipedrive.recognises(hubspot)


def test_a_deals_export_gives_status_close_times_and_forecasts():
    parsed = _read(DEALS)
    assert (parsed.rows_read, parsed.rows_loaded, parsed.rejected) == (4, 4, [])
    assert list(parsed.tables) == ["crm_deals"]
    deals = _rows(parsed, "crm_deals")
    assert deals["312"] == {
        "crm": "pipedrive",
        "deal_id": "312",
        "deal_name": "Loungeset restaurant De Haven",
        "pipeline": "Zakelijk",
        "stage": "Onderhandeling",
        "owner": "Lotte Jansen",
        "account_name": "De Haven B.V.",
        "amount": 12400.0,
        "currency_code": "EUR",
        "amount_company": None,  # Pipedrive has no company-currency column
        "company_currency_code": "EUR",
        "created_at": _t("2026-08-03 10:15"),
        "created_at_utc": _t("2026-08-03 08:15"),
        # the won time, not the expected close date (15 September)
        "close_date": dt.date(2026, 9, 30),
        "closed_at": _t("2026-09-30 23:30"),
        "closed_at_utc": _t("2026-09-30 21:30"),
        "is_closed": True,
        "is_won": True,
        "lost_reason": None,
        "lead_source": "Organic search",
        "snapshot_at": _t("2026-12-01 11:00"),  # no date in the name: the load time
        "_row_number": 2,
    }
    lost = deals["313"]  # status "lost" in lower case
    assert (lost["is_closed"], lost["is_won"], lost["lost_reason"]) == (True, False, "Te duur")
    assert (lost["closed_at"], lost["closed_at_utc"], lost["close_date"]) == (
        _t("2026-10-02 09:05"),
        _t("2026-10-02 07:05"),
        dt.date(2026, 10, 2),
    )
    assert lost["amount"] == 2150.5
    forecast = deals["314"]
    assert (forecast["is_closed"], forecast["is_won"], forecast["closed_at"]) == (
        False,
        False,
        None,
    )
    assert (forecast["close_date"], forecast["currency_code"], forecast["amount"]) == (
        dt.date(2026, 11, 30),
        "GBP",
        5600.0,
    )
    assert (forecast["account_name"], forecast["created_at_utc"]) == (None, _t("2026-11-02 07:36"))
    # Won without a won time: `Deal closed on`, a date only, is local midnight (UTC+1).
    won = deals["315"]
    assert (won["closed_at"], won["closed_at_utc"], won["close_date"]) == (
        _t("2026-11-18 00:00"),
        _t("2026-11-17 23:00"),
        dt.date(2026, 11, 18),
    )
    assert (won["created_at"], won["created_at_utc"], won["lead_source"]) == (
        _t("2026-11-10 00:00"),
        _t("2026-11-09 23:00"),
        None,
    )
    assert (parsed.first_date, parsed.last_date) == (dt.date(2026, 8, 3), dt.date(2026, 11, 10))


def test_old_deal_headers_add_time_and_currency():
    deals = _rows(_read(OLD_DEALS), "crm_deals")
    assert set(deals) == {"201", "202"}
    won, open_deal = deals["201"], deals["202"]
    assert (won["created_at"], won["created_at_utc"], won["currency_code"]) == (
        _t("2026-07-14 09:02"),
        _t("2026-07-14 07:02"),
        "EUR",
    )
    assert (won["closed_at"], won["closed_at_utc"], won["is_won"]) == (
        _t("2026-08-29 16:10"),
        _t("2026-08-29 14:10"),
        True,
    )
    assert (open_deal["is_closed"], open_deal["closed_at"], open_deal["close_date"]) == (
        False,
        None,
        dt.date(2026, 12, 31),
    )


def test_a_persons_export_takes_the_first_email_and_phone_given():
    parsed = _read(PERSONS)
    assert (parsed.rows_read, parsed.rows_loaded, parsed.rejected) == (3, 3, [])
    assert list(parsed.tables) == ["crm_contacts"]
    persons = _rows(parsed, "crm_contacts")
    assert persons["41"] == {
        "crm": "pipedrive",
        "contact_id": "41",
        "first_name": "Anouk",
        "last_name": "de Vries",
        "full_name": "Anouk de Vries",
        "email": "anouk.devries@example.com",  # Work before Home
        "phone": "+31 6 12345678",  # the only phone: Mobile
        "company": "De Haven B.V.",
        "lifecycle_stage": None,
        "lead_status": None,
        "created_at": _t("2026-07-20 09:12"),
        "created_at_utc": _t("2026-07-20 07:12"),
        "became_lead_at": None,
        "became_customer_at": None,
        "became_customer_at_utc": None,
        "is_converted": None,
        "converted_date": None,
        "original_source": "Organic search",
        "snapshot_at": _t("2026-12-01 11:00"),
        "_row_number": 2,
    }
    pieter = persons["42"]
    # No work email: Home comes before Other; Work phone before Mobile.
    assert (pieter["email"], pieter["phone"]) == ("pieter.bakker@example.net", "030 123 4567")
    assert (pieter["created_at"], pieter["created_at_utc"], pieter["original_source"]) == (
        _t("2026-09-01 00:00"),
        _t("2026-08-31 22:00"),
        None,
    )
    assert (persons["43"]["email"], persons["43"]["phone"]) == (None, None)


def test_bad_status_mangled_id_and_repeated_id_are_quarantined(tmp_path):
    text = (
        "Deal - ID,Deal - Title,Deal - Value,Deal - Status,Deal - Deal created\n"
        "1,A,10,Won,2026-09-01 10:00:00\n"
        "2,B,10,Gewonnen,2026-09-01 10:00:00\n"
        "3.1E+04,C,10,Open,2026-09-01 10:00:00\n"
        "1,D,10,Open,2026-09-02 10:00:00\n"
        "5,E,-10,Open,2026-09-02 10:00:00\n"
    )
    path = tmp_path / "deals.csv"
    path.write_text(text, encoding="utf-8")
    parsed = _read(path)
    assert [(r.line, r.column, r.check, r.value) for r in parsed.rejected] == [
        (3, "Deal - Status", "status is Open, Won or Lost", "Gewonnen"),
        (4, "Deal - ID", MANGLED_ID, "3.1E+04"),
        (5, "Deal - ID", "one row per id (also on line 2)", "1"),
        (6, "Deal - Value", "amount >= 0", "-10"),
    ]
    assert list(_rows(parsed, "crm_deals")) == ["1"]


def test_a_deals_export_without_status_is_refused(tmp_path):
    path = tmp_path / "deals.csv"
    path.write_text("Deal - ID,Deal - Title,Deal - Deal created\n1,A,2026-09-01\n", "utf-8")
    with pytest.raises(
        FileRefused, match=r"crm/deals\.csv, line 1: required column missing: Deal - Status"
    ):
        _read(path)


def _hash(value: str) -> str:
    return hmac.new(b"test-salt", value.encode(), hashlib.sha256).hexdigest()


def test_pipedrive_files_load_into_the_raw_layer_with_hashed_personal_data(tmp_path):
    landing = tmp_path / "landing"
    (landing / "crm").mkdir(parents=True)
    for fixture in (DEALS, OLD_DEALS, PERSONS):
        shutil.copy(fixture, landing / "crm" / fixture.name)
    raw = tmp_path / "raw"
    report = ingest_source(SOURCES["crm"], landing, RawStore(raw), "load-1", OPTIONS)
    assert not report.problems, report.problems
    assert (report.files_loaded, report.rows_loaded) == (3, 4 + 2 + 3)
    with duckdb.connect() as con:
        deals = con.execute(
            f"select crm, count(*) from read_parquet('{raw}/crm_deals/*.parquet') group by crm"
        ).fetchall()
        persons = con.execute(
            "select full_name_hash, email_hash, phone_hash from "
            f"read_parquet('{raw}/crm_contacts/*.parquet') where contact_id = '41'"
        ).fetchall()
    assert deals == [("pipedrive", 6)]
    # names lower-cased, e-mails lower-cased, phones reduced to digits and +
    assert persons == [
        (_hash("anouk de vries"), _hash("anouk.devries@example.com"), _hash("+31612345678"))
    ]
