"""The schema check of a raw table over its new files only.

A raw table is one Parquet file per delivered landing file (`<table>/<file_hash>.parquet`),
written once. When the table passed its check before and only files were added since, the
rows of the earlier files are already known good: the new files' rows are validated with the
table's pandera schema (types, nullability, rules, the natural key within the new rows), and
the natural key (`_file_hash` plus the table's key) is anti-joined against the earlier files.
An earlier file can hold one of the new keys only if it holds one of the new rows' file hashes;
its Parquet footer (the min/max of `_file_hash` per row group) says whether it can, so only the
earlier files that might match are read, and a clean new file reads none of their rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pyarrow.parquet as pq

from pipelines.ingest.raw_store import EMPTY_SCHEMA_FILE
from pipelines.ingest.sources import RAW_TABLES

FILE_HASH = "_file_hash"


@dataclass
class IncrementalOutcome:
    """What the check over new files found, and which files it read rows of."""

    table: str
    rows: int
    passed: bool
    failures: list[dict[str, str]] = field(default_factory=list)
    files_checked: list[str] = field(default_factory=list)  # the new files, validated
    earlier_files_read: list[str] = field(default_factory=list)  # read for the anti-join
    earlier_files_skipped: int = 0  # ruled out by their footers, no row read

    def summary(self) -> str:
        scope = (
            f"{len(self.files_checked)} new file(s) checked ({self.rows} rows); the key "
            f"anti-joined against {len(self.earlier_files_read) + self.earlier_files_skipped} "
            f"earlier file(s), {len(self.earlier_files_read)} of them read"
        )
        if self.passed:
            return f"{self.table}: {scope}: passed"
        lines = [f"{f['column'] or '(table)'}: {f['check']}: {f['error']}" for f in self.failures]
        return f"{self.table}: {scope}: {len(self.failures)} check(s) failed\n" + "\n".join(lines)


def data_files(raw_dir: Path, table: str) -> list[Path]:
    """The table's delivered files (not the zero-row schema file)."""
    return sorted(p for p in (raw_dir / table).glob("*.parquet") if p.name != EMPTY_SCHEMA_FILE)


def _file_hashes(files: Sequence[Path]) -> list[str]:
    paths = [str(f) for f in files]
    with duckdb.connect() as con:
        rows = con.execute(
            f"select distinct {FILE_HASH} from read_parquet(?, union_by_name = true) "
            f"where {FILE_HASH} is not null",
            [paths],
        ).fetchall()
    return sorted(str(r[0]) for r in rows)


def may_hold(path: Path, hashes: Sequence[str]) -> bool:
    """Whether a file's footer allows any of `hashes` in its `_file_hash` column (True when it
    does not say: missing statistics never rule a file out)."""
    metadata = pq.ParquetFile(path).metadata
    names = [metadata.schema.column(i).name for i in range(metadata.num_columns)]
    if FILE_HASH not in names:
        return False  # no such column: it holds no key
    column = names.index(FILE_HASH)
    for group in range(metadata.num_row_groups):
        stats = metadata.row_group(group).column(column).statistics
        if stats is None or not stats.has_min_max:
            return True
        low, high = stats.min, stats.max
        if isinstance(low, bytes):
            low, high = low.decode(), high.decode()
        if any(low <= value <= high for value in hashes):
            return True
    return False


def _duplicates(
    new_files: Sequence[Path], earlier: Sequence[Path], key: Sequence[str]
) -> list[tuple]:
    columns = ", ".join(f'"{c}"' for c in key)
    selected = ", ".join(f'n."{c}"' for c in key)
    joined = " and ".join(f'n."{c}" is not distinct from e."{c}"' for c in key)
    with duckdb.connect() as con:
        return con.execute(
            f"with new as (select {columns} from read_parquet(?, union_by_name = true)), "
            f"earlier as (select {columns} from read_parquet(?, union_by_name = true)) "
            f"select {selected}, count(*) "
            f"from new n join earlier e on {joined} group by all order by all limit 5",
            [[str(f) for f in new_files], [str(f) for f in earlier]],
        ).fetchall()


def check_new_files(
    raw_dir: Path, table: str, new_files: Sequence[Path], earlier_files: Sequence[Path]
) -> IncrementalOutcome:
    """The table's schema check over `new_files`, with the key anti-joined against
    `earlier_files` (read only when their footers allow a match)."""
    from pipelines.checks.raw_schemas import validate_raw_table

    outcome = validate_raw_table(raw_dir, table, list(new_files))
    result = IncrementalOutcome(
        table,
        outcome.rows,
        outcome.passed,
        list(outcome.failures),
        files_checked=[f.name for f in new_files],
    )
    unique = RAW_TABLES[table].unique
    if not unique or not new_files:
        result.earlier_files_skipped = len(earlier_files)
        return result
    hashes = _file_hashes(new_files)
    candidates = [f for f in earlier_files if may_hold(f, hashes)]
    result.earlier_files_read = [f.name for f in candidates]
    result.earlier_files_skipped = len(earlier_files) - len(candidates)
    if candidates:
        key = [FILE_HASH, *unique]
        found = _duplicates(new_files, candidates, key)
        if found:
            shown = "; ".join(
                ", ".join(f"{c}={v}" for c, v in zip(key, row[:-1], strict=True)) for row in found
            )
            result.passed = False
            result.failures.append(
                {
                    "column": ", ".join(key),
                    "check": "unique across files",
                    "error": f"keys of the new files already in earlier files: {shown}"[:500],
                }
            )
    return result
