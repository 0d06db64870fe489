"""Meta Ads Manager campaign exports (CSV) with the daily breakdown.

Handles English and Dutch headers, the currency taken from the money column's name (`Amount spent
(EUR)`, `Besteed bedrag (EUR)`), `-` as null, unrounded numbers and the summary row (empty
campaign name, totals over the whole window), which is set aside (counted in `summary_rows`, never
quarantined). Every row must cover one day (`Reporting starts` = `Reporting ends`): an export
without the daily breakdown is refused with the fix. XLSX downloads are refused (the warehouse
reads no Excel workbooks): save them as CSV.
"""

from __future__ import annotations

import re
from pathlib import Path

from pipelines.ingest.ad_days import DayColumns, day_sql
from pipelines.ingest.columns import AtLeast, RawColumn, RawTable
from pipelines.ingest.errors import FileRefused
from pipelines.ingest.native import Check, quote
from pipelines.ingest.native_csv import CsvFile, TableSpec, read_table
from pipelines.ingest.options import IngestOptions
from pipelines.ingest.parsed import Lineage, ParsedFile
from pipelines.ingest.source import Source
from pipelines.ingest.text_files import find_header, head_text, split_rows

TABLE = "meta_ads_campaign_days"

# Header text (lower case) -> canonical column. English, then Dutch. The money column is matched
# by `MONEY` (its name carries the currency).
COLUMN_NAMES: dict[str, str] = {
    "reporting starts": "starts",
    "start rapportage": "starts",
    "reporting ends": "ends",
    "einde rapportage": "ends",
    "day": "day",
    "dag": "day",
    "campaign name": "campaign_name",
    "campagnenaam": "campaign_name",
    "naam campagne": "campaign_name",
    "campaign id": "campaign_id",
    "campagne-id": "campaign_id",
    "campaign delivery": "campaign_delivery",
    "campagnelevering": "campaign_delivery",
    "levering campagne": "campaign_delivery",
    "impressions": "impressions",
    "weergaven": "impressions",
    "reach": "reach",
    "bereik": "reach",
    "link clicks": "clicks",
    "klikken op links": "clicks",
    "purchases": "purchases",
    "aankopen": "purchases",
    "results": "results",
    "resultaten": "results",
    "purchases conversion value": "conversion_value",
    "conversiewaarde aankopen": "conversion_value",
}
MONEY = re.compile(r"^(amount spent|besteed bedrag)\s*\(([A-Za-z]{3})\)$", re.IGNORECASE)
# Rows below the campaign level: one campaign then has several rows a day.
FINER_LEVELS = {"ad set name", "ad name", "naam advertentieset", "advertentienaam"}
KNOWN_UNUSED = {
    "result indicator",
    "resultaatindicator",
    "purchase roas (return on ad spend)",
    "roas (rendement op advertentie-uitgaven) voor aankoop",
    "cost per result",
    "kosten per resultaat",
    "cpm (cost per 1,000 impressions)",
    "ctr (link click-through rate)",
    "cpc (cost per link click)",
    "frequency",
    "frequentie",
    "attribution setting",
    "attributie-instelling",
}
REQUIRED = ("starts", "ends", "campaign_name", "cost")
KINDS = DayColumns(
    integers=("impressions", "reach", "clicks"),
    numbers=("cost", "conversions", "conversion_value"),
    texts=("campaign_id", "campaign_name", "campaign_delivery", "currency_code"),
    key=("campaign_name", "campaign_id"),
)

