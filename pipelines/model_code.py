"""Whether the code behind the incremental models changed since they were last built.

Incremental models (the daily and entity facts, fct_kpi_values) rebuild only what new deliveries
touch; rows they keep were computed by the code of an earlier build. When that code changes (a
model, a macro, a dbt var, the reporting currency, the dbt version), the next build is a full
refresh, so no kept row was computed by other code than the new rows. The KPI models are left out
of this fingerprint: each carries the hash of its own definition and recomputes every period when
it changes (macros/kpi_incremental.sql), so editing a KPI does not rebuild every fact.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
from importlib import metadata
from pathlib import Path

from pipelines.dbt_manifest import model_code_inputs

STATE_FILE = "incremental_model_code.json"
# Settings the dbt models read from the environment (env_var in dbt_project.yml and the models).
ENVIRONMENT = ("KPI_REPORTING_CURRENCY",)


def model_code_fingerprint(project_dir: Path, engine: str) -> str:
    digest = hashlib.sha256(f"engine={engine}\n".encode())
    for name in ("dbt-core", "dbt-duckdb", "dbt-spark"):
        with contextlib.suppress(metadata.PackageNotFoundError):
            digest.update(f"{name}={metadata.version(name)}\n".encode())
    for path in model_code_inputs(project_dir):
        digest.update(str(path.relative_to(project_dir)).encode())
        digest.update(path.read_bytes())
    for name in ENVIRONMENT:
        digest.update(f"{name}={os.environ.get(name, '')}\n".encode())
    return digest.hexdigest()


def needs_full_refresh(state_dir: Path, fingerprint: str) -> bool:
    """True unless the incremental models were last built, all of them, by this code (a new
    warehouse has nothing to refresh, so refreshing it costs nothing)."""
    try:
        recorded = json.loads((state_dir / STATE_FILE).read_text(encoding="utf-8"))
        return recorded["fingerprint"] != fingerprint
    except (OSError, ValueError, KeyError, TypeError):
        return True


def record_model_code(state_dir: Path, fingerprint: str) -> None:
    state_dir.mkdir(parents=True, exist_ok=True)
    partial = state_dir / (STATE_FILE + ".partial")
    partial.write_text(json.dumps({"fingerprint": fingerprint}), encoding="utf-8")
    partial.replace(state_dir / STATE_FILE)
