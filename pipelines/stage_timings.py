"""Where the wall time of a run goes, stage by stage.

A run's stages do not overlap (the in-process executor runs one step at a time), so their sum is
at most the run's wall time; what no stage claims is reported as `unaccounted`. The stages:

* fixed cost before any SQL: `startup/imports` (Python and the libraries), `startup/dbt_manifest`
  (generating the KPI models, `dbt parse` when something changed), `startup/definitions`
  (building the Dagster definitions), `startup/dagster_run` (opening the Dagster instance,
  creating the run and recording its planned materialisations, up to its first step);
* `ingestion/<source>`: the step that loads one source's new landing files;
* `raw_checks/<check>`: the steps of the raw checks (pandera, volume, refused files, freshness),
  and `raw_checks/holds`, the blocking checks the dbt step evaluates (or reuses) to decide what
  it holds;
* `dbt/start-up` (dbt's own start-up: connecting, reading the manifest, partial parsing, up to
  the first node), `dbt/models`, `dbt/tests` (the time only tests ran), `dbt/other` (between and
  after nodes, the asset metadata read back from the built tables);
* `publish`: writing the published file; `kpi_checks`: the on-target checks after it;
* `dagster/steps`: Dagster's own time between and around steps (recording events).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

# The metadata key of the dbt step's observation of `raw/run_context` that carries its stages.
DBT_STAGES_METADATA = "stage_timings"

DBT_STEP = "kpi_warehouse_dbt"

RAW_CHECK_SUFFIXES = (
    "pandera_schema",
    "volume_within_expected_range",
    "no_refused_files",
    "fresh_against_usual_cadence",
)


@dataclass
class StageClock:
    """Wall-clock spans of named stages (seconds, in the order first seen)."""

    seconds: dict[str, float] = field(default_factory=dict)

    @contextlib.contextmanager
    def stage(self, name: str) -> Iterator[None]:
        started = time.perf_counter()
        try:
            yield
        finally:
            self.add(name, time.perf_counter() - started)

    def add(self, name: str, seconds: float) -> None:
        self.seconds[name] = self.seconds.get(name, 0.0) + max(seconds, 0.0)


def process_started_at() -> float:
    """When this process started (epoch seconds): the imports' stage starts there."""
    import psutil

    return psutil.Process().create_time()


def _union_seconds(spans: Iterable[tuple[float, float]]) -> float:
    total, end = 0.0, float("-inf")
    for start, stop in sorted(spans):
        if stop <= end:
            continue
        total += stop - max(start, end)
        end = stop
    return total


def _epoch(value: str) -> float:
    parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.UTC)
    return parsed.timestamp()


def node_spans(run_results: Mapping[str, Any]) -> dict[str, list[tuple[float, float]]]:
    """The wall-clock span of each node dbt ran, by resource type ("model", "test", ...), from
    the `timing` entries of run_results.json."""
    spans: dict[str, list[tuple[float, float]]] = {}
    for result in run_results.get("results") or []:
        timings = [t for t in result.get("timing") or [] if t.get("started_at")]
        if not timings:
            continue
        start = min(_epoch(t["started_at"]) for t in timings)
        stop = max(_epoch(t["completed_at"]) for t in timings if t.get("completed_at"))
        kind = str(result.get("unique_id", "")).split(".", 1)[0]
        spans.setdefault(kind, []).append((start, stop))
    return spans


def dbt_invocation_stages(
    started: float, finished: float, run_results: Mapping[str, Any] | None
) -> dict[str, float]:
    """Split one dbt invocation's wall time (epoch seconds) into start-up, models, tests (the
    time in which only tests ran) and the rest; the parts add up to the invocation's time."""
    wall = max(finished - started, 0.0)
    spans = node_spans(run_results or {})
    clipped = {
        kind: [(max(a, started), min(b, finished)) for a, b in items if b > a]
        for kind, items in spans.items()
    }
    every = [span for items in clipped.values() for span in items]
    if not every:
        return {"dbt/start-up": wall}
    first = min(a for a, _ in every)
    models = _union_seconds(clipped.get("model", []))
    nodes = _union_seconds(every)
    tests = nodes - models
    startup = max(first - started, 0.0)
    return {
        "dbt/start-up": startup,
        "dbt/models": models,
        "dbt/tests": tests,
        "dbt/other": max(wall - startup - nodes, 0.0),
    }


