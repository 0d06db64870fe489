"""pandera schemas of the raw tables, validated where the data lives.

Each schema is derived from the raw table's column declaration next to its reader
(`pipelines.ingest.columns`): the same types, nullability and row rules the reader checks at
ingestion, plus the table's natural key within one delivered file. A row that breaks a rule is
quarantined before it gets here, so these checks fail only for reasons of the whole table.

The checks run through pandera's ibis backend on an in-memory DuckDB connection that reads the
raw Parquet files directly: nothing is pulled into pandas, and the working database is not opened,
so checks never compete with dbt for its write lock.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import ibis
import pandera.ibis as pa
from pandera.errors import SchemaError, SchemaErrors

from pipelines.ingest.columns import AtLeast, Between, RawTable, Rule
from pipelines.ingest.sources import RAW_TABLES

_LINEAGE = {
    "_row_number": pa.Column(int, pa.Check.ge(1), nullable=False),
    "_source_file": pa.Column(str, nullable=False),
    "_file_hash": pa.Column(str, nullable=False),
    "_load_id": pa.Column(str, nullable=False),
}


def _schema(table: str, columns: dict[str, pa.Column], unique: list[str] | None = None):
    return pa.DataFrameSchema({**columns, **_LINEAGE}, unique=unique, name=table, strict=False)


_TYPES = {
    "int": int,
    "float": float,
    "str": str,
    "date": ibis.dtype("date"),
    "timestamp": ibis.dtype("timestamp(6)"),
    "bool": bool,
}


def _check(rule: Rule) -> pa.Check:
    if isinstance(rule, AtLeast):
        return pa.Check.ge(rule.bound)
    if isinstance(rule, Between):
        return pa.Check.in_range(rule.low, rule.high)
    return pa.Check.isin(list(rule.values))


def pandera_schema(table: RawTable) -> pa.DataFrameSchema:
    """The pandera schema of a raw table, from its declaration: every column's type and
    nullability and rules, the lineage columns, and the natural key within one delivered file."""
    columns = {
        c.name: pa.Column(_TYPES[c.type], [_check(r) for r in c.rules], nullable=c.nullable)
        for c in table.columns
    }
    unique = ["_file_hash", *table.unique] if table.unique else None
    return _schema(table.name, columns, unique)


__all__ = ["RAW_SCHEMAS", "RAW_TABLES", "pandera_schema", "validate_raw_table"]

RAW_SCHEMAS: dict[str, pa.DataFrameSchema] = {
    name: pandera_schema(table) for name, table in RAW_TABLES.items()
}


@dataclass
class CheckOutcome:
    table: str
    rows: int
    passed: bool
    failures: list[dict[str, str]] = field(default_factory=list)

    def summary(self) -> str:
        if self.passed:
            return f"{self.table}: {self.rows} rows passed all checks"
        lines = [f"{f['column'] or '(table)'}: {f['check']}: {f['error']}" for f in self.failures]
        return f"{self.table}: {len(self.failures)} check(s) failed\n" + "\n".join(lines)


def _failures(errors: dict) -> list[dict[str, str]]:
    failures = []
    for kinds in errors.values():
        for reports in kinds.values():
            for report in reports:
                error = " ".join(str(report.get("error", "")).split())
                failures.append(
                    {
                        "column": str(report.get("column") or ""),
                        "check": str(report.get("check") or ""),
                        "error": error[:500],
                    }
                )
    return failures


def validate_raw_table(raw_dir: Path, table: str, files: list[Path] | None = None) -> CheckOutcome:
    """Validate every row of one raw table (all its Parquet files, or only `files`) against its
    schema."""
    schema = RAW_SCHEMAS[table]
    if files is not None and not files:
        return CheckOutcome(table, 0, True)
    con = ibis.duckdb.connect()
    try:
        paths = [str(raw_dir / table / "*.parquet")] if files is None else [str(f) for f in files]
        data = con.read_parquet(paths, table_name=table, union_by_name=True)
        rows = int(data.count().execute())
        if rows == 0:
            # pandera's ibis backend reports every check as failed on an empty table.
            return CheckOutcome(table, 0, True)
        try:
            schema.validate(data, lazy=True)
        except SchemaErrors as exc:
            return CheckOutcome(table, rows, False, _failures(exc.message))
        except SchemaError as exc:
            return CheckOutcome(
                table, rows, False, [{"column": "", "check": "", "error": str(exc)}]
            )
        return CheckOutcome(table, rows, True)
    finally:
        con.disconnect()
