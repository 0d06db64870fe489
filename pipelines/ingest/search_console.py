"""Search Console exports: bulk-export rows, API/connector CSVs and the UI zip.

* Bulk export (`searchdata_site_impression`, CSV or Parquet): one row per day, query, country,
  device and search type; average position = sum(sum_top_position) / sum(impressions) + 1.
* API / connector CSVs: `date, query, page, country, device, clicks, impressions, ctr, position`,
  where position is already an impression-weighted average per row.
* The UI zip: `Dates.csv` or `Chart.csv` (daily site totals) and `Queries.csv` (the whole filtered
  period named in `Filters.csv`, at most 1,000 rows), English or Dutch headers.

Query rows store `position_sum` (the 1-based position times impressions) so that any period's
impression-weighted average position is `sum(position_sum) / sum(impressions)`. Bulk and API
files are read by DuckDB itself (they reach millions of rows).
"""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from pathlib import Path, PurePosixPath

import duckdb
import pyarrow as pa

from pipelines.ingest import native
from pipelines.ingest.columns import (
    AtLeast,
    Cell,
    DeclaredChecks,
    OneOf,
    RawColumn,
    RawTable,
    first_broken_rule,
)
from pipelines.ingest.errors import CellRejected, FileRefused, RejectedRow
from pipelines.ingest.native_csv import refusal
from pipelines.ingest.options import IngestOptions
from pipelines.ingest.parsed import Lineage, ParsedFile
from pipelines.ingest.source import Source
from pipelines.ingest.text_files import (
    decode,
    detect_decimal_separator,
    parse_number,
    physical_line_numbers,
    split_rows,
    unused_column_warnings,
)

QUERY_DAYS = "search_console_query_days"
SITE_DAYS = "search_console_site_days"
PERIOD_QUERIES = "search_console_period_queries"

_COUNT = (AtLeast(0),)
_POSITION = (AtLeast(1),)  # 1-based
QUERY_DAYS_TABLE = RawTable(
    QUERY_DAYS,
    (
        RawColumn("date_day", "date", nullable=False, missing="is a date (YYYY-MM-DD)"),
        RawColumn("site_url", "str"),
        RawColumn("query", "str"),
        RawColumn("is_anonymized_query", "bool"),
        RawColumn("page", "str"),
        RawColumn("country", "str"),
        RawColumn("device", "str"),
        RawColumn("search_type", "str"),
        RawColumn("impressions", "int", nullable=False, rules=_COUNT, missing="is a whole number"),
        RawColumn("clicks", "int", nullable=False, rules=_COUNT, missing="is a whole number"),
        # 1-based position times impressions: at least the impressions.
        RawColumn("position_sum", "float", nullable=False, rules=(AtLeast(0),)),
        RawColumn(
            "export_kind", "str", nullable=False, rules=(OneOf(("bulk", "api")),), computed=True
        ),
    ),
    entity="query_days",
    description="One row per day, query, country, device and search type (bulk or API export).",
    day="date_day",
    volume_checked=True,
)
SITE_DAYS_TABLE = RawTable(
    SITE_DAYS,
    (
        RawColumn("date_day", "date", nullable=False, missing="is a date (YYYY-MM-DD)"),
        RawColumn("search_type", "str"),
        RawColumn("clicks", "int", nullable=False, rules=_COUNT),
        RawColumn("impressions", "int", nullable=False, rules=_COUNT),
        RawColumn("position", "float", nullable=False, rules=_POSITION),
    ),
    unique=("date_day",),
    entity="site_days",
    description="Daily site totals from the UI download (Dates.csv or Chart.csv).",
    day="date_day",
)
PERIOD_QUERIES_TABLE = RawTable(
    PERIOD_QUERIES,
    (
        RawColumn("period_label", "str"),
        RawColumn("period_start", "date"),
        RawColumn("period_end", "date"),
        RawColumn("is_relative_period", "bool", nullable=False, computed=True),
        RawColumn("search_type", "str"),
        RawColumn("query", "str"),
        RawColumn("clicks", "int", nullable=False, rules=_COUNT),
        RawColumn("impressions", "int", nullable=False, rules=_COUNT),
        RawColumn("position", "float", nullable=False, rules=_POSITION),
    ),
    entity="period_queries",
    description="Queries.csv of a UI download, for the period in its Filters.csv.",
)
QUERY_DAYS_SCHEMA = QUERY_DAYS_TABLE.arrow_schema
SITE_DAYS_SCHEMA = SITE_DAYS_TABLE.arrow_schema
PERIOD_QUERIES_SCHEMA = PERIOD_QUERIES_TABLE.arrow_schema
SCHEMAS = {
    QUERY_DAYS: QUERY_DAYS_SCHEMA,
    SITE_DAYS: SITE_DAYS_SCHEMA,
    PERIOD_QUERIES: PERIOD_QUERIES_SCHEMA,
}

