"""The blocking checks of the raw tables, evaluated once per state of a table's files.

Two kinds of check guard every raw data table: its pandera schema (types, keys, ranges) and, for
tables with a day per row, its volume. A failed one holds what is downstream of that table (see
`pipelines.checks.holds`); everything else is still built. Both the Dagster asset checks and the
dbt step ask for the same verdicts, so a verdict is remembered in the warehouse's working folder,
keyed on the table's files, the checks' own source code and (for volume) the as-of day and
settings: whichever asks first does the work, the other reuses it, and an unchanged table is not
checked again.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from pipelines.build_state import raw_table_digest, run_context_values

SCHEMA_CHECK = "pandera_schema"
VOLUME_CHECK = "volume_within_expected_range"
_CHECK_SOURCES = {
    SCHEMA_CHECK: (Path(__file__).with_name("raw_schemas.py"),),
    VOLUME_CHECK: (Path(__file__).with_name("volume.py"),),
}


@dataclass(frozen=True)
class CheckVerdict:
    """The outcome of one blocking check on one raw table."""

    table: str
    check: str
    passed: bool
    description: str
    metadata: dict[str, Any] = field(default_factory=dict)
    reused: bool = False

    @property
    def label(self) -> str:
        return f"{self.check} on raw.{self.table}"


def data_tables() -> list[str]:
    from pipelines.ingest.sources import SOURCES

    return [table for spec in SOURCES.values() for table in spec.raw_tables]


def checks_of(table: str) -> list[str]:
    """The blocking checks of a raw data table."""
    from pipelines.checks.volume import DATE_EXPRESSIONS

    return [SCHEMA_CHECK] + ([VOLUME_CHECK] if table in DATE_EXPRESSIONS else [])


def _code_digest(check: str) -> str:
    digest = hashlib.sha256()
    for path in _CHECK_SOURCES[check]:
        digest.update(path.read_bytes())
    return digest.hexdigest()


def verdict_key(raw_dir: Path, table: str, check: str, context: str = "") -> str:
    return f"{raw_table_digest(raw_dir, table)}:{_code_digest(check)}:{context}"


def _cache_file(state_dir: Path, table: str, check: str) -> Path:
    return state_dir / "validated" / f"{table}.{check}.json"


def cached_verdict(state_dir: Path, table: str, check: str, key: str) -> CheckVerdict | None:
    try:
        entry = json.loads(_cache_file(state_dir, table, check).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if entry.get("key") != key:
        return None
    verdict = entry["verdict"]
    return CheckVerdict(**{**verdict, "reused": True})


def remember_verdict(state_dir: Path, key: str, verdict: CheckVerdict) -> None:
    path = _cache_file(state_dir, verdict.table, verdict.check)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".json.partial")
    partial.write_text(json.dumps({"key": key, "verdict": asdict(verdict)}), encoding="utf-8")
    partial.replace(path)


def _schema_verdict(raw_dir: Path, table: str) -> CheckVerdict:
    # pandera and ibis load only when a raw table must really be checked (about 1.5 s).
    from pipelines.checks.raw_schemas import validate_raw_table

    outcome = validate_raw_table(raw_dir, table)
    return CheckVerdict(
        table,
        SCHEMA_CHECK,
        outcome.passed,
        outcome.summary()[:2000],
        {"rows_checked": outcome.rows, "failed_checks": len(outcome.failures)},
    )


def _volume_verdict(raw_dir: Path, table: str, options: Any) -> CheckVerdict:
    from pipelines.checks.volume import check_volume

    outcome = check_volume(raw_dir, table, options.volume_drop_threshold)
    return CheckVerdict(
        table,
        VOLUME_CHECK,
        outcome.passed,
        outcome.message,
        {"latest_rows": outcome.latest_rows, "average_rows": round(outcome.average_rows, 3)},
    )


def evaluate(raw_dir: Path, state_dir: Path, table: str, check: str, options: Any) -> CheckVerdict:
    """The verdict of one blocking check on the table's current files (remembered)."""
    if check == SCHEMA_CHECK:
        key = verdict_key(raw_dir, table, check)
    else:
        run = run_context_values(raw_dir)
        settings = json.dumps(
            {"as_of": run.get("as_of_ts"), "drop": options.volume_drop_threshold}, sort_keys=True
        )
        key = verdict_key(raw_dir, table, check, settings)
    cached = cached_verdict(state_dir, table, check, key)
    if cached is not None:
        return cached
    if check == SCHEMA_CHECK:
        verdict = _schema_verdict(raw_dir, table)
    elif check == VOLUME_CHECK:
        verdict = _volume_verdict(raw_dir, table, options)
    else:  # pragma: no cover - the check names above are the only ones
        raise ValueError(f"unknown raw check {check!r}")
    remember_verdict(state_dir, key, verdict)
    return verdict


def failed_checks(
    raw_dir: Path, state_dir: Path, options: Any, tables: list[str] | None = None
) -> dict[str, list[CheckVerdict]]:
    """Every raw data table (or those given) whose blocking checks fail, with the failures."""
    failing: dict[str, list[CheckVerdict]] = {}
    for table in tables if tables is not None else data_tables():
        failures = [
            verdict
            for check in checks_of(table)
            if not (verdict := evaluate(raw_dir, state_dir, table, check, options)).passed
        ]
        if failures:
            failing[table] = failures
    return failing
