"""The Dagster code location: gathers the assets, checks, resources and schedules.

Importing this module does nothing; Dagster calls `defs` when it loads the code location. Loading
reads the dbt project as `kpi-warehouse generate` prepared it and writes nothing (under
`dagster dev` it prepares first, see `pipelines.dbt_manifest.prepared_project`)."""

from __future__ import annotations

import logging

import dagster as dg

from pipelines.assets.dbt import KpiDbtTranslator, build_dbt_assets, mart_asset_keys
from pipelines.assets.ingestion import (
    build_freshness_checks,
    check_holds,
    ingestion_assets,
    ingestion_checks,
    run_context,
)
from pipelines.assets.kpi_checks import build_on_target_checks, kpi_asset_context
from pipelines.assets.left_out import left_out_kpi_specs
from pipelines.assets.published import build_published_asset
from pipelines.dbt_manifest import left_out_definitions, prepared_project
from pipelines.engines import Engine
from pipelines.kpis.facts import load_fact_catalog
from pipelines.kpis.loader import DefinitionError
from pipelines.kpis.usable import usable_portfolio
from pipelines.notify.people import Directory, load_people
from pipelines.resources import build_resources
from pipelines.schedules import KPI_SCHEDULE_NAME, build_ingestion_schedule, build_kpi_schedule
from pipelines.sensors import build_landing_sensor, kpi_digest_sensor, run_failure_alert
from pipelines.settings import Settings

log = logging.getLogger(__name__)


def build_definitions(settings: Settings | None = None) -> dg.Definitions:
    settings = settings or Settings.from_env()
    project = prepared_project(settings)
    # A definition with errors leaves out that KPI only (shown as an asset that is not built).
    facts = load_fact_catalog()
    portfolio = usable_portfolio(settings.definitions_dir, facts).portfolio

    try:
        directory = load_people(settings.definitions_dir, portfolio)
    except DefinitionError as exc:  # owners lose their addresses in Dagster; nothing else stops
        log.error(f"people.yml is not used (kpi-warehouse lint shows why): {exc}")
        directory = Directory(people={}, teams={}, source=str(exc.problems[0].file))
    translator = KpiDbtTranslator(
        schedule=(KPI_SCHEDULE_NAME, settings.schedule_time, settings.reporting_timezone),
        kpis=kpi_asset_context(portfolio, directory),
    )
    dbt_assets_def = build_dbt_assets(project, translator)
    assets = [*ingestion_assets, run_context, dbt_assets_def]
    left_out = left_out_kpi_specs(left_out_definitions(settings.engine))
    published_key = None
    if settings.engine == Engine.duckdb:
        # On Spark the marts stay tables of the engine; publishing a file is DuckDB's step.
        published = build_published_asset(
            mart_asset_keys(project.manifest_path), project.manifest_path
        )
        assets.append(published)
        published_key = published.key
    on_target = build_on_target_checks([k.id for k in portfolio.kpis], published_key)
    job, schedule = build_kpi_schedule(
        portfolio,
        assets,
        time_of_day=settings.schedule_time,
        timezone=settings.reporting_timezone,
    )
    ingestion_job, ingestion_schedule = build_ingestion_schedule(
        timezone=settings.reporting_timezone
    )
    return dg.Definitions(
        assets=[*assets, check_holds, *left_out],
        asset_checks=[
            *ingestion_checks,
            *build_freshness_checks(portfolio.kpis, facts),
            on_target,
        ],
        jobs=[job, ingestion_job],
        schedules=[schedule, ingestion_schedule],
        sensors=[build_landing_sensor(ingestion_job), run_failure_alert, kpi_digest_sensor],
        resources=build_resources(settings, project),
    )


@dg.definitions
def defs() -> dg.Definitions:
    return build_definitions()
