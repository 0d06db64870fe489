"""The dbt models as Dagster assets: grouped by layer, KPI metadata copied onto KPI assets."""

import contextlib
import datetime as dt
import json
import logging
import shutil
import time
from collections.abc import Callable, Iterator, Mapping
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

from pipelines.alerts import deliver
from pipelines.assets.kpi_checks import KpiAssetContext
from pipelines.build_selection import current_models
from pipelines.build_state import (
    build_inputs,
    changes_since,
    forget,
    is_current,
    last_build,
    record,
    run_context_values,
)
from pipelines.checks.holds import (
    HeldSelection,
    held_selection,
    never_held_models,
    partial_day_rows,
    update_holds,
)
from pipelines.checks.raw_checks import FULL_CHECKS_TAG, failed_checks
from pipelines.dbt_manifest import FINGERPRINT_FILE
from pipelines.engines import SPARK_TABLE_COMMENT
from pipelines.ingest.raw_store import RawStore, ensure_table_dirs
from pipelines.ingest.sources import raw_table_schemas
from pipelines.kpis.models import Frequency
from pipelines.kpis.schedule_plan import freshness_window, schedule_text
from pipelines.model_code import model_code_fingerprint, needs_full_refresh, record_model_code
from pipelines.publish.writer_lock import writer_lock
from pipelines.resources import DUCKDB_WRITER_POOL, WarehouseResource
from pipelines.stage_timings import DBT_STAGES_METADATA, StageClock, dbt_invocation_stages
from pipelines.validation.asset_metadata import validation_for_assets

log = logging.getLogger(__name__)

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
    events: list[Any],
    reader: contextlib.AbstractContextManager[duckdb.DuckDBPyConnection] | None,
    validation: Callable[[duckdb.DuckDBPyConnection], dict[str, dict[str, Any]]] | None = None,
) -> Iterator[Any]:
    """Add row counts to every table built, and the latest complete value, target and status to
    every KPI with its validation verdicts, read from the built tables once dbt has released
    them."""
    if reader is None:
        yield from events
        return
    with reader as con:
        verdicts = validation(con) if validation else {}
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
                metadata.update(verdicts.get(name.removeprefix("kpi_"), verdicts.get("*", {})))
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


def _latest_partial_days(warehouse: WarehouseResource, as_of: dt.datetime) -> list[Any]:
    """Each volume-checked raw table's latest day when its export was pulled before it ended, as
    its volume verdict found it (remembered with the verdict: no second scan of the table)."""
    from pipelines.checks.raw_checks import VOLUME_CHECK, evaluate
    from pipelines.checks.volume import TABLE_SOURCES

    found = []
    for table in TABLE_SOURCES:
        day = evaluate(warehouse, table, VOLUME_CHECK, as_of).metadata.get("partial_last_day")
        if day:
            found.append((table, dt.date.fromisoformat(str(day))))
    return found


def decide_holds(
    warehouse: WarehouseResource, manifest: Mapping[str, Any], *, full_checks: bool = False
) -> HeldSelection:
    """Evaluate (or reuse) the blocking checks of every raw data table, update the holds and
    record the held KPIs and sources in raw.check_holds for the models that report them."""
    raw = warehouse.raw
    as_of_ts = run_context_values(raw).get("as_of_ts")  # this run's: run_context is upstream
    as_of = dt.datetime.fromisoformat(as_of_ts) if as_of_ts else dt.datetime.now()
    failing = failed_checks(warehouse, as_of, full=full_checks)
    holds = update_holds(warehouse.build_state_dir, failing, as_of.date())
    selection = held_selection(manifest, holds)
    partial = partial_day_rows(manifest, _latest_partial_days(warehouse, as_of))
    RawStore(raw).write_check_holds(selection.check_hold_rows(partial))
    return selection


