"""The Dagster code location: gathers the assets, checks, resources and schedules."""

from __future__ import annotations

import dagster as dg

from pipelines.assets.dbt import build_dbt_assets, mart_asset_keys
from pipelines.assets.ingestion import ingestion_assets, ingestion_checks, run_context
from pipelines.assets.published import build_published_asset
from pipelines.dbt_manifest import prepare
from pipelines.kpis.loader import load_portfolio
from pipelines.resources import build_resources
from pipelines.schedules import build_kpi_schedule
from pipelines.settings import Settings


def build_definitions(settings: Settings | None = None) -> dg.Definitions:
    settings = settings or Settings.from_env()
    settings.ensure_dirs()
    project = prepare(settings)
    portfolio = load_portfolio(settings.definitions_dir)

    dbt_assets_def = build_dbt_assets(project.manifest_path)
    published = build_published_asset(mart_asset_keys(project.manifest_path))
    assets = [*ingestion_assets, run_context, dbt_assets_def, published]
    job, schedule = build_kpi_schedule(
        portfolio,
        assets,
        time_of_day=settings.schedule_time,
        timezone=settings.reporting_timezone,
    )
    return dg.Definitions(
        assets=assets,
        asset_checks=ingestion_checks,
        jobs=[job],
        schedules=[schedule],
        resources=build_resources(settings, project),
    )


defs = build_definitions()
