"""Which landing folder a raw layer was loaded from, so two setups never mix silently.

The first load into a raw layer records the landing folder it read (`landing_origin.json` at the
top of the raw folder). A later run that reads another landing folder into the same raw layer
stops with a message saying both, unless the other folder holds every file the raw layer loaded,
with the same content (the folder was moved or copied with its warehouse), or
KPI_ALLOW_LANDING_CHANGE=1 says the change is meant; the new folder is then recorded. A new
landing folder wants its own warehouse: set KPI_DATA_DIR (or KPI_WAREHOUSE_PATH), and the raw
layer and working database follow.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

ORIGIN_FILE = "landing_origin.json"
ALLOW_CHANGE = "KPI_ALLOW_LANDING_CHANGE"


class LandingFolderChanged(RuntimeError):
    """The run reads another landing folder than the one its raw layer was loaded from."""


def _origin_file(raw_dir: Path) -> Path:
    return raw_dir / ORIGIN_FILE


def _name(landing: str | Path) -> str:
    text = str(landing)
    return text.rstrip("/") if "://" in text else str(Path(text).resolve())


def recorded_landing(raw_dir: Path) -> str | None:
    try:
        return str(json.loads(_origin_file(raw_dir).read_text(encoding="utf-8"))["landing"])
    except (OSError, ValueError, KeyError):
        return None


def _holds_every_loaded_file(raw_dir: Path, landing: str | Path) -> bool:
    """The landing folder has every file the raw layer loaded, by relative path and content."""
    if "://" in str(landing):
        return False
    from pipelines.ingest.raw_store import LOAD_LOG, file_sha256

    log_dir = raw_dir / LOAD_LOG
    if not any(log_dir.glob("*.parquet")):
        return True  # nothing loaded yet: nothing to mix with
    import duckdb

    pattern = str(log_dir / "*.parquet").replace("'", "''")
    with duckdb.connect() as con:
        loaded = con.execute(
            f"select distinct file_path, file_hash from read_parquet('{pattern}', "
            "union_by_name = true) where status = 'loaded'"
        ).fetchall()
    root = Path(landing)
    for relative, digest in loaded:
        path = root / relative
        if not path.is_file() or file_sha256(path) != digest:
            return False
    return True


def check_landing_origin(raw_dir: Path, landing: str | Path) -> None:
    """Stop when the raw layer was loaded from another landing folder (unless that folder holds
    the same files, or the change is allowed)."""
    recorded, current = recorded_landing(raw_dir), _name(landing)
    if recorded is None or recorded == current or os.environ.get(ALLOW_CHANGE) == "1":
        return
    if _holds_every_loaded_file(raw_dir, landing):
        return  # the same landing folder, moved or copied with its warehouse
    raise LandingFolderChanged(
        f"the raw layer {raw_dir} was loaded from the landing folder {recorded}, but this run "
        f"reads {current}. Their data would be mixed in the same KPIs. For a separate warehouse "
        "set KPI_DATA_DIR (or KPI_WAREHOUSE_PATH) to a new folder: the raw layer and working "
        f"database follow it. If the landing folder has only moved, set {ALLOW_CHANGE}=1 once."
    )


def record_landing_origin(raw_dir: Path, landing: str | Path) -> None:
    """Record the landing folder this raw layer is loaded from (first load, or an allowed move)."""
    current = _name(landing)
    if recorded_landing(raw_dir) == current:
        return
    raw_dir.mkdir(parents=True, exist_ok=True)
    partial = _origin_file(raw_dir).with_suffix(".json.partial")
    partial.write_text(json.dumps({"landing": current}), encoding="utf-8")
    partial.replace(_origin_file(raw_dir))
