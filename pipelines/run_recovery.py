"""Clean up after runs of `kpi-warehouse run` that were killed (power cut, OOM killer, SIGKILL).

Such a run stays 'started' in Dagster's run storage and keeps its claim on the `duckdb_writer`
pool, which would make every later run wait forever. Runs started by the command carry the pid of
their process; when that process is gone, the run is marked failed and its pool slots are freed.
"""

from __future__ import annotations

import logging
import os

import dagster as dg
import psutil

log = logging.getLogger(__name__)
PID_TAG = "kpi_warehouse/pid"
HOST_TAG = "kpi_warehouse/host"


def run_tags() -> dict[str, str]:
    return {PID_TAG: str(os.getpid()), HOST_TAG: os.uname().nodename}


def release_dead_runs(instance: dg.DagsterInstance) -> list[str]:
    """Mark this machine's command-line runs whose process died as failed; free their slots."""
    released = []
    in_progress = instance.get_runs(
        filters=dg.RunsFilter(statuses=[dg.DagsterRunStatus.STARTED, dg.DagsterRunStatus.STARTING])
    )
    for run in in_progress:
        pid, host = run.tags.get(PID_TAG), run.tags.get(HOST_TAG)
        if pid is None or host != os.uname().nodename or psutil.pid_exists(int(pid)):
            continue
        message = f"run {run.run_id[:8]} was interrupted (its process {pid} is gone)"
        instance.report_run_failed(run, message)
        instance.event_log_storage.free_concurrency_slots_for_run(run.run_id)
        log.warning(message + "; marked failed and its writer slot freed")
        released.append(run.run_id)
    return released
