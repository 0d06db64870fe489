"""Sensors: start ingestion when new landing files arrive; alert when a run fails; send the
owners' digests and KPI alerts after a run succeeds."""

from __future__ import annotations

from pathlib import Path

import dagster as dg

from pipelines.alerts import alert_for_run, deliver
from pipelines.build_state import files_digest
from pipelines.ingest.sources import SOURCES
from pipelines.object_storage import remote_fingerprint
from pipelines.resources import WarehouseResource

LANDING_SENSOR_NAME = "landing_folder_sensor"
FAILURE_SENSOR_NAME = "run_failure_alert"
DIGEST_SENSOR_NAME = "kpi_digest_sensor"


def landing_fingerprint(landing_dir: Path) -> str:
    """Changes whenever a file is added, replaced or touched in any source's landing folder."""
    folders = [landing_dir / source for source in sorted(SOURCES)]
    paths = [p for folder in folders if folder.is_dir() for p in folder.rglob("*") if p.is_file()]
    return files_digest(landing_dir, paths)


def build_landing_sensor(ingestion_job) -> dg.SensorDefinition:
    @dg.sensor(
        name=LANDING_SENSOR_NAME,
        job=ingestion_job,
        minimum_interval_seconds=60,
        default_status=dg.DefaultSensorStatus.RUNNING,
        description="Starts ingestion when files are added to or changed in the landing folder.",
    )
    def landing_folder_sensor(context: dg.SensorEvaluationContext, warehouse: WarehouseResource):
        if warehouse.landing_url:  # object storage: list the remote folders, not the mirror
            fingerprint = remote_fingerprint(warehouse.landing_url, sorted(SOURCES))
        else:
            fingerprint = landing_fingerprint(warehouse.landing)
        if fingerprint == context.cursor:
            return dg.SkipReason("no new or changed landing files")
        context.update_cursor(fingerprint)
        return dg.RunRequest(run_key=f"landing-{fingerprint[:16]}")

    return landing_folder_sensor


@dg.run_failure_sensor(
    name=FAILURE_SENSOR_NAME,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Writes an alert naming the failed assets and checks (KPI_ALERT_FILE, "
    "KPI_ALERT_WEBHOOK).",
)
def run_failure_alert(context: dg.RunFailureSensorContext) -> None:
    alert = alert_for_run(context.instance, context.dagster_run)
    deliver(alert)


@dg.run_status_sensor(
    run_status=dg.DagsterRunStatus.SUCCESS,
    name=DIGEST_SENSOR_NAME,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="After a successful run: alerts KPIs that turned off track or back on track "
    "(once), and sends each owner and team in people.yml the digest of the periods the run "
    "completed, never twice (KPI_SMTP_URL, webhooks).",
)
def kpi_digest_sensor(context: dg.RunStatusSensorContext, warehouse: WarehouseResource):
    from pipelines.notify.dispatch import notify_warehouse

    try:
        result = notify_warehouse(warehouse)
    except FileNotFoundError as exc:
        return dg.SkipReason(str(exc))
    for reason in result.failed:
        context.log.error(f"digest delivery failed: {reason}")
    for reason in result.skipped:
        context.log.warning(reason)
    sent = ", ".join(f"{recipient} ({channel})" for recipient, channel, _ in result.delivered)
    return dg.SkipReason(
        f"{len(result.alerts)} new alert(s); digests sent to: {sent or 'nobody (none due)'}"
    )
