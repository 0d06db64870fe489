"""A self-contained HTML report of the KPI portfolio: goal -> CSF -> KPI, with trend charts.

Everything is inline (CSS and SVG charts, no scripts, no network), so the file can be mailed,
archived and opened anywhere. Data comes from the published warehouse only.
"""

from __future__ import annotations

import datetime as dt
import html
from collections import defaultdict
from pathlib import Path
from typing import Any

import duckdb

from pipelines.report.scorecard import NOTE_MISSING, STATUS_STYLE, format_value
from pipelines.report.validation_view import (
    VALIDATION_CSS,
    VALIDATION_LEGEND,
    validation_parts,
)

STATUS_COLOURS = {
    "on_track": "#1a7f37",
    "at_risk": "#b08800",
    "off_track": "#cf222e",
    "no_target": "#6e7781",
    "no_data": "#6e7781",
    "held": "#57606a",
    "metric": "#8c959f",
}
CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:2rem;color:#1f2328;
max-width:1100px}
h1{margin-bottom:.2rem} h2{border-bottom:2px solid #d0d7de;padding-bottom:.3rem;margin-top:2.5rem}
h3{color:#57606a;margin:1.5rem 0 .5rem} .meta{color:#57606a}
.kpi{border:1px solid #d0d7de;border-radius:8px;padding:1rem;margin:.8rem 0;display:grid;
grid-template-columns:1fr 380px;gap:1rem}
.badge{display:inline-block;border-radius:1rem;padding:.1rem .6rem;color:#fff;font-size:.85rem}
.value{font-size:1.6rem;font-weight:600}
.note{background:#fff8c5;padding:.4rem .6rem;border-radius:4px}
.held{border:1px dashed #57606a;border-radius:4px;padding:.1rem .5rem;color:#57606a;
font-size:.85rem}
table{border-collapse:collapse}
td,th{padding:.25rem .6rem;border-bottom:1px solid #d0d7de;text-align:left}
svg text{font-size:10px;fill:#57606a}
.summary td.num{text-align:right;font-variant-numeric:tabular-nums}
.missing-note{background:#ffebe9}
.drivers{margin:.4rem 0} .drivers td{font-size:.9rem}
"""


def _rows(con: duckdb.DuckDBPyConnection, sql: str) -> list[dict[str, Any]]:
    cursor = con.execute(sql)
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def load_report_data(warehouse_path: Path) -> dict[str, Any]:
    with duckdb.connect(str(warehouse_path), read_only=True) as con:
        return report_data(con)


def report_data(con: duckdb.DuckDBPyConnection) -> dict[str, Any]:
    """What the report shows, from a connection that has the marts and bi.about."""
    return {
        "goals": _rows(con, "select * from marts.dim_goal order by goal_id"),
        "csfs": _rows(con, "select * from marts.dim_csf order by csf_id"),
        "kpis": _rows(con, "select * from marts.dim_kpi order by kpi_id"),
        "scorecard": _rows(con, "select * from marts.kpi_scorecard"),
        "values": _rows(
            con,
            "select kpi_id, period_start, value, target, status from marts.fct_kpi_values "
            "where is_complete order by kpi_id, period_start",
        ),
        "notes": _rows(con, "select * from marts.fct_kpi_notes order by period_start"),
        "about": _rows(con, "select * from bi.about order by source"),
    }


def filter_report_data(data: dict[str, Any], kpi_ids: set[str], description: str) -> dict[str, Any]:
    """The report data of the given KPIs only (a team's, an owner's, a goal's or a level's)."""
    kept = dict(data)
    for key in ("kpis", "scorecard", "values", "notes"):
        kept[key] = [row for row in data[key] if row["kpi_id"] in kpi_ids]
    csf_ids = {kpi["csf_id"] for kpi in kept["kpis"]}
    goal_ids = {kpi["goal_id"] for kpi in kept["kpis"]}
    kept["csfs"] = [csf for csf in data["csfs"] if csf["csf_id"] in csf_ids]
    kept["goals"] = [goal for goal in data["goals"] if goal["goal_id"] in goal_ids]
    kept["view"] = description
    return kept


def _change_cell(card: dict[str, Any], unit: str | None) -> str:
    change = card.get("change")
    if change is None:
        return "-"
    arrow = "▲" if change > 0 else ("▼" if change < 0 else "=")
    text = f"{arrow} {format_value(abs(change), unit)}"
    if card.get("change_ratio") is not None:
        text += f" ({card['change_ratio']:+.0%})"
    return text


def _pace_cell(card: dict[str, Any], unit: str | None) -> str:
    for column in ("pace", "pace_status"):
        value = card.get(column)
        if value is not None:
            return value.replace("_", " ") if isinstance(value, str) else format_value(value, unit)
    return "-"


def summary_table(data: dict[str, Any]) -> str:
    """Every KPI in one table before the cards: status, value, target, change, pace."""
    esc = html.escape
    scorecard = {row["kpi_id"]: row for row in data["scorecard"]}
    rows = [
        '<table class="summary"><tr><th>KPI</th><th>status</th><th>period from</th>'
        "<th>value</th><th>target</th><th>change on the period before</th><th>pace</th></tr>"
    ]
    for kpi in sorted(data["kpis"], key=lambda k: (k["goal_id"] or "", k["kpi_id"])):
        card = scorecard.get(kpi["kpi_id"], {})
        unit = kpi["unit"]
        rows.append(
            f'<tr data-kpi="{esc(kpi["kpi_id"])}"><td><a href="#kpi-{esc(kpi["kpi_id"])}">'
            f"{esc(kpi['kpi_name'])}</a></td>"
            f"<td>{_badge(card.get('status'), card.get('held_reason'))}</td>"
            f"<td>{card.get('period_start') or '-'}</td>"
            f'<td class="num">{esc(format_value(card.get("value"), unit))}</td>'
            f'<td class="num">{esc(format_value(card.get("target"), unit))}</td>'
            f'<td class="num">{esc(_change_cell(card, unit))}</td>'
            f"<td>{esc(_pace_cell(card, unit))}</td></tr>"
        )
    rows.append("</table>")
    return "".join(rows)


def sections_per_team_and_person(data: dict[str, Any]) -> str:
    """One summary table per team and per person, after the organisation's goals."""
    esc = html.escape
    parts: list[str] = []
    for field, title in (("team", "Per team"), ("person", "Per person")):
        groups = sorted({k[field] for k in data["kpis"] if k.get(field)})
        if not groups:
            continue
        parts.append(f'<h2 class="level">{title}</h2>')
        for name in groups:
            kpi_ids = {k["kpi_id"] for k in data["kpis"] if k.get(field) == name}
            parts.append(f'<h3 class="level-{field}" data-{field}="{esc(name)}">{esc(name)}</h3>')
            parts.append(summary_table(filter_report_data(data, kpi_ids, name)))
    return "".join(parts)


def legend() -> str:
    badges = " ".join(_badge(status) for status in STATUS_STYLE if status != "held")
    return (
        f'<p class="meta legend">Status: {badges}. On track meets the target, at risk is within '
        "5 % of it; a KPI held by a failed data check shows why instead, with its last good value; "
        "a supporting metric has no target and shows metric. "
        "Charts: blue line the value per complete period, dashed red line the target, "
        "a yellow mark a period with an owner's note.</p>"
    )


def _missing_note(card: dict[str, Any]) -> str:
    """The "no note yet" mark of an off-track (or held) period without an owner's note."""
    if card.get("role") == "metric":
        return ""
    if card.get("status") in {"off_track", "held"} and not card.get("note"):
        return f'<p class="note missing-note">{NOTE_MISSING}: the owner has not explained it</p>'
    return ""


def goal_on_track(data: dict[str, Any], goal_id: str) -> str:
    """How many of a goal's key KPIs are on track in their latest complete period (supporting
    metrics have no target and are not counted)."""
    kpi_ids = {
        k["kpi_id"]
        for k in data["kpis"]
        if k["goal_id"] == goal_id and k.get("role", "kpi") != "metric"
    }
    on_track = sum(
        row["status"] == "on_track" for row in data["scorecard"] if row["kpi_id"] in kpi_ids
    )
    return f"{on_track} of {len(kpi_ids)} KPIs on track"


def drivers_table(kpi: dict[str, Any], data: dict[str, Any]) -> str:
    """The supporting metrics a KPI names as its drivers, with their latest complete values."""
    names = [name.strip() for name in (kpi.get("drivers") or "").split(",") if name.strip()]
    if not names:
        return ""
    esc = html.escape
    kpis = {k["kpi_id"]: k for k in data["kpis"]}
    scorecard = {row["kpi_id"]: row for row in data["scorecard"]}
    rows = [
        '<table class="drivers"><tr><th>driver</th><th>period from</th><th>value</th>'
        "<th>change on the period before</th></tr>"
    ]
    for name in names:
        metric, card = kpis.get(name), scorecard.get(name, {})
        unit = metric["unit"] if metric else None
        label = metric["kpi_name"] if metric else name
        rows.append(
            f'<tr data-driver="{esc(name)}"><td><a href="#kpi-{esc(name)}">{esc(label)}</a></td>'
            f"<td>{card.get('period_start') or '-'}</td>"
            f'<td class="num">{esc(format_value(card.get("value"), unit))}</td>'
            f'<td class="num">{esc(_change_cell(card, unit))}</td></tr>'
        )
    rows.append("</table>")
    return "".join(rows)


def noted_periods(notes: dict[str, list[dict[str, Any]]], kpi_id: str) -> set[Any]:
    return {note["period_start"] for note in notes.get(kpi_id, [])}


def _badge(status: str | None, held_reason: str | None = None) -> str:
    """The status as a coloured badge; a held KPI shows why instead of a status colour."""
    if held_reason:
        return f'<span class="held status-held">{html.escape(held_reason)}</span>'
    status = status or "no_data"
    colour = STATUS_COLOURS.get(status, "#6e7781")
    label = html.escape(status.replace("_", " "))
    return f'<span class="badge status-{status}" style="background:{colour}">{label}</span>'


def trend_chart(
    points: list[dict[str, Any]],
    unit: str | None,
    width: int = 380,
    height: int = 150,
    noted: set[Any] | None = None,
) -> str:
    """An SVG line chart of the complete periods, with the target as a dashed line."""
    values = [p["value"] for p in points if p["value"] is not None]
    targets = [p["target"] for p in points if p["target"] is not None]
    if not values:
        return (
            '<svg class="trend-chart empty" width="380" height="40"><text x="4" y="20">'
            "no complete period with a value yet</text></svg>"
        )
    low, high = min(values + targets), max(values + targets)
    if high == low:
        high, low = high + 1, low - 1
    pad_left, pad, inner_w, inner_h = 44, 12, width - 56, height - 36

    def x(index: int) -> float:
        return pad_left + (inner_w * index / max(len(points) - 1, 1))

    def y(value: float) -> float:
        return pad + inner_h * (1 - (value - low) / (high - low))

    parts = [f'<svg class="trend-chart" width="{width}" height="{height}" role="img">']
    for step in range(3):  # gridlines at the top, middle and bottom, labelled
        level = high - (high - low) * step / 2
        parts.append(
            f'<line class="gridline" x1="{pad_left}" x2="{pad_left + inner_w}" '
            f'y1="{y(level):.1f}" y2="{y(level):.1f}" stroke="#eaeef2"/>'
            f'<text x="2" y="{y(level) + 4:.1f}">{html.escape(format_value(level, unit))}</text>'
        )
    line = [(x(i), y(p["value"])) for i, p in enumerate(points) if p["value"] is not None]
    parts.append(
        '<polyline class="value-line" fill="none" stroke="#0969da" stroke-width="2" points="'
        + " ".join(f"{a:.1f},{b:.1f}" for a, b in line)
        + '"/>'
    )
    target_line = [(x(i), y(p["target"])) for i, p in enumerate(points) if p["target"] is not None]
    if len(target_line) == 1:  # one period: draw the target across the chart
        target_line = [(pad_left, target_line[0][1]), (pad_left + inner_w, target_line[0][1])]
    if target_line:
        parts.append(
            '<polyline class="target-line" fill="none" stroke="#cf222e" stroke-dasharray="4 3" '
            'points="' + " ".join(f"{a:.1f},{b:.1f}" for a, b in target_line) + '"/>'
        )
    for i, p in enumerate(points):
        if p["value"] is None:
            continue
        if noted and p["period_start"] in noted:
            parts.append(
                f'<rect class="note-mark" x="{x(i) - 5:.1f}" y="{y(p["value"]) - 5:.1f}" '
                'width="10" height="10" fill="#fff8c5" stroke="#b08800"/>'
            )
        colour = STATUS_COLOURS.get(p["status"] or "no_data", "#6e7781")
        parts.append(
            f'<circle class="point" data-period="{p["period_start"]}" data-value="{p["value"]!r}" '
            f'cx="{x(i):.1f}" cy="{y(p["value"]):.1f}" r="3" fill="{colour}"/>'
        )
    first, last = points[0]["period_start"], points[-1]["period_start"]
    parts.append(f'<text x="{pad_left}" y="{height - 4}">{first}</text>')
    parts.append(f'<text x="{width - 70}" y="{height - 4}">{last}</text>')
    parts.append("</svg>")
    return "".join(parts)


def render_report(
    data: dict[str, Any], generated_at: dt.datetime | None = None, timezone: str | None = None
) -> str:
    import os

    generated_at = (generated_at or dt.datetime.now(dt.UTC)).astimezone(dt.UTC)
    timezone = timezone or os.environ.get("KPI_REPORTING_TIMEZONE", "Europe/Amsterdam")
    scorecard = {row["kpi_id"]: row for row in data["scorecard"]}
    points: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in data["values"]:
        points[row["kpi_id"]].append(row)
    notes: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for note in data["notes"]:
        notes[note["kpi_id"]].append(note)
    kpis_by_csf: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for kpi in data["kpis"]:
        kpis_by_csf[kpi["csf_id"]].append(kpi)
    as_of = data["about"][0]["as_of"] if data["about"] else None
    esc = html.escape
    validation = data.get("validation")  # kpi id -> KpiValidation, when computed

    title = "KPI report" + (f": {data['view']}" if data.get("view") else "")
    body = [
        f"<h1>{esc(title)}</h1>",
        f'<p class="meta">As of {esc(str(as_of))} ({esc(timezone)}); generated '
        f"{generated_at:%Y-%m-%d %H:%M} UTC.</p>",
        legend(),
        "<h2>Summary</h2>",
        summary_table(data),
        '<h2>Data freshness</h2><table class="freshness"><tr><th>source</th><th>data from</th>'
        "<th>data until</th><th>days behind the as-of day</th><th>held</th></tr>",
    ]
    for row in data["about"]:
        behind = (as_of.date() - row["data_until"]).days if as_of and row["data_until"] else None
        body.append(
            f'<tr class="source" data-source="{esc(row["source"])}"><td>{esc(row["source"])}</td>'
            f"<td>{row['data_from']}</td><td>{row['data_until']}</td><td>{behind}</td>"
            f"<td>{esc(row.get('held_reason') or '')}</td></tr>"
        )
    body.append("</table>")
    for goal in data["goals"]:
        body.append(
            f'<h2 class="goal">{esc(goal["goal_name"])} '
            f'<span class="meta goal-count">{goal_on_track(data, goal["goal_id"])}</span></h2>'
        )
        if goal["description"]:
            body.append(f'<p class="meta">{esc(goal["description"])}</p>')
        for csf in (c for c in data["csfs"] if c["goal_id"] == goal["goal_id"]):
            body.append(f'<h3 class="csf">{esc(csf["csf_name"])}</h3>')
            for kpi in kpis_by_csf.get(csf["csf_id"], []):
                card = scorecard.get(kpi["kpi_id"], {})
                period = card.get("period_start")
                latest = (
                    f"{format_value(card.get('value'), kpi['unit'])}"
                    f'<span class="meta"> in the period from {period}</span>'
                    if period
                    else '<span class="meta">no complete period yet</span>'
                )
                kpi_notes = "".join(
                    f'<p class="note">{n["period_start"]}: {esc(n["note"])}'
                    f"{' (' + esc(n['author']) + ')' if n['author'] else ''}</p>"
                    for n in notes.get(kpi["kpi_id"], [])
                )
                checks, chart = validation_parts(validation, kpi, points, STATUS_COLOURS)
                chart = chart or trend_chart(
                    points.get(kpi["kpi_id"], []),
                    kpi["unit"],
                    noted=noted_periods(notes, kpi["kpi_id"]),
                )
                aim = (
                    "Supporting metric (no target)"
                    if kpi.get("role") == "metric"
                    else f"Target {format_value(kpi['target'], kpi['unit'])} by {kpi['deadline']}"
                )
                body.append(
                    f'<div class="kpi" id="kpi-{esc(kpi["kpi_id"])}"><div>'
                    f"<strong>{esc(kpi['kpi_name'])}</strong> "
                    f"{_badge(card.get('status'), card.get('held_reason'))}"
                    f'<div class="value">{latest}</div>'
                    f'<p class="meta">{esc(aim)} · {esc(kpi["frequency"])} · '
                    f"owner {esc(kpi['owner'] or '')}</p>"
                    f"<p>{esc(kpi['description'] or '')}</p>{drivers_table(kpi, data)}"
                    f"{kpi_notes}{_missing_note(card)}"
                    f"{checks}</div>{chart}</div>"
                )
    if validation is not None:
        body.append(f'<p class="meta">{VALIDATION_LEGEND}</p>')
    if not data.get("view"):
        body.append(sections_per_team_and_person(data))
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>KPI report</title>'
        f"<style>{CSS}{VALIDATION_CSS}</style></head><body>{''.join(body)}</body></html>"
    )


def write_report(data: dict[str, Any], out: Path) -> Path:
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(render_report(data), encoding="utf-8")
    return out
