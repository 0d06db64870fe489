"""Raw assets: one per landing source, each guarded by its pandera and volume checks."""

import datetime as dt
from collections.abc import Iterable, Mapping
from zoneinfo import ZoneInfo

import dagster as dg
import duckdb
from pydantic import Field

from pipelines.build_state import raw_table_digest
from pipelines.checks.freshness import check_freshness
from pipelines.checks.raw_checks import FULL_CHECKS_TAG, SCHEMA_CHECK, VOLUME_CHECK, evaluate
from pipelines.checks.volume import DATE_EXPRESSIONS
from pipelines.ingest.landing import files_outside_sources
from pipelines.ingest.raw_store import (
    CHECK_HOLDS,
    LOAD_LOG,
    RUN_CONTEXT,
    RawStore,
    ensure_table_dirs,
)
from pipelines.ingest.runner import ingest_source
from pipelines.ingest.source import Source
from pipelines.ingest.sources import SOURCE_OF_TABLE, SOURCES, raw_table_schemas
from pipelines.kpis.facts import Fact
from pipelines.kpis.models import KpiDefinition
from pipelines.kpis.source_kpis import kpis_reading
from pipelines.landing_origin import (
    LandingFolderChanged,
    check_landing_origin,
    record_landing_origin,
)
from pipelines.object_storage import mirror_down, mirror_up
from pipelines.publish.writer_lock import writer_lock
from pipelines.resources import WarehouseResource

RAW_GROUP = "raw"


def raw_asset_key(table: str) -> dg.AssetKey:
    return dg.AssetKey(["raw", table])


def build_ingestion_asset(spec: Source) -> dg.AssetsDefinition:
    """One asset per landing source; a source may fill several raw tables (orders and lines)."""

    @dg.multi_asset(
        name=f"ingest_{spec.name}",
        specs=[
            dg.AssetSpec(
                raw_asset_key(table),
                group_name=RAW_GROUP,
                description=f"{spec.description} Landing folder: `{spec.landing_folder}/`; "
                f"raw table `raw.{table}` (Parquet).",
                kinds={"python", "parquet"},
                tags={"source": spec.name},
                skippable=False,
            )
            for table in spec.raw_tables
        ],
    )
    def _ingest(context: dg.AssetExecutionContext, warehouse: WarehouseResource):
        with writer_lock(
            warehouse.writer_lock_target,
            shared=True,
            what=f"run {context.run.run_id[:8]} (loading {spec.name})",
        ):
            yield from _load(context, warehouse)

    def _load(context: dg.AssetExecutionContext, warehouse: WarehouseResource):
        landing = warehouse.landing_url or warehouse.landing
        try:
            check_landing_origin(warehouse.raw, landing)
        except LandingFolderChanged as exc:
            raise dg.Failure(description=f"{spec.name}: nothing loaded: {exc}") from None
        record_landing_origin(warehouse.raw, landing)
        ensure_table_dirs(warehouse.raw, raw_table_schemas())
        if warehouse.landing_url:
            source_url = f"{warehouse.landing_url}/{spec.landing_folder}"
            mirrored = mirror_down(source_url, warehouse.landing / spec.landing_folder)
            context.log.info(f"{source_url}: {len(mirrored.copied)} new file(s) copied down")
        report = ingest_source(
            spec,
            warehouse.landing,
            RawStore(warehouse.raw),
            load_id=context.run_id,
            options=warehouse.ingest_options(),
        )
        for problem in report.problems:
            context.log.error(problem)
        for warning in [*report.warnings, *report.not_read]:
            context.log.warning(warning)
        context.log.info(
            f"{spec.name}: {report.files_loaded} file(s) loaded, {report.files_skipped} already "
            f"loaded, {report.files_refused} refused; {report.rows_loaded} rows loaded, "
            f"{report.rows_rejected} rejected"
        )
        metadata = {
            "files_seen": report.files_seen,
            "files_loaded": report.files_loaded,
            "files_skipped_already_loaded": report.files_skipped,
            "files_refused": report.files_refused,
            "rows_read": report.rows_read,
            "rows_loaded": report.rows_loaded,
            "rows_rejected": report.rows_rejected,
            "problems": dg.MetadataValue.md("\n".join(f"- {p}" for p in report.problems) or "none"),
            **not_read_metadata(report.not_read),
        }
        if warehouse.raw_url:
            uploaded = mirror_up(warehouse.raw, warehouse.raw_url)
            context.log.info(f"{warehouse.raw_url}: {len(uploaded.copied)} raw file(s) copied up")
        for table in spec.raw_tables:
            # The data version is the table's files: a load of nothing keeps it, so the models
            # downstream do not look out of date when no data changed.
            yield dg.MaterializeResult(
                asset_key=raw_asset_key(table),
                metadata=metadata,
                data_version=dg.DataVersion(raw_table_digest(warehouse.raw, table)[:24]),
            )

    return _ingest


