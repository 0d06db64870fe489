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

from pipelines.ingest import ga4, google_ads, search_console, shopify, surveys, zendesk

_LINEAGE = {
    "_row_number": pa.Column(int, pa.Check.ge(1), nullable=False),
    "_source_file": pa.Column(str, nullable=False),
    "_file_hash": pa.Column(str, nullable=False),
    "_load_id": pa.Column(str, nullable=False),
}


def _schema(table: str, columns: dict[str, pa.Column], unique: list[str] | None = None):
    return pa.DataFrameSchema({**columns, **_LINEAGE}, unique=unique, name=table, strict=False)


_DATE = ibis.dtype("date")
_TIMESTAMP = ibis.dtype("timestamp(6)")


def _count(nullable: bool = True) -> pa.Column:
    return pa.Column(int, pa.Check.ge(0), nullable=nullable)


def _amount(nullable: bool = True) -> pa.Column:
    return pa.Column(float, pa.Check.ge(0), nullable=nullable)


RAW_SCHEMAS: dict[str, pa.DataFrameSchema] = {
    google_ads.TABLE: _schema(
        google_ads.TABLE,
        {
            "date_day": pa.Column(_DATE, nullable=False),
            "campaign_name": pa.Column(str, nullable=False),
            "campaign_id": pa.Column(str, nullable=True),
            "impressions": _count(),
            "clicks": _count(),
            "cost": _amount(nullable=False),
            "conversions": _amount(),
            "conversion_value": _amount(),
        },
        # A campaign appears once per day within one delivered file.
        unique=["_file_hash", "date_day", "campaign_name", "campaign_id"],
    ),
    search_console.QUERY_DAYS: _schema(
        search_console.QUERY_DAYS,
        {
            "date_day": pa.Column(_DATE, nullable=False),
            "query": pa.Column(str, nullable=True),
            "impressions": _count(nullable=False),
            "clicks": _count(nullable=False),
            # 1-based position times impressions: at least the impressions.
            "position_sum": _amount(nullable=False),
            "export_kind": pa.Column(str, pa.Check.isin(["bulk", "api"]), nullable=False),
        },
    ),
    search_console.SITE_DAYS: _schema(
        search_console.SITE_DAYS,
        {
            "date_day": pa.Column(_DATE, nullable=False),
            "clicks": _count(nullable=False),
            "impressions": _count(nullable=False),
            "position": pa.Column(float, pa.Check.ge(1), nullable=False),
        },
        unique=["_file_hash", "date_day"],
    ),
    search_console.PERIOD_QUERIES: _schema(
        search_console.PERIOD_QUERIES,
        {
            "clicks": _count(nullable=False),
            "impressions": _count(nullable=False),
            "position": pa.Column(float, pa.Check.ge(1), nullable=False),
            "is_relative_period": pa.Column(bool, nullable=False),
        },
    ),
    ga4.TABLE: _schema(
        ga4.TABLE,
        {
            "date_day": pa.Column(_DATE, nullable=False),
            "channel_group": pa.Column(
                str, pa.Check.isin(sorted(ga4.DEFAULT_CHANNELS)), nullable=False
            ),
            "sessions": _count(nullable=False),
            "engaged_sessions": _count(),
            "key_events": _amount(),
            "total_revenue": _amount(),
        },
        unique=["_file_hash", "date_day", "channel_group"],
    ),
    shopify.ORDERS: _schema(
        shopify.ORDERS,
        {
            "order_name": pa.Column(str, nullable=False),
            "financial_status": pa.Column(
                str, pa.Check.isin(sorted(shopify.FINANCIAL_STATUSES)), nullable=False
            ),
            "created_at": pa.Column(_TIMESTAMP, nullable=False),
            "total": _amount(nullable=False),
            "line_items": pa.Column(int, pa.Check.ge(1), nullable=False),
        },
        unique=["_file_hash", "order_name"],
    ),
    shopify.ORDER_LINES: _schema(
        shopify.ORDER_LINES,
        {
            "order_name": pa.Column(str, nullable=False),
            "line_number": pa.Column(int, pa.Check.ge(1), nullable=False),
            "quantity": _count(nullable=False),
            "price": _amount(),
        },
        unique=["_file_hash", "order_name", "line_number"],
    ),
    zendesk.TABLE: _schema(
        zendesk.TABLE,
        {
            "ticket_id": pa.Column(int, pa.Check.ge(1), nullable=False),
            "status": pa.Column(str, pa.Check.isin(sorted(zendesk.STATUSES)), nullable=False),
            "created_at": pa.Column(_TIMESTAMP, nullable=False),
            "first_reply_minutes": _amount(),
            "replies": _count(),
        },
        unique=["_file_hash", "ticket_id"],
    ),
    surveys.TABLE: _schema(
        surveys.TABLE,
        {
            "respondent_id": pa.Column(str, nullable=False),
            "nps_score": pa.Column(int, pa.Check.in_range(0, 10), nullable=True),
            "csat_score": pa.Column(int, pa.Check.in_range(1, 5), nullable=True),
        },
        unique=["_file_hash", "respondent_id"],
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
