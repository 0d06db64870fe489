"""Google Ads UI report downloads (campaign report with the Day segment).

Handles English and Dutch headers and number locales, UTF-8 (with BOM) and UTF-16LE tab-separated
"CSV for Excel", ',' ';' or tab delimiters, title and date-range lines above the header, total rows
below the data and `--` as null. A report without a day column is refused: it covers a whole date
range and cannot feed daily or weekly KPIs.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from pipelines.ingest import native
from pipelines.ingest import sql_values as v
from pipelines.ingest.columns import AtLeast, Cell, DeclaredChecks, RawColumn, RawTable
from pipelines.ingest.errors import FileRefused
from pipelines.ingest.native import Check, Column
from pipelines.ingest.native_csv import (
    UNSAVED,
    CsvFile,
    Layer,
    TableSpec,
    path_or_bytes,
    read_table,
    refusal,
)
from pipelines.ingest.options import IngestOptions
from pipelines.ingest.parsed import Lineage, ParsedFile
from pipelines.ingest.source import Source
from pipelines.ingest.text_files import find_header, head_text

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
TEXT_COLUMNS = ("campaign_id", "campaign_name", "campaign_status", "campaign_type", "currency_code")

_NON_NEGATIVE = (AtLeast(0),)
RAW_TABLE = RawTable(
    TABLE,
    (
        RawColumn(
            "date_day",
            "date",
            nullable=False,
            missing="date is a real calendar day",
            description="The report's Day column (account time zone).",
        ),
        RawColumn("campaign_id", "str"),
        RawColumn("campaign_name", "str", nullable=False, missing="campaign is not empty"),
        RawColumn("campaign_status", "str"),
        RawColumn("campaign_type", "str"),
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
    description="One row per day and campaign of a Google Ads campaign report with the Day "
    "segment.",
    day="date_day",
    volume_checked=True,
)
SCHEMA = RAW_TABLE.arrow_schema


def _canonical(cell: str) -> str | None:
    return COLUMN_NAMES.get(cell.strip().lower())


def _looks_like_header(cells: list[str]) -> bool:
    names = {_canonical(c) for c in cells}
    return "campaign_name" in names and "cost" in names


def parse(
    data: bytes | Path, file: str, workdir: Path | None = None, lineage: Lineage = UNSAVED
) -> ParsedFile:
    """Read a report given as a path (rows staged as Parquet in `workdir`) or as bytes (rows
    returned as a table). The header is found by Python in the first lines; the rows are typed,
    checked and written to Parquet by DuckDB (streamed, any size)."""

    def read(path: Path, scratch: Path, salt: str | None) -> ParsedFile:
        return _parse_path(path, file, scratch, lineage)

    return path_or_bytes(data, workdir, read, {TABLE: SCHEMA}, None)


def _parse_path(path: Path, file: str, workdir: Path, lineage: Lineage) -> ParsedFile:
    text, encoding = head_text(path, file)
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
            "(Segmenten > Tijd > Dag) to the report and download it again.",
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
    lines = header.index + 1
    csv = CsvFile(path, encoding, header.delimiter, lines_before=lines, width=len(header.cells))
    summary = "regexp_matches(coalesce(c0, ''), '(?i)^\\s*(total|totaal|totals|totalen)\\b')"
    dutch = any(c.strip().lower() in DUTCH_WORDS for c in header.cells)
    with native.connect(workdir) as con:
        sample = f"(select * from {csv.read_sql(parallel=False)} where not {summary} limit 20000)"
        try:
            decimal = _decimal_separator(
                con, sample, position, default="," if dutch else ".", file=file
            )
        except duckdb.Error as exc:
            raise refusal(file, "a Google Ads report", exc) from exc
    columns, checks, layers, windows = _columns_and_checks(position, header.cells, decimal)
    table = TableSpec(
        TABLE,
        SCHEMA,
        {},
        columns,
        checks,
        layers,
        windows,
        what="a Google Ads report",
        skip=summary,
    )
    parsed, _ = read_table(csv, table, name=file, workdir=workdir, lineage=lineage, salt=None)
    parsed.warnings.extend(warnings)
    return parsed


_DOT = r"^-?\d{1,3}(,\d{3})+\.\d+%?$|^-?\d+\.(\d{1,2}|\d{4,})%?$"
_COMMA = r"^-?\d{1,3}(\.\d{3})+,\d+%?$|^-?\d+,(\d{1,2}|\d{4,})%?$"


def _decimal_separator(
    con, sample: str, position: dict[str, int], *, default: str, file: str
) -> str:
    """Decide the file's decimal separator from the numeric cells of its first rows (one format
    per file, never per cell; 20,000 rows decide even the rare ambiguous files)."""
    cells = [f"c{position[c]}" for c in (*NUMBER_COLUMNS, *INTEGER_COLUMNS) if c in position]
    values = ", ".join(v.cleaned_number(c) for c in cells)
    unnested = f"select unnest([{values}]) as value from {sample}"  # the sample is read once
    dot, comma = con.execute(
        f"select count(*) filter (where contains(value, '.') and regexp_matches(value, '{_DOT}')), "
        f"count(*) filter (where contains(value, ',') and regexp_matches(value, '{_COMMA}')) "
        f"from ({unnested})"
    ).fetchone()
    if dot and comma:
        raise FileRefused(
            file,
            f"cannot decide the number format: numbers use both '.' ({dot} cells) and ',' "
            f"({comma} cells) as decimal separator",
        )
    return "." if dot else ("," if comma else default)


def _columns_and_checks(
    position: dict[str, int], header: list[str], decimal: str
) -> tuple[list[Column], list[Check], tuple[Layer, ...], tuple[Layer, ...]]:
    grouping = "," if decimal == "." else "."

    def cell(name: str) -> str:
        return f"c{position[name]}" if name in position else "cast(null as varchar)"

    def label(name: str) -> str:
        return header[position[name]] if name in position else name

    numeric = [n for n in (*NUMBER_COLUMNS, *INTEGER_COLUMNS) if n in position]
    day_raw = f"trim(coalesce({cell('date_day')}, ''))"
    # Each cell parsed once.
    parsed = [
        ("_day_raw", day_raw),
        ("_day", f"try_cast({day_raw} as date)"),
        ("_campaign", v.text(cell("campaign_name"))),
        *((f"_{n}", v.number(cell(n), decimal, percent=False)) for n in numeric),
        *((f"_bad_{n}", f"not {v.is_number_or_empty(cell(n), decimal)}") for n in numeric),
    ]
    key = f"_day, _campaign, {cell('campaign_id')}"
    windows = ([("_seen", f"row_number() over (partition by {key} order by _rn)")],)

    def number(name: str) -> str:
        return f"_{name}" if name in position else "cast(null as double)"

    cells = {
        "date_day": Cell("_day", label("date_day"), "_day_raw"),
        "campaign_name": Cell("_campaign", label("campaign_name"), "''"),
        **{
            n: Cell(number(n), label(n), f"coalesce({cell(n)}, '')", name=n)
            for n in (*NUMBER_COLUMNS, *INTEGER_COLUMNS)
        },
    }
    declared = DeclaredChecks(RAW_TABLE, cells)
    checks = [
        Check(
            "not regexp_matches(_day_raw, '^\\d{4}-\\d{2}-\\d{2}$')",
            label("date_day"),
            "date is YYYY-MM-DD",
            "_day_raw",
        ),
        *declared.presence("date_day"),
        *declared.of("campaign_name"),
    ]
    for name in numeric:
        checks.append(
            Check(
                f"_bad_{name}",
                label(name),
                f"is a number in this file's format (1{grouping}234{decimal}5)",
                cell(name),
            )
        )
        if name in INTEGER_COLUMNS:
            checks.append(
                Check(f"_{name} <> floor(_{name})", label(name), "is a whole number", cell(name))
            )
        checks += declared.rules(name)
    checks += [
        *declared.presence("cost"),
        *declared.rest(),
        Check(
            "_day > current_date + 1", label("date_day"), "date is not in the future", "_day_raw"
        ),
        Check("_seen > 1", label("date_day"), "one row per day and campaign", "_day_raw"),
    ]

    columns = [
        Column("date_day", "date", "_day"),
        Column("campaign_id", "varchar", v.text(cell("campaign_id"))),
        Column("campaign_name", "varchar", "_campaign"),
        Column("campaign_status", "varchar", v.text(cell("campaign_status"))),
        Column("campaign_type", "varchar", v.text(cell("campaign_type"))),
        Column("currency_code", "varchar", v.text(cell("currency_code"))),
        Column("impressions", "bigint", number("impressions")),
        Column("clicks", "bigint", number("clicks")),
        Column("cost", "double", number("cost")),
        Column("conversions", "double", number("conversions")),
        Column("conversion_value", "double", number("conversion_value")),
    ]
    return columns, checks, (parsed,), windows


def read(path: Path, lineage: Lineage, options: IngestOptions, workdir: Path) -> ParsedFile:
    return _parse_path(path, lineage.source_file, workdir, lineage)


SOURCE = Source(
    name="google_ads",
    label="Google Ads",
    description="Google Ads campaign reports with the Day segment (UI downloads).",
    tables=(RAW_TABLE,),
    coverage=TABLE,
    read=read,
)