def full_checks_asked(context: dg.AssetCheckExecutionContext | dg.AssetExecutionContext) -> bool:
    """Whether this run re-validates every row of the raw tables (`--full-checks`, weekly)."""
    return context.run.tags.get(FULL_CHECKS_TAG) == "true"


def _check_result(
    warehouse: WarehouseResource,
    table: str,
    check: str,
    as_of: dt.datetime | None = None,
    *,
    full: bool = False,
) -> dg.AssetCheckResult:
    verdict = evaluate(warehouse, table, check, as_of, full=full)
    description = verdict.description
    if not verdict.passed:
        description += (
            f"\nHolds the marts and KPIs that read raw.{table} at their last good values; "
            "everything else is built and published."
        )
    return dg.AssetCheckResult(
        passed=verdict.passed,
        severity=dg.AssetCheckSeverity.ERROR,
        description=description[:2000],
        metadata={**verdict.metadata, "reused_result": verdict.reused},
    )


def not_read_metadata(not_read: list[str]) -> dict[str, object]:
    """Landing files no reader reads, each with what to do (`files_not_read`, a list)."""
    return {
        "files_not_read": dg.MetadataValue.md("\n".join(f"- {m}" for m in not_read) or "none"),
        "files_not_read_count": len(not_read),
    }


def build_schema_check(table: str) -> dg.AssetChecksDefinition:
    # Not blocking in Dagster's sense (that would skip the whole dbt step): the dbt step leaves
    # out exactly the models downstream of a table whose check fails (pipelines/checks/holds.py).
    @dg.asset_check(
        asset=raw_asset_key(table),
        name=SCHEMA_CHECK,
        description=f"Types, keys and ranges of raw.{table} (pandera, inside DuckDB): over the "
        "files added since it last passed, their keys anti-joined against the earlier files; "
        "over every row on a new warehouse, with `--full-checks` and in the weekly full-check "
        "run. A failure holds the models and KPIs downstream of this table.",
    )
    def _check(
        context: dg.AssetCheckExecutionContext, warehouse: WarehouseResource
    ) -> dg.AssetCheckResult:
        return _check_result(warehouse, table, SCHEMA_CHECK, full=full_checks_asked(context))

    return _check


def build_refused_files_check(spec: Source) -> dg.AssetChecksDefinition:
    @dg.asset_check(
        asset=raw_asset_key(spec.raw_tables[0]),
        name="no_refused_files",
        description=f"Warns while any landing file in `{spec.landing_folder}/` is refused or over "
        "the reject threshold; the message names the file and the reason.",
    )
    def _check(warehouse: WarehouseResource) -> dg.AssetCheckResult:
        names = list(spec.load_log_names)
        pattern = str(warehouse.raw / LOAD_LOG / "*.parquet").replace("'", "''")
        with duckdb.connect() as con:
            problems = con.execute(
                f"select file_path, status, message from read_parquet('{pattern}', "
                f"union_by_name = true) where source in ({', '.join('?' for _ in names)}) "
                "and status in ('refused', 'failed') order by file_path",
                names,
            ).fetchall()
        return dg.AssetCheckResult(
            passed=not problems,
            severity=dg.AssetCheckSeverity.WARN,
            description="\n".join(m for _, _, m in problems)[:2000] or "every file loaded",
            metadata={"files_refused": len(problems)},
        )

    return _check


