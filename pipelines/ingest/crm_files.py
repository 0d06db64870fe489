"""What the HubSpot and Pipedrive readers share: reading a CRM export (CSV or XLSX) into a header
and numbered rows, matching headers through an alias table, CRM times into the warehouse's two
clocks, text ids, and the declared row rules of `crm_tables`.

CRM exports are read whole, in Python: they are snapshots of a CRM's deals or contacts (tens of
thousands of rows at most, a few MB), their headers follow the user's saved view and need an alias
table, and their cells need per-row decisions (a stage label per pipeline, an Excel-mangled id)
that are clearer in Python than in SQL. A file beyond `MAX_BYTES` is no CRM export and is refused
before it is read.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import zipfile
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import pyarrow as pa

from pipelines.ingest.columns import RawTable, first_broken_rule
from pipelines.ingest.errors import CellRejected, FileRefused, RejectedRow
from pipelines.ingest.parsed import Lineage, ParsedFile
from pipelines.ingest.text_files import (
    decode,
    detect_decimal_separator,
    parse_number,
    physical_line_numbers,
)

# A CRM export of 100,000 records with 40 columns is about 40 MB of CSV; HubSpot splits larger
# exports into a zip of several files.
MAX_BYTES = 128 * 2**20
XLSX_SUFFIXES = (".xlsx", ".xlsm")
_SCIENTIFIC = re.compile(r"^[+-]?\d+(?:[.,]\d+)?[eE][+-]?\d+$")
_DATETIME = re.compile(r"^(\d{4})-(\d{2})-(\d{2})(?:[ T](\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?)?$")
MANGLED_ID = (
    "a plain id (Excel turned it into scientific notation; the digits are lost, export again "
    "without opening the file in Excel)"
)
DATETIME_FORMAT = "a date like 2026-09-22 or a time like 2026-09-22 08:36"
_TRUE = {"true", "yes", "1"}
_FALSE = {"false", "no", "0"}


@dataclass(frozen=True)
class Sheet:
    """The header and the data rows of one export; each row with the line (CSV) or sheet row
    (XLSX) it starts on."""

    header: list[str]
    rows: list[tuple[int, list[str]]]
    header_line: int = 1
    delimiter: str = ","  # `;` after a re-save in a European Excel: decimal commas then
    # A zip of several CSVs: (index in `rows` of the entry's first row, entry name) per entry;
    # lines are then the entry's own and the quarantine names the entry with the column.
    parts: tuple[tuple[int, str], ...] = ()

    def entry(self, index: int) -> str | None:
        """The zip entry the `index`-th row came from (None for a plain file)."""
        found = None
        for start, name in self.parts:
            if start <= index:
                found = name
        return found


def check_size(path: Path, file: str) -> None:
    size = path.stat().st_size
    if size > MAX_BYTES:
        raise FileRefused(
            file,
            f"{size / 2**20:,.0f} MB is far larger than a CRM export (100,000 records are about "
            f"40 MB); the limit is {MAX_BYTES // 2**20} MB. Export fewer records per file (for "
            "instance by create date)",
        )


def _delimiter(first_line: str) -> str:
    """`,` as HubSpot and Pipedrive write it, `;` after a re-save in a European Excel."""
    return ";" if first_line.count(";") > first_line.count(",") else ","


def _text(value: object) -> str:
    """An XLSX cell as the text a CSV export would hold."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return str(value)


def _xlsx_rows(path: Path, file: str, limit: int | None = None) -> list[list[str]]:
    from openpyxl import load_workbook  # only XLSX exports need it

    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises several kinds for a broken workbook
        raise FileRefused(file, f"not a readable XLSX workbook ({exc}); export it again") from exc
    try:
        sheet = workbook.worksheets[0]
        rows = []
        for values in sheet.iter_rows(values_only=True):
            rows.append([_text(v) for v in values])
            if limit is not None and len(rows) >= limit:
                break
        return rows
    finally:
        workbook.close()


def _csv_rows(text: str, delimiter: str) -> tuple[list[list[str]], list[int]]:
    rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    return rows, physical_line_numbers(text, delimiter)


def read_header(path: Path) -> list[str]:
    """The first row of an export, cheaply (for recognising whose export it is); [] when the file
    cannot be read as CSV or XLSX text."""
    try:
        if path.suffix.lower() in XLSX_SUFFIXES:
            rows = _xlsx_rows(path, path.name, limit=1)
        else:
            with path.open("rb") as handle:
                head = handle.read(65536)
            text = decode(head, path.name)
            first = text.split("\n", 1)[0].rstrip("\r")
            rows = list(csv.reader([first], delimiter=_delimiter(first)))
    except (FileRefused, OSError, csv.Error):
        return []
    return [c.strip().lstrip("\ufeff") for c in rows[0]] if rows else []


