"""The DuckDB reader of HubSpot CSV exports against the Python reader (`crm_hubspot.read_python`).

For every HubSpot CSV fixture, the broken exports of the other HubSpot tests and seeded random
exports (stages of several pipelines in any case, amounts with either decimal separator, times
around the clock changes, blank and padded cells, Excel-mangled and repeated ids, rows breaking
the declared rules, quoted cells with commas and line breaks, blank rows, short rows), both
readers must give the same raw Parquet rows as the store keeps them (every column, hashes and
lineage included), the same quarantined rows (line, column, rule, value, original text), the
same counts and dates, or the same refusal.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import random
import re
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from pipelines.ingest import crm_hubspot
from pipelines.ingest.crm_tables import TABLES
from pipelines.ingest.errors import FileRefused
from pipelines.ingest.options import CrmOptions, HubSpotOptions, IngestOptions
from pipelines.ingest.parsed import Lineage
from pipelines.ingest.pii import add_hash_columns
from pipelines.ingest.raw_store import RawStore
from tests.ingest import test_declared_rules as declared

FIXTURES = Path(__file__).parent.parent / "fixtures"
CSV_FIXTURES = sorted(
    [
        *(FIXTURES / "crm").glob("hubspot*.csv"),
        *(FIXTURES / "crm_kpis" / "landing" / "crm").glob("hubspot*.csv"),
    ]
)
LOADED_AT = dt.datetime(2026, 12, 1, 10, 0)
SALT = "test-salt"
STAGES = HubSpotOptions(
    won_stages={"*": ["Closed won"], "Tenders": ["Gunning"], "Groot": ["Großauftrag"]},
    lost_stages={"*": ["Closed lost"], "Tenders": ["Niet gegund"], "Groot": ["Verloren"]},
)
OPTIONS = IngestOptions(pii_salt=SALT, crm=CrmOptions(hubspot=STAGES))
NEW_YORK = IngestOptions(
    pii_salt=SALT,
    reporting_timezone="Europe/Amsterdam",
    crm=CrmOptions(timezone="America/New_York", hubspot=STAGES, company_currency="USD"),
)
TABLE = {t.name: t for t in TABLES}


def _outcome(path: Path, options: IngestOptions, tmp: Path, native: bool) -> dict:
    """What one reader makes of `path`: the raw Parquet rows as the store writes them (lineage
    and hashes), the quarantine, the counts and dates; or the refusal."""
    lineage = Lineage(f"crm/{path.name}", "hash", "load-1", LOADED_AT)
    work = tmp / ("native" if native else "python")
    work.mkdir(parents=True, exist_ok=True)
    store = RawStore(work / "raw")
    try:
        if native:
            parsed = crm_hubspot.load(path, lineage, options, work)
        else:
            parsed = crm_hubspot.read_python(path, lineage, options, work)
    except FileRefused as exc:
        return {"refused": (exc.file, str(exc))}
    assert not (parsed.staged and parsed.tables)
    for name, table in parsed.tables.items():  # as the runner stores them
        pii = TABLE[name].pii
        store.write_rows(name, add_hash_columns(table, pii, SALT) if pii else table, lineage)
    for name, staged in parsed.staged.items():
        store.move_staged(name, staged, lineage)
    rows = {
        name: pq.read_table(store.table_dir(name))
        for name in TABLE
        if store.table_dir(name).exists()
    }
    return {
        "rows": rows,
        "rejected": parsed.rejected,
        "counts": (parsed.rows_read, parsed.rows_loaded, parsed.first_date, parsed.last_date),
    }


def _assert_same(path: Path, options: IngestOptions, tmp: Path) -> dict:
    python = _outcome(path, options, tmp, native=False)
    native = _outcome(path, options, tmp, native=True)
    if "refused" in python or "refused" in native:
        assert native.get("refused") == python.get("refused")
        return python
    assert native["counts"] == python["counts"]
    assert native["rejected"] == python["rejected"]
    assert native["rows"].keys() == python["rows"].keys()
    for name, rows in python["rows"].items():
        other = native["rows"][name]
        assert other.schema == rows.schema, name
        assert other.to_pylist() == rows.to_pylist(), name
    return python


@pytest.mark.parametrize("fixture", CSV_FIXTURES, ids=lambda p: p.name)
@pytest.mark.parametrize("options", [OPTIONS, NEW_YORK], ids=["amsterdam", "new_york"])
def test_every_hubspot_csv_fixture_reads_the_same(fixture, options, tmp_path):
    outcome = _assert_same(fixture, options, tmp_path)
    assert outcome["counts"][0] > 0  # the fixture was read, not refused


HUBSPOT_CASES = {
    key: case for key, case in declared.CASES.items() if case.fixture.startswith("crm/hubspot")
}


@pytest.mark.parametrize("key", sorted(HUBSPOT_CASES), ids=declared._name)
def test_each_declared_rule_case_of_hubspot_is_quarantined_the_same(key, tmp_path):
    suffix, data, line = declared._landing_file(HUBSPOT_CASES[key])
    path = tmp_path / f"{declared._name(key)}{suffix}"
    path.write_bytes(data)
    outcome = _assert_same(path, declared.OPTIONS, tmp_path)
    assert [r.line for r in outcome["rejected"]] == [line]


def _edited(fixture: str, old: str, new: str, tmp: Path, name: str) -> Path:
    text = (FIXTURES / "crm" / fixture).read_text(encoding="utf-8")
    assert old in text
    path = tmp / name
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


DEALS_FIXTURE = "hubspot-crm-exports-all-deals-2026-11-20.csv"


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("18012345674,", "1.80E+10,"),  # Excel-mangled id
        ("2026-08-03 10:15", "2026-08-3 10:15"),  # a bad time
        (",Closed won,", ",,"),  # no stage
        ("Closed won,12400.00", "Closed won,-12400.00"),  # a negative amount
        ("Gunning", "Onderhandeling"),  # a stage the configuration misses
        ("18012345672,", "18012345671,"),  # a repeated id
        ("12400.00,12400.00", '12400.00,"12.400,00"'),  # both separators: refused
        ("12400.00,12400.00", "12400.00,12400.00,1"),  # a cell more than the header
        ("Record ID,", "Name,"),  # no HubSpot export: refused
    ],
)
def test_the_broken_exports_of_the_hubspot_tests_read_the_same(old, new, tmp_path):
    _assert_same(_edited(DEALS_FIXTURE, old, new, tmp_path, DEALS_FIXTURE), OPTIONS, tmp_path)


def test_a_semicolon_re_save_with_decimal_commas_reads_the_same(tmp_path):
    text = (FIXTURES / "crm" / DEALS_FIXTURE).read_text(encoding="utf-8")
    rows = list(csv.reader(io.StringIO(text)))
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    for row in rows:
        writer.writerow([c.replace(".", ",") if re.fullmatch(r"\d+\.\d+", c) else c for c in row])
    path = tmp_path / "deals-semicolons.csv"
    path.write_bytes(b"\xef\xbb\xbf" + out.getvalue().encode())
    outcome = _assert_same(path, OPTIONS, tmp_path)
    assert outcome["counts"][1] == 5


# Generated exports ---------------------------------------------------------------------------

DEAL_HEADER = [
    "Record ID",
    "Deal Name",
    "Pipeline",
    "Deal Stage",
    "Amount",
    "Amount in company currency",
    "Currency",
    "Close Date",
    "Create Date",
    "Deal owner",
    "Closed Lost Reason",
    "Original Traffic Source",
    "Is Deal Closed?",
]
CONTACT_HEADER = [
    "Contact ID",
    "First Name",
    "Last Name",
    "Email",
    "Phone Number",
    "Company Name",
    "Lifecycle Stage",
    "Create Date",
    "Became a Lead Date",
    "Became a Customer Date",
    "Original Source",
]
TIMES = [
    "2026-03-29 02:30",  # skipped by the spring change in Amsterdam
    "2026-03-08 02:30:00",  # skipped in New York
    "2026-10-25 02:30",  # repeated by the autumn change in Amsterdam
    "2026-11-01 01:30:00",  # repeated in New York
    "2026-10-25 01:59:59",
    "2026-10-25 03:00",
    "2026-09-22T08:36:12.5",
    "2026-09-22",
    "2026-02-30",  # no such day
    "2026-13-01 10:00",
    "2026-09-22 24:00",
    "22-09-2026",  # not the format
    "2026-9-22",
    "",
    "0000-01-01",
]
STAGE_LABELS = [
    ("Sales Pipeline", "Closed won"),
    ("Sales Pipeline", "CLOSED LOST"),
    ("Sales Pipeline", "Contract sent"),
    ("Tenders", "gunning"),
    ("Tenders", "Niet Gegund"),
    ("Tenders", "Closed won"),  # open there: the Tenders pipeline names its own stages
    ("Groot", "GROSSAUFTRAG"),  # casefold: ß is ss
    ("Groot", "verloren"),
    ("", "Closed won"),
    ("", ""),
]
FLAGS = ["", "", "true", "false", "Yes", "no", "TRUE", "1", "0", "maybe"]


def _amount(rng: random.Random, decimal: str) -> str:
    value = rng.choice([0, 1, 12.5, 999.99, 1234.5, 18900, 1234567.891])
    sign = "-" if rng.random() < 0.08 else ""
    group = "," if decimal == "." else "."
    plain = f"{value:.2f}".replace(".", decimal)
    grouped = f"{value:,.2f}".replace(",", "_").replace(".", decimal).replace("_", group)
    odd = [
        "",
        "--",
        "12%",
        "1.2E+3",
        "abc",
        f"1{group}23{group}4",
        f"<{plain}",
        f"{plain} ",
        f"1 234{decimal}5",
    ]
    if rng.random() < 0.15:
        return rng.choice(odd)
    return sign + (grouped if rng.random() < 0.3 else plain)


def _padded(rng: random.Random, text: str) -> str:
    if text and rng.random() < 0.1:
        return rng.choice([" ", "\t", "\xa0", "\u3000"]) + text + rng.choice(["", " ", "\xa0"])
    return text


def _id(rng: random.Random, seen: list[str]) -> str:
    roll = rng.random()
    if roll < 0.2 and seen:
        return rng.choice(seen)  # a repeated id
    if roll < 0.24:
        return rng.choice(["1.80E+10", "4.41E+09", "-1,5e3", ""])
    value = str(rng.randrange(10**9, 10**11))
    seen.append(value)
    return value


def _export(rng: random.Random, deals: bool, rows: int) -> tuple[str, list[list[str]]]:
    """A delimiter and rows (header first) of a generated export."""
    decimal = rng.choice([".", ","]) if deals else "."
    delimiter = ";" if decimal == "," else ","
    header = list(DEAL_HEADER if deals else CONTACT_HEADER)
    if rng.random() < 0.3:  # a column the view leaves out
        header.remove(rng.choice(header[4:]))
    seen: list[str] = []
    body: list[list[str]] = []
    for n in range(rows):
        pipeline, stage = rng.choice(STAGE_LABELS)
        values = {
            "Record ID": _id(rng, seen),
            "Contact ID": _id(rng, seen),
            "Deal Name": rng.choice(
                ["Loungeset, 6 pers.", 'Bank "Zeist"', "Tafel\nen stoelen", ""]
            ),
            "Pipeline": pipeline,
            "Deal Stage": stage,
            "Amount": _amount(rng, decimal),
            "Amount in company currency": _amount(rng, decimal),
            "Currency": rng.choice(["EUR", "usd", "", "Gbp"]),
            "Close Date": rng.choice(TIMES),
            "Create Date": rng.choice(TIMES[:8] + [""] * (n % 17 == 3)),
            "Deal owner": rng.choice(["Lotte Jansen", ""]),
            "Closed Lost Reason": rng.choice(["", "Te duur"]),
            "Original Traffic Source": rng.choice(["Organic Search", "", "Paid Social"]),
            "Original Source": rng.choice(["Organic Search", "", "Direct Traffic"]),
            "Is Deal Closed?": rng.choice(FLAGS),
            "First Name": rng.choice(["Anouk", "  Jan  Piet ", "", "ÉLODIE"]),
            "Last Name": rng.choice(["de Vries", "BAKKER", ""]),
            "Email": rng.choice(["Anouk@Example.com", " jan@example.nl ", ""]),
            "Phone Number": rng.choice(["+31 6 12345678", "(020) 555-0101", ""]),
            "Company Name": rng.choice(["De Haven B.V.", ""]),
            "Lifecycle Stage": rng.choice(["Lead", "Customer", ""]),
            "Became a Lead Date": rng.choice(TIMES),
            "Became a Customer Date": rng.choice(TIMES),
        }
        row = [_padded(rng, values[h]) for h in header]
        roll = rng.random()
        if roll < 0.04:
            row = [""] * len(header)  # a blank row
        elif roll < 0.06:
            row = [" ", "\t"] + [""] * (len(header) - 2)  # blank to Python's strip
        elif roll < 0.09:
            row = row[: rng.randrange(2, len(header))]  # a short row
        body.append(row)
    return delimiter, [header, *body]


def _write(path: Path, delimiter: str, rows: list[list[str]], rng: random.Random) -> Path:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator=rng.choice(["\n", "\r\n"]))
    for row in rows:
        writer.writerow(row)
        if rng.random() < 0.03:
            out.write("\n")  # an empty line
    data = out.getvalue().encode()
    path.write_bytes((b"\xef\xbb\xbf" if rng.random() < 0.3 else b"") + data)
    return path


@pytest.mark.parametrize("seed", range(24))
def test_generated_exports_read_the_same(seed, tmp_path):
    rng = random.Random(seed)
    deals = seed % 3 != 2
    delimiter, rows = _export(rng, deals, rng.randrange(20, 90))
    kind = "deals" if deals else "contacts"
    path = _write(
        tmp_path / f"hubspot-crm-exports-all-{kind}-2026-11-2{seed % 9}.csv", delimiter, rows, rng
    )
    outcome = _assert_same(path, NEW_YORK if seed % 4 == 1 else OPTIONS, tmp_path)
    if "refused" not in outcome:  # the generated rows exercise both outcomes
        assert outcome["rejected"] and outcome["counts"][1] > 0


def test_amounts_with_both_separators_are_refused_alike(tmp_path):
    rows = [
        DEAL_HEADER,
        ["1", "a", "", "Closed won", "1.5", "", "", "", "2026-09-01", "", "", "", ""],
    ]
    rows.append(["2", "b", "", "Closed won", "1,5", "", "", "", "2026-09-01", "", "", "", ""])
    path = _write(tmp_path / "mixed.csv", ",", rows, random.Random(1))
    outcome = _assert_same(path, OPTIONS, tmp_path)
    assert "both '.' (1 cells) and ',' (1 cells)" in outcome["refused"][1]


def test_ingestion_stages_a_csv_export_and_read_returns_tables(tmp_path):
    path = FIXTURES / "crm" / DEALS_FIXTURE
    lineage = Lineage(f"crm/{path.name}", "hash", "load-1", LOADED_AT)
    loaded = crm_hubspot.load(path, lineage, OPTIONS, tmp_path / "work")
    assert (loaded.tables, list(loaded.staged)) == ({}, ["crm_deals"])
    assert loaded.staged["crm_deals"].parent == tmp_path / "work"
    assert pq.read_table(loaded.staged["crm_deals"]).num_rows == 5
    read = crm_hubspot.read(path, lineage, OPTIONS, tmp_path / "elsewhere")
    assert (list(read.tables), read.staged) == (["crm_deals"], {})
    assert not (tmp_path / "elsewhere").exists()  # read stages nothing where it is called
