"""Google Ads UI report downloads (campaign report with the Day segment).

Handles English and Dutch headers and number locales, UTF-8 (with BOM) and UTF-16LE tab-separated
"CSV for Excel", ',' ';' or tab delimiters, title and date-range lines above the header, total rows
below the data and `--` as null. A report without a day column is refused: it covers a whole date
range and cannot feed daily or weekly KPIs.
"""

from __future__ import annotations

import datetime as dt
import re

import pyarrow as pa

from pipelines.ingest.errors import FileRefused, RejectedRow
from pipelines.ingest.parsed import ParsedFile
from pipelines.ingest.text_files import (
    decode,
    detect_decimal_separator,
    find_header,
    latest_allowed_day,
    parse_number,
    physical_line_numbers,
    split_rows,
)

SOURCE = "google_ads"
TABLE = "google_ads_campaign_days"

# Header text (lower case) -> canonical column. English first, then Dutch.
COLUMN_NAMES: dict[str, str] = {
    "day": "date_day",
    "dag": "date_day",
    "campaign": "campaign_name",
    "campagne": "campaign_name",
    "campaign id": "campaign_id",
    "campagne-id": "campaign_id",
    "campaign status": "campaign_status",
    "campagnestatus": "campaign_status",
    "campaign type": "campaign_type",
    "campagnetype": "campaign_type",
    "currency code": "currency_code",
    "currency": "currency_code",
    "valutacode": "currency_code",
    "impr.": "impressions",
    "impressions": "impressions",
    "vertoningen": "impressions",
    "verton.": "impressions",
    "vert.": "impressions",
    "clicks": "clicks",
    "klikken": "clicks",
    "cost": "cost",
    "kosten": "cost",
    "conversions": "conversions",
    "conversies": "conversions",
    "conv.": "conversions",
    "conv. value": "conversion_value",
    "conv.waarde": "conversion_value",
    "conv. waarde": "conversion_value",
}
# Columns of the standard report that are derived (rates, averages) or not needed: read nothing
# from them, and do not warn about them. Any other unknown column is reported as schema drift.
KNOWN_UNUSED = {
    "ctr",
    "avg. cpc",
    "gem. cpc",
    "cost / conv.",
    "kosten/conv.",
    "conv. rate",
    "conversieratio",
    "conv. value / cost",
    "conv.waarde/kosten",
    "search impr. share",
    "zoekvert. aandeel",
    "all conv.",
    "all conv. value",
    "interactions",
    "interaction rate",
    "avg. cost",
}
DUTCH_WORDS = {"dag", "campagne", "kosten", "klikken", "vertoningen", "conversies", "conv.waarde"}
REQUIRED = ("date_day", "campaign_name", "cost", "conversions", "conversion_value")
INTEGER_COLUMNS = ("impressions", "clicks")
NUMBER_COLUMNS = ("cost", "conversions", "conversion_value")
NON_NEGATIVE = ("impressions", "clicks", "cost", "conversions", "conversion_value")
TEXT_COLUMNS = ("campaign_id", "campaign_name", "campaign_status", "campaign_type", "currency_code")

SCHEMA = pa.schema(
    [
        ("date_day", pa.date32()),
        ("campaign_id", pa.string()),
        ("campaign_name", pa.string()),
        ("campaign_status", pa.string()),
        ("campaign_type", pa.string()),
        ("currency_code", pa.string()),
        ("impressions", pa.int64()),
        ("clicks", pa.int64()),
        ("cost", pa.float64()),
        ("conversions", pa.float64()),
        ("conversion_value", pa.float64()),
        ("_row_number", pa.int64()),
    ]
)
_SUMMARY = re.compile(r"^\s*(total|totaal|totals|totalen)\b", re.IGNORECASE)
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _canonical(cell: str) -> str | None:
    return COLUMN_NAMES.get(cell.strip().lower())


def _looks_like_header(cells: list[str]) -> bool:
    names = {_canonical(c) for c in cells}
    return "campaign_name" in names and "cost" in names


