"""The validate command's output: plain text or JSON, and its exit code."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from pipelines.validation.achievability import figure_text
from pipelines.validation.verdicts import Achievability, KpiValidation

VERDICT_STYLE = {
    "measurable": "green",
    "not_measurable": "red",
    "plausible": "green",
    "stretch": "yellow",
    "implausible": "red",
    "unknown": "dim",
}


def exit_code(results: list[KpiValidation], *, strict: bool = False) -> int:
    """0 when every KPI is measurable and not implausible; with `strict`, warnings and unknown
    achievability fail too."""
    if not all(result.passes for result in results):
        return 1
    if strict and any(
        result.warnings or result.achievability.verdict == Achievability.unknown
        for result in results
    ):
        return 1
    return 0


def validation_json(results: list[KpiValidation], as_of: dt.date) -> str:
    return json.dumps(
        {"as_of": as_of.isoformat(), "kpis": [result.as_json() for result in results]}, indent=2
    )


def validation_text(results: list[KpiValidation], as_of: dt.date) -> str:
    """Rich markup: one block per KPI with its verdicts, reasons and warnings."""
    lines = [f"[bold]KPI validation[/bold] as of {as_of}"]
    for result in results:
        m = result.measurability.verdict.value
        a = result.achievability.verdict.value
        pace = result.achievability.pace.value.replace("_", " ")
        lines.append(
            f"\n[bold]{result.kpi_id}[/bold]  [{VERDICT_STYLE[m]}]{m.replace('_', ' ')}[/]"
            f" · [{VERDICT_STYLE[a]}]{a}[/] · pace: {pace}"
        )
        lines.extend(f"  - {reason}" for reason in result.reasons)
        lines.extend(f"  [yellow]warning[/yellow]: {warning}" for warning in result.warnings)
    passed = sum(result.passes for result in results)
    lines.append(
        f"\n{len(results)} KPIs: {passed} measurable and not implausible, "
        f"{len(results) - passed} to look at."
    )
    return "\n".join(lines)


PER = {"daily": "day", "weekly": "week", "monthly": "month", "quarterly": "quarter"}


def pace_text(result: KpiValidation, unit: str | None, frequency: str | None = None) -> str:
    """`on pace`, `reached`, `unknown` or `behind`, with the level per period still needed."""
    achievability = result.achievability
    pace = achievability.pace.value.replace("_", " ")
    needed, level = achievability.needed_change_per_period, achievability.needed_next_level
    if needed is None or level is None or achievability.pace.value == "reached":
        return pace
    per = PER.get(frequency or "", "period")
    sign = "+" if needed >= 0 else "-"
    return (
        f"{pace}: needs {figure_text(level, unit)} next {per} "
        f"({sign}{figure_text(abs(needed), unit)} a {per})"
    )


def with_validation(
    rows: list[dict[str, Any]], results: dict[str, KpiValidation]
) -> list[dict[str, Any]]:
    """Scorecard rows with each KPI's pace, the level it needs next period and its verdicts."""
    out = []
    for row in rows:
        result = results.get(row["kpi_id"])
        if result is None:
            out.append({**row, "pace": None, "needed_next_level": None})
            continue
        achievability = result.achievability
        out.append(
            {
                **row,
                "pace": achievability.pace.value,
                "needed_next_level": achievability.needed_next_level,
                "needed_change_per_period": achievability.needed_change_per_period,
                "pace_text": pace_text(result, row.get("unit"), row.get("frequency")),
                "validation": result.as_json(),
            }
        )
    return out
