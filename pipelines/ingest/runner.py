"""Load the new files of one source from the landing folder into the raw layer."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace
from pathlib import Path

from pipelines.ingest.errors import FileRefused
from pipelines.ingest.raw_store import LoadRecord, RawStore, file_sha256
from pipelines.ingest.sources import SourceSpec

log = logging.getLogger(__name__)
DEFAULT_REJECT_THRESHOLD = 0.05


@dataclass
class IngestReport:
    """What one ingestion of one source did, file by file."""

    source: str
    files_seen: int = 0
    files_loaded: int = 0
    files_skipped: int = 0
    rows_read: int = 0
    rows_loaded: int = 0
    rows_rejected: int = 0
    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def files_refused(self) -> int:
        return len(self.problems)


def landing_files(landing_dir: Path, spec: SourceSpec) -> list[Path]:
    folder = landing_dir / spec.name
    if not folder.is_dir():
        return []
    found = {p for pattern in spec.patterns for p in folder.rglob(pattern) if p.is_file()}
    return sorted(p for p in found if not p.name.startswith((".", "~$")))


def ingest_source(
    spec: SourceSpec,
    landing_dir: Path,
    store: RawStore,
    load_id: str,
    *,
    reject_threshold: float = DEFAULT_REJECT_THRESHOLD,
) -> IngestReport:
    """Load every file of the source that was not loaded before; never modify the landing files."""
    report = IngestReport(source=spec.name)
    already_loaded = store.loaded_hashes(spec.name)
    for path in landing_files(landing_dir, spec):
        report.files_seen += 1
        relative = str(path.relative_to(landing_dir))
        file_hash = file_sha256(path)
        if file_hash in already_loaded:
            report.files_skipped += 1
            continue
        base = LoadRecord(
            load_id=load_id,
            source=spec.name,
            raw_table=spec.raw_table,
            file_path=relative,
            file_hash=file_hash,
            status="loaded",
        )
        try:
            parsed = spec.parse(path.read_bytes(), relative)
        except FileRefused as exc:
            report.problems.append(str(exc))
            store.write_load_record(_replace(base, status="refused", message=str(exc)))
            continue
        except Exception as exc:  # a parser bug must not hide the file or stop the others
            message = f"{relative}: could not be read ({type(exc).__name__}: {exc})"
            log.exception(message)
            report.problems.append(message)
            store.write_load_record(_replace(base, status="refused", message=message))
            continue

        rejected = len(parsed.rejected)
        record = _replace(
            base,
            rows_read=parsed.rows_read,
            rows_loaded=parsed.rows_loaded,
            rows_rejected=rejected,
            summary_rows=parsed.summary_rows,
            first_date=parsed.first_date,
            last_date=parsed.last_date,
            message="; ".join(parsed.warnings),
        )
        report.warnings.extend(f"{relative}: {w}" for w in parsed.warnings)
        store.write_rejected(record, parsed.rejected)
        share = rejected / parsed.rows_read if parsed.rows_read else 0.0
        if share > reject_threshold:
            examples = "; ".join(
                f"line {r.line}, column '{r.column}': {r.check} (got '{r.value}')"
                for r in parsed.rejected[:3]
            )
            message = (
                f"{relative}: {rejected} of {parsed.rows_read} rows ({share:.0%}) failed their "
                f"checks, more than the {reject_threshold:.0%} allowed; nothing of this file was "
                f"loaded. First problems: {examples}. See raw.rejected_rows."
            )
            report.problems.append(message)
            store.write_load_record(
                _replace(record, status="failed", rows_loaded=0, message=message)
            )
            continue
        store.write_rows(spec.raw_table, file_hash, parsed.table, record)
        store.write_load_record(record)
        report.files_loaded += 1
        report.rows_read += parsed.rows_read
        report.rows_loaded += parsed.rows_loaded
        report.rows_rejected += rejected
    return report


def _replace(record: LoadRecord, **changes: object) -> LoadRecord:
    return replace(record, **changes)