_NON_NEGATIVE = (AtLeast(0),)
RAW_TABLE = RawTable(
    TABLE,
    (
        RawColumn("date_day", "date", nullable=False, missing="date is a real calendar day"),
        RawColumn("campaign_id", "str"),
        RawColumn("campaign_name", "str", nullable=False, missing="campaign is not empty"),
        RawColumn("campaign_delivery", "str"),
        # From the money column's name (one per file, else the file is refused): by construction.
        RawColumn("currency_code", "str", nullable=False, computed=True),
        RawColumn("impressions", "int", rules=_NON_NEGATIVE),
        RawColumn("reach", "int", rules=_NON_NEGATIVE),
        RawColumn("clicks", "int", rules=_NON_NEGATIVE),
        RawColumn("cost", "float", nullable=False, rules=_NON_NEGATIVE, missing="cost is present"),
        RawColumn("conversions", "float", rules=_NON_NEGATIVE),
        RawColumn("conversion_value", "float", rules=_NON_NEGATIVE),
    ),
    # A campaign appears once per day within one delivered file.
    unique=("date_day", "campaign_name", "campaign_id"),
    entity="campaign_days",
    description=(
        "One row per day and campaign of a Meta Ads Manager export with the daily breakdown; "
        "the currency comes from the money column's name."
    ),
    day="date_day",
    volume_checked=True,
)
SCHEMA = RAW_TABLE.arrow_schema

DAILY_FIX = (
    "In Ads Manager, choose Breakdown > By time > Day (Uitsplitsing > Op tijd > Dag) and export "
    "again"
)


def _canonical(cell: str) -> str | None:
    text = cell.strip().lower()
    if MONEY.match(text):
        return "cost"
    return COLUMN_NAMES.get(text)


def _looks_like_header(cells: list[str]) -> bool:
    names = {_canonical(c) for c in cells}
    return {"starts", "campaign_name", "cost"} <= names


def read(path: Path, lineage: Lineage, options: IngestOptions, workdir: Path) -> ParsedFile:
    """Read one export: the header, currency and first rows checked by Python, every row typed,
    checked and written to Parquet in `workdir` by DuckDB (streamed, any size). `options` are not
    used."""
    file = lineage.source_file
    with path.open("rb") as handle:
        magic = handle.read(4)
    if path.suffix.lower() in {".xlsx", ".xls"} or magic == b"PK\x03\x04":
        raise FileRefused(
            file,
            "Excel workbooks are not read; export the report as CSV (Export > Export table "
            "data > .csv) or save the workbook as CSV UTF-8",
        )
    text, encoding = head_text(path, file)
    header = find_header(text, _looks_like_header, candidates=(",", ";", "\t"))
    if header is None:
        raise FileRefused(
            file,
            "no Meta Ads Manager export header found (expected columns such as Reporting starts, "
            "Campaign name, Amount spent (EUR) / Start rapportage, Campagnenaam, Besteed bedrag "
            "(EUR) in the first 30 lines)",
        )
    cells = header.cells
    if any(c.strip().lower() in FINER_LEVELS for c in cells):
        raise FileRefused(
            file,
            "this export is broken down by ad set or ad, so a campaign has several rows a day; "
            "export at the campaign level (Campaigns tab) with the daily breakdown",
            line=header.index + 1,
        )
    columns = [_canonical(c) for c in cells]
    missing = [c for c in REQUIRED if c not in columns]
    if missing:
        raise FileRefused(
            file, f"required column(s) missing: {', '.join(missing)}", line=header.index + 1
        )
    currencies = {m.group(2).upper() for c in cells if (m := MONEY.match(c.strip()))}
    if not currencies:
        raise FileRefused(
            file,
            "the amount spent column does not name its currency (expected e.g. "
            "'Amount spent (EUR)' / 'Besteed bedrag (EUR)'); export again with the column's "
            "default name",
            line=header.index + 1,
        )
    if len(currencies) > 1:
        raise FileRefused(
            file,
            f"amount columns in several currencies ({', '.join(sorted(currencies))}); export one "
            "ad account (one currency) per file",
            line=header.index + 1,
        )
    position: dict[str, int] = {}
    for index, name in enumerate(columns):
        if name is not None:
            position.setdefault(name, index)
    if "purchases" in position:
        position["conversions"] = position["purchases"]
    elif "results" in position:
        position["conversions"] = position["results"]
    summary = _summary_row(text, header.index, header.delimiter, position)
    _refuse_without_daily_breakdown(text, header.index, header.delimiter, position, file)
    warnings = [
        f"column '{cell}' is not used and was ignored"
        for cell, canonical in zip(cells, columns, strict=True)
        if canonical is None and cell and cell.strip().lower() not in KNOWN_UNUSED
    ]
    if "purchases" not in position and "results" in position:
        warnings.append(
            "no Purchases column: conversions are the export's Results (whatever its result "
            "indicator counts)"
        )
    starts, ends = f"c{position['starts']}", f"c{position['ends']}"
    name_cell = f"c{position['campaign_name']}"
    empty_name = f"trim(coalesce({name_cell}, '')) = ''"
    skip = f"({empty_name} and trim(coalesce({starts}, '')) <> trim(coalesce({ends}, '')))"
    if summary is not None:
        skip += (
            f" or ({empty_name} and trim(coalesce({starts}, '')) = {quote(summary[0])} "
            f"and trim(coalesce({ends}, '')) = {quote(summary[1])})"
        )
    # The day: the `Day` column when present, else the (one-day) reporting window.
    position["date_day"] = position.get("day", position["starts"])
    extra = [
        Check(
            f"trim(coalesce({starts}, '')) <> trim(coalesce({ends}, ''))",
            cells[position["ends"]],
            "Reporting starts = Reporting ends (daily breakdown)",
            f"coalesce({ends}, '')",
        )
    ]
    if "day" in position:
        extra.append(
            Check(
                f"_day_raw <> trim(coalesce({starts}, ''))",
                cells[position["day"]],
                "Day = Reporting starts",
                "_day_raw",
            )
        )
    currency = quote(next(iter(currencies)))
    csv = CsvFile(path, encoding, header.delimiter, lines_before=header.index + 1, width=len(cells))
    sql = day_sql(
        RAW_TABLE,
        KINDS,
        position,
        cells,
        constants={"currency_code": currency},
        extra_checks=extra,
    )
    table = TableSpec(
        TABLE,
        SCHEMA,
        {},
        sql.columns,
        sql.checks,
        sql.layers,
        sql.windows,
        what="a Meta Ads Manager export",
        skip=skip,
    )
    parsed, _ = read_table(csv, table, name=file, workdir=workdir, lineage=lineage, salt=None)
    if parsed.summary_rows:
        warnings.append(
            f"{parsed.summary_rows} summary row(s) (no campaign name, totals over the window) "
            "dropped: not data"
        )
    parsed.warnings.extend(warnings)
    return parsed


