"""Google Ads UI report downloads (campaign report with the Day segment).

Handles English and Dutch headers and number locales, UTF-8 (with BOM) and UTF-16LE tab-separated
"CSV for Excel", ',' ';' or tab delimiters, title and date-range lines above the header, total rows
below the data and `--` as null. A report without a day column is refused: it covers a whole date
range and cannot feed daily or weekly KPIs.
"""

from __future__ import annotations

import datetime as dt
import re
import tempfile
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from pipelines.ingest import native
from pipelines.ingest.errors import FileRefused
from pipelines.ingest.parsed import Lineage, ParsedFile
from pipelines.ingest.text_files import find_header, head_text

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


def parse(
    data: bytes | Path, file: str, workdir: Path | None = None, lineage: Lineage | None = None
) -> ParsedFile:
    """Read a report given as bytes or as a path. The header is found by Python in the first
    lines; the rows are typed, checked and written to Parquet by DuckDB (streamed, any size)."""
    lineage = lineage or Lineage(file, "unsaved", "unsaved", dt.datetime(2000, 1, 1))
    if workdir is not None and isinstance(data, Path):
        return _parse_path(data, file, workdir, lineage)
    # Bytes (or no place to stage): parse in a scratch folder and hand back the rows themselves.
    with tempfile.TemporaryDirectory() as scratch:
        path = data if isinstance(data, Path) else Path(scratch) / "report.csv"
        if isinstance(data, bytes):
            path.write_bytes(data)
        parsed = _parse_path(path, file, Path(scratch), lineage)
        table = pq.read_table(parsed.staged.pop(TABLE))
        parsed.tables[TABLE] = table.select(SCHEMA.names)
        return parsed


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
    width = len(header.cells)
    names = [f"c{i}" for i in range(width)]
    header_line = header.index + 1
    source = (
        f"read_csv({native.quote(str(path))}, header = false, skip = {header.index + 1}, "
        f"all_varchar = true, delim = {native.quote(header.delimiter)}, quote = '\"', "
        f"escape = '\"', encoding = {native.quote(encoding)}, null_padding = true, "
        f"strict_mode = false, names = [{', '.join(native.quote(n) for n in names)}])"
    )
    everything = ", ".join(f"coalesce({n}, '')" for n in names)
    con = native.connect(workdir)
    try:
        lined = f"(select *, row_number() over () + {header_line} as _line from {source})"
        not_blank = f"trim(concat({everything})) <> ''"
        summary = "regexp_matches(coalesce(c0, ''), '(?i)^\\s*(total|totaal|totals|totalen)\\b')"
        summary_rows = con.execute(
            f"select count(*) from {lined} where {not_blank} and {summary}"
        ).fetchone()[0]
        data = f"(select * from {lined} where {not_blank} and not {summary})"
        dutch = any(c.strip().lower() in DUTCH_WORDS for c in header.cells)
        decimal = _decimal_separator(con, data, position, default="," if dutch else ".", file=file)
        checks, typed = _checks_and_columns(position, header.cells, decimal)
        original = f"concat_ws({native.quote(header.delimiter)}, {everything})"
        staged = workdir / f"{TABLE}.parquet"
        result = native.load(
            con,
            data,
            typed,
            checks,
            original,
            lineage,
            staged,
            first_line=0,
            row_number_column="_line",
        )
    except FileRefused:
        raise
    except Exception as exc:
        raise FileRefused(file, f"cannot be read as a Google Ads report: {exc}") from exc
    finally:
        con.close()
    return ParsedFile(
        rows_read=result.rows_read,
        rows_loaded=result.rows_loaded,
        staged={TABLE: staged},
        rejected=result.rejected,
        summary_rows=int(summary_rows),
        first_date=result.first_date,
        last_date=result.last_date,
        warnings=warnings,
    )


_DOT = r"^-?\d{1,3}(,\d{3})+\.\d+%?$|^-?\d+\.(\d{1,2}|\d{4,})%?$"
_COMMA = r"^-?\d{1,3}(\.\d{3})+,\d+%?$|^-?\d+,(\d{1,2}|\d{4,})%?$"


def _clean(cell: str) -> str:
    """SQL: the cell without spaces, no-break spaces and a leading < or >."""
    return f"ltrim(replace(replace(coalesce({cell}, ''), ' ', ''), chr(160), ''), '<>')"