def build_dbt_assets(project: DbtProject, translator: KpiDbtTranslator = TRANSLATOR):
    manifest = json.loads(Path(project.manifest_path).read_text(encoding="utf-8"))
    keys_by_uid = {
        uid: translator.get_asset_key(node)
        for uid, node in manifest["nodes"].items()
        if node["resource_type"] == "model"
    }

    @dbt_assets(
        # The parsed manifest, not its path: dagster-dbt caches manifests by path, and a process
        # that builds definitions twice (tests, reloads) must see the current one.
        manifest=manifest,
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
        clock = StageClock()
        with writer_lock(lock_target, what=f"run {context.run.run_id[:8]} (dbt build)"):
            with clock.stage("raw_checks/holds"):
                full = context.run.tags.get(FULL_CHECKS_TAG) == "true"
                selection = decide_holds(warehouse, manifest, full_checks=full)
            # Held KPIs and stale sources are alerted in every run they occur, also one that
            # finds nothing new to build (a source that stopped delivering looks like that).
            with clock.stage("raw_checks/holds_alert"):
                notify_held_and_stale(warehouse, context.run.run_id, selection)
            held = list(_held_observations(context, selection, keys_by_uid))
            stamp = project.project_dir / project.target_path / FINGERPRINT_FILE
            inputs = build_inputs(warehouse.raw, stamp.read_text(), warehouse.engine)
            state_dir = warehouse.build_state_dir
            # A run with full checks tests every row again, also when nothing changed.
            if not full and is_current(state_dir, inputs) and warehouse.has_built_tables():
                context.log.info(
                    "Nothing new since the last complete build (the same raw files, as-of time "
                    "and definitions): dbt is not run, its tables are current."
                )
                _log_stages(context, clock.seconds)
                yield from held
                return
            previous = last_build(state_dir)
            forget(state_dir)  # a build that stops half-way must not count as current
            complete = set(context.selected_asset_keys) == set(context.assets_def.keys)
            args = ["build", *full_tests_args(full)]
            exclude = list(selection.exclude)
            code = model_code_fingerprint(project.project_dir, warehouse.engine)
            if needs_full_refresh(state_dir, code):
                context.log.info(
                    "The models' code changed since their last build (or this warehouse's were "
                    "built before it was recorded): a full refresh, so no row kept by an "
                    "incremental model was computed by other code."
                )
                args.append("--full-refresh")
            elif complete and not full and not warehouse.is_spark:
                exclude += _current_models(context, warehouse, manifest, previous, inputs, exclude)
            if exclude:
                args += ["--exclude", " ".join(sorted(set(exclude)))]
            started = time.time()
            invocation = dbt.cli(args, context=context)
            events = list(invocation.stream())
            finished = time.time()
            if not selection.exclude:  # a held model was not refreshed: refresh again next run
                record_model_code(state_dir, code)
            for name, seconds in dbt_invocation_stages(
                started, finished, _run_results(invocation)
            ).items():
                clock.add(name, seconds)
            with clock.stage("dbt/asset_metadata"):
                validation = validation_for_assets(Path(warehouse.definitions_dir), warehouse.raw)
                enriched = list(
                    with_warehouse_metadata(events, warehouse.built_tables_reader(), validation)
                )
            _log_stages(context, clock.seconds)
            yield from enriched
            yield from held
            if complete:
                record(state_dir, inputs, left_out=selection.exclude)
        prune_invocation_dirs(project.project_dir / project.target_path)

    return kpi_warehouse_dbt


def _current_models(
    context: dg.AssetExecutionContext,
    warehouse: WarehouseResource,
    manifest: Mapping[str, Any],
    previous: dict[str, Any] | None,
    inputs: dict[str, object],
    held: list[str],
) -> list[str]:
    """The models this build leaves out because none of their inputs changed since the last
    complete build (pipelines/build_selection.py), said in the run's log. None is left out when
    one of them is missing from the working database (a database replaced since)."""
    changes = changes_since(previous, inputs)
    if changes is None:
        return []
    current = [name for name in current_models(manifest, changes) if name not in held]
    if not current:
        return []
    con = warehouse.built_tables_reader()
    if con is None:
        return []
    with con:
        existing = {
            (schema, name)
            for schema, name in con.execute(
                "select table_schema, table_name from information_schema.tables"
            ).fetchall()
        }
    nodes = {n["name"]: n for n in manifest["nodes"].values() if n["resource_type"] == "model"}
    missing = [
        name
        for name in current
        if (nodes[name]["schema"], nodes[name].get("alias") or name) not in existing
    ]
    if missing:
        context.log.warning(
            f"the last complete build's tables are not all in the working database (missing: "
            f"{', '.join(missing[:5])}): every model is built"
        )
        return []
    what = ", ".join(f"raw.{t}" for t in sorted(changes.tables)) or "no raw table"
    as_of = "the as-of time moved" if changes.as_of_moved else "the same as-of time"
    context.log.info(
        f"{len(current)} models read nothing that changed since the last complete build "
        f"(changed: {what}; {as_of}) and keep their tables: {', '.join(current)}"
    )
    return current


def full_tests_args(full_checks: bool) -> list[str]:
    """dbt's arguments for a run with full checks: every dbt test reads its whole model. Without
    them the tests of a model with `built_by_run` read what this run rebuilt
    (dbt_project/macros/tests/scoped_tests.sql). The var is passed only when set: dbt parses the
    whole project again when its vars change, so the nightly runs keep the parse of the last one."""
    return ["--vars", json.dumps({"full_tests": True})] if full_checks else []


def _run_results(invocation: Any) -> dict[str, Any] | None:
    """dbt's run_results.json of an invocation (None when dbt wrote none)."""
    try:
        return dict(invocation.get_artifact("run_results.json"))
    except (OSError, ValueError):
        return None


def _log_stages(context: dg.AssetExecutionContext, seconds: Mapping[str, float]) -> None:
    """The dbt step's stages, as an observation of the run's context (`stage_timings`): the
    run summary of `kpi-warehouse run` and the Dagster UI show them."""
    stages = {name: round(value, 3) for name, value in seconds.items()}
    context.log_event(
        dg.AssetObservation(
            asset_key=dg.AssetKey(["raw", "run_context"]),
            metadata={DBT_STAGES_METADATA: dg.MetadataValue.json(stages)},
        )
    )


def _held_observations(
    context: dg.AssetExecutionContext,
    selection: HeldSelection,
    keys_by_uid: Mapping[str, dg.AssetKey],
) -> Iterator[dg.AssetObservation]:
    """One observation per held asset of this run, naming the check that holds it, since when.
    (The asset itself is not materialised, so the UI shows it as skipped in this run.)"""
    selected = set(context.selected_asset_keys)
    for uid, holds in sorted(selection.models.items()):
        key = keys_by_uid.get(uid)
        if key is None or key not in selected:
            continue
        reason = selection.reason_of(holds)
        context.log.warning(f"{key.to_user_string()} is not built: {reason}")
        yield dg.AssetObservation(
            asset_key=key,
            metadata={
                "held_because": reason,
                "failed_checks": dg.MetadataValue.md(
                    "\n".join(f"- {h.reason}: {h.message}" for h in holds)
                ),
            },
        )


def stale_sources(warehouse: WarehouseResource, kpi_ids_by_source: Mapping[str, list[str]]):
    """What the freshness check says of every source that stopped delivering, as of the run."""
    from pipelines.checks.freshness import check_freshness
    from pipelines.ingest.sources import SOURCES

    as_of_ts = run_context_values(warehouse.raw).get("as_of_ts")
    as_of = dt.datetime.fromisoformat(as_of_ts).date() if as_of_ts else dt.date.today()
    options = warehouse.ingest_options()
    messages = []
    for name in SOURCES:
        outcome = check_freshness(
            warehouse.raw,
            name,
            options.freshness.for_source(name),
            as_of,
            kpi_ids_by_source.get(name, []),
        )
        if not outcome.passed:
            messages.append(outcome.message)
    return messages


def notify_held_and_stale(
    warehouse: WarehouseResource, run_id: str, selection: HeldSelection
) -> None:
    """One alert for a run with held KPIs or stale sources: which, whose, and why."""
    from pipelines.alerts import held_alert
    from pipelines.ingest.sources import SOURCES
    from pipelines.kpis.facts import load_fact_catalog
    from pipelines.kpis.source_kpis import kpis_reading
    from pipelines.kpis.usable import usable_portfolio

    facts = load_fact_catalog()
    portfolio = usable_portfolio(Path(warehouse.definitions_dir), facts).portfolio
    readers = {name: kpis_reading(name, portfolio.kpis, facts) for name in SOURCES}
    try:
        stale = stale_sources(warehouse, readers)
        if selection.kpis or stale:
            owners = {kpi.id: kpi.owner for kpi in portfolio.kpis}
            deliver(held_alert(run_id, selection, owners, stale))
    except OSError as exc:  # an alert that cannot be written must not fail the build
        log.error(f"could not record the alert of held KPIs and stale sources: {exc}")


def mart_asset_keys(manifest_path: Path) -> list[dg.AssetKey]:
    """Asset keys of the models in schema `marts` that are built in every run, also while a
    failed check holds some KPIs (the published file copies every mart, held ones at their last
    good version; depending on a held one would skip publishing the rest)."""
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    always_built = never_held_models(manifest)
    keys = []
    for uid, node in manifest["nodes"].items():
        is_mart = node["resource_type"] == "model" and node.get("schema") == "marts"
        if is_mart and uid in always_built:
            keys.append(TRANSLATOR.get_asset_key(node))
    return sorted(keys, key=lambda k: k.to_user_string())
