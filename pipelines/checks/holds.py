"""What a failed blocking check holds: the dbt models downstream of its raw table, and no more.

A raw table whose blocking check fails (pandera schema, volume) holds every model that reads it,
directly or through other models; those are left out of the run's one dbt invocation and keep
their last good tables. Everything else is built and published in the same run. Models that
gather all KPIs or all sources (tagged `fan_in`: the KPI union, `fct_kpi_values`, the scorecard,
the bi views) are always built: they read the held models' last good tables and say which KPIs
are held, why and since when (from `raw.check_holds`, written here before dbt runs).

A hold starts on the as-of day of the first run whose check failed and lasts while the table keeps
failing; it ends with the first run in which the table passes again.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pipelines.checks.raw_checks import CheckVerdict

FAN_IN_TAG = "fan_in"
STATE_FILE = "holds.json"


@dataclass(frozen=True)
class Hold:
    """A raw table held by its failed checks, since the as-of day of the first failure."""

    table: str
    checks: tuple[str, ...]
    message: str
    since: dt.date

    @property
    def reason(self) -> str:
        return f"held: {', '.join(self.checks)} on raw.{self.table} since {self.since.isoformat()}"


def update_holds(
    state_dir: Path, failing: Mapping[str, list[CheckVerdict]], as_of: dt.date
) -> dict[str, Hold]:
    """The holds of this run: a table failing again keeps its first day; a table that passes is
    released. The state lives in the warehouse's working folder."""
    path = state_dir / STATE_FILE
    try:
        previous = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        previous = {}
    holds: dict[str, Hold] = {}
    for table, verdicts in sorted(failing.items()):
        since = as_of
        if table in previous:  # still failing: the hold keeps its first day
            since = min(dt.date.fromisoformat(previous[table]["since"]), as_of)
        holds[table] = Hold(
            table=table,
            checks=tuple(v.check for v in verdicts),
            message=" | ".join(v.description for v in verdicts)[:2000],
            since=since,
        )
    state_dir.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".json.partial")
    partial.write_text(
        json.dumps(
            {
                t: {"since": h.since.isoformat(), "checks": list(h.checks), "message": h.message}
                for t, h in holds.items()
            },
            sort_keys=True,
        ),
        encoding="utf-8",
    )
    partial.replace(path)
    return holds


@dataclass
class HeldSelection:
    """The dbt models some holds keep from being built, and the KPIs and sources behind them."""

    models: dict[str, list[Hold]] = field(default_factory=dict)  # unique_id -> holds behind it
    kpis: dict[str, list[Hold]] = field(default_factory=dict)  # kpi_id -> holds behind it
    sources: dict[str, list[Hold]] = field(default_factory=dict)  # dbt source name -> holds

    @property
    def exclude(self) -> list[str]:
        """dbt --exclude arguments: the held models by name (their tests follow them out)."""
        return sorted(uid.split(".")[-1] for uid in self.models)

    def reason_of(self, holds: Iterable[Hold]) -> str:
        return "; ".join(sorted({h.reason for h in holds}))

    def check_hold_rows(
        self, partial: list[dict[str, object]] | None = None
    ) -> list[dict[str, object]]:
        """The rows of raw.check_holds: one per held KPI and per held source, and one per source
        whose latest day is a partial count (`partial_day`, the day in `held_since`)."""
        rows: list[dict[str, object]] = list(partial or [])
        for kind, subjects in (("kpi", self.kpis), ("source", self.sources)):
            for subject, holds in sorted(subjects.items()):
                rows.append(
                    {
                        "subject_kind": kind,
                        "subject": subject,
                        "held_reason": self.reason_of(holds),
                        "held_since": min(h.since for h in holds),
                    }
                )
        return rows


def _raw_source_ids(manifest: Mapping[str, Any], table: str) -> list[str]:
    return [
        uid
        for uid, node in manifest["sources"].items()
        if (node.get("identifier") or node["name"]) == table
    ]


def held_selection(manifest: Mapping[str, Any], holds: Mapping[str, Hold]) -> HeldSelection:
    """Walk the manifest from each held raw table down to every model that reads it."""
    selection = HeldSelection()
    children = manifest["child_map"]
    nodes = manifest["nodes"]
    for table, hold in holds.items():
        for source_id in _raw_source_ids(manifest, table):
            source_name = manifest["sources"][source_id]["source_name"]
            selection.sources.setdefault(source_name, []).append(hold)
            queue, seen = list(children.get(source_id, [])), set()
            while queue:
                uid = queue.pop()
                if uid in seen:
                    continue
                seen.add(uid)
                node = nodes.get(uid)
                if node is None or node["resource_type"] != "model":
                    continue
                if FAN_IN_TAG in (node.get("tags") or []):
                    continue  # always built, from the last good tables of what it gathers
                selection.models.setdefault(uid, []).append(hold)
                kpi_id = ((node.get("config") or {}).get("meta") or {}).get("kpi_id")
                if kpi_id:
                    selection.kpis.setdefault(kpi_id, []).append(hold)
                queue.extend(children.get(uid, []))
    return selection


def never_held_models(manifest: Mapping[str, Any]) -> set[str]:
    """Models no hold can keep from being built: fan-in models and models that read no raw data
    table (definitions, run context)."""
    nodes = manifest["nodes"]
    parents = manifest["parent_map"]
    data_sources = {
        uid
        for uid, node in manifest["sources"].items()
        if node["source_name"] != "pipeline"  # the run's own facts, never held
    }
    reads_data: dict[str, bool] = {}

    def _reads(uid: str) -> bool:
        if uid in data_sources:
            return True
        if uid not in nodes:
            return False
        if uid not in reads_data:
            reads_data[uid] = False  # cycles cannot happen in dbt; this guards the recursion
            reads_data[uid] = any(_reads(p) for p in parents.get(uid, []))
        return reads_data[uid]

    return {
        uid
        for uid, node in nodes.items()
        if node["resource_type"] == "model"
        and (FAN_IN_TAG in (node.get("tags") or []) or not _reads(uid))
    }


def partial_day_rows(
    manifest: Mapping[str, Any], partial_days: Iterable[tuple[str, dt.date]]
) -> list[dict[str, object]]:
    """For each dbt source whose raw table's latest day was exported before the day ended (pairs
    of raw table and day), a `partial_day` row: that day's periods are incomplete until a
    complete delivery arrives."""
    latest: dict[str, dt.date] = {}
    for table, day in partial_days:
        for source_id in _raw_source_ids(manifest, table):
            name = manifest["sources"][source_id]["source_name"]
            latest[name] = max(day, latest.get(name, day))
    return [
        {
            "subject_kind": "partial_day",
            "subject": name,
            "held_reason": f"partial last day: the export was pulled before {day} ended",
            "held_since": day,
        }
        for name, day in sorted(latest.items())
    ]
