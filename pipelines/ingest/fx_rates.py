"""The European Central Bank's euro reference rates (`eurofxref-hist.csv`), in long form.

The file is wide: `Date,USD,JPY,...` (some lines end with a trailing comma), one row per working
day, newest first, rates as units of the currency per euro, `N/A` where a currency had no rate.
Each day is typed and checked in DuckDB (a real date, once per file; every rate a number above
zero or `N/A`); a day that fails is quarantined whole, with its line, column and rule. Good days
are unpivoted to one row per day and currency; `N/A` (a missing rate, never zero) gives no row.
`rows_read`/`rows_loaded` count the file's days.
"""

from __future__ import annotations

import re
from pathlib import Path

import duckdb

from pipelines.ingest.columns import AtLeast, RawColumn, RawTable
from pipelines.ingest.errors import FileRefused
from pipelines.ingest.native import Check, Column, connect, lineage_sql, quote
from pipelines.ingest.native_csv import CsvFile, CsvLoad, refusal
from pipelines.ingest.options import IngestOptions
from pipelines.ingest.parsed import Lineage, ParsedFile
from pipelines.ingest.source import Source
from pipelines.ingest.text_files import head_text, split_rows

TABLE = "fx_rates_daily"
MISSING = "N/A"

RAW_TABLE = RawTable(
    TABLE,
    (
        RawColumn("rate_date", "date", nullable=False, missing="date is a real calendar day"),
        # From the header (three-letter codes, else the file is refused): by construction.
        RawColumn("currency_code", "str", nullable=False, computed=True),
        RawColumn(
            "units_per_euro",
            "float",
            nullable=False,
            # Rates are positive; the smallest ECB rate ever published is far above 0.0001.
            rules=(AtLeast(0.0001, text="rate is above zero (at least 0.0001)"),),
            missing="rate is a number or N/A",
        ),
    ),
    unique=("rate_date", "currency_code"),
    entity="daily",
    description=(
        "One row per working day and currency: units of the currency per euro (N/A gives no row)."
    ),
    day="rate_date",
    volume_checked=False,
)
SCHEMA = RAW_TABLE.arrow_schema
_CURRENCY = re.compile(r"^[A-Z]{3}$")
_NUMBER = r"^\d+(\.\d+)?$"


def read(path: Path, lineage: Lineage, options: IngestOptions, workdir: Path) -> ParsedFile:
    """Read one rates file: the header found by Python on its first line, every day typed,
    checked, unpivoted and written to Parquet in `workdir` by DuckDB. `options` are not used."""
    file = lineage.source_file
    text, encoding = head_text(path, file)
    lines = text.splitlines()
    cells = [c.strip().lstrip("\ufeff") for c in split_rows(lines[0] if lines else "", ",")[0]]
    if not cells or cells[0].lower() != "date":
        raise FileRefused(
            file,
            "not the ECB reference rates file: its first line must be the header "
            "Date,USD,JPY,... (download eurofxref-hist.zip from the ECB and land the CSV in it)",
            line=1,
        )
    while cells and cells[-1] == "":  # the trailing comma
        cells.pop()
    bad = [c for c in cells[1:] if not _CURRENCY.match(c)]
    if bad or len(cells) < 2:
        raise FileRefused(
            file,
            "the header must be Date followed by three-letter currency codes; "
            f"found {', '.join(repr(c) for c in bad) or 'no currency'}",
            line=1,
        )
    if len(set(cells[1:])) != len(cells) - 1:
        raise FileRefused(file, "a currency appears twice in the header", line=1)
    currencies = cells[1:]
    # Width: the header's cells plus the trailing empty one some lines carry.
    csv = CsvFile(path, encoding, ",", lines_before=1, width=len(cells) + 1)
    with connect(workdir) as con:
        try:
            return _load(con, csv, currencies, file, workdir, lineage)
        except duckdb.Error as exc:
            raise refusal(file, "the ECB reference rates file", exc) from exc


def _load(
    con: duckdb.DuckDBPyConnection,
    csv: CsvFile,
    currencies: list[str],
    file: str,
    workdir: Path,
    lineage: Lineage,
) -> ParsedFile:
    rate = RAW_TABLE.column("units_per_euro")
    day_raw = "trim(coalesce(c0, ''))"
    parsed = [("_day_raw", day_raw), ("_day", f"try_cast({day_raw} as date)")]
    checks = [
        Check(
            "not regexp_matches(_day_raw, '^\\d{4}-\\d{2}-\\d{2}$')",
            "Date",
            "date is YYYY-MM-DD",
            "_day_raw",
        ),
        Check("_day is null", "Date", RAW_TABLE.column("rate_date").missing or "", "_day_raw"),
    ]
    columns = [Column("rate_date", "date", "_day")]
    for index, currency in enumerate(currencies, start=1):
        raw = f"trim(coalesce(c{index}, ''))"
        value = f"_{currency}"
        parsed.append((value, f"case when {raw} = {quote(MISSING)} then null else {raw} end"))
        checks.append(
            Check(
                f"{value} is not null and not regexp_matches({value}, '{_NUMBER}')",
                currency,
                f"rate is a number or {MISSING}",
                raw,
            )
        )
        checks += [
            Check(rule.broken_sql(f"try_cast({value} as double)"), currency, rule.describe(""), raw)
            for rule in rate.rules
        ]
        columns.append(Column(currency, "double", f"try_cast({value} as double)"))
    checks.append(
        Check(
            f"c{len(currencies) + 1} is not null and trim(c{len(currencies) + 1}) <> ''",
            "(after the last currency)",
            "no cells beyond the header's currencies",
            f"c{len(currencies) + 1}",
        )
    )
    windows = ([("_seen", "row_number() over (partition by _day order by _rn)")],)
    checks.append(Check("_seen > 1", "Date", "one row per date", "_day_raw"))
    load = CsvLoad(con, csv, workdir / "checked")
    staged = workdir / f"{TABLE}.parquet"
    try:
        load.check(columns=columns, checks=checks, layers=(parsed,), windows=windows)
        names = ", ".join(quote(c).replace("'", '"') for c in currencies)
        wide = f"(select rate_date, _line, {names} from {load.good})"
        # UNPIVOT leaves out nulls: a missing rate (N/A) gives no row.
        long = f"(unpivot {wide} on {names} into name currency_code value units_per_euro)"
        load.write(
            f"select rate_date, currency_code, units_per_euro, _line as _row_number, "
            f"{lineage_sql(lineage)} from {long} order by _row_number, currency_code",
            staged,
        )
        summary = load.summary("rate_date")
        rejected = load.rejected()
    finally:
        load.close()
    return ParsedFile(
        rows_read=summary.rows_read,
        rows_loaded=summary.rows_loaded,
        staged={TABLE: staged},
        rejected=rejected,
        first_date=summary.first_date,
        last_date=summary.last_date,
        warnings=list(load.warnings),
    )


SOURCE = Source(
    name="fx_rates",
    label="ECB exchange rates",
    description="European Central Bank euro reference rates (eurofxref-hist.csv).",
    tables=(RAW_TABLE,),
    coverage=TABLE,
    read=read,
)
