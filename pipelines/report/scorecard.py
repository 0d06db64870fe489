"""The KPI scorecard read from the published warehouse, as a terminal table, JSON or CSV."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from pathlib import Path
from typing import Any

import duckdb
from rich.console import Group
from rich.table import Table
from rich.text import Text

STATUS_STYLE = {
    "on_track": "bold green",
    "at_risk": "bold yellow",
    "off_track": "bold red",
    "no_target": "dim",
    "no_data": "dim",
    "held": "bold magenta",
    "metric": "dim",
}
COLUMNS = [
    "kpi_id",
    "kpi_name",
    "goal_id",
    "frequency",
    "period_start",
    "period_end",
    "value",
    "unit",
    "target",
    "status",
    "previous_value",
    "change",
    "change_ratio",
    "owner",
    "deadline",
    "note",
    "note_author",
    "held_reason",
    "held_since",
    "role",
    "drivers",
]
# Added by `with_validation` (pipelines/validation/output.py) when the validation ran.
PACE_COLUMNS = ["pace", "needed_next_level", "needed_change_per_period"]


def read_scorecard(warehouse_path: Path) -> list[dict[str, Any]]:
    """The scorecard of a published DuckDB file."""
    if not warehouse_path.exists():
        raise FileNotFoundError(
            f"no published warehouse at {warehouse_path}; run `kpi-warehouse run` first"
        )
    with duckdb.connect(str(warehouse_path), read_only=True) as con:
        return scorecard_rows(con)


def scorecard_rows(con: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    """The scorecard from a connection that has the marts (published file or Spark's tables)."""
    cursor = con.execute(
        f"select {', '.join(COLUMNS)} from marts.kpi_scorecard order by goal_id, kpi_id"
    )
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def format_value(value: float | None, unit: str | None) -> str:
    if value is None:
        return "-"
    if unit == "percent":
        return f"{value:.1f}%"
    if unit == "count":
        return f"{value:,.0f}"
    if unit == "currency":
        return f"€{value:,.2f}"
    if unit == "minutes":
        return f"{value:,.0f} min"
    if unit == "days":
        return f"{value:,.1f} days"
    return f"{value:,.2f}"


def _period(row: dict[str, Any]) -> str:
    start, end = row["period_start"], row["period_end"]
    if start is None:
        return "no complete period yet"
    last = end - dt.timedelta(days=1)
    return start.isoformat() if start == last else f"{start.isoformat()} to {last.isoformat()}"


def _change(row: dict[str, Any]) -> str:
    if row["change"] is None:
        return "-"
    arrow = "▲" if row["change"] > 0 else ("▼" if row["change"] < 0 else "=")
    text = f"{arrow} {format_value(abs(row['change']), row['unit'])}"
    if row["change_ratio"] is not None:
        text += f" ({row['change_ratio']:+.0%})"
    return text


def scorecard_table(rows: list[dict[str, Any]]) -> Table:
    table = Table(title="KPI scorecard", show_lines=False, header_style="bold")
    widths = {"KPI": 34, "Goal": 18, "Period": 24, "Status": 9}
    paced = any("pace_text" in row for row in rows)
    for column in ("KPI", "Goal", "Period", "Value", "Target", "Status", "Change", "Owner", "Note"):
        table.add_column(column, overflow="fold", min_width=widths.get(column))
        if column == "Status" and paced:
            table.add_column("Pace", overflow="fold")
    for row in rows:
        status = row["status"] or "no_data"
        status_text = f"[{STATUS_STYLE.get(status, '')}]{status.replace('_', ' ')}[/]"
        if row.get("held_reason"):  # why instead of a status: the value is the last good one
            status_text = f"[{STATUS_STYLE['held']}]{row['held_reason']}[/]"
        pace = [row.get("pace_text") or "-"] if paced else []
        table.add_row(
            f"{row['kpi_name']}\n[dim]{row['kpi_id']} · {row['frequency']}[/dim]",
            row["goal_id"] or "",
            _period(row),
            format_value(row["value"], row["unit"]),
            format_value(row["target"], row["unit"]),
            status_text,
            *pace,
            _change(row),
            row["owner"] or "",
            (
                f"{row['note']} [dim]({row['note_author']})[/dim]"
                if row["note_author"]
                else row["note"]
            )
            if row["note"]
            else "",
        )
    return table


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, dt.date) else value


