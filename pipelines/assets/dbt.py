"""The dbt models as Dagster assets: grouped by layer, KPI metadata copied onto KPI assets."""

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import dagster as dg
from dagster_dbt import (
    DagsterDbtTranslator,
    DagsterDbtTranslatorSettings,
    DbtCliResource,
    dbt_assets,
)

from pipelines.dbt_manifest import dbt_project
from pipelines.ingest.raw_store import ensure_table_dirs
from pipelines.ingest.sources import raw_table_schemas
from pipelines.resources import DUCKDB_WRITER_POOL, WarehouseResource

KPI_META_FIELDS = ("kpi_id", "owner", "goal", "csf", "frequency", "direction", "unit", "target")


class KpiDbtTranslator(DagsterDbtTranslator):
    """Sources map onto the raw assets; models are grouped by their layer folder."""

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> dg.AssetKey:
        if dbt_resource_props["resource_type"] == "source":
            table = dbt_resource_props.get("identifier") or dbt_resource_props["name"]
            return dg.AssetKey(["raw", table])
        return super().get_asset_key(dbt_resource_props)

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        if dbt_resource_props["resource_type"] == "source":
            return "raw"
        fqn = dbt_resource_props.get("fqn", [])
        return fqn[1] if len(fqn) > 2 else "marts"

    def get_metadata(self, dbt_resource_props: Mapping[str, Any]) -> Mapping[str, Any]:
        metadata = dict(super().get_metadata(dbt_resource_props))
        meta = (dbt_resource_props.get("config") or {}).get("meta") or {}
        for field in KPI_META_FIELDS:
            if meta.get(field) is not None:
                metadata[f"kpi/{field}"] = meta[field]
        return metadata

    def get_tags(self, dbt_resource_props: Mapping[str, Any]) -> Mapping[str, str]:
        tags = dict(super().get_tags(dbt_resource_props))
        meta = (dbt_resource_props.get("config") or {}).get("meta") or {}
        if meta.get("frequency"):
            tags["kpi_frequency"] = str(meta["frequency"])
        return tags


TRANSLATOR = KpiDbtTranslator(settings=DagsterDbtTranslatorSettings(enable_asset_checks=True))


def build_dbt_assets(manifest_path: Path) -> dg.AssetsDefinition:
    project = dbt_project()

    @dbt_assets(
        manifest=manifest_path,
        project=project,
        dagster_dbt_translator=TRANSLATOR,
        pool=DUCKDB_WRITER_POOL,
        name="kpi_warehouse_dbt",
    )
    def kpi_warehouse_dbt(
        context: dg.AssetExecutionContext, dbt: DbtCliResource, warehouse: WarehouseResource
    ):
        ensure_table_dirs(warehouse.raw, raw_table_schemas())
        warehouse.work_db.parent.mkdir(parents=True, exist_ok=True)
        yield from dbt.cli(["build"], context=context).stream()

    return kpi_warehouse_dbt


def mart_asset_keys(manifest_path: Path) -> list[dg.AssetKey]:
    """Asset keys of the models that land in schema `marts` (what gets published)."""
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    keys = []
    for node in manifest["nodes"].values():
        if node["resource_type"] == "model" and node.get("schema") == "marts":
            keys.append(TRANSLATOR.get_asset_key(node))
    return sorted(keys, key=lambda k: k.to_user_string())
