"""Schedules built from the KPI definitions, never written by hand.
from __future__ import annotations

One schedule ticks every morning and selects, in a single run, the KPI assets of every frequency
that falls due that day (so a Monday that is the 1st of a quarter gives one run, not four runs
fighting over the DuckDB writer), plus everything upstream of them and the published file.
"""

import datetime as dt
from collections.abc import Sequence

import dagster as dg

from pipelines.kpis.models import Portfolio
from pipelines.kpis.schedule_plan import cron_for, kpis_due

KPI_JOB_NAME = "kpi_refresh"
# The morning run of this weekday (Monday = 0) re-validates every row of the raw tables; the
# other runs check the files added since a table last passed (pipelines/checks/incremental.py).
FULL_CHECKS_WEEKDAY = 0
KPI_SCHEDULE_NAME = "kpi_due_schedule"
INGESTION_JOB_NAME = "ingestion"
INGESTION_SCHEDULE_NAME = "nightly_ingestion"


def kpi_asset_key(kpi_id: str) -> dg.AssetKey:
    return dg.AssetKey(["kpis", f"kpi_{kpi_id}"])


def build_kpi_schedule(
    portfolio: Portfolio,
    assets: Sequence[dg.AssetsDefinition],
    *,
    time_of_day: str,
    timezone: str,
) -> tuple[object, dg.ScheduleDefinition]:
    job = dg.define_asset_job(
        KPI_JOB_NAME,
        selection=dg.AssetSelection.all(),
        description="Builds the KPIs that fall due, what they need, and the published file.",
    )

    @dg.schedule(
        name=KPI_SCHEDULE_NAME,
        job=job,
        cron_schedule=cron_for(time_of_day),
        execution_timezone=timezone,
        default_status=dg.DefaultScheduleStatus.RUNNING,
        description="Every morning: the KPIs whose period just closed (daily every day, weekly on "
        "Mondays, monthly on the 1st, quarterly on the 1st of a quarter), in one run; the "
        "Monday run re-validates every row of the raw tables (full checks).",
    )
    def kpi_due_schedule(context: dg.ScheduleEvaluationContext):
        day = context.scheduled_execution_time.date()
        due = kpis_due(portfolio, day)
        if not due:
            return dg.SkipReason(f"no KPI falls due on {day.isoformat()}")
        keys = [kpi_asset_key(kpi_id) for kpi_id in due]
        selection = dg.AssetSelection.assets(*keys)
        wanted = selection.upstream() | selection.downstream()
        resolved = wanted.resolve(list(assets))
        return dg.RunRequest(
            run_key=f"kpis-{day.isoformat()}",
            asset_selection=sorted(resolved, key=lambda k: k.to_user_string()),
            run_config={"ops": {"raw__run_context": {"config": {"as_of": day.isoformat()}}}},
            tags={"kpis_due": ",".join(due), **full_checks_tags(day)},
        )

    return job, kpi_due_schedule


def full_checks_tags(day: dt.date) -> dict[str, str]:
    """The run tag asking for full raw checks, on the weekly full-check day."""
    from pipelines.checks.raw_checks import FULL_CHECKS_TAG

    return {FULL_CHECKS_TAG: "true"} if day.weekday() == FULL_CHECKS_WEEKDAY else {}


def build_ingestion_schedule(*, timezone: str, time_of_day: str = "02:00"):
    """The raw layer is refreshed every night (and by the landing sensor when files arrive)."""
    job = dg.define_asset_job(
        INGESTION_JOB_NAME,
        # The run context (as-of time) belongs to the runs that build KPIs: recording it here
        # would make every KPI look out of date after a load of nothing.
        selection=dg.AssetSelection.groups("raw")
        - dg.AssetSelection.assets(dg.AssetKey(["raw", "run_context"])),
        description="Loads new landing files into the raw layer and checks them.",
    )
    schedule = dg.ScheduleDefinition(
        name=INGESTION_SCHEDULE_NAME,
        job=job,
        cron_schedule=cron_for(time_of_day),
        execution_timezone=timezone,
        default_status=dg.DefaultScheduleStatus.RUNNING,
        description="Nightly: load whatever arrived in the landing folder.",
    )
    return job, schedule