def _data_rows(text: str, header_index: int, delimiter: str) -> list[list[str]]:
    """The rows after the header in the first lines (the last, possibly cut, line left out)."""
    lines = text.splitlines()[header_index + 1 :]
    rows = split_rows("\n".join(lines[:-1] if len(lines) > 1 else lines), delimiter)
    return [row for row in rows if any(cell.strip() for cell in row)]


def _cell(row: list[str], position: dict[str, int], name: str) -> str:
    index = position[name]
    return row[index].strip() if index < len(row) else ""


def _summary_row(
    text: str, header_index: int, delimiter: str, position: dict[str, int]
) -> tuple[str, str] | None:
    """The window (starts, ends) of a summary row first below the header, if there is one."""
    rows = _data_rows(text, header_index, delimiter)
    if rows and not _cell(rows[0], position, "campaign_name"):
        return _cell(rows[0], position, "starts"), _cell(rows[0], position, "ends")
    return None


def _refuse_without_daily_breakdown(
    text: str, header_index: int, delimiter: str, position: dict[str, int], file: str
) -> None:
    """The first campaign row spanning more than one day: the export has no daily breakdown
    (reading its start as the day would put the whole window on its first day). A later row
    spanning more than one day is quarantined instead."""
    for offset, row in enumerate(_data_rows(text, header_index, delimiter)):
        if not _cell(row, position, "campaign_name"):
            continue
        start, end = _cell(row, position, "starts"), _cell(row, position, "ends")
        if start != end:
            raise FileRefused(
                file,
                f"rows cover more than one day (Reporting starts {start}, Reporting ends {end}): "
                f"the export has no daily breakdown, so it cannot feed daily KPIs. {DAILY_FIX}.",
                line=header_index + 2 + offset,
            )
        return


SOURCE = Source(
    name="meta_ads",
    label="Meta Ads",
    description="Meta Ads Manager exports with the daily breakdown (English or Dutch headers).",
    tables=(RAW_TABLE,),
    coverage=TABLE,
    read=read,
)