def stage_of_step(step_key: str) -> str:
    """The stage a Dagster step belongs to (the dbt step's own parts are reported by it)."""
    if step_key.startswith("ingest_"):
        return f"ingestion/{step_key.removeprefix('ingest_')}"
    for suffix in RAW_CHECK_SUFFIXES:
        if step_key.startswith("raw__") and step_key.endswith(suffix):
            return f"raw_checks/{suffix}"
    if step_key.startswith("published__"):
        return "publish"
    if step_key == "raw__run_context":
        return "ingestion/run_context"
    if step_key == DBT_STEP:
        return "dbt"
    if step_key == "kpi_on_target":
        return "kpi_checks"
    return f"other/{step_key}"


@dataclass(frozen=True)
class StepSpan:
    step_key: str
    started: float
    finished: float


def step_spans(instance: Any, run_id: str) -> list[StepSpan]:
    """Each step's start and end (epoch seconds) from the run's event log."""
    from dagster import DagsterEventType

    ends = {DagsterEventType.STEP_SUCCESS, DagsterEventType.STEP_FAILURE}
    kinds = {DagsterEventType.STEP_START, *ends, DagsterEventType.STEP_SKIPPED}
    started: dict[str, float] = {}
    spans = []
    for entry in instance.all_logs(run_id, of_type=kinds):
        event = entry.dagster_event
        if event is None or entry.step_key is None:
            continue
        if event.event_type == DagsterEventType.STEP_START:
            started[entry.step_key] = entry.timestamp
        elif entry.step_key in started:
            spans.append(StepSpan(entry.step_key, started.pop(entry.step_key), entry.timestamp))
    return spans


def dbt_step_stages(events: Sequence[Any]) -> dict[str, float]:
    """The stages the dbt step reported in its observation (`stage_timings` metadata)."""
    stages: dict[str, float] = {}
    for event in events:
        if getattr(event, "event_type_value", None) != "ASSET_OBSERVATION":
            continue
        metadata = event.event_specific_data.asset_observation.metadata
        value = metadata.get(DBT_STAGES_METADATA)
        if value is None:
            continue
        payload = getattr(value, "value", value)
        if isinstance(payload, str):
            payload = json.loads(payload)
        for name, seconds in dict(payload).items():
            stages[name] = stages.get(name, 0.0) + float(seconds)
    return stages


def run_stages(
    spans: Sequence[StepSpan],
    dbt_stages: Mapping[str, float],
    fixed: Mapping[str, float] | None = None,
) -> dict[str, float]:
    """Every stage of a run (seconds): the fixed cost measured by the caller, each step by its
    stage, the dbt step split into the parts it reported, and Dagster's time around the steps
    (from the first step's start to the last step's end, what no step covers)."""
    stages: dict[str, float] = dict(fixed or {})
    for span in spans:
        stage = stage_of_step(span.step_key)
        seconds = span.finished - span.started
        if stage == "dbt":
            parts = {k: v for k, v in dbt_stages.items() if v >= 0}
            claimed = sum(parts.values())
            for name, part in parts.items():
                stages[name] = stages.get(name, 0.0) + part
            stage, seconds = "dbt/other", max(seconds - claimed, 0.0)
        stages[stage] = stages.get(stage, 0.0) + seconds
    if spans:
        window = max(s.finished for s in spans) - min(s.started for s in spans)
        covered = _union_seconds((s.started, s.finished) for s in spans)
        stages["dagster/steps"] = stages.get("dagster/steps", 0.0) + max(window - covered, 0.0)
    return {name: round(seconds, 3) for name, seconds in stages.items()}


def summary(stages: Mapping[str, float], total: float) -> dict[str, Any]:
    """The run summary's `timings`: every stage, their sum, the total and what is unaccounted."""
    accounted = sum(stages.values())
    return {
        "total_seconds": round(total, 3),
        "stages": dict(stages),
        "accounted_seconds": round(accounted, 3),
        "unaccounted_seconds": round(max(total - accounted, 0.0), 3),
    }


def grouped(stages: Mapping[str, float]) -> dict[str, float]:
    """Stages summed by their group (the part before the slash): startup, ingestion, ..."""
    groups: dict[str, float] = {}
    for name, seconds in stages.items():
        group = name.split("/", 1)[0]
        groups[group] = round(groups.get(group, 0.0) + seconds, 3)
    return groups
