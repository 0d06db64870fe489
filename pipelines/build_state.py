"""Whether dbt has anything to do: the inputs of the last complete build, and the current ones.

A build's inputs are the dbt project as parsed (the manifest fingerprint, which covers the KPI
definitions), the raw layer's files (per table), the as-of time and rebuild window
of the run, and the engine. When all of them equal those of the last complete build, its tables
are current and the run skips dbt (about 20 s of fixed cost) instead of rebuilding the same
values. When only some raw tables or the as-of time changed, `changes_since` says which, and the
build leaves out the models that read none of them (pipelines/build_selection.py).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pyarrow.parquet as pq

from pipelines.ingest.raw_store import RUN_CONTEXT

STATE_FILE = "last_complete_build.json"
_SKIPPED = {"_work", RUN_CONTEXT}


def files_digest(root: Path, paths: Iterable[Path]) -> str:
    """Changes whenever one of the files is added, removed, replaced or touched: their names
    (relative to `root`), sizes and modification times."""
    digest = hashlib.sha256()
    for path in sorted(paths):
        stat = path.stat()
        digest.update(f"{path.relative_to(root)}|{stat.st_size}|{stat.st_mtime_ns}\n".encode())
    return digest.hexdigest()


def _raw_files(raw_dir: Path, pattern: str) -> Iterator[Path]:
    return (p for p in raw_dir.glob(pattern) if p.parent.name not in _SKIPPED)


def raw_table_digest(raw_dir: Path, table: str) -> str:
    return files_digest(raw_dir, _raw_files(raw_dir, f"{table}/*.parquet"))


def run_context_values(raw_dir: Path) -> dict[str, str | None]:
    """The as-of time and rebuild window of the current run (not its id)."""
    path = raw_dir / RUN_CONTEXT / "run_context.parquet"
    if not path.exists():
        return {}
    row = pq.read_table(path).to_pylist()[0]
    return {
        key: (str(row[key]) if row.get(key) is not None else None)
        for key in ("as_of_ts", "rebuild_from", "rebuild_to")
    }


def raw_table_digests(raw_dir: Path) -> dict[str, str]:
    """Each raw table's digest (`raw_table_digest`), by table folder: the raw Parquet files are
    written once, so their names, sizes and times identify their rows."""
    if not raw_dir.is_dir():
        return {}
    return {
        folder.name: raw_table_digest(raw_dir, folder.name)
        for folder in sorted(raw_dir.iterdir())
        if folder.is_dir() and folder.name not in _SKIPPED
    }


def build_inputs(raw_dir: Path, manifest_fingerprint: str, engine: str) -> dict[str, object]:
    return {
        "engine": engine,
        "project": manifest_fingerprint,
        "tables": raw_table_digests(raw_dir),
        "run": run_context_values(raw_dir),
    }


@dataclass(frozen=True)
class Changes:
    """What differs from the last complete build: raw tables that got, lost or replaced a file,
    whether the as-of time moved, and the models that build left out (held by a failed check)."""

    tables: frozenset[str]
    as_of_moved: bool
    left_out: frozenset[str]


def _is_backfill(inputs: dict[str, object]) -> bool:
    run = inputs.get("run") or {}
    return isinstance(run, dict) and bool(run.get("rebuild_from") or run.get("rebuild_to"))


def last_build(state_dir: Path) -> dict[str, object] | None:
    """The record of the last complete build (its inputs and the models it left out)."""
    try:
        data = json.loads((state_dir / STATE_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict):
        return None
    if "inputs" not in data:  # written before the left-out models were recorded
        return {"inputs": data, "left_out": None}
    return data


def is_current(state_dir: Path, inputs: dict[str, object]) -> bool:
    """True when the last complete build had exactly these inputs (and no backfill is asked)."""
    if _is_backfill(inputs):
        return False
    previous = last_build(state_dir)
    return previous is not None and previous["inputs"] == inputs


def changes_since(previous: dict[str, object] | None, inputs: dict[str, object]) -> Changes | None:
    """What changed since the last complete build, or None when every model must be considered
    changed: no such build, another dbt project or engine, a backfill (before or now), or a
    record without per-table digests or left-out models."""
    if previous is None or _is_backfill(inputs):
        return None
    before = previous.get("inputs")
    left_out = previous.get("left_out")
    if not isinstance(before, dict) or left_out is None or _is_backfill(before):
        return None
    if before.get("engine") != inputs.get("engine") or before.get("project") != inputs.get(
        "project"
    ):
        return None
    old, new = before.get("tables"), inputs.get("tables")
    if not isinstance(old, dict) or not isinstance(new, dict):
        return None
    tables = {t for t in old.keys() | new.keys() if old.get(t) != new.get(t)}
    old_run, new_run = before.get("run") or {}, inputs.get("run") or {}
    return Changes(
        tables=frozenset(tables),
        as_of_moved=old_run.get("as_of_ts") != new_run.get("as_of_ts"),
        left_out=frozenset(left_out),
    )


def record(state_dir: Path, inputs: dict[str, object], left_out: Iterable[str] = ()) -> None:
    """Record a complete build: its inputs and the models it left out (held), which the next
    build must build whatever else changed."""
    state_dir.mkdir(parents=True, exist_ok=True)
    partial = state_dir / (STATE_FILE + ".partial")
    content = {"inputs": inputs, "left_out": sorted(left_out)}
    partial.write_text(json.dumps(content, sort_keys=True), encoding="utf-8")
    partial.replace(state_dir / STATE_FILE)


def forget(state_dir: Path) -> None:
    (state_dir / STATE_FILE).unlink(missing_ok=True)
