"""The Dagster code location: gathers the assets, checks, resources and schedules."""

from __future__ import annotations

import dagster as dg

from pipelines.assets.dbt import KpiDbtTranslator, build_dbt_assets, mart_asset_keys
from pipelines.assets.ingestion import ingestion_assets, ingestion_checks, run_context
from pipelines.assets.kpi_checks import build_on_target_checks, kpi_asset_context
from pipelines.assets.published import build_published_asset
from pipelines.dbt_manifest import prepare
from pipelines.engines import Engine
from pipelines.kpis.loader import load_portfolio
from pipelines.notify.people import load_people
from pipelines.resources import build_resources
from pipelines.schedules import KPI_SCHEDULE_NAME, build_ingestion_schedule, build_kpi_schedule
from pipelines.sensors import build_landing_sensor, kpi_digest_sensor, run_failure_alert
from pipelines.settings import Settings


def build_definitions(settings: Settings | None = None) -> dg.Definitions:
    settings = settings or Settings.from_env()
    settings.ensure_dirs()
    project = prepare(settings)
    portfolio = load_portfolio(settings.definitions_dir)

    directory = load_people(settings.definitions_dir, portfolio)
    translator = KpiDbtTranslator(
        schedule=(KPI_SCHEDULE_NAME, settings.schedule_time, settings.reporting_timezone),
        kpis=kpi_asset_context(portfolio, directory),
    )
    dbt_assets_def = build_dbt_assets(project, translator)
    assets = [*ingestion_assets, run_context, dbt_assets_def]
    published_key = None
    if settings.engine == Engine.duckdb:
        # On Spark the marts stay tables of the engine; publishing a file is DuckDB's step.
        published = build_published_asset(mart_asset_keys(project.manifest_path))
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
        assets=assets,
        asset_checks=[*ingestion_checks, on_target],
        jobs=[job, ingestion_job],
        schedules=[schedule, ingestion_schedule],
        sensors=[build_landing_sensor(ingestion_job), run_failure_alert, kpi_digest_sensor],
        resources=build_resources(settings, project),
    )


defs = build_definitions()