def _sheet(rows: list[list[str]], lines: list[int], delimiter: str, file: str) -> Sheet:
    """Header and non-empty data rows; duplicate header names are refused, naming them
    (HubSpot's "all properties" exports can hold two columns of one label)."""
    if not rows:
        raise FileRefused(file, "the export has no header row")
    header = [c.strip().lstrip("\ufeff") for c in rows[0]]
    while header and not header[-1]:
        header.pop()
    duplicates = sorted(name for name, n in Counter(h for h in header if h).items() if n > 1)
    if duplicates:
        raise FileRefused(
            file,
            "the header names these columns more than once: "
            + ", ".join(f"'{d}'" for d in duplicates)
            + "; remove or rename the extra columns in the export view and export again (which "
            "one holds the value cannot be told)",
            line=1,
        )
    numbered = zip(lines[1:], rows[1:], strict=True)
    body = [(line, row) for line, row in numbered if any(c.strip() for c in row)]
    return Sheet(header, body, delimiter=delimiter)


def header_of(first_row: list[str] | None, delimiter: str, file: str) -> list[str]:
    """The header of an export whose first row is `first_row`, refused as `read_sheet` refuses
    it (no header row, a column named twice)."""
    rows = [first_row] if first_row is not None else []
    return _sheet(rows, [1] * len(rows), delimiter, file).header


def _text_sheet(text: str, file: str) -> Sheet:
    delimiter = _delimiter(text.split("\n", 1)[0])
    rows, lines = _csv_rows(text, delimiter)
    return _sheet(rows, lines, delimiter, file)


def read_sheet(path: Path, file: str) -> Sheet:
    """The export's header (its first row) and its non-empty data rows (CSV or XLSX)."""
    check_size(path, file)
    if path.suffix.lower() in XLSX_SUFFIXES:
        rows = _xlsx_rows(path, file)
        return _sheet(rows, list(range(1, len(rows) + 1)), ",", file)
    return _text_sheet(decode(path.read_bytes(), file), file)


def _zip_entries(archive: zipfile.ZipFile) -> list[zipfile.ZipInfo]:
    """The CSV entries of a zip, in archive order (no folders, hidden files, `__MACOSX/`)."""
    return [
        info
        for info in archive.infolist()
        if not info.is_dir()
        and info.filename.lower().endswith(".csv")
        and not Path(info.filename).name.startswith(".")
        and not info.filename.startswith("__MACOSX/")
    ]


def zip_header(path: Path) -> list[str]:
    """The header of a zip's first CSV entry ([] when it has none or is no zip)."""
    try:
        with zipfile.ZipFile(path) as archive:
            entries = _zip_entries(archive)
            if not entries:
                return []
            with archive.open(entries[0]) as handle:
                head = handle.read(65536)
        text = decode(head, path.name)
    except (zipfile.BadZipFile, FileRefused, OSError, EOFError):
        return []
    first = text.split("\n", 1)[0].rstrip("\r")
    return [c.strip() for c in next(csv.reader([first], delimiter=_delimiter(first)), [])]


def read_zip_sheet(path: Path, file: str) -> Sheet:
    """A zip of several CSVs of one export (HubSpot splits large exports so) as one sheet: every
    entry must have the same header; the entries' uncompressed size is capped like a file's."""
    check_size(path, file)
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise FileRefused(file, f"not a readable zip archive ({exc})") from exc
    with archive:
        entries = _zip_entries(archive)
        if not entries:
            raise FileRefused(file, "the zip holds no CSV file")
        size = sum(info.file_size for info in entries)
        if size > MAX_BYTES:
            raise FileRefused(
                file,
                f"the zip's CSV files hold {size / 2**20:,.0f} MB, more than the "
                f"{MAX_BYTES // 2**20} MB limit of one CRM export; export fewer records per file",
            )
        first: Sheet | None = None
        rows: list[tuple[int, list[str]]] = []
        parts: list[tuple[int, str]] = []
        for info in entries:
            name = f"{file}: {info.filename}"
            try:
                data = archive.read(info)
            except (zipfile.BadZipFile, OSError, EOFError) as exc:
                raise FileRefused(name, f"the entry cannot be unpacked ({exc})") from exc
            sheet = _text_sheet(decode(data, name), name)
            if first is None:
                first = sheet
            elif sheet.header != first.header:
                raise FileRefused(
                    name,
                    f"its header differs from that of {entries[0].filename}: the zip must hold "
                    "the parts of one export",
                    line=1,
                )
            parts.append((len(rows), info.filename))
            rows.extend(sheet.rows)
    assert first is not None
    return Sheet(first.header, rows, delimiter=first.delimiter, parts=tuple(parts))


