"""The raw layer: engine-neutral Parquet files written once per landing file, plus the load log.

Layout under KPI_RAW_DIR:
    <table>/<file_hash>.parquet       typed rows of one landing file, with lineage columns
    rejected_rows/<file_hash>.parquet rows that failed a check, with line, column, check, text
    load_log/<file_hash>.parquet      one row per distinct landing file: what happened to it
    run_context/run_context.parquet   the as-of time of the current run
    check_holds/check_holds.parquet   KPIs and sources held by a failed blocking check

Every file is written to a temporary name and renamed into place, so a killed run never leaves a
half-written file behind. The same content (same hash) is never loaded twice. Any engine can read
the layout; for DuckDB, dbt's `register_raw_views` hook exposes it as the `raw` schema of the
working database.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from pipelines.ingest.parsed import Lineage

LOAD_LOG = "load_log"
REJECTED_ROWS = "rejected_rows"
RUN_CONTEXT = "run_context"
CHECK_HOLDS = "check_holds"

LOAD_LOG_SCHEMA = pa.schema(
    [
        ("load_id", pa.string()),
        ("source", pa.string()),
        ("raw_table", pa.string()),
        ("file_path", pa.string()),
        ("file_hash", pa.string()),
        ("status", pa.string()),
        ("rows_read", pa.int64()),
        ("rows_loaded", pa.int64()),
        ("rows_rejected", pa.int64()),
        ("summary_rows", pa.int64()),
        ("first_date", pa.date32()),
        ("last_date", pa.date32()),
        ("message", pa.string()),
        ("loaded_at", pa.timestamp("us")),
    ]
)
REJECTED_SCHEMA = pa.schema(
    [
        ("load_id", pa.string()),
        ("source", pa.string()),
        ("file_path", pa.string()),
        ("file_hash", pa.string()),
        ("line_number", pa.int64()),
        ("column_name", pa.string()),
        ("check_name", pa.string()),
        ("value", pa.string()),
        ("original_text", pa.string()),
    ]
)
RUN_CONTEXT_SCHEMA = pa.schema(
    [
        ("as_of_ts", pa.timestamp("us")),
        ("run_id", pa.string()),
        # An explicit rebuild window (a backfill) of the daily facts; null in a normal run.
        ("rebuild_from", pa.date32()),
        ("rebuild_to", pa.date32()),
    ]
)
CHECK_HOLDS_SCHEMA = pa.schema(
    [
        # `kpi` (a KPI id) or `source` (a source name as in bi.about)
        ("subject_kind", pa.string()),
        ("subject", pa.string()),
        # e.g. "held: pandera_schema on raw.support_tickets since 2026-10-05"
        ("held_reason", pa.string()),
        ("held_since", pa.date32()),
    ]
)
LINEAGE_FIELDS = [
    ("_source_file", pa.string()),
    ("_file_hash", pa.string()),
    ("_load_id", pa.string()),
    ("_loaded_at", pa.timestamp("us")),
]


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def write_parquet_atomically(table: pa.Table, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    pq.write_table(table, temporary, compression="zstd")
    os.replace(temporary, path)


@dataclass(frozen=True)
class LoadRecord:
    load_id: str
    source: str
    raw_table: str
    file_path: str
    file_hash: str
    status: str
    rows_read: int = 0
    rows_loaded: int = 0
    rows_rejected: int = 0
    summary_rows: int = 0
    first_date: dt.date | None = None
    last_date: dt.date | None = None
    message: str = ""
    loaded_at: dt.datetime | None = None


class RawStore:
    """Reads and writes the raw Parquet layout under one directory."""

    def __init__(self, raw_dir: Path):
        self.raw_dir = raw_dir

    def table_dir(self, table: str) -> Path:
        return self.raw_dir / table

    def loaded_hashes(self, source: str | Sequence[str]) -> set[str]:
        """Hashes of files of this source that were loaded (or consciously skipped) before; a
        source may be given by all the names its files carry in the load log."""
        names = [source] if isinstance(source, str) else list(source)
        log_dir = self.table_dir(LOAD_LOG)
        if not any(log_dir.glob("*.parquet")):
            return set()
        pattern = str(log_dir / "*.parquet").replace("'", "''")
        with duckdb.connect() as con:
            rows = con.execute(
                f"select distinct file_hash from read_parquet('{pattern}', union_by_name = true) "
                f"where source in ({', '.join('?' for _ in names)}) and status = 'loaded'",
                names,
            ).fetchall()
        return {file_hash for (file_hash,) in rows}

    def write_rows(self, table_name: str, table: pa.Table, lineage: Lineage) -> Path:
        """Write one file's rows of one raw table (lineage columns appended)."""
        n = table.num_rows
        columns = {
            "_source_file": pa.array([lineage.source_file] * n, pa.string()),
            "_file_hash": pa.array([lineage.file_hash] * n, pa.string()),
            "_load_id": pa.array([lineage.load_id] * n, pa.string()),
            "_loaded_at": pa.array([lineage.loaded_at] * n, pa.timestamp("us")),
        }
        for name, column in columns.items():
            table = table.append_column(name, column)
        path = self.table_dir(table_name) / f"{lineage.file_hash}.parquet"
        write_parquet_atomically(table, path)
        return path

    def move_staged(self, table_name: str, staged: Path, lineage: Lineage) -> Path:
        """Move a Parquet file a parser wrote (lineage included) into its table folder."""
        path = self.table_dir(table_name) / f"{lineage.file_hash}.parquet"
        path.parent.mkdir(parents=True, exist_ok=True)
        os.replace(staged, path)
        return path

    def write_rejected(self, record: LoadRecord, rejected: list) -> None:
        if not rejected:
            return
        rows = {
            "load_id": [record.load_id] * len(rejected),
            "source": [record.source] * len(rejected),
            "file_path": [record.file_path] * len(rejected),
            "file_hash": [record.file_hash] * len(rejected),
            "line_number": [r.line for r in rejected],
            "column_name": [r.column for r in rejected],
            "check_name": [r.check for r in rejected],
            "value": [r.value for r in rejected],
            "original_text": [r.original for r in rejected],
        }
        path = self.table_dir(REJECTED_ROWS) / f"{record.file_hash}.parquet"
        write_parquet_atomically(pa.table(rows, schema=REJECTED_SCHEMA), path)

    def write_load_record(self, record: LoadRecord) -> None:
        values = {name: [getattr(record, name)] for name in LOAD_LOG_SCHEMA.names}
        if values["loaded_at"] == [None]:
            values["loaded_at"] = [dt.datetime.now(dt.UTC).replace(tzinfo=None)]
        path = self.table_dir(LOAD_LOG) / f"{record.file_hash}.parquet"
        write_parquet_atomically(pa.table(values, schema=LOAD_LOG_SCHEMA), path)

    def write_run_context(
        self, as_of: dt.datetime, run_id: str, rebuild: tuple[dt.date, dt.date] | None = None
    ) -> None:
        first, last = rebuild or (None, None)
        table = pa.table(
            {
                "as_of_ts": [as_of],
                "run_id": [run_id],
                "rebuild_from": [first],
                "rebuild_to": [last],
            },
            schema=RUN_CONTEXT_SCHEMA,
        )
        write_parquet_atomically(table, self.table_dir(RUN_CONTEXT) / "run_context.parquet")

    def write_check_holds(self, rows: list[dict[str, object]]) -> bool:
        """Replace the held KPIs and sources; the file is rewritten only when they changed, so an
        unchanged raw layer stays unchanged. Returns whether it was rewritten."""
        table = pa.Table.from_pylist(
            sorted(rows, key=lambda r: (str(r["subject_kind"]), str(r["subject"]))),
            schema=CHECK_HOLDS_SCHEMA,
        )
        path = self.table_dir(CHECK_HOLDS) / "check_holds.parquet"
        if path.exists() and pq.read_table(path).equals(table):
            return False
        write_parquet_atomically(table, path)
        return True


