"""Microsoft Advertising campaign performance reports (daily), as the UI or the API downloads them.

Handles the UTF-8 BOM, the quoted preamble up to the header (`Report Name`, `Report Time`, `Time
Zone`, `Report Aggregation`, `Rows: N`, ...), the `©... Microsoft Corporation` footer after the
data (not data: set aside, never quarantined), quoted numbers with thousands separators
(`2,565.17`) and both the UI display names of the columns (which changed over the years) and the
API's compact names. A report without a day column, or not aggregated daily, is refused with the
fix; when the preamble says `Rows: N`, a file that holds another number of rows (a cut download)
is refused.
"""

from __future__ import annotations

import re
from pathlib import Path

from pipelines.ingest.ad_days import DayColumns, day_sql
from pipelines.ingest.columns import AtLeast, RawColumn, RawTable
from pipelines.ingest.errors import FileRefused
from pipelines.ingest.native_csv import CsvFile, TableSpec, read_table
from pipelines.ingest.options import IngestOptions
from pipelines.ingest.parsed import Lineage, ParsedFile
from pipelines.ingest.source import Source
from pipelines.ingest.text_files import find_header, head_text, split_rows

TABLE = "microsoft_ads_campaign_days"

# Header text (lower case, spaces removed) -> canonical column: UI display names of every period
# and the API's compact names.
COLUMN_NAMES: dict[str, str] = {
    "gregoriandate": "date_day",
    "date": "date_day",
    "day": "date_day",
    "timeperiod": "date_day",
    "campaignid": "campaign_id",
    "campaignname": "campaign_name",
    "campaign": "campaign_name",
    "campaignstatus": "campaign_status",
    "currencycode": "currency_code",
    "currency": "currency_code",
    "impressions": "impressions",
    "impr.": "impressions",
    "clicks": "clicks",
    "spend": "cost",
    "conversions": "conversions",
    "conv.": "conversions",
    "revenue": "conversion_value",
}
# Derived or unneeded columns of the standard report: ignored without a warning.
KNOWN_UNUSED = {
    "ctr",
    "avg.cpc",
    "averagecpc",
    "averagecpm",
    "avg.cpm",
    "returnonadspend",
    "conversionrate",
    "conv.rate",
    "costperconversion",
    "cost/conv.",
    "accountname",
    "accountid",
    "accountnumber",
    "campaigntype",
    "budget",
    "budgetname",
    "budgettype",
    "impressionshare",
    "impressionshare(%)",
    "allconversions",
    "allrevenue",
}
REQUIRED = ("date_day", "campaign_name", "cost")
KINDS = DayColumns(
    integers=("impressions", "clicks"),
    numbers=("cost", "conversions", "conversion_value"),
    texts=("campaign_id", "campaign_name", "campaign_status", "currency_code"),
    key=("campaign_name", "campaign_id"),
)

_NON_NEGATIVE = (AtLeast(0),)
RAW_TABLE = RawTable(
    TABLE,
    (
        RawColumn("date_day", "date", nullable=False, missing="date is a real calendar day"),
        RawColumn("campaign_id", "str"),
        RawColumn("campaign_name", "str", nullable=False, missing="campaign is not empty"),
        RawColumn("campaign_status", "str"),
        RawColumn("currency_code", "str"),
        RawColumn("impressions", "int", rules=_NON_NEGATIVE),
        RawColumn("clicks", "int", rules=_NON_NEGATIVE),
        RawColumn("cost", "float", nullable=False, rules=_NON_NEGATIVE, missing="cost is present"),
        RawColumn("conversions", "float", rules=_NON_NEGATIVE),
        RawColumn("conversion_value", "float", rules=_NON_NEGATIVE),
    ),
    # A campaign appears once per day within one delivered file.
    unique=("date_day", "campaign_name", "campaign_id"),
    entity="campaign_days",
    description=(
        "One row per day and campaign of a Microsoft Advertising campaign performance report "
        "aggregated daily."
    ),
    day="date_day",
    volume_checked=True,
)
SCHEMA = RAW_TABLE.arrow_schema

# The footer line: `"©2026 Microsoft Corporation. All rights reserved. "`.
FOOTER = (
    "regexp_matches(coalesce(c0, ''), '^\\s*(©|\\(c\\))?\\s*\\d{0,4}\\s*Microsoft Corporation')"
)
_PREAMBLE = re.compile(r"^\s*([A-Za-z][A-Za-z ]*?)\s*:\s*(.*?)\s*$")


def _footer(width: int) -> str:
    """The footer: a line of one cell only (a campaign "Microsoft Corporation ..." is data)."""
    rest = [f"coalesce(trim(c{i}), '') = ''" for i in range(1, width)]
    return " and ".join([FOOTER, *rest])


