"""Sensors: start ingestion when new landing files arrive; alert when a run fails; send the
owners' digests and KPI alerts after a run succeeds."""

from __future__ import annotations

import hashlib
from pathlib import Path

import dagster as dg

from pipelines.alerts import alert_for_run, deliver
from pipelines.build_state import files_digest
from pipelines.ingest.hash_cache import HashCache
from pipelines.ingest.raw_store import RawStore
from pipelines.ingest.runner import landing_files
from pipelines.ingest.sources import SOURCES
from pipelines.object_storage import remote_fingerprint
from pipelines.resources import WarehouseResource

LANDING_SENSOR_NAME = "landing_folder_sensor"
FAILURE_SENSOR_NAME = "run_failure_alert"
DIGEST_SENSOR_NAME = "kpi_digest_sensor"


def landing_fingerprint(landing_dir: Path) -> str:
    """Changes whenever a file is added, replaced or touched in any source's landing folder."""
    folders = [landing_dir / s.landing_folder for s in SOURCES.values()]
    paths = [p for folder in folders if folder.is_dir() for p in folder.rglob("*") if p.is_file()]
    return files_digest(landing_dir, paths)


def pending_landing_files(landing_dir: Path, raw_dir: Path) -> list[str]:
    """Landing files (relative paths) whose content the raw layer has not loaded yet, by the
    same content hashes ingestion uses (reused while a file is untouched)."""
    pending: list[str] = []
    store = RawStore(raw_dir)
    for spec in SOURCES.values():
        loaded = store.loaded_hashes(spec.load_log_names)
        hashes = HashCache(raw_dir / "_work" / f"landing-hashes-{spec.name}.json")
        for path in landing_files(landing_dir, spec):
            relative = str(path.relative_to(landing_dir))
            if hashes.sha256(path, relative) not in loaded:
                pending.append(relative)
        hashes.save()
    return sorted(pending)


def build_landing_sensor(ingestion_job) -> dg.SensorDefinition:
    @dg.sensor(
        name=LANDING_SENSOR_NAME,
        job=ingestion_job,
        minimum_interval_seconds=60,
        default_status=dg.DefaultSensorStatus.RUNNING,
        description="Starts ingestion when landing files arrive that the raw layer has not "
        "loaded yet (never for a folder whose files are all loaded).",
    )
    def landing_folder_sensor(context: dg.SensorEvaluationContext, warehouse: WarehouseResource):
        if warehouse.landing_url:  # object storage: list the remote folders, not the mirror
            fingerprint = remote_fingerprint(
                warehouse.landing_url, sorted(s.landing_folder for s in SOURCES.values())
            )
            if fingerprint == context.cursor:
                return dg.SkipReason("no new or changed landing files")
            context.update_cursor(fingerprint)
            return dg.RunRequest(run_key=f"landing-{fingerprint[:16]}")
        fingerprint = landing_fingerprint(warehouse.landing)
        if fingerprint == context.cursor:
            return dg.SkipReason("no new or changed landing files")
        # Something changed (or the sensor starts): load only if some content is really new.
        context.update_cursor(fingerprint)
        pending = pending_landing_files(warehouse.landing, warehouse.raw)
        if not pending:
            return dg.SkipReason("every landing file is already loaded into the raw layer")
        digest = hashlib.sha256("\n".join(pending).encode()).hexdigest()
        shown = ", ".join(pending[:5]) + (
            f" and {len(pending) - 5} more" if len(pending) > 5 else ""
        )
        context.log.info(f"{len(pending)} landing file(s) not loaded yet: {shown}")
        return dg.RunRequest(run_key=f"landing-{digest[:16]}")

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
