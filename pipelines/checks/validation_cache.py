"""Raw tables whose files have not changed since they passed their checks need no new pass.

A raw table's files are written once, so the same names, sizes and modification times mean the
same rows; together with the checks' own source code they identify a validation. A passed
validation is remembered in the warehouse's working folder and reused until either changes.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from pipelines.build_state import raw_table_digest

_CHECKS_SOURCE = Path(__file__).with_name("raw_schemas.py")


def validation_key(raw_dir: Path, table: str) -> str:
    checks = hashlib.sha256(_CHECKS_SOURCE.read_bytes()).hexdigest()
    return f"{raw_table_digest(raw_dir, table)}:{checks}"


def cached_pass(state_dir: Path, table: str, key: str) -> int | None:
    """Rows checked by the remembered pass with this key, or None."""
    try:
        entry = json.loads((state_dir / "validated" / f"{table}.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return int(entry["rows"]) if entry.get("key") == key else None


def remember_pass(state_dir: Path, table: str, key: str, rows: int) -> None:
    folder = state_dir / "validated"
    folder.mkdir(parents=True, exist_ok=True)
    partial = folder / f"{table}.json.partial"
    partial.write_text(json.dumps({"key": key, "rows": rows}), encoding="utf-8")
    partial.replace(folder / f"{table}.json")
