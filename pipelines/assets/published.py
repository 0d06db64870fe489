"""The published, read-only DuckDB file that analysts and dashboards open."""

import json
from pathlib import Path

import dagster as dg

from pipelines.checks.raw_checks import FULL_CHECKS_TAG
from pipelines.publish.warehouse_file import publish
from pipelines.publish.writer_lock import writer_lock
from pipelines.resources import DUCKDB_WRITER_POOL, WarehouseResource

PUBLISHED_KEY = dg.AssetKey(["published", "kpi_warehouse"])


def rebuild_units(manifest_path: Path) -> dict[str, list[str]]:
    """Per published table ("marts.fct_orders"), the columns of the unit its model rebuilds:
    `rebuild_days`' date column, `rebuild_keys`' key or the `unique_key` (see
    pipelines/publish/warehouse_file.py); tables without one are left out."""
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    units: dict[str, list[str]] = {}
    for node in manifest["nodes"].values():
        if node["resource_type"] != "model" or node.get("schema") not in ("marts", "bi"):
            continue
        config = node.get("config") or {}
        unit = (
            (config.get("rebuild_days") or {}).get("date_column")
            or (config.get("rebuild_keys") or {}).get("key")
            or config.get("unique_key")
        )
        if unit:
            name = f"{node['schema']}.{node.get('alias') or node['name']}"
            units[name] = [unit] if isinstance(unit, str) else list(unit)
    return units


def build_published_asset(
    mart_keys: list[dg.AssetKey], manifest_path: Path | None = None
) -> dg.AssetsDefinition:
    @dg.asset(
        key=PUBLISHED_KEY,
        group_name="published",
        deps=mart_keys,
        pool=DUCKDB_WRITER_POOL,
        kinds={"duckdb"},
        description=(
            "The marts copied into a new DuckDB file and renamed over KPI_WAREHOUSE_PATH (a copy "
            "of the previous file with the changed rows written into it; every table on the "
            "weekly full-check run)."
        ),
    )
    def published_warehouse(
        context: dg.AssetExecutionContext, warehouse: WarehouseResource
    ) -> dg.MaterializeResult:
        with writer_lock(warehouse.work_db, what=f"run {context.run.run_id[:8]} (publish)"):
            full = context.run.tags.get(FULL_CHECKS_TAG) == "true"
            units = rebuild_units(manifest_path) if manifest_path else {}
            result = publish(warehouse.work_db, warehouse.warehouse, full=full, groups=units)
        context.log.info(
            f"published {len(result.tables)} tables to {result.path} ({result.mode}: "
            f"{len(result.rewritten)} written whole, {len(result.rows_replaced)} with "
            f"{sum(result.rows_replaced.values())} rows replaced, {len(result.unchanged)} "
            "unchanged)"
        )
        return dg.MaterializeResult(
            metadata={
                "path": dg.MetadataValue.path(str(result.path)),
                "tables": dg.MetadataValue.json(result.tables),
                "mode": result.mode,
                "written_whole": dg.MetadataValue.json(result.rewritten),
                "rows_replaced": dg.MetadataValue.json(result.rows_replaced),
            }
        )

    return published_warehouse
