"""Alerts that fire once: a KPI's latest complete period turning off track (or held), and back.

Only the latest complete period of each KPI counts, and only when it is the same as or newer than
the period the KPI's state was last set at, so a rerun (same periods) or a backfill (older
periods rebuilt) never raises an alert again.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from pipelines.notify.state import Alert, NotifyState

ALERTING_STATUSES = {"off_track", "held"}
CLEAR_STATUSES = {"on_track"}


def alert_kind(row: dict[str, Any]) -> str | None:
    """'held' or 'off_track' when the period warrants an alert, 'on_track' when clear, else None
    (at risk, no target, no data: the state stays as it is). A supporting metric (role `metric`)
    has no target and never alerts."""
    if row.get("role") == "metric":
        return None
    if row.get("held_reason") or row.get("status") == "held":
        return "held"
    status = row.get("status")
    if status in ALERTING_STATUSES:
        return "off_track"
    if status in CLEAR_STATUSES:
        return "on_track"
    return None


def evaluate_alerts(state: NotifyState, scorecard: list[dict[str, Any]]) -> list[Alert]:
    """Raise the alerts the scorecard calls for, update each KPI's state; return the new ones."""
    current = state.alert_states()
    raised: list[Alert] = []
    for row in sorted(scorecard, key=lambda r: r["kpi_id"]):
        period: dt.date | None = row.get("period_start")
        kind = alert_kind(row)
        if period is None or kind is None:
            continue
        known = current.get(row["kpi_id"])
        if known is not None and period < known[1]:
            continue  # an older period than the one already judged
        status = str(row.get("status") or "")
        was_alerting = known is not None and known[0] == "alerting"
        if kind in ALERTING_STATUSES and not was_alerting:
            raised.append(
                state.raise_alert(
                    row["kpi_id"], kind, period, status, row.get("value"), row.get("target")
                )
            )
        elif kind == "on_track" and was_alerting:
            raised.append(
                state.raise_alert(
                    row["kpi_id"],
                    "back_on_track",
                    period,
                    status,
                    row.get("value"),
                    row.get("target"),
                )
            )
        elif known is None or period > known[1]:
            state.set_state(row["kpi_id"], "alerting" if was_alerting else "clear", period, status)
    return raised