EMPTY_SCHEMA_FILE = "empty_schema.parquet"


def ensure_table_dirs(raw_dir: Path, schemas: dict[str, pa.Schema]) -> None:
    """Give every raw table folder a zero-row `empty_schema.parquet`, so readers always find the
    table with its columns, even before its first file was loaded. (No leading underscore: Spark
    skips such files as hidden.)"""
    for table, schema in schemas.items():
        path = raw_dir / table / EMPTY_SCHEMA_FILE
        if not path.exists():
            write_parquet_atomically(schema.empty_table(), path)
        (raw_dir / table / "_schema.parquet").unlink(missing_ok=True)  # its former name


def with_lineage(schema: pa.Schema) -> pa.Schema:
    for name, dtype in LINEAGE_FIELDS:
        schema = schema.append(pa.field(name, dtype))
    return schema


RAW_META_SCHEMAS: dict[str, pa.Schema] = {
    LOAD_LOG: LOAD_LOG_SCHEMA,
    REJECTED_ROWS: REJECTED_SCHEMA,
    RUN_CONTEXT: RUN_CONTEXT_SCHEMA,
    CHECK_HOLDS: CHECK_HOLDS_SCHEMA,
}

# Descriptions of the lineage columns every raw data table carries, and of the pipeline's own
# tables (shown in the dbt sources, `pipelines.ingest.dbt_sources`).
LINEAGE_DOCS: dict[str, str] = {
    "_row_number": "Line number of the row in its landing file (1-based, counting every line).",
    "_source_file": "Landing file the row came from.",
    "_file_hash": "SHA-256 of the landing file's content.",
    "_load_id": "The load (run) that stored the row.",
    "_loaded_at": "When the row was loaded (UTC).",
}
PIPELINE_TABLE_DOCS: dict[str, tuple[str, dict[str, str]]] = {
    LOAD_LOG: (
        "One row per distinct landing file and what happened to it (rows read = loaded + "
        "rejected).",
        {
            "source": "The source the file belongs to.",
            "raw_table": "The raw table(s) the file fills, comma-separated.",
            "status": "loaded, refused or failed.",
            "first_date": "First day of data in the file.",
            "last_date": "Last day of data in the file.",
        },
    ),
    REJECTED_ROWS: (
        "Rows that failed a check at ingestion, with file, line, column, check and original text.",
        {"line_number": "Physical line of the row in its landing file."},
    ),
    RUN_CONTEXT: (
        "One row with the as-of time of the run, in the reporting time zone.",
        {
            "as_of_ts": "Local timestamp (reporting time zone) the KPI periods are judged against.",
            "run_id": "The Dagster run id.",
            "rebuild_from": "First day of an explicit rebuild window (backfill), or null.",
            "rebuild_to": "Last day (inclusive) of the explicit rebuild window, or null.",
        },
    ),
    CHECK_HOLDS: (
        "KPIs and sources held by a failed blocking raw check, written by the dbt step before it "
        "builds (held models are not rebuilt and keep their last good values).",
        {
            "subject_kind": "`kpi`, `source` or `partial_day`.",
            "subject": "The KPI id or the source name.",
            "held_reason": "Which check failed on which raw table, and since when.",
            "held_since": "The as-of day of the first run the check failed on (held since then).",
        },
    ),
}
