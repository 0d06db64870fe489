"""The dbt models as Dagster assets: grouped by layer, KPI metadata copied onto KPI assets."""

import contextlib
import json
import shutil
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import dagster as dg
import duckdb
from dagster_dbt import (
    DagsterDbtTranslator,
    DagsterDbtTranslatorSettings,
    DbtCliResource,
    DbtProject,
    dbt_assets,
)

from pipelines.assets.kpi_checks import KpiAssetContext
from pipelines.build_state import build_inputs, forget, is_current, record
from pipelines.dbt_manifest import FINGERPRINT_FILE
from pipelines.engines import SPARK_TABLE_COMMENT
from pipelines.ingest.raw_store import ensure_table_dirs
from pipelines.ingest.sources import raw_table_schemas
from pipelines.kpis.models import Frequency
from pipelines.kpis.schedule_plan import freshness_window, schedule_text
from pipelines.publish.writer_lock import writer_lock
from pipelines.resources import DUCKDB_WRITER_POOL, WarehouseResource

KPI_META_FIELDS = ("kpi_id", "owner", "goal", "csf", "frequency", "direction", "unit", "target")


class KpiDbtTranslator(DagsterDbtTranslator):
    """Sources map onto the raw assets; models are grouped by their layer folder; KPI models carry
    their owner, goal and frequency, which schedule builds them and how fresh they must be."""

    def __init__(
        self,
        schedule: tuple[str, str, str] = ("kpi_due_schedule", "06:00", "UTC"),
        kpis: Mapping[str, KpiAssetContext] | None = None,
    ):
        super().__init__(settings=DagsterDbtTranslatorSettings(enable_asset_checks=True))
        self.schedule = schedule
        self.kpis = dict(kpis or {})

    def _kpi_context(self, dbt_resource_props: Mapping[str, Any]) -> KpiAssetContext | None:
        meta = (dbt_resource_props.get("config") or {}).get("meta") or {}
        return self.kpis.get(str(meta.get("kpi_id"))) if meta.get("kpi_id") else None

    def get_owners(self, dbt_resource_props: Mapping[str, Any]):  # type: ignore[override]
        """The owner's e-mail address (people.yml) and `team:<team>`, for KPI models."""
        context = self._kpi_context(dbt_resource_props)
        if context is not None and context.owners:
            return list(context.owners)
        return super().get_owners(dbt_resource_props)

    def get_asset_spec(self, manifest, unique_id, project):  # type: ignore[override]
        spec = super().get_asset_spec(manifest, unique_id, project)
        props = self.get_resource_props(manifest, unique_id)
        frequency = ((props.get("config") or {}).get("meta") or {}).get("frequency")
        if frequency:
            window = freshness_window(Frequency(frequency))
            spec = spec.replace_attributes(
                freshness_policy=dg.FreshnessPolicy.time_window(fail_window=window)
            )
        return spec

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
        context = self._kpi_context(dbt_resource_props)
        if context is not None:
            if context.goal_name:
                metadata["kpi/goal_name"] = context.goal_name
            if context.csf_name:
                metadata["kpi/csf_name"] = context.csf_name
        if meta.get("frequency"):
            name, time_of_day, timezone = self.schedule
            frequency = Frequency(meta["frequency"])
            metadata["kpi/built_by"] = schedule_text(frequency, name, time_of_day, timezone)
            metadata["kpi/stale_after"] = f"{freshness_window(frequency).days} days"
        return metadata

    def get_tags(self, dbt_resource_props: Mapping[str, Any]) -> Mapping[str, str]:
        tags = dict(super().get_tags(dbt_resource_props))
        meta = (dbt_resource_props.get("config") or {}).get("meta") or {}
        if meta.get("frequency"):
            tags["kpi_frequency"] = str(meta["frequency"])
        return tags


TRANSLATOR = KpiDbtTranslator()


def _table_of(event: Any) -> tuple[str, str] | None:
    key = getattr(event, "asset_key", None)
    if key is None and isinstance(event, dg.Output):
        key = dg.AssetKey(event.output_name.split("__"))
    if key is None or len(key.path) != 2:
        return None
    return key.path[0], key.path[1]


def _latest_text(
    value: float | None, target: float | None, status: str | None, unit: str | None
) -> str:
    """Latest value and target rounded to the unit, e.g. "7.80 (target 6.00), on track"."""
    from pipelines.report.scorecard import format_value

    status_text = (status or "no_data").replace("_", " ")
    return f"{format_value(value, unit)} (target {format_value(target, unit)}), {status_text}"