def parse(data: bytes, file: str) -> ParsedFile:
    text = decode(data, file)
    header = find_header(text, _looks_like_header)
    if header is None:
        raise FileRefused(
            file,
            "no Google Ads report header found (expected columns such as Day, Campaign, Cost / "
            "Dag, Campagne, Kosten within the first 30 lines)",
        )
    lines_before = text.splitlines()[: header.index]
    columns = [_canonical(c) for c in header.cells]
    if "date_day" not in columns:
        period = next((ln.strip().strip('"') for ln in lines_before[1:2] if ln.strip()), "")
        covered = f" ({period})" if period else ""
        raise FileRefused(
            file,
            f"this report has no Day column, so it covers the whole date range{covered} and cannot "
            "feed daily or weekly KPIs. In Google Ads, add the segment Time > Day "
            "(Segmenten > Tijd "
            "> Dag) to the report and download it again.",
            line=header.index + 1,
        )
    missing = [c for c in REQUIRED if c not in columns]
    if missing:
        names = ", ".join(missing)
        raise FileRefused(file, f"required column(s) missing: {names}", line=header.index + 1)
    warnings = [
        f"column '{cell}' is not used and was ignored"
        for cell, canonical in zip(header.cells, columns, strict=True)
        if canonical is None and cell and cell.strip().lower() not in KNOWN_UNUSED
    ]
    position = {name: i for i, name in enumerate(columns) if name is not None}

    rows = split_rows(text, header.delimiter)
    line_numbers = physical_line_numbers(text, header.delimiter)
    data_rows = [
        (line_numbers[i], row)
        for i, row in enumerate(rows)
        if i > header.index and any(cell.strip() for cell in row)
    ]
    summary = [(ln, r) for ln, r in data_rows if r and _SUMMARY.match(r[0] or "")]
    data_rows = [(ln, r) for ln, r in data_rows if not (r and _SUMMARY.match(r[0] or ""))]

    dutch = any(c.strip().lower() in DUTCH_WORDS for c in header.cells)
    numeric_cells = [
        row[position[c]]
        for _, row in data_rows
        for c in (*NUMBER_COLUMNS, *INTEGER_COLUMNS)
        if c in position and position[c] < len(row)
    ]
    try:
        decimal = detect_decimal_separator(numeric_cells, default="," if dutch else ".")
    except ValueError as exc:
        raise FileRefused(file, f"cannot decide the number format: {exc}") from exc

    values: dict[str, list] = {field.name: [] for field in SCHEMA}
    rejected: list[RejectedRow] = []
    seen: dict[tuple, int] = {}
    last_day = latest_allowed_day()
    for line, row in data_rows:
        original = header.delimiter.join(row)
        record, problem = _convert(row, position, decimal)
        if problem is None and record["date_day"] > last_day:
            problem = ("date_day", "date is not in the future", str(record["date_day"]))
        if problem is None:
            key = (record["date_day"], record["campaign_name"], record["campaign_id"])
            if key in seen:
                problem = (
                    "date_day",
                    f"one row per day and campaign (also on line {seen[key]})",
                    str(record["date_day"]),
                )
            else:
                seen[key] = line
        if problem is not None:
            column, check, value = problem
            header_text = header.cells[position[column]] if column in position else column
            rejected.append(RejectedRow(line, header_text, check, value, original))
            continue
        record["_row_number"] = line
        for name in values:
            values[name].append(record.get(name))
    table = pa.table(values, schema=SCHEMA)
    dates = values["date_day"]
    return ParsedFile(
        tables={TABLE: table},
        rows_read=len(data_rows),
        rows_loaded=table.num_rows,
        rejected=rejected,
        summary_rows=len(summary),
        first_date=min(dates) if dates else None,
        last_date=max(dates) if dates else None,
        warnings=warnings,
    )


def _cell(row: list[str], position: dict[str, int], column: str) -> str:
    index = position.get(column)
    if index is None or index >= len(row):
        return ""
    return row[index].strip()


def _convert(
    row: list[str], position: dict[str, int], decimal: str
) -> tuple[dict[str, object], tuple[str, str, str] | None]:
    record: dict[str, object] = {}
    raw_day = _cell(row, position, "date_day")
    if not _ISO_DATE.match(raw_day):
        return record, ("date_day", "date is YYYY-MM-DD", raw_day)
    try:
        record["date_day"] = dt.date.fromisoformat(raw_day)
    except ValueError:
        return record, ("date_day", "date is a real calendar day", raw_day)
    for column in TEXT_COLUMNS:
        value = _cell(row, position, column)
        record[column] = value or None
    if not record["campaign_name"]:
        return record, ("campaign_name", "campaign is not empty", "")
    for column in (*NUMBER_COLUMNS, *INTEGER_COLUMNS):
        raw = _cell(row, position, column)
        try:
            number = parse_number(raw, decimal)
        except ValueError as exc:
            return record, (column, str(exc), raw)
        if column in INTEGER_COLUMNS and number is not None:
            if number != int(number):
                return record, (column, "is a whole number", raw)
            number = int(number)
        if column in NON_NEGATIVE and number is not None and number < 0:
            return record, (column, f"{column} >= 0", raw)
        record[column] = number
    if record["cost"] is None:
        return record, ("cost", "cost is present", _cell(row, position, "cost"))
    return record, None
