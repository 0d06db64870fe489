"""Alerts for failed runs and for runs that completed with held KPIs, to a file and/or a webhook.

KPI_ALERT_FILE (default: alerts.jsonl beside the published warehouse) receives one JSON object per
failed run, and per run in which a failed check held KPIs (naming them, their owners and the
check); KPI_ALERT_WEBHOOK, when set, receives the same object as a JSON POST.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import urllib.request
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import dagster as dg

log = logging.getLogger(__name__)
FRESHNESS_CHECK = "fresh_against_usual_cadence"


@dataclass
class RunAlert:
    run_id: str
    job_name: str
    failed_at: str
    failed_steps: list[str] = field(default_factory=list)
    failed_checks: list[str] = field(default_factory=list)
    failed_assets: list[str] = field(default_factory=list)
    # KPIs held by a failed check: {"kpi": id, "owner": ..., "reason": "held: <check> on ..."}
    held_kpis: list[dict[str, str]] = field(default_factory=list)
    kind: str = "run_failed"  # or "kpis_held": the run completed, some KPIs kept old values
    # sources whose freshness check warned in the run: what the check said (source, KPIs)
    stale_sources: list[str] = field(default_factory=list)
    message: str = ""

    def summary(self) -> str:
        if self.kind == "kpis_held":
            parts = [f"Run {self.run_id[:8]} of {self.job_name} holds KPIs at their last values."]
        elif self.kind == "sources_stale":
            parts = [f"Run {self.run_id[:8]} of {self.job_name}: sources stopped delivering."]
        else:
            parts = [f"Run {self.run_id[:8]} of {self.job_name} failed."]
        if self.held_kpis:
            parts.append(
                "Held KPIs: "
                + "; ".join(
                    f"{h['kpi']} (owner: {h['owner']}): {h['reason']}" for h in self.held_kpis
                )
                + "."
            )
        if self.failed_checks:
            parts.append("Failed checks: " + ", ".join(self.failed_checks) + ".")
        if self.failed_assets:
            parts.append("Not built: " + ", ".join(self.failed_assets) + ".")
        if self.failed_steps:
            parts.append("Failed steps: " + ", ".join(self.failed_steps) + ".")
        if self.stale_sources:
            parts.append("Stale sources: " + " | ".join(self.stale_sources))
        return " ".join(parts)


def alert_for_run(instance: dg.DagsterInstance, run: dg.DagsterRun) -> RunAlert:
    """Collect what failed in a run from its event log."""
    alert = RunAlert(
        run_id=run.run_id,
        job_name=run.job_name,
        failed_at=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    )
    records = instance.get_records_for_run(run.run_id).records
    held: dict[str, str] = {}
    materialized: set[str] = set()
    planned: set[str] = set()
    for record in records:
        event = record.event_log_entry.dagster_event
        if event is None:
            continue
        if event.event_type == dg.DagsterEventType.STEP_FAILURE:
            alert.failed_steps.append(event.step_key or "")
        elif event.event_type == dg.DagsterEventType.ASSET_CHECK_EVALUATION:
            evaluation = event.event_specific_data
            if evaluation is None or evaluation.passed:  # type: ignore[union-attr]
                continue
            if evaluation.check_name == FRESHNESS_CHECK:  # type: ignore[union-attr]
                # a warning, not a failure: the source and the KPIs that read it
                alert.stale_sources.append(evaluation.description or "")  # type: ignore[union-attr]
            elif getattr(evaluation, "severity", None) != dg.AssetCheckSeverity.WARN:
                alert.failed_checks.append(
                    f"{evaluation.asset_key.to_user_string()}:{evaluation.check_name}"
                )
        elif event.event_type == dg.DagsterEventType.ASSET_OBSERVATION and event.asset_key:
            observation = event.event_specific_data.asset_observation  # type: ignore[union-attr]
            reason = observation.metadata.get("held_because")
            key = event.asset_key.path
            if reason is not None and key[0] == "kpis" and key[-1].startswith("kpi_"):
                held[key[-1].removeprefix("kpi_")] = str(getattr(reason, "value", reason))
        elif event.event_type == dg.DagsterEventType.ASSET_MATERIALIZATION and event.asset_key:
            materialized.add(event.asset_key.to_user_string())
        elif (
            event.event_type == dg.DagsterEventType.ASSET_MATERIALIZATION_PLANNED
            and event.asset_key
        ):
            planned.add(event.asset_key.to_user_string())
    alert.failed_assets = sorted(planned - materialized)
    if held:
        owners = _kpi_owners()
        alert.held_kpis = [
            {"kpi": kpi, "owner": owners.get(kpi) or "unknown", "reason": reason}
            for kpi, reason in sorted(held.items())
        ]
    alert.message = alert.summary()
    return alert


def _kpi_owners() -> dict[str, str | None]:
    from pipelines.kpis.facts import load_fact_catalog
    from pipelines.kpis.usable import usable_portfolio
    from pipelines.settings import Settings

    portfolio = usable_portfolio(Settings.from_env().definitions_dir, load_fact_catalog())
    return {kpi.id: kpi.owner for kpi in portfolio.portfolio.kpis}


def held_alert(
    run_id: str,
    selection: Any,
    owners: dict[str, str | None],
    stale_sources: list[str] | None = None,
) -> RunAlert:
    """The alert of a run in which a failed check holds KPIs, or sources stopped delivering
    (stale sources hold nothing: their KPIs' newer periods stay incomplete)."""
    alert = RunAlert(
        run_id=run_id,
        job_name="kpi warehouse build",
        failed_at=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        kind="kpis_held" if selection.kpis else "sources_stale",
        stale_sources=list(stale_sources or []),
        held_kpis=[
            {
                "kpi": kpi_id,
                "owner": owners.get(kpi_id) or "unknown",
                "reason": selection.reason_of(holds),
            }
            for kpi_id, holds in sorted(selection.kpis.items())
        ],
    )
    alert.failed_checks = sorted(
        {
            f"raw/{h.table}:{check}"
            for holds in selection.kpis.values()
            for h in holds
            for check in h.checks
        }
    )
    alert.message = alert.summary()
    return alert


def default_alert_file() -> Path:
    from pipelines.settings import Settings, configured_path

    if os.environ.get("KPI_ALERT_FILE", "").strip():
        return configured_path("KPI_ALERT_FILE", Path("alerts.jsonl"))
    return Settings.from_env().warehouse_path.parent / "alerts.jsonl"


def deliver(alert: RunAlert, alert_file: Path | None = None, webhook: str | None = None) -> None:
    """Log the alert, append it to the alert file, and POST it to the webhook if one is set."""
    log.error(alert.summary())
    payload = json.dumps(asdict(alert))
    path = alert_file or default_alert_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as handle:
        handle.write(payload + "\n")
    url = webhook if webhook is not None else os.environ.get("KPI_ALERT_WEBHOOK", "").strip()
    if url:
        request = urllib.request.Request(
            url, data=payload.encode(), headers={"Content-Type": "application/json"}, method="POST"
        )
        try:
            with urllib.request.urlopen(request, timeout=10):
                pass
        except OSError as exc:
            log.error(f"could not deliver the alert to {url}: {exc}")