def find_column(header: list[str], aliases: Iterable[str]) -> int | None:
    """The position of the first alias the header has (labels compared in any case)."""
    folded = [h.casefold() for h in header]
    for alias in aliases:
        if alias.casefold() in folded:
            return folded.index(alias.casefold())
    return None


class Row:
    """One data row, its cells found by alias (`cell`); `original` is the row as text."""

    def __init__(
        self,
        line: int,
        cells: list[str],
        positions: Mapping[str, int | None],
        header: list[str],
        decimal: str = ".",
    ):
        self.line = line
        self.cells = cells
        self.positions = positions
        self.header = header
        self.decimal = decimal

    @property
    def original(self) -> str:
        out = io.StringIO()
        csv.writer(out, lineterminator="").writerow(self.cells)
        return out.getvalue()

    def has(self, field: str) -> bool:
        return self.positions.get(field) is not None

    def column(self, field: str) -> str:
        """The export's own label of a field (for the quarantine)."""
        position = self.positions.get(field)
        return self.header[position] if position is not None else field

    def cell(self, field: str) -> str:
        position = self.positions.get(field)
        if position is None or position >= len(self.cells):
            return ""
        return self.cells[position].strip()

    def text(self, field: str) -> str | None:
        return self.cell(field) or None

    def amount(self, field: str) -> float | None:
        """An amount in the file's number format (`4250.00`, `4,250.00`; `4250,00` in a file
        re-saved with `;`); empty is unknown."""
        try:
            return parse_number(self.cell(field), self.decimal)
        except ValueError as exc:
            raise CellRejected(self.column(field), f"a number ({exc})", self.cell(field)) from exc


def positions(header: list[str], aliases: Mapping[str, tuple[str, ...]]) -> dict[str, int | None]:
    return {name: find_column(header, names) for name, names in aliases.items()}