def _canonical(cell: str) -> str | None:
    return COLUMN_NAMES.get(cell.strip().lower().replace(" ", ""))


def _looks_like_header(cells: list[str]) -> bool:
    names = {_canonical(c) for c in cells}
    return "campaign_name" in names and "cost" in names


def _preamble(lines: list[str]) -> dict[str, str]:
    """`"Key: value"` lines before the header, by lower-case key."""
    found: dict[str, str] = {}
    for row in split_rows("\n".join(lines), ","):
        text = ",".join(row).strip().lstrip("\ufeff")
        match = _PREAMBLE.match(text)
        if match:
            found.setdefault(match.group(1).lower(), match.group(2))
    return found


def read(path: Path, lineage: Lineage, options: IngestOptions, workdir: Path) -> ParsedFile:
    """Read one report: the header and preamble found by Python in the first lines, the rows typed,
    checked and written to Parquet in `workdir` by DuckDB (streamed, any size). `options` are not
    used (the report's numbers are always English-formatted)."""
    file = lineage.source_file
    if path.suffix.lower() in {".xlsx", ".xls"}:
        raise FileRefused(
            file,
            "Excel workbooks are not read; download the report as CSV (Download > CSV) instead",
        )
    text, encoding = head_text(path, file)
    header = find_header(text, _looks_like_header, candidates=(",", "\t", ";"))
    if header is None:
        raise FileRefused(
            file,
            "no Microsoft Advertising report header found (expected columns such as Time period / "
            "Gregorian date, Campaign name, Spend within the first 30 lines)",
        )
    preamble = _preamble(text.splitlines()[: header.index])
    columns = [_canonical(c) for c in header.cells]
    aggregation = preamble.get("report aggregation", "")
    if "date_day" not in columns or (aggregation and aggregation.lower() != "daily"):
        period = preamble.get("report time", "")
        covered = f" ({period})" if period else ""
        why = (
            f"is aggregated '{aggregation}'"
            if aggregation and aggregation.lower() != "daily"
            else "has no day column"
        )
        raise FileRefused(
            file,
            f"this report {why}, so its rows cover more than one day{covered} and cannot feed "
            "daily or weekly KPIs. In Microsoft Advertising, set the report's Time to Daily (and "
            "keep the column Time period / Gregorian date) and download it again.",
            line=header.index + 1,
        )
    missing = [c for c in REQUIRED if c not in columns]
    if missing:
        raise FileRefused(
            file, f"required column(s) missing: {', '.join(missing)}", line=header.index + 1
        )
    expected = _expected_rows(preamble, file)
    warnings = [
        f"column '{cell}' is not used and was ignored"
        for cell, canonical in zip(header.cells, columns, strict=True)
        if canonical is None and cell and cell.strip().lower().replace(" ", "") not in KNOWN_UNUSED
    ]
    position: dict[str, int] = {}
    for index, name in enumerate(columns):
        if name is not None:
            position.setdefault(name, index)
    csv = CsvFile(
        path, encoding, header.delimiter, lines_before=header.index + 1, width=len(header.cells)
    )
    sql = day_sql(RAW_TABLE, KINDS, position, header.cells)
    table = TableSpec(
        TABLE,
        SCHEMA,
        {},
        sql.columns,
        sql.checks,
        sql.layers,
        sql.windows,
        what="a Microsoft Advertising report",
        skip=_footer(len(header.cells)),
    )
    parsed, _ = read_table(csv, table, name=file, workdir=workdir, lineage=lineage, salt=None)
    if expected is not None and parsed.rows_read != expected:
        for staged in parsed.staged.values():
            staged.unlink(missing_ok=True)
        raise FileRefused(
            file,
            f"the report's preamble says Rows: {expected}, but the file holds {parsed.rows_read} "
            "data rows: the download is incomplete (cut off or edited). Download the report again.",
        )
    if preamble and parsed.summary_rows == 0:
        warnings.append(
            "the Microsoft Corporation footer line is missing: the file may have been cut off"
        )
    parsed.warnings.extend(warnings)
    return parsed


def _expected_rows(preamble: dict[str, str], file: str) -> int | None:
    value = preamble.get("rows")
    if value is None:
        return None
    digits = value.replace(",", "").strip()
    if not digits.isdigit():
        raise FileRefused(file, f"the preamble's 'Rows: {value}' is not a row count")
    return int(digits)


SOURCE = Source(
    name="microsoft_ads",
    label="Microsoft Advertising",
    description="Microsoft Advertising campaign performance reports with a daily time column.",
    tables=(RAW_TABLE,),
    coverage=TABLE,
    read=read,
)
