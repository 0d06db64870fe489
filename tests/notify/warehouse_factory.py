"""A small hand-made published file with the tables digests read (scorecard, values, about)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import duckdb

SCORECARD_COLUMNS = {
    "kpi_id": "varchar",
    "kpi_name": "varchar",
    "goal_id": "varchar",
    "csf_id": "varchar",
    "frequency": "varchar",
    "unit": "varchar",
    "direction": "varchar",
    "owner": "varchar",
    "period_start": "date",
    "period_end": "date",
    "value": "double",
    "target": "double",
    "status": "varchar",
    "previous_value": "double",
    "change": "double",
    "change_ratio": "double",
    "deadline": "date",
    "note": "varchar",
    "note_author": "varchar",
}


def write_warehouse(
    path: Path, history: dict[str, list[tuple[dt.date, dt.date, float, float, str]]], as_of: str
) -> Path:
    """`history`: per KPI its complete periods (start, end, value, target, status), oldest first;
    the scorecard row is the last one, with the change against the one before."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.unlink(missing_ok=True)
    with duckdb.connect(str(path)) as con:
        con.execute("create schema marts")
        con.execute("create schema bi")
        columns = ", ".join(f"{name} {kind}" for name, kind in SCORECARD_COLUMNS.items())
        con.execute(f"create table marts.kpi_scorecard ({columns})")
        con.execute(
            "create table marts.fct_kpi_values (kpi_id varchar, period_start date, "
            "period_end date, value double, target double, status varchar, is_complete boolean)"
        )
        con.execute("create table bi.about (as_of timestamp, source varchar)")
        con.execute("insert into bi.about values (?, 'google_ads')", [as_of])
        for kpi_id, periods in history.items():
            for start, end, value, target, status in periods:
                con.execute(
                    "insert into marts.fct_kpi_values values (?, ?, ?, ?, ?, ?, true)",
                    [kpi_id, start, end, value, target, status],
                )
            start, end, value, target, status = periods[-1]
            previous = periods[-2][2] if len(periods) > 1 else None
            row: dict[str, Any] = dict.fromkeys(SCORECARD_COLUMNS)
            row.update(
                kpi_id=kpi_id,
                kpi_name=kpi_id,
                frequency="weekly",
                unit="ratio",
                period_start=start,
                period_end=end,
                value=value,
                target=target,
                status=status,
                previous_value=previous,
                change=None if previous is None else value - previous,
            )
            con.execute(
                f"insert into marts.kpi_scorecard values ({', '.join('?' * len(row))})",
                list(row.values()),
            )
    return path