def with_warehouse_metadata(
    events: list[Any], reader: contextlib.AbstractContextManager[duckdb.DuckDBPyConnection] | None
) -> Iterator[Any]:
    """Add row counts to every table built, and the latest complete value, target and status to
    every KPI, read from the built tables once dbt has released them."""
    if reader is None:
        yield from events
        return
    with reader as con:
        units = dict(
            con.execute("select 'kpi_' || kpi_id, unit from marts.dim_kpi").fetchall()
            if _has_table(con, "marts", "dim_kpi")
            else []
        )

        def unit_of(model: str) -> str | None:
            return units.get(model)

        tables = {
            (schema, name)
            for schema, name in con.execute(
                "select schema_name, table_name from duckdb_tables() union all "
                "select schema_name, view_name from duckdb_views() where comment = ?",
                [SPARK_TABLE_COMMENT],
            ).fetchall()
        }
        for event in events:
            table = (
                _table_of(event) if isinstance(event, dg.Output | dg.AssetMaterialization) else None
            )
            if table is None or table not in tables:
                yield event
                continue
            schema, name = table
            metadata: dict[str, Any] = {
                "dagster/row_count": con.execute(
                    f'select count(*) from {schema}."{name}"'
                ).fetchone()[0]
            }
            if schema == "kpis" and name.startswith("kpi_"):
                latest = con.execute(
                    f'select period_start, value, target, status from {schema}."{name}" '
                    "where is_complete order by period_start desc limit 1"
                ).fetchone()
                if latest:
                    period, value, target, status = latest
                    metadata.update(
                        {
                            "kpi/latest_period": str(period),
                            "kpi/latest_value": dg.MetadataValue.float(value)
                            if value is not None
                            else dg.MetadataValue.text("no value"),
                            "kpi/latest_target": dg.MetadataValue.float(target)
                            if target is not None
                            else dg.MetadataValue.text("no target"),
                            "kpi/latest_status": status or "no_data",
                            "kpi/latest": _latest_text(value, target, status, unit_of(name)),
                        }
                    )
            yield event.with_metadata({**(event.metadata or {}), **metadata})


def _has_table(con: duckdb.DuckDBPyConnection, schema: str, name: str) -> bool:
    found = con.execute(
        "select count(*) from duckdb_tables() where schema_name = ? and table_name = ?",
        [schema, name],
    ).fetchone()
    views = con.execute(
        "select count(*) from duckdb_views() where schema_name = ? and view_name = ?",
        [schema, name],
    ).fetchone()
    return bool((found and found[0]) or (views and views[0]))


def prune_invocation_dirs(target_dir: Path, keep: int = 5) -> None:
    """Each dbt invocation gets its own folder of artifacts; keep only the latest few."""
    folders = sorted(
        (p for p in target_dir.glob("kpi_warehouse_dbt-*") if p.is_dir()),
        key=lambda p: p.stat().st_mtime,
    )
    for folder in folders[:-keep] if keep else folders:
        shutil.rmtree(folder, ignore_errors=True)


def build_dbt_assets(project: DbtProject, translator: KpiDbtTranslator = TRANSLATOR):

    @dbt_assets(
        manifest=project.manifest_path,
        project=project,
        dagster_dbt_translator=translator,
        pool=DUCKDB_WRITER_POOL,
        name="kpi_warehouse_dbt",
    )
    def kpi_warehouse_dbt(
        context: dg.AssetExecutionContext, dbt: DbtCliResource, warehouse: WarehouseResource
    ):
        ensure_table_dirs(warehouse.raw, raw_table_schemas())
        warehouse.work_db.parent.mkdir(parents=True, exist_ok=True)
        lock_target = warehouse.writer_lock_target
        with writer_lock(lock_target, what=f"run {context.run.run_id[:8]} (dbt build)"):
            stamp = project.project_dir / project.target_path / FINGERPRINT_FILE
            inputs = build_inputs(warehouse.raw, stamp.read_text(), warehouse.engine)
            state_dir = warehouse.build_state_dir
            if is_current(state_dir, inputs) and warehouse.has_built_tables():
                context.log.info(
                    "Nothing new since the last complete build (the same raw files, as-of time "
                    "and definitions): dbt is not run, its tables are current."
                )
                return
            forget(state_dir)  # a build that stops half-way must not count as current
            events = list(dbt.cli(["build"], context=context).stream())
            yield from with_warehouse_metadata(events, warehouse.built_tables_reader())
            if set(context.selected_asset_keys) == set(context.assets_def.keys):
                record(state_dir, inputs)
        prune_invocation_dirs(project.project_dir / project.target_path)

    return kpi_warehouse_dbt


def mart_asset_keys(manifest_path: Path) -> list[dg.AssetKey]:
    """Asset keys of the models that land in schema `marts` (what gets published)."""
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    keys = []
    for node in manifest["nodes"].values():
        if node["resource_type"] == "model" and node.get("schema") == "marts":
            keys.append(TRANSLATOR.get_asset_key(node))
    return sorted(keys, key=lambda k: k.to_user_string())