class Clock:
    """CRM times (no offset, in the CRM's time zone) as the warehouse stores them: local time in
    the reporting time zone and the instant in UTC, both without offset."""

    def __init__(self, crm_timezone: str, reporting_timezone: str, file: str):
        try:
            self.crm = ZoneInfo(crm_timezone)
            self.reporting = ZoneInfo(reporting_timezone)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise FileRefused(
                file, f"unknown time zone in crm.timezone or the reporting time zone: {exc}"
            ) from exc

    def from_crm(self, local: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
        """(reporting-local, UTC) of a CRM-local wall time. A wall time the clock change skips
        (02:30 on the last Sunday of March in Europe) is read with the offset before the change;
        one it repeats (02:30 on the last Sunday of October) as the first of the two."""
        utc = local.replace(tzinfo=self.crm).astimezone(dt.UTC)
        return self.from_utc(utc.replace(tzinfo=None)), utc.replace(tzinfo=None)

    def from_utc(self, utc: dt.datetime) -> dt.datetime:
        return utc.replace(tzinfo=dt.UTC).astimezone(self.reporting).replace(tzinfo=None)


def parse_crm_time(raw: str, column: str) -> dt.datetime | None:
    """`2026-09-22 08:36`, `2026-09-22 08:36:12` or a date only (`2026-09-22`: its midnight)."""
    if not raw:
        return None
    match = _DATETIME.match(raw)
    if not match:
        raise CellRejected(column, DATETIME_FORMAT, raw)
    year, month, day, hour, minute, second = (int(g) if g else 0 for g in match.groups())
    try:
        return dt.datetime(year, month, day, hour, minute, second)
    except ValueError as exc:
        raise CellRejected(column, "a real calendar day and time", raw) from exc


def parse_crm_date(raw: str, column: str) -> dt.date | None:
    """The local date of a date or time cell, as the CRM wrote it."""
    value = parse_crm_time(raw, column)
    return value.date() if value else None


def parse_id(raw: str, column: str) -> str | None:
    """An id stays text; one Excel turned into `1.80E+10` has lost its digits and is refused."""
    if not raw:
        return None
    if _SCIENTIFIC.match(raw):
        raise CellRejected(column, MANGLED_ID, raw)
    return raw


def parse_bool(raw: str, column: str) -> bool | None:
    """`true`/`false` or `Yes`/`No` (any case); empty is unknown."""
    if not raw:
        return None
    folded = raw.casefold()
    if folded in _TRUE:
        return True
    if folded in _FALSE:
        return False
    raise CellRejected(column, "true/false or Yes/No", raw)


def snapshot_from_name(name: str, pattern: re.Pattern[str], clock: Clock) -> dt.datetime | None:
    """Midnight (CRM time) of the date in an export's file name, in the reporting time zone."""
    match = pattern.search(name)
    if not match:
        return None
    try:
        day = dt.datetime.strptime(match.group("day"), "%Y-%m-%d")
    except ValueError:
        return None
    return clock.from_crm(day)[0]


def snapshot_at(
    name: str, pattern: re.Pattern[str] | None, lineage: Lineage, clock: Clock
) -> dt.datetime:
    """The export's own date when its file name says it, else the time it was loaded."""
    found = snapshot_from_name(name, pattern, clock) if pattern else None
    return found or clock.from_utc(lineage.loaded_at)


def broken_declared_rule(table: RawTable, record: Mapping[str, object]) -> tuple[str, str] | None:
    """(raw column, rule) of the first declared rule of `table` the typed row breaks, or None:
    every declared rule, whatever the reader checked before."""
    for column in table.columns:
        if column.checked:
            broken = first_broken_rule(column, record.get(column.name))
            if broken:
                return column.name, broken
    return None


def to_table(table: RawTable, records: list[dict[str, object]]) -> pa.Table:
    schema = table.arrow_schema
    return pa.table({f.name: [r.get(f.name) for r in records] for f in schema}, schema=schema)


def day_range(records: list[dict[str, object]]) -> tuple[dt.date | None, dt.date | None]:
    days = [r["created_at"].date() for r in records if r.get("created_at")]
    return (min(days), max(days)) if days else (None, None)


def decimal_separator(sheet: Sheet, where: Mapping[str, int | None], file: str) -> str:
    """The file's decimal separator, decided from all its amount cells (never per cell)."""
    columns = [p for p in where.values() if p is not None]
    values = (cells[p] for _, cells in sheet.rows for p in columns if p < len(cells))
    try:
        return detect_decimal_separator(values, "," if sheet.delimiter == ";" else ".")
    except ValueError as exc:
        raise FileRefused(file, f"the amounts cannot be read: {exc}") from exc


def _in(entry: str | None, where: str) -> str:
    """A column or line, with the zip entry it is in (when the export is a zip)."""
    return f"{entry}: {where}" if entry else where


def collect(
    sheet: Sheet,
    where: Mapping[str, int | None],
    table: RawTable,
    key: str,
    build: Callable[[Row], dict[str, object]],
    snapshot: dt.datetime,
    decimal: str = ".",
) -> ParsedFile:
    """The rows of one export as `table`: each row typed by `build` (which raises CellRejected
    for a cell it cannot read), checked against every declared rule of the table and for a
    repeated `key`; what fails goes to the quarantine with its line, column and text."""
    records: list[dict[str, object]] = []
    rejected: list[RejectedRow] = []
    seen: dict[str, str] = {}
    for index, (line, cells) in enumerate(sheet.rows):
        row = Row(line, cells, where, sheet.header, decimal)
        entry = sheet.entry(index)
        try:
            record = build(row)
        except CellRejected as exc:
            rejected.append(
                RejectedRow(line, _in(entry, exc.column), exc.check, exc.value, row.original)
            )
            continue
        broken = broken_declared_rule(table, record)
        if broken:
            name, rule = broken
            column = _in(entry, row.column(name))
            rejected.append(RejectedRow(line, column, rule, row.cell(name), row.original))
            continue
        value = str(record[key])
        if value in seen:
            rule = f"one row per id (also on {seen[value]})"
            rejected.append(
                RejectedRow(line, _in(entry, row.column(key)), rule, value, row.original)
            )
            continue
        seen[value] = _in(entry, f"line {line}")
        record.update(snapshot_at=snapshot, _row_number=line)
        records.append(record)
    first, last = day_range(records)
    return ParsedFile(
        rows_read=len(sheet.rows),
        rows_loaded=len(records),
        tables={table.name: to_table(table, records)},
        rejected=rejected,
        first_date=first,
        last_date=last,
    )