def _run_as_of(warehouse: WarehouseResource, run_id: str) -> dt.datetime:
    """The as-of time of this run when its run_context was recorded (it runs first), else now."""
    path = warehouse.raw / RUN_CONTEXT / "run_context.parquet"
    if path.exists():
        with duckdb.connect() as con:
            row = con.execute(
                "select as_of_ts, run_id from read_parquet(?)", [str(path)]
            ).fetchone()
        if row is not None and row[1] == run_id and row[0] is not None:
            return row[0]
    return parse_as_of("", warehouse.reporting_timezone)


def build_volume_check(table: str) -> dg.AssetChecksDefinition:
    source = SOURCE_OF_TABLE[table].name

    @dg.asset_check(
        asset=raw_asset_key(table),
        name=VOLUME_CHECK,
        additional_deps=[raw_asset_key("run_context")],
        description=f"Fails when the latest complete day of raw.{table} is a clear drop against "
        "its own history (expected range from the training window, weekday pattern when the "
        f"history shows one; config: `volume:` in config/ingestion.yml, source `{source}`), so "
        "a short delivery never replaces good KPIs: a failure holds the models and KPIs "
        "downstream of this table. A partial last day (export pulled before the day ended) and "
        "sources below the minimum expected volume never fail.",
    )
    def _check(
        context: dg.AssetCheckExecutionContext, warehouse: WarehouseResource
    ) -> dg.AssetCheckResult:
        as_of = _run_as_of(warehouse, context.run.run_id)
        return _check_result(warehouse, table, VOLUME_CHECK, as_of)

    return _check


def build_freshness_check(spec: Source, kpis: list[str]) -> dg.AssetChecksDefinition:
    readers = ", ".join(kpis) if kpis else "no KPI"

    @dg.asset_check(
        asset=raw_asset_key(spec.raw_tables[0]),
        name="fresh_against_usual_cadence",
        additional_deps=[raw_asset_key("run_context")],
        description=f"Warns when `{spec.name}` has not delivered new days for longer than its "
        f"usual cadence allows (config: `freshness:` in config/ingestion.yml). Read by: "
        f"{readers}. Holds nothing: published values stay, newer periods stay incomplete.",
    )
    def _check(
        context: dg.AssetCheckExecutionContext, warehouse: WarehouseResource
    ) -> dg.AssetCheckResult:
        options = warehouse.ingest_options()
        as_of = _run_as_of(warehouse, context.run.run_id)
        outcome = check_freshness(
            warehouse.raw, spec.name, options.freshness.for_source(spec.name), as_of.date(), kpis
        )
        return dg.AssetCheckResult(
            passed=outcome.passed,
            severity=dg.AssetCheckSeverity.WARN,
            description=outcome.message[:2000],
            metadata={
                "verdict": outcome.verdict,
                "source": spec.name,
                "kpis": ", ".join(kpis),
                "last_day": str(outcome.last_day or ""),
                "silent_days": outcome.silent_days,
                "usual_gap_days": outcome.usual_gap_days,
                "stale_after_days": outcome.stale_after_days,
                "as_of": as_of.isoformat(sep=" "),
            },
        )

    return _check


def build_freshness_checks(
    kpis: Iterable[KpiDefinition], facts: Mapping[str, Fact]
) -> list[dg.AssetChecksDefinition]:
    """One freshness check per landing source, naming the KPIs that read it."""
    kpis = list(kpis)
    return [
        build_freshness_check(spec, kpis_reading(spec.name, kpis, facts))
        for spec in SOURCES.values()
    ]


class RunContextConfig(dg.Config):
    as_of: str = Field(
        default="",
        description="As-of date or time (YYYY-MM-DD[THH:MM]) in the reporting time zone; "
        "empty means now. Periods ending on or before it count as complete.",
    )
    rebuild_from: str = Field(
        default="",
        description="Backfill: first day (YYYY-MM-DD) of the daily facts to rebuild, with "
        "rebuild_to. Empty in a normal run, which rebuilds only the days of new deliveries.",
    )
    rebuild_to: str = Field(
        default="", description="Backfill: last day (YYYY-MM-DD, inclusive) to rebuild."
    )