BULK_COLUMNS = {"data_date", "query", "impressions", "clicks", "sum_top_position"}
API_COLUMNS = {"date", "query", "clicks", "impressions", "position"}
# The columns of the bulk export tables (site and URL impressions) and of API exports: any other
# column is new (schema drift) and is reported. The URL table's search-appearance flags (`is_*`)
# come and go with Google's features and are expected.
BULK_LAYOUT = frozenset(
    {*BULK_COLUMNS, "site_url", "url", "is_anonymized_query", "country", "search_type", "device"}
)
API_LAYOUT = frozenset(
    {
        *API_COLUMNS,
        "page",
        "country",
        "device",
        "ctr",
        "site_url",
        "search_type",
        "search_appearance",
    }
)
UI_DATE = {"date", "datum"}
UI_QUERY = {"top queries", "populairste zoekopdrachten", "query", "zoekopdracht"}
UI_METRICS = {
    "clicks": "clicks",
    "klikken": "clicks",
    "impressions": "impressions",
    "vertoningen": "impressions",
    "position": "position",
    "positie": "position",
    "ctr": "ctr",
}
MAX_ZIP_ENTRY_BYTES = 50 * 1024 * 1024


def read(path: Path, lineage: Lineage, options: IngestOptions, workdir: Path) -> ParsedFile:
    return parse(path, lineage, workdir)


def parse(path: Path, lineage: Lineage, workdir: Path) -> ParsedFile:
    """Bulk and API exports are typed, checked and staged by DuckDB (streamed, any size). The UI
    download stays on the Python path: its zip holds a few small CSVs (at most 1,000 queries and
    one row per day of the chosen period, kilobytes) whose meaning depends on each other
    (Queries.csv is for the period written in Filters.csv), and every entry is capped at
    `MAX_ZIP_ENTRY_BYTES` before it is read; the same declared rules quarantine its rows
    (`first_broken_rule`)."""
    name = lineage.source_file
    if path.suffix.lower() == ".zip":
        return _read_ui_zip(path.read_bytes(), name)
    if path.suffix.lower() == ".parquet":
        return _read_bulk(path, lineage, workdir, parquet=True, header_columns=None)
    head = path.open("rb").read(65536)
    encoding = "utf-16" if head.startswith((b"\xff\xfe", b"\xfe\xff")) else "utf-8"
    first_line = decode(head, name).splitlines()[0] if head else ""
    delimiter = max(("\t", ";", ","), key=first_line.count)
    header = [c.strip().strip('"').lower() for c in first_line.lstrip("\ufeff").split(delimiter)]
    columns = set(header)
    if columns >= BULK_COLUMNS:
        parsed = _read_bulk(
            path,
            lineage,
            workdir,
            parquet=False,
            header_columns=header,
            encoding=encoding,
            delimiter=delimiter,
        )
        flags = [c for c in header if not c.startswith("is_")]
        parsed.warnings.extend(unused_column_warnings(flags, BULK_LAYOUT))
        return parsed
    if columns >= API_COLUMNS:
        parsed = _read_api(path, lineage, workdir, header, encoding, delimiter)
        parsed.warnings.extend(unused_column_warnings(header, API_LAYOUT))
        return parsed
    if columns & UI_DATE or columns & UI_QUERY:
        return _read_ui_files({PurePosixPath(name).name: path.read_bytes()}, name)
    raise FileRefused(
        name,
        "not a Search Console export: expected a bulk export (data_date, query, impressions, "
        "clicks, sum_top_position), an API export (date, query, clicks, impressions, position) "
        "or the UI download (zip with Dates.csv or Chart.csv)",
        line=1,
    )


