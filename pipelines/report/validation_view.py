"""Validation and pace in the HTML report: a block per KPI and a trend chart with the forecast.

Kept apart from html_report.py, which calls these two functions per KPI card.
"""

from __future__ import annotations

import html
from typing import Any

from pipelines.report.scorecard import format_value
from pipelines.validation.output import pace_text
from pipelines.validation.verdicts import KpiValidation

VERDICT_COLOURS = {
    "measurable": "#1a7f37",
    "not_measurable": "#cf222e",
    "plausible": "#1a7f37",
    "stretch": "#b08800",
    "implausible": "#cf222e",
    "unknown": "#6e7781",
    "reached": "#1a7f37",
    "on_pace": "#1a7f37",
    "behind": "#cf222e",
}
VALIDATION_CSS = """
.validation{margin-top:.5rem;font-size:.9rem} .validation ul{margin:.3rem 0;padding-left:1.2rem}
.verdict{display:inline-block;border-radius:1rem;padding:.05rem .5rem;color:#fff;font-size:.8rem}
"""
VALIDATION_LEGEND = (
    "Dotted line and shaded band: the forecast to the deadline and its 80 % interval."
)


def _verdict(kind: str, word: str) -> str:
    colour = VERDICT_COLOURS.get(word, "#6e7781")
    label = html.escape(word.replace("_", " "))
    return (
        f'<span class="verdict {kind} verdict-{word}" data-{kind}="{word}" '
        f'style="background:{colour}">{label}</span>'
    )


def validation_block(result: KpiValidation | None, unit: str | None, frequency: str) -> str:
    if result is None:
        return '<div class="validation"><span class="meta">not validated</span></div>'
    reasons = "".join(f"<li>{html.escape(r)}</li>" for r in result.reasons)
    warnings = "".join(
        f'<li class="warning">warning: {html.escape(w)}</li>' for w in result.warnings
    )
    return (
        f'<div class="validation" data-kpi="{html.escape(result.kpi_id)}">'
        f"{_verdict('measurability', result.measurability.verdict.value)} "
        f"{_verdict('achievability', result.achievability.verdict.value)} "
        f"{_verdict('pace', result.achievability.pace.value)} "
        f'<span class="pace-text">{html.escape(pace_text(result, unit, frequency))}</span>'
        f"<ul>{reasons}{warnings}</ul></div>"
    )


def forecast_trend_chart(
    points: list[dict[str, Any]],
    unit: str | None,
    result: KpiValidation | None,
    colours: dict[str, str],
    width: int = 380,
    height: int = 150,
) -> str | None:
    """The trend chart with the forecast and its interval up to the deadline next to the target
    line; None when the KPI has no forecast (the plain trend chart is shown instead)."""
    forecast = result.achievability.forecast if result else None
    history = [p for p in points if p["value"] is not None]
    if result is None or forecast is None or not history:
        return None
    target = result.achievability.figures.get("target")
    values = [p["value"] for p in history] + forecast.low + forecast.high
    targets = [p["target"] for p in points if p["target"] is not None]
    if isinstance(target, int | float):
        targets.append(float(target))
    low, high = min(values + targets), max(values + targets)
    if high == low:
        high, low = high + 1, low - 1
    pad_left, pad, inner_w, inner_h = 44, 12, width - 56, height - 36
    total = len(points) + len(forecast.periods)

    def x(index: int) -> float:
        return pad_left + (inner_w * index / max(total - 1, 1))

    def y(value: float) -> float:
        return pad + inner_h * (1 - (value - low) / (high - low))

    def line(pairs: list[tuple[float, float]]) -> str:
        return " ".join(f"{a:.1f},{b:.1f}" for a, b in pairs)

    last = max(i for i, p in enumerate(points) if p["value"] is not None)
    ahead = range(len(points), total)
    parts = [
        f'<svg class="trend-chart with-forecast" width="{width}" height="{height}" role="img">'
    ]
    parts.append(f'<text x="2" y="{pad + 4}">{html.escape(format_value(high, unit))}</text>')
    parts.append(f'<text x="2" y="{pad + inner_h}">{html.escape(format_value(low, unit))}</text>')
    band = [(x(last), y(points[last]["value"]))]
    band += [(x(i), y(v)) for i, v in zip(ahead, forecast.high, strict=True)]
    band += [(x(i), y(v)) for i, v in reversed(list(zip(ahead, forecast.low, strict=True)))]
    parts.append(
        f'<polygon class="forecast-band" fill="#0969da" fill-opacity="0.15" points="{line(band)}"'
        f' data-low="{forecast.low[-1]!r}" data-high="{forecast.high[-1]!r}"/>'
    )
    parts.append(
        '<polyline class="value-line" fill="none" stroke="#0969da" stroke-width="2" points="'
        + line([(x(i), y(p["value"])) for i, p in enumerate(points) if p["value"] is not None])
        + '"/>'
    )
    path = [(x(last), y(points[last]["value"]))]
    path += [(x(i), y(v)) for i, v in zip(ahead, forecast.values, strict=True)]
    parts.append(
        f'<polyline class="forecast-line" data-method="{forecast.method}" fill="none" '
        f'stroke="#0969da" stroke-dasharray="2 3" stroke-width="2" points="{line(path)}"/>'
    )
    target_line = [(x(i), y(p["target"])) for i, p in enumerate(points) if p["target"] is not None]
    if isinstance(target, int | float):
        target_line.append((x(total - 1), y(float(target))))
    if target_line:
        parts.append(
            '<polyline class="target-line" fill="none" stroke="#cf222e" stroke-dasharray="4 3" '
            f'points="{line(target_line)}"/>'
        )
    for i, p in enumerate(points):
        if p["value"] is None:
            continue
        colour = colours.get(p["status"] or "no_data", "#6e7781")
        parts.append(
            f'<circle class="point" data-period="{p["period_start"]}" data-value="{p["value"]!r}" '
            f'cx="{x(i):.1f}" cy="{y(p["value"]):.1f}" r="3" fill="{colour}"/>'
        )
    parts.append(f'<text x="{pad_left}" y="{height - 4}">{points[0]["period_start"]}</text>')
    parts.append(f'<text x="{width - 70}" y="{height - 4}">{forecast.periods[-1]}</text>')
    parts.append("</svg>")
    return "".join(parts)


def validation_parts(
    validation: dict[str, KpiValidation] | None,
    kpi: dict[str, Any],
    points: dict[str, list[dict[str, Any]]],
    colours: dict[str, str],
) -> tuple[str, str | None]:
    """What a KPI card of the report adds: the validation block, and the chart with the forecast
    (None: the plain trend chart). Nothing when the report was made without validation."""
    if validation is None:
        return "", None
    result = validation.get(kpi["kpi_id"])
    block = validation_block(result, kpi["unit"], kpi["frequency"])
    return block, forecast_trend_chart(points.get(kpi["kpi_id"], []), kpi["unit"], result, colours)