def _decimal_separator(con, data: str, position: dict[str, int], *, default: str, file: str) -> str:
    """Decide the file's decimal separator from the numeric cells of its first rows (one format
    per file, never per cell; 20,000 rows decide even the rare ambiguous files)."""
    cells = [f"c{position[c]}" for c in (*NUMBER_COLUMNS, *INTEGER_COLUMNS) if c in position]
    sample = f"(select * from {data} limit 20000)"
    unnested = " union all ".join(f"select {_clean(c)} as v from {sample}" for c in cells)
    dot, comma = con.execute(
        f"select count(*) filter (where regexp_matches(v, '{_DOT}')), "
        f"count(*) filter (where regexp_matches(v, '{_COMMA}')) from ({unnested})"
    ).fetchone()
    if dot and comma:
        raise FileRefused(
            file,
            f"cannot decide the number format: numbers use both '.' ({dot} cells) and ',' "
            f"({comma} cells) as decimal separator",
        )
    return "." if dot else ("," if comma else default)


def _checks_and_columns(position: dict[str, int], header: list[str], decimal: str):
    grouping = "," if decimal == "." else "."
    group, point = re.escape(grouping), re.escape(decimal)
    valid_number = rf"^-?(\d{{1,3}}({group}\d{{3}})+|\d+)({point}\d+)?%?$"
    checks: list[native.Check] = []

    def cell(name: str) -> str:
        return f"c{position[name]}" if name in position else "cast(null as varchar)"

    def label(name: str) -> str:
        return header[position[name]] if name in position else name

    def number(name: str) -> str:
        cleaned = _clean(cell(name))
        return (
            f"case when {cleaned} in ('', '--') then null else try_cast(replace(replace("
            f"rtrim({cleaned}, '%'), '{grouping}', ''), '{decimal}', '.') as double) end"
        )

    day_raw = f"trim(coalesce({cell('date_day')}, ''))"
    day = f"try_cast({day_raw} as date)"
    campaign = f"nullif(trim(coalesce({cell('campaign_name')}, '')), '')"
    checks.append(
        native.Check(
            f"not regexp_matches({day_raw}, '^\\d{{4}}-\\d{{2}}-\\d{{2}}$')",
            label("date_day"),
            "date is YYYY-MM-DD",
            day_raw,
        )
    )
    checks.append(
        native.Check(f"{day} is null", label("date_day"), "date is a real calendar day", day_raw)
    )
    checks.append(
        native.Check(f"{campaign} is null", label("campaign_name"), "campaign is not empty", "''")
    )
    for name in (*NUMBER_COLUMNS, *INTEGER_COLUMNS):
        if name not in position:
            continue
        cleaned = _clean(cell(name))
        checks.append(
            native.Check(
                f"{cleaned} not in ('', '--') and not regexp_matches({cleaned}, '{valid_number}')",
                label(name),
                f"is a number in this file's format (1{grouping}234{decimal}5)",
                cell(name),
            )
        )
        if name in INTEGER_COLUMNS:
            checks.append(
                native.Check(
                    f"{number(name)} <> floor({number(name)})",
                    label(name),
                    "is a whole number",
                    cell(name),
                )
            )
        checks.append(native.Check(f"{number(name)} < 0", label(name), f"{name} >= 0", cell(name)))
    checks.append(
        native.Check(
            f"{number('cost')} is null",
            label("cost"),
            "cost is present",
            f"coalesce({cell('cost')}, '')",
        )
    )
    checks.append(
        native.Check(
            f"{day} > current_date + 1", label("date_day"), "date is not in the future", day_raw
        )
    )
    key = f"{day}, {campaign}, {cell('campaign_id')}"
    checks.append(
        native.Check(
            f"row_number() over (partition by {key} order by _line) > 1",
            label("date_day"),
            "one row per day and campaign",
            day_raw,
        )
    )

    def text(name: str) -> str:
        return f"nullif(trim(coalesce({cell(name)}, '')), '')"

    typed = [
        native.Column("date_day", "date", day),
        native.Column("campaign_id", "varchar", text("campaign_id")),
        native.Column("campaign_name", "varchar", campaign),
        native.Column("campaign_status", "varchar", text("campaign_status")),
        native.Column("campaign_type", "varchar", text("campaign_type")),
        native.Column("currency_code", "varchar", text("currency_code")),
        native.Column("impressions", "bigint", f"cast({number('impressions')} as bigint)"),
        native.Column("clicks", "bigint", f"cast({number('clicks')} as bigint)"),
        native.Column("cost", "double", number("cost")),
        native.Column("conversions", "double", number("conversions")),
        native.Column("conversion_value", "double", number("conversion_value")),
    ]
    return checks, typed
