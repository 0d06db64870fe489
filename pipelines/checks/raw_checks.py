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

import datetime as dt
import hashlib
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from pipelines.build_state import files_digest, raw_table_digest, run_context_values

SCHEMA_CHECK = "pandera_schema"
# The run tag that asks for full raw checks (`kpi-warehouse run --full-checks`, the weekly run).
FULL_CHECKS_TAG = "kpi_warehouse/full_checks"
VOLUME_CHECK = "volume_within_expected_range"
_CHECK_SOURCES = {
    SCHEMA_CHECK: (Path(__file__).with_name("raw_schemas.py"),),
    VOLUME_CHECK: (Path(__file__).with_name("volume.py"), Path(__file__)),
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


def _declaration_files() -> list[Path]:
    """The files that declare the raw tables (their rules, keys and days): a change there
    changes what both checks judge, so remembered verdicts no longer apply."""
    import inspect

    from pipelines.ingest import columns, source
    from pipelines.ingest.sources import SOURCES

    readers = {inspect.getsourcefile(s.read) for s in SOURCES.values()}
    declared = [columns.__file__, source.__file__, *sorted(f for f in readers if f)]
    return [Path(f) for f in declared]


def _code_digest(check: str) -> str:
    digest = hashlib.sha256()
    for path in [*_CHECK_SOURCES[check], *_declaration_files()]:
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


def remember_verdict(state_dir: Path, key: str, verdict: CheckVerdict, **extra: object) -> None:
    path = _cache_file(state_dir, verdict.table, verdict.check)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".json.partial")
    entry = {"key": key, "verdict": asdict(verdict), **extra}
    partial.write_text(json.dumps(entry), encoding="utf-8")
    partial.replace(path)


def _file_states(files: list[Path]) -> dict[str, str]:
    """Each raw file's name with its size and modification time (raw files are written once)."""
    states = {}
    for path in files:
        stat = path.stat()
        states[path.name] = f"{stat.st_size}|{stat.st_mtime_ns}"
    return states


