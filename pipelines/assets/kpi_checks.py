"""KPI ownership as Dagster sees it, and the non-blocking "on target" check of every KPI.

Owners are the owner's e-mail address from people.yml (when listed) and `team:<team>`; the goal
and CSF are shown by name. The check warns when a KPI's latest complete period is off track (or
held), with its value and target, so the UI's check view doubles as a scorecard.
"""

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import dagster as dg

from pipelines.kpis.models import Portfolio
from pipelines.notify.people import Directory
from pipelines.report.scorecard import format_value
from pipelines.resources import WarehouseResource

ON_TARGET_CHECK = "on_target"


@dataclass(frozen=True)
class KpiAssetContext:
    owners: tuple[str, ...]
    goal_name: str | None
    csf_name: str | None


def kpi_asset_context(portfolio: Portfolio, directory: Directory) -> dict[str, KpiAssetContext]:
    """Per KPI id: its Dagster owners and the names of its goal and CSF."""
    context: dict[str, KpiAssetContext] = {}
    for kpi in portfolio.kpis:
        owners: list[str] = []
        owner = directory.owner_of(kpi)
        if owner is not None and owner.email:
            owners.append(owner.email)
        if kpi.team:
            owners.append(f"team:{kpi.team}")
        goal = portfolio.goal(kpi.goal) if kpi.goal else None
        csf = next((c for c in goal.csfs if c.id == kpi.csf), None) if goal else None
        context[kpi.id] = KpiAssetContext(
            owners=tuple(owners),
            goal_name=goal.name if goal else None,
            csf_name=csf.name if csf else None,
        )
    return context


def kpi_asset_key(kpi_id: str) -> dg.AssetKey:
    return dg.AssetKey(["kpis", f"kpi_{kpi_id}"])


def on_target_result(kpi_id: str, row: dict[str, Any] | None) -> dg.AssetCheckResult:
    """Passes unless the latest complete period is off track or held (a warning, never an error)."""
    key = kpi_asset_key(kpi_id)
    passes = None
    if row is None or row.get("period_start") is None:
        passes = ("no complete period yet", "no_data")
    elif row.get("role") == "metric":
        passes = ("a supporting metric: no target, no status", "metric")
    if passes is not None:
        return dg.AssetCheckResult(
            asset_key=key,
            check_name=ON_TARGET_CHECK,
            passed=True,
            severity=dg.AssetCheckSeverity.WARN,
            description=passes[0],
            metadata={"status": passes[1]},
        )
    unit = row.get("unit")
    status = str(row.get("status") or "no_data")
    value, target = format_value(row.get("value"), unit), format_value(row.get("target"), unit)
    off = status in {"off_track", "held"} or bool(row.get("held_reason"))
    period = row["period_start"].isoformat()
    return dg.AssetCheckResult(
        asset_key=key,
        check_name=ON_TARGET_CHECK,
        passed=not off,
        severity=dg.AssetCheckSeverity.WARN,
        description=f"{status.replace('_', ' ')} in the period from {period}: {value} against a "
        f"target of {target}",
        metadata={
            "period_start": period,
            "status": status,
            "value": value,
            "target": target,
        },
    )


def build_on_target_checks(
    kpi_ids: list[str], published_key: dg.AssetKey | None
) -> dg.AssetChecksDefinition:
    """One check per KPI, run after the published file (when there is one) so it reads the
    scorecard readers see."""
    deps = [published_key] if published_key is not None else []
    specs = [
        dg.AssetCheckSpec(
            ON_TARGET_CHECK,
            asset=kpi_asset_key(kpi_id),
            additional_deps=deps,
            blocking=False,
            description="Warns when the KPI's latest complete period is off track (or held), "
            "with its value and target.",
        )
        for kpi_id in sorted(kpi_ids)
    ]

    @dg.multi_asset_check(specs=specs, name="kpi_on_target", can_subset=True)
    def kpi_on_target(context: dg.AssetCheckExecutionContext, warehouse: WarehouseResource):
        rows = _scorecard(warehouse)
        for check_key in sorted(context.selected_asset_check_keys, key=str):
            kpi_id = check_key.asset_key.path[-1].removeprefix("kpi_")
            yield on_target_result(kpi_id, rows.get(kpi_id))

    return kpi_on_target


def _scorecard(warehouse: WarehouseResource) -> dict[str, dict[str, Any]]:
    import duckdb

    from pipelines.engines import Engine, built_tables

    try:
        with built_tables(
            Engine(warehouse.engine),
            warehouse_path=Path(warehouse.warehouse_path),
            spark_dir=Path(warehouse.spark_dir),
        ) as con:
            cursor = con.execute("select * from marts.kpi_scorecard")
            names = [d[0] for d in cursor.description]
            rows = [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
    except (FileNotFoundError, duckdb.Error):
        return {}
    return {row["kpi_id"]: row for row in rows}
