"""The result of reading one landing file, before it is stored."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import pyarrow as pa

from pipelines.ingest.errors import RejectedRow


@dataclass
class ParsedFile:
    """Typed rows of one file (without lineage columns), plus what was set aside and why."""

    table: pa.Table
    rows_read: int
    rejected: list[RejectedRow] = field(default_factory=list)
    summary_rows: int = 0
    first_date: dt.date | None = None
    last_date: dt.date | None = None
    warnings: list[str] = field(default_factory=list)

    @property
    def rows_loaded(self) -> int:
        return self.table.num_rows