def _csv_source(path: Path, encoding: str, delimiter: str) -> str:
    return (
        f"read_csv({native.quote(str(path))}, header = true, all_varchar = true, "
        f"delim = {native.quote(delimiter)}, quote = '\"', escape = '\"', "
        f"encoding = {native.quote('utf-16' if encoding == 'utf-16' else 'utf-8')}, "
        "null_padding = true, strict_mode = false)"
    )


def _col(name: str, present: set[str] | None) -> str:
    if present is not None and name not in present:
        return "cast(null as varchar)"
    return f'cast("{name}" as varchar)'


def _read_bulk(
    path: Path,
    lineage: Lineage,
    workdir: Path,
    *,
    parquet: bool,
    header_columns: list[str] | None,
    encoding: str = "utf-8",
    delimiter: str = ",",
) -> ParsedFile:
    if parquet:
        source = f"read_parquet({native.quote(str(path))})"
        with native.connect(workdir) as con:
            order = [
                r[0].lower() for r in con.execute(f"describe select * from {source}").fetchall()
            ]
        missing = BULK_COLUMNS - set(order)
        if missing:
            raise FileRefused(
                lineage.source_file,
                f"bulk export Parquet lacks column(s): {', '.join(sorted(missing))}",
            )
    else:
        source = _csv_source(path, encoding, delimiter)
        order = header_columns or []
    return _load_query_days(source, order, "bulk", lineage, workdir, first_line=1 if parquet else 2)


def _read_api(
    path: Path, lineage: Lineage, workdir: Path, order: list[str], encoding: str, delimiter: str
) -> ParsedFile:
    source = _csv_source(path, encoding, delimiter)
    return _load_query_days(source, order, "api", lineage, workdir, first_line=2)


def _load_query_days(
    source: str, order: list[str], kind: str, lineage: Lineage, workdir: Path, *, first_line: int
) -> ParsedFile:
    """Type, check and stage query-day rows of a bulk export (zero-based `sum_top_position`
    summed over impressions) or an API export (`position` already an average per row)."""
    present = set(order)

    def c(name: str) -> str:
        return _col(name, present)

    date_column = "data_date" if kind == "bulk" else "date"
    day = f"try_cast({c(date_column)} as date)"
    impressions = f"try_cast({c('impressions')} as bigint)"
    clicks = f"try_cast({c('clicks')} as bigint)"
    query = f"nullif(trim({c('query')}), '')"
    if kind == "bulk":
        position_column = "sum_top_position"
        position = f"try_cast({c(position_column)} as double)"
        position_sum = f"{position} + {impressions}"
        anonymized = f"coalesce(try_cast({c('is_anonymized_query')} as boolean), {query} is null)"
        position_check = native.Check(
            f"{position} < 0",
            position_column,
            "sum_top_position >= 0 (zero-based)",
            c(position_column),
        )
    else:
        position_column = "position"
        position = f"try_cast(replace({c(position_column)}, ',', '.') as double)"
        position_sum = f"{position} * {impressions}"
        anonymized = f"{query} is null"
        position_check = native.Check(
            f"{position} < 1", position_column, "position >= 1", c(position_column)
        )
    columns = [
        native.Column("date_day", "date", day),
        native.Column("site_url", "varchar", c("site_url")),
        native.Column("query", "varchar", query),
        native.Column("is_anonymized_query", "boolean", anonymized),
        native.Column("page", "varchar", c("page")),
        native.Column("country", "varchar", f"lower({c('country')})"),
        native.Column("device", "varchar", f"upper({c('device')})"),
        native.Column("search_type", "varchar", f"lower(coalesce({c('search_type')}, 'web'))"),
        native.Column("impressions", "bigint", impressions),
        native.Column("clicks", "bigint", clicks),
        native.Column("position_sum", "double", position_sum),
        native.Column("export_kind", "varchar", f"'{kind}'"),
    ]
    declared = DeclaredChecks(
        QUERY_DAYS_TABLE,
        {
            "date_day": Cell(day, date_column, c(date_column)),
            "impressions": Cell(impressions, "impressions", c("impressions")),
            "clicks": Cell(clicks, "clicks", c("clicks")),
            "position_sum": Cell(
                position_sum,
                position_column,
                c(position_column),
                "position_sum",
                implied_by="impressions and the position are present, impressions >= 0 and the "
                "position >= 1 (sum_top_position >= 0 in a bulk export)",
            ),
        },
    )
    checks = [
        *declared.presence("date_day"),
        *declared.presence("impressions"),
        *declared.presence("clicks"),
        native.Check(f"{position} is null", position_column, "is a number", c(position_column)),
        native.Check(f"{day} > current_date + 1", date_column, "date is not in the future", day),
        *declared.rules("impressions"),
        *declared.rules("clicks"),
        native.Check(f"{clicks} > {impressions}", "clicks", "clicks <= impressions", c("clicks")),
        position_check,
        *declared.rest(),
    ]
    original = "concat_ws(',', " + ", ".join(_col(n, present) for n in order) + ")"
    staged = workdir / f"{QUERY_DAYS}.parquet"
    con = native.connect(workdir)
    try:
        result = native.load(
            con, source, columns, checks, original, lineage, staged, first_line=first_line
        )
    except duckdb.Error as exc:  # the reason and line, without DuckDB's advice on its options
        raise refusal(lineage.source_file, f"a {kind} export", exc) from exc
    finally:
        con.close()
    return ParsedFile(
        rows_read=result.rows_read,
        rows_loaded=result.rows_loaded,
        staged={QUERY_DAYS: staged},
        rejected=result.rejected,
        first_date=result.first_date,
        last_date=result.last_date,
    )


