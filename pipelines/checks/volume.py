"""Volume check: a source whose latest day drops far below its recent average fails, so KPI values
are not rebuilt from a partial delivery (they keep their last good values until it is fixed)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb

# raw table -> SQL expression of the day a row belongs to
DATE_EXPRESSIONS = {
    "google_ads_campaign_days": "date_day",
    "search_console_query_days": "date_day",
    "ga4_channel_days": "date_day",
    "orders": "cast(created_at as date)",
    "support_tickets": "cast(created_at as date)",
}
HISTORY_DAYS = 28
MIN_HISTORY_DAYS = 7


@dataclass
class VolumeOutcome:
    passed: bool
    latest_day: str | None
    latest_rows: int
    average_rows: float
    message: str


def check_volume(raw_dir: Path, table: str, drop_share: float) -> VolumeOutcome:
    """Rows of the latest day (latest delivery per day) against the 28 days before it."""
    pattern = str(raw_dir / table / "*.parquet").replace("'", "''")
    day = DATE_EXPRESSIONS[table]
    with duckdb.connect() as con:
        rows = con.execute(
            f"""
            with delivered as (
                select {day} as day, _loaded_at,
                       max(_loaded_at) over (partition by {day}) as latest_load
                from read_parquet('{pattern}', union_by_name = true)
            )
            select day, count(*) as rows
            from delivered
            where _loaded_at = latest_load
            group by day
            order by day desc
            limit {HISTORY_DAYS + 1}
            """
        ).fetchall()
    if len(rows) < MIN_HISTORY_DAYS + 1:
        return VolumeOutcome(True, None, 0, 0.0, f"{table}: not enough history to compare yet")
    (latest_day, latest_rows), history = rows[0], rows[1:]
    average = sum(r for _, r in history) / len(history)
    floor = (1 - drop_share) * average
    passed = latest_rows >= floor
    verdict = "within" if passed else "below"
    message = (
        f"{table}: {latest_rows} rows on {latest_day}, {verdict} {1 - drop_share:.0%} of the "
        f"average {average:.0f} rows/day of the {len(history)} days before"
    )
    if not passed:
        message += "; KPIs are not rebuilt until the delivery is complete (re-deliver the file)"
    return VolumeOutcome(passed, str(latest_day), latest_rows, average, message)
