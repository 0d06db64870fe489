"""The published, read-only DuckDB file that analysts and dashboards open."""

import dagster as dg

from pipelines.publish.warehouse_file import publish
from pipelines.publish.writer_lock import writer_lock
from pipelines.resources import DUCKDB_WRITER_POOL, WarehouseResource

PUBLISHED_KEY = dg.AssetKey(["published", "kpi_warehouse"])


def build_published_asset(mart_keys: list[dg.AssetKey]) -> dg.AssetsDefinition:
    @dg.asset(
        key=PUBLISHED_KEY,
        group_name="published",
        deps=mart_keys,
        pool=DUCKDB_WRITER_POOL,
        kinds={"duckdb"},
        description="The marts copied into a new DuckDB file and renamed over KPI_WAREHOUSE_PATH.",
    )
    def published_warehouse(
        context: dg.AssetExecutionContext, warehouse: WarehouseResource
    ) -> dg.MaterializeResult:
        with writer_lock(warehouse.work_db, what=f"run {context.run_id[:8]} (publish)"):
            result = publish(warehouse.work_db, warehouse.warehouse)
        context.log.info(f"published {len(result.tables)} tables to {result.path}")
        return dg.MaterializeResult(
            metadata={
                "path": dg.MetadataValue.path(str(result.path)),
                "tables": dg.MetadataValue.json(result.tables),
            }
        )

    return published_warehouse
