"""Whether dbt has anything to do: the inputs of the last complete build, and the current ones.

A build's inputs are the dbt project as parsed (the manifest fingerprint, which covers the KPI
definitions), the raw layer's files, the as-of time and rebuild window of the run, and the engine.
When all of them equal those of the last complete build, its tables are current and the run skips
dbt (about 20 s of fixed cost) instead of rebuilding the same values.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator
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


def raw_layer_digest(raw_dir: Path) -> str:
    """The raw Parquet files (written once, so names, sizes and times identify their rows)."""
    return files_digest(raw_dir, _raw_files(raw_dir, "*/*.parquet"))


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


def build_inputs(raw_dir: Path, manifest_fingerprint: str, engine: str) -> dict[str, object]:
    return {
        "engine": engine,
        "project": manifest_fingerprint,
        "raw": raw_layer_digest(raw_dir),
        "run": run_context_values(raw_dir),
    }


def is_current(state_dir: Path, inputs: dict[str, object]) -> bool:
    """True when the last complete build had exactly these inputs (and no backfill is asked)."""
    run = inputs.get("run") or {}
    if isinstance(run, dict) and (run.get("rebuild_from") or run.get("rebuild_to")):
        return False
    path = state_dir / STATE_FILE
    try:
        return json.loads(path.read_text(encoding="utf-8")) == inputs
    except (OSError, ValueError):
        return False


def record(state_dir: Path, inputs: dict[str, object]) -> None:
    state_dir.mkdir(parents=True, exist_ok=True)
    partial = state_dir / (STATE_FILE + ".partial")
    partial.write_text(json.dumps(inputs, sort_keys=True), encoding="utf-8")
    partial.replace(state_dir / STATE_FILE)


def forget(state_dir: Path) -> None:
    (state_dir / STATE_FILE).unlink(missing_ok=True)