def parse_rebuild_window(first: str, last: str) -> tuple[dt.date, dt.date] | None:
    """The explicit rebuild window of a backfill, or None; a clear error for a bad one."""
    first, last = first.strip(), last.strip()
    if not first and not last:
        return None
    if not (first and last):
        raise ValueError("a rebuild window needs both rebuild_from and rebuild_to (YYYY-MM-DD)")
    try:
        window = dt.date.fromisoformat(first), dt.date.fromisoformat(last)
    except ValueError:
        raise ValueError(
            f"rebuild_from={first!r} / rebuild_to={last!r}: dates must be YYYY-MM-DD"
        ) from None
    if window[0] > window[1]:
        raise ValueError(f"rebuild_from {first} is after rebuild_to {last}")
    return window


def parse_as_of(value: str, timezone: str, now: dt.datetime | None = None) -> dt.datetime:
    """The as-of moment as a naive local time in the reporting time zone."""
    if not value.strip():
        now = now or dt.datetime.now(dt.UTC)
        return now.astimezone(ZoneInfo(timezone)).replace(tzinfo=None, microsecond=0)
    parsed = dt.datetime.fromisoformat(value.strip())
    if parsed.tzinfo is not None:
        parsed = parsed.astimezone(ZoneInfo(timezone)).replace(tzinfo=None)
    return parsed


@dg.asset(
    key=raw_asset_key("run_context"),
    group_name=RAW_GROUP,
    description="The as-of time of the run (KPI periods are judged complete against it) and "
    "an optional rebuild window of the daily facts (a backfill).",
    kinds={"python", "parquet"},
)
def run_context(
    context: dg.AssetExecutionContext, config: RunContextConfig, warehouse: WarehouseResource
) -> dg.MaterializeResult:
    as_of = parse_as_of(config.as_of, warehouse.reporting_timezone)
    try:
        window = parse_rebuild_window(config.rebuild_from, config.rebuild_to)
    except ValueError as exc:
        raise dg.Failure(description=f"raw/run_context: {exc}") from None
    lock = writer_lock(warehouse.writer_lock_target, shared=True, what="recording the run")
    with lock:
        ensure_table_dirs(warehouse.raw, raw_table_schemas())
        RawStore(warehouse.raw).write_run_context(as_of, context.run.run_id, window)
        if warehouse.raw_url:
            mirror_up(warehouse.raw, warehouse.raw_url)
    rebuild = f"{window[0]} to {window[1]}" if window else "days of new deliveries only"
    # Files in the landing folder outside every source's folder: named here, once per run.
    outside = files_outside_sources(warehouse.landing, [s.landing_folder for s in SOURCES.values()])
    for message in outside:
        context.log.warning(message)
    return dg.MaterializeResult(
        metadata={
            "as_of": as_of.isoformat(sep=" "),
            "daily_facts_rebuilt": rebuild,
            **not_read_metadata(outside),
        }
    )


# Written by the dbt step before it builds (pipelines/checks/holds.py); an external asset here.
check_holds = dg.AssetSpec(
    raw_asset_key(CHECK_HOLDS),
    group_name=RAW_GROUP,
    description="KPIs and sources held by a failed blocking check of their raw tables, with "
    "why and since when; written by the dbt step before it builds, read by the KPI marts.",
    kinds={"parquet"},
)

ingestion_assets = [build_ingestion_asset(spec) for spec in SOURCES.values()]
ingestion_checks = [
    # Every data table of the raw layer has a pandera schema (tests/checks/test_raw_schemas.py).
    build_schema_check(table)
    for spec in SOURCES.values()
    for table in spec.raw_tables
]
ingestion_checks += [build_refused_files_check(spec) for spec in SOURCES.values()]
ingestion_checks += [build_volume_check(table) for table in DATE_EXPRESSIONS]