# --- the UI download --------------------------------------------------------------------------

_EXPLICIT_PERIOD = re.compile(r"(\d{4}-\d{2}-\d{2})\s*(?:-|\u2013|to|tot)\s*(\d{4}-\d{2}-\d{2})")


def _read_ui_zip(data: bytes, name: str) -> ParsedFile:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        entries: dict[str, bytes] = {}
        for info in archive.infolist():
            base = PurePosixPath(info.filename).name
            if info.is_dir() or not base.lower().endswith(".csv"):
                continue
            if info.file_size > MAX_ZIP_ENTRY_BYTES:
                raise FileRefused(name, f"zip entry '{info.filename}' is larger than 50 MB")
            entries[base] = archive.read(info)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError) as exc:
        raise FileRefused(name, f"not a readable zip archive ({exc})") from exc
    return _read_ui_files(entries, name)


def _filters(entries: dict[str, bytes], name: str) -> dict[str, str]:
    raw = next((v for k, v in entries.items() if k.lower() == "filters.csv"), None)
    if raw is None:
        return {}
    rows = split_rows(decode(raw, f"{name}:Filters.csv"), ",")
    return {r[0].strip().lower(): r[1].strip() for r in rows[1:] if len(r) >= 2}


def _metric_columns(header: list[str]) -> dict[str, int]:
    return {
        UI_METRICS[h.strip().lower()]: i
        for i, h in enumerate(header)
        if h.strip().lower() in UI_METRICS
    }


def _read_ui_files(entries: dict[str, bytes], name: str) -> ParsedFile:
    filters = _filters(entries, name)
    search_type = (filters.get("search type") or filters.get("zoektype") or "web").lower()
    date_filter = filters.get("date") or filters.get("datum") or ""
    explicit = _EXPLICIT_PERIOD.search(date_filter)
    tables: dict[str, pa.Table] = {}
    rejected: list[RejectedRow] = []
    rows_read = rows_loaded = 0
    first = last = None
    daily = next(
        ((k, v) for k, v in entries.items() if k.lower() in {"dates.csv", "chart.csv"}), None
    )
    if daily is not None:
        table, bad, read_count = _ui_table(
            daily[1], f"{name}:{daily[0]}", kind="daily", search_type=search_type
        )
        tables[SITE_DAYS] = table
        rejected += bad
        rows_read += read_count
        rows_loaded += table.num_rows
        dates = table.column("date_day").to_pylist()
        first, last = (min(dates), max(dates)) if dates else (None, None)
    queries = next((v for k, v in entries.items() if k.lower() == "queries.csv"), None)
    if queries is not None:
        period = (
            (dt.date.fromisoformat(explicit.group(1)), dt.date.fromisoformat(explicit.group(2)))
            if explicit
            else (None, None)
        )
        table, bad, read_count = _ui_table(
            queries,
            f"{name}:Queries.csv",
            kind="queries",
            search_type=search_type,
            period_label=date_filter or None,
            period=period,
        )
        tables[PERIOD_QUERIES] = table
        rejected += bad
        rows_read += read_count
        rows_loaded += table.num_rows
    if not tables:
        raise FileRefused(
            name, "no Dates.csv, Chart.csv or Queries.csv found in the Search Console download"
        )
    return ParsedFile(
        rows_read=rows_read,
        rows_loaded=rows_loaded,
        tables=tables,
        rejected=rejected,
        first_date=first,
        last_date=last,
    )