def scorecard_json(rows: list[dict[str, Any]]) -> str:
    return json.dumps([{k: _plain(v) for k, v in row.items()} for row in rows], indent=2)


def scorecard_csv(rows: list[dict[str, Any]]) -> str:
    buffer = io.StringIO()
    paced = [column for column in PACE_COLUMNS if rows and column in rows[0]]
    writer = csv.DictWriter(
        buffer, fieldnames=COLUMNS + paced, lineterminator="\n", extrasaction="ignore"
    )
    writer.writeheader()
    for row in rows:
        writer.writerow({k: _plain(v) for k, v in row.items()})
    return buffer.getvalue()


# --- the compact table: one row per KPI, owner and note on a second line -----------------------

NOTE_MISSING = "no note yet"
COMPACT_WIDTHS = {"KPI": 34, "Period": 10, "Value": 11, "Target": 11, "Status": 9, "Change": 17}


def note_text(row: dict[str, Any]) -> str:
    """The owner's note, or "no note yet" for an off-track (or held) period without one."""
    if row.get("note"):
        author = f" ({row['note_author']})" if row.get("note_author") else ""
        return f"{row['note']}{author}"
    if row.get("status") in {"off_track", "held"} and row.get("role") != "metric":
        return NOTE_MISSING
    return ""


def short_period(row: dict[str, Any]) -> str:
    """2026-W39, 2026-09, 2026-Q3 or the day: the period in at most 10 characters."""
    start = row.get("period_start")
    if start is None:
        return "none yet"
    frequency = row.get("frequency")
    if frequency == "weekly":
        year, week, _ = start.isocalendar()
        return f"{year}-W{week:02d}"
    if frequency == "monthly":
        return f"{start:%Y-%m}"
    if frequency == "quarterly":
        return f"{start.year}-Q{(start.month - 1) // 3 + 1}"
    return start.isoformat()


def _cell(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def compact_scorecard(
    rows: list[dict[str, Any]],
    teams: dict[str, str | None] | None = None,
    width: int = 100,
    title: str = "KPI scorecard",
) -> Group:
    """The scorecard in `width` columns (at least 100 fit): a row per KPI with period, value,
    target, status and change, and a second line with the owner, team and note."""
    import textwrap

    teams = teams or {}
    header = " ".join(name.ljust(w) for name, w in COMPACT_WIDTHS.items()).rstrip()
    lines: list[Text] = [Text(title, style="bold"), Text(header, style="bold")]
    for row in rows:
        status = row.get("status") or "no_data"
        unit = row.get("unit")
        cells = [
            _cell(f"{row['kpi_id']}", COMPACT_WIDTHS["KPI"]),
            short_period(row),
            _cell(format_value(row.get("value"), unit), COMPACT_WIDTHS["Value"]),
            _cell(format_value(row.get("target"), unit), COMPACT_WIDTHS["Target"]),
        ]
        line = Text(
            " ".join(
                c.ljust(w) for c, w in zip(cells, list(COMPACT_WIDTHS.values())[:4], strict=True)
            )
            + " "
        )
        line.append(
            status.replace("_", " ").ljust(COMPACT_WIDTHS["Status"]), STATUS_STYLE.get(status, "")
        )
        line.append(" " + _cell(_change(row), COMPACT_WIDTHS["Change"]))
        lines.append(line)
        second = [row.get("kpi_name") or ""]
        if row.get("held_reason"):  # the value is the last good one; say why it is not newer
            second.append(str(row["held_reason"]))
        if row.get("owner"):
            second.append(f"owner {row['owner']}")
        if teams.get(row["kpi_id"]):
            second.append(f"team {teams[row['kpi_id']]}")
        for column in ("pace", "pace_status"):
            if isinstance(row.get(column), str):
                second.append(f"pace {row[column].replace('_', ' ')}")
        if row.get("drivers"):
            second.append(f"drivers {row['drivers']}")
        note = note_text(row)
        if note:
            second.append(f"note: {note}")
        for wrapped in textwrap.wrap(
            " · ".join(second),
            width=max(width, 60) - 1,
            initial_indent="    ",
            subsequent_indent="      ",
        ):
            lines.append(Text(wrapped, style="dim" if NOTE_MISSING not in wrapped else "yellow"))
    return Group(*lines)
