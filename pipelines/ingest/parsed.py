"""The result of reading one landing file, before it is stored."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa

from pipelines.ingest.errors import RejectedRow


@dataclass(frozen=True)
class Lineage:
    """Where rows came from; stored on every raw row."""

    source_file: str
    file_hash: str
    load_id: str
    loaded_at: dt.datetime


@dataclass
class ParsedFile:
    """Typed rows of one file per raw table, plus what was set aside and why.

    `tables` hold rows without lineage columns (the store adds them); `staged` holds Parquet files a
    parser already wrote with DuckDB (lineage included), which the store moves into place.
    `rows_read` counts the file's data rows; `rows_read = rows_loaded + len(rejected)`.
    """

    rows_read: int
    rows_loaded: int
    tables: dict[str, pa.Table] = field(default_factory=dict)
    staged: dict[str, Path] = field(default_factory=dict)
    rejected: list[RejectedRow] = field(default_factory=list)
    summary_rows: int = 0
    first_date: dt.date | None = None
    last_date: dt.date | None = None
    warnings: list[str] = field(default_factory=list)