def _ui_table(
    data: bytes,
    name: str,
    *,
    kind: str,
    search_type: str,
    period_label: str | None = None,
    period: tuple[dt.date | None, dt.date | None] = (None, None),
) -> tuple[pa.Table, list[RejectedRow], int]:
    text = decode(data, name)
    delimiter = max((",", ";", "\t"), key=text.splitlines()[0].count)
    rows = split_rows(text, delimiter)
    lines = physical_line_numbers(text, delimiter)
    header = [h.strip().lstrip("\ufeff") for h in rows[0]]
    key = header[0].lower()
    expected = UI_DATE if kind == "daily" else UI_QUERY
    if key not in expected:
        raise FileRefused(name, f"unexpected first column '{header[0]}'", line=1)
    metrics = _metric_columns(header)
    for needed in ("clicks", "impressions", "position"):
        if needed not in metrics:
            raise FileRefused(name, f"required column missing: {needed}", line=1)
    data_rows = [(lines[i], r) for i, r in enumerate(rows) if i > 0 and any(c.strip() for c in r)]
    dutch = any(h.lower() in {"klikken", "vertoningen", "positie", "datum"} for h in header)
    decimal = detect_decimal_separator(
        [r[metrics["position"]] for _, r in data_rows if len(r) > metrics["position"]],
        default="," if dutch else ".",
    )
    out: dict[str, list] = {}
    rejected: list[RejectedRow] = []
    for line, row in data_rows:
        original = delimiter.join(row)
        try:
            record = _ui_record(row, metrics, decimal, kind, header)
        except CellRejected as exc:
            rejected.append(RejectedRow(line, exc.column, exc.check, exc.value, original))
            continue
        record["_row_number"] = line
        record["search_type"] = search_type
        if kind == "queries":
            record.update(
                period_label=period_label,
                period_start=period[0],
                period_end=period[1],
                is_relative_period=period[0] is None,
            )
        for column, value in record.items():
            out.setdefault(column, []).append(value)
    schema = SITE_DAYS_SCHEMA if kind == "daily" else PERIOD_QUERIES_SCHEMA
    table = pa.table({f.name: out.get(f.name, []) for f in schema}, schema=schema)
    return table, rejected, len(data_rows)


def _ui_record(row, metrics, decimal, kind, header) -> dict:
    record: dict[str, object] = {}
    table = SITE_DAYS_TABLE if kind == "daily" else PERIOD_QUERIES_TABLE
    first = row[0].strip()
    if kind == "daily":
        try:
            record["date_day"] = dt.date.fromisoformat(first)
        except ValueError:
            raise CellRejected(header[0], "is a date (YYYY-MM-DD)", first) from None
    else:
        record["query"] = first or None
    for metric in ("clicks", "impressions", "position"):
        raw = row[metrics[metric]] if metrics[metric] < len(row) else ""
        try:
            value = parse_number(raw, decimal)
        except ValueError as exc:
            raise CellRejected(header[metrics[metric]], str(exc), raw) from None
        if metric in ("clicks", "impressions") and value is not None:
            if value != int(value):
                raise CellRejected(header[metrics[metric]], "is a whole number", raw)
            value = int(value)
        broken = first_broken_rule(table.column(metric), value)
        if broken:
            raise CellRejected(header[metrics[metric]], broken, raw)
        record[metric] = value
    return record


SOURCE = Source(
    name="search_console",
    label="Search Console",
    description="Search Console bulk exports, API exports and UI zips.",
    tables=(QUERY_DAYS_TABLE, SITE_DAYS_TABLE, PERIOD_QUERIES_TABLE),
    coverage=QUERY_DAYS,
    read=read,
    patterns=("*.csv", "*.zip", "*.parquet"),
)