def _earlier_files(state_dir: Path, table: str, files: dict[str, str]) -> set[str] | None:
    """The files of the table's last schema verdict when that verdict passed, with this code,
    and every one of them is still there unchanged; None otherwise (then all rows are checked)."""
    try:
        entry = json.loads(_cache_file(state_dir, table, SCHEMA_CHECK).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    earlier = entry.get("files")
    if (
        not isinstance(earlier, dict)
        or entry.get("code") != _code_digest(SCHEMA_CHECK)
        or not entry.get("verdict", {}).get("passed")
        or any(files.get(name) != state for name, state in earlier.items())
    ):
        return None
    return set(earlier)


def _schema_verdict_over_new_files(
    raw_dir: Path, table: str, files: list[Path], earlier: set[str]
) -> CheckVerdict:
    from pipelines.checks.incremental import check_new_files

    new = [f for f in files if f.name not in earlier]
    outcome = check_new_files(raw_dir, table, new, [f for f in files if f.name in earlier])
    return CheckVerdict(
        table,
        SCHEMA_CHECK,
        outcome.passed,
        outcome.summary()[:2000],
        {
            "scope": "new files",
            "rows_checked": outcome.rows,
            "files_checked": len(outcome.files_checked),
            "earlier_files_read": len(outcome.earlier_files_read),
            "earlier_files_ruled_out": outcome.earlier_files_skipped,
            "failed_checks": len(outcome.failures),
        },
    )


def _evaluate_schema(warehouse: Any, table: str, full: bool) -> CheckVerdict:
    """The schema verdict: remembered for the same files; over the new files only when the
    table passed before and only gained files (unless `full`); else over every row."""
    from pipelines.checks.incremental import data_files

    raw_dir, state_dir = Path(warehouse.raw), Path(warehouse.build_state_dir)
    key = verdict_key(raw_dir, table, SCHEMA_CHECK)
    cached = cached_verdict(state_dir, table, SCHEMA_CHECK, key)
    if cached is not None and not (full and cached.metadata.get("scope") == "new files"):
        return cached
    files = data_files(raw_dir, table)
    states = _file_states(files)
    earlier = None if full else _earlier_files(state_dir, table, states)
    if earlier:
        verdict = _schema_verdict_over_new_files(raw_dir, table, files, earlier)
    else:
        verdict = _schema_verdict(raw_dir, table)
    remember_verdict(state_dir, key, verdict, code=_code_digest(SCHEMA_CHECK), files=states)
    return verdict


def _schema_verdict(raw_dir: Path, table: str) -> CheckVerdict:
    # pandera and ibis load only when a raw table must really be checked (about 1.5 s).
    from pipelines.checks.raw_schemas import validate_raw_table

    outcome = validate_raw_table(raw_dir, table)
    return CheckVerdict(
        table,
        SCHEMA_CHECK,
        outcome.passed,
        outcome.summary()[:2000],
        {
            "scope": "full table",
            "rows_checked": outcome.rows,
            "failed_checks": len(outcome.failures),
        },
    )


def _volume_verdict(warehouse: Any, table: str, as_of: dt.datetime) -> CheckVerdict:
    from pipelines.checks.volume import TABLE_SOURCES, check_volume

    settings = warehouse.ingest_options().volume.for_source(TABLE_SOURCES[table])
    outcome = check_volume(
        warehouse.raw,
        table,
        settings,
        as_of.date(),
        warehouse.reporting_timezone,
        landing_dir=warehouse.landing,
    )
    return CheckVerdict(
        table,
        VOLUME_CHECK,
        outcome.passed,
        outcome.message[:2000],
        {
            "verdict": outcome.verdict,
            "judged_day": str(outcome.judged_day or ""),
            "observed_rows": outcome.observed,
            "expected_rows": round(outcome.expected, 1),
            "lower_bound": round(outcome.lower_bound, 1),
            "seasonal": outcome.seasonal,
            "partial_last_day": str(outcome.partial_day or ""),
            "as_of": as_of.isoformat(sep=" "),
        },
    )


def _volume_context(warehouse: Any, table: str, as_of: dt.datetime) -> str:
    """What a volume verdict depends on besides the files: the as-of day, the settings, and the
    landing files' times (an export pulled mid-day makes its last day partial)."""
    from pipelines.checks.volume import TABLE_SOURCES
    from pipelines.ingest.sources import SOURCE_OF_TABLE

    settings = warehouse.ingest_options().volume.for_source(TABLE_SOURCES[table])
    landing = Path(warehouse.landing)
    folder = landing / SOURCE_OF_TABLE[table].landing_folder
    times = files_digest(landing, folder.rglob("*")) if folder.is_dir() else ""
    return json.dumps(
        {"as_of": as_of.date().isoformat(), "settings": repr(settings), "landing": times},
        sort_keys=True,
    )


def evaluate(
    warehouse: Any,
    table: str,
    check: str,
    as_of: dt.datetime | None = None,
    *,
    full: bool = False,
) -> CheckVerdict:
    """The verdict of one blocking check on the table's current files (remembered). `warehouse`
    is the WarehouseResource; `as_of` (naive, reporting time zone) matters for volume only and
    defaults to the run context's. The schema check reads only the files added since it last
    passed, unless `full` (a full check re-validates every row; volume always reads the table's
    daily counts)."""
    raw_dir, state_dir = Path(warehouse.raw), Path(warehouse.build_state_dir)
    if check == SCHEMA_CHECK:
        return _evaluate_schema(warehouse, table, full)
    if as_of is None:
        recorded = run_context_values(raw_dir).get("as_of_ts")
        as_of = dt.datetime.fromisoformat(recorded) if recorded else dt.datetime.now()
    key = verdict_key(raw_dir, table, check, _volume_context(warehouse, table, as_of))
    cached = cached_verdict(state_dir, table, check, key)
    if cached is not None:
        return cached
    if check == VOLUME_CHECK:
        assert as_of is not None
        verdict = _volume_verdict(warehouse, table, as_of)
    else:  # pragma: no cover - the check names above are the only ones
        raise ValueError(f"unknown raw check {check!r}")
    remember_verdict(state_dir, key, verdict)
    return verdict


def failed_checks(
    warehouse: Any,
    as_of: dt.datetime | None = None,
    tables: list[str] | None = None,
    *,
    full: bool = False,
) -> dict[str, list[CheckVerdict]]:
    """Every raw data table (or those given) whose blocking checks fail, with the failures."""
    failing: dict[str, list[CheckVerdict]] = {}
    for table in tables if tables is not None else data_tables():
        failures = [
            verdict
            for check in checks_of(table)
            if not (verdict := evaluate(warehouse, table, check, as_of, full=full)).passed
        ]
        if failures:
            failing[table] = failures
    return failing
