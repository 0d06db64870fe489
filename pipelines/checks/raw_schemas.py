"""pandera schemas of the raw tables, validated where the data lives.

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

from pipelines.ingest import google_ads

_LINEAGE = {
    "_row_number": pa.Column(int, pa.Check.ge(1), nullable=False),
    "_source_file": pa.Column(str, nullable=False),
    "_file_hash": pa.Column(str, nullable=False),
    "_load_id": pa.Column(str, nullable=False),
}

RAW_SCHEMAS: dict[str, pa.DataFrameSchema] = {
    google_ads.TABLE: pa.DataFrameSchema(
        {
            "date_day": pa.Column(ibis.dtype("date"), nullable=False),
            "campaign_name": pa.Column(str, nullable=False),
            "campaign_id": pa.Column(str, nullable=True),
            "impressions": pa.Column(int, pa.Check.ge(0), nullable=True),
            "clicks": pa.Column(int, pa.Check.ge(0), nullable=True),
            "cost": pa.Column(float, pa.Check.ge(0), nullable=False),
            "conversions": pa.Column(float, pa.Check.ge(0), nullable=True),
            "conversion_value": pa.Column(float, pa.Check.ge(0), nullable=True),
            **_LINEAGE,
        },
        # A campaign appears once per day within one delivered file.
        unique=["_file_hash", "date_day", "campaign_name", "campaign_id"],
        name=google_ads.TABLE,
    ),
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


def validate_raw_table(raw_dir: Path, table: str) -> CheckOutcome:
    """Validate every row of one raw table (all its Parquet files) against its schema."""
    schema = RAW_SCHEMAS[table]
    con = ibis.duckdb.connect()
    try:
        pattern = str(raw_dir / table / "*.parquet")
        data = con.read_parquet(pattern, table_name=table, union_by_name=True)
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
