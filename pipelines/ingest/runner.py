"""Load the new files of one source from the landing folder into the raw layer."""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import os
import shutil
import tempfile
from dataclasses import dataclass, field, replace
from pathlib import Path

import psutil

from pipelines.ingest.errors import FileRefused
from pipelines.ingest.hash_cache import HashCache
from pipelines.ingest.landing import not_an_export, unrecognised_files
from pipelines.ingest.options import IngestOptions, MissingSaltError, require_salt
from pipelines.ingest.parsed import Lineage, ParsedFile
from pipelines.ingest.pii import add_hash_columns
from pipelines.ingest.raw_store import LoadRecord, RawStore, file_sha256
from pipelines.ingest.source import Source

log = logging.getLogger(__name__)


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
    not_read: list[str] = field(default_factory=list)  # files of the folder no reader reads

    @property
    def files_refused(self) -> int:
        return len(self.problems)


def landing_files(landing_dir: Path, spec: Source) -> list[Path]:
    folder = landing_dir / spec.landing_folder
    if not folder.is_dir():
        return []
    found = {p for pattern in spec.patterns for p in folder.rglob(pattern) if p.is_file()}
    return sorted(p for p in found if not not_an_export(p))


def remove_abandoned_workdirs(scratch: Path) -> list[Path]:
    """Scratch folders of runs that were killed mid-file: their process is gone, remove them."""
    removed = []
    if not scratch.is_dir():
        return removed
    for folder in scratch.glob("ingest-*"):
        parts = folder.name.split("-")
        if len(parts) >= 3 and parts[1].isdigit() and not psutil.pid_exists(int(parts[1])):
            shutil.rmtree(folder, ignore_errors=True)
            removed.append(folder)
    return removed


def _inside(path: Path, folder: Path) -> bool:
    """Whether a landing file really lives in the landing folder (symbolic links may point out)."""
    if os.environ.get("KPI_ALLOW_LINKS_OUTSIDE_LANDING") == "1":
        return True
    return path.resolve().is_relative_to(folder.resolve())


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def _store(
    spec: Source, parsed: ParsedFile, lineage: Lineage, store: RawStore, options: IngestOptions
) -> None:
    for table_name, table in parsed.tables.items():
        pii = spec.table(table_name).pii
        if pii:
            table = add_hash_columns(table, pii, require_salt(options))
        store.write_rows(table_name, table, lineage)
    for table_name, staged in parsed.staged.items():
        store.move_staged(table_name, staged, lineage)


def ingest_file(
    spec: Source,
    path: Path,
    landing_dir: Path,
    store: RawStore,
    load_id: str,
    options: IngestOptions,
    file_hash: str | None = None,
) -> LoadRecord:
    """Read one landing file and store it, or record why not. Never raises for bad input."""
    relative = str(path.relative_to(landing_dir))
    if not _inside(path, landing_dir):
        message = (
            f"{relative}: points outside the landing folder (to {path.resolve()}); copy the file "
            "into the folder instead of linking it (or set KPI_ALLOW_LINKS_OUTSIDE_LANDING=1)"
        )
        link_id = "link-" + hashlib.sha256(relative.encode()).hexdigest()
        record = LoadRecord(
            load_id,
            spec.name,
            ",".join(spec.raw_tables),
            relative,
            link_id,
            "refused",
            message=message,
            loaded_at=_now(),
        )
        store.write_load_record(record)
        return record
    file_hash = file_hash or file_sha256(path)
    lineage = Lineage(relative, file_hash, load_id, _now())
    base = LoadRecord(
        load_id=load_id,
        source=spec.name,
        raw_table=",".join(spec.raw_tables),
        file_path=relative,
        file_hash=file_hash,
        status="loaded",
        loaded_at=lineage.loaded_at,
    )
    scratch = store.raw_dir / "_work"
    scratch.mkdir(parents=True, exist_ok=True)
    workdir = Path(tempfile.mkdtemp(prefix=f"ingest-{os.getpid()}-", dir=scratch))
    try:
        try:
            parsed = spec.read(path, lineage, options, workdir)
        except (FileRefused, MissingSaltError) as exc:  # no salt: personal data cannot be read
            record = replace(base, status="refused", message=str(exc))
            store.write_load_record(record)
            return record
        except Exception as exc:  # a parser bug must not hide the file or stop the others
            message = f"{relative}: could not be read ({type(exc).__name__}: {exc})"
            log.exception(message)
            record = replace(base, status="refused", message=message)
            store.write_load_record(record)
            return record

        if parsed.rows_read == 0:
            message = f"{relative}: the file has no data rows (a header only?); nothing to load"
            record = replace(base, status="refused", message=message)
            store.write_load_record(record)
            return record
        rejected = len(parsed.rejected)
        record = replace(
            base,
            rows_read=parsed.rows_read,
            rows_loaded=parsed.rows_loaded,
            rows_rejected=rejected,
            summary_rows=parsed.summary_rows,
            first_date=parsed.first_date,
            last_date=parsed.last_date,
            message="; ".join(parsed.warnings),
        )
        store.write_rejected(record, parsed.rejected)
        share = rejected / parsed.rows_read if parsed.rows_read else 0.0
        if share > options.reject_threshold:
            examples = "; ".join(
                f"line {r.line}, column '{r.column}': {r.check} (got '{r.value}')"
                for r in parsed.rejected[:3]
            )
            message = (
                f"{relative}: {rejected} of {parsed.rows_read} rows ({share:.0%}) failed their "
                f"checks, more than the {options.reject_threshold:.0%} allowed; nothing of this "
                f"file was loaded. First problems: {examples}. See raw.rejected_rows."
            )
            record = replace(record, status="failed", rows_loaded=0, message=message)
            store.write_load_record(record)
            return record
        try:
            _store(spec, parsed, lineage, store, options)
        except Exception as exc:
            message = f"{relative}: could not be stored ({type(exc).__name__}: {exc})"
            record = replace(record, status="refused", rows_loaded=0, message=message)
            store.write_load_record(record)
            return record
        store.write_load_record(record)
        return record
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def ingest_source(
    spec: Source,
    landing_dir: Path,
    store: RawStore,
    load_id: str,
    options: IngestOptions,
) -> IngestReport:
    """Load every file of the source that was not loaded before; never modify the landing files."""
    report = IngestReport(source=spec.name)
    remove_abandoned_workdirs(store.raw_dir / "_work")
    already_loaded = store.loaded_hashes(spec.load_log_names)
    # Scratch space of the raw layer: neither part of it nor mirrored.
    hashes = HashCache(store.raw_dir / "_work" / f"landing-hashes-{spec.name}.json")
    files = landing_files(landing_dir, spec)
    report.not_read = unrecognised_files(landing_dir / spec.landing_folder, files, spec.patterns)
    for path in files:
        report.files_seen += 1
        if not _inside(path, landing_dir):
            record = ingest_file(spec, path, landing_dir, store, load_id, options, "")
            report.problems.append(record.message)
            continue
        file_hash = hashes.sha256(path, str(path.relative_to(landing_dir)))
        if file_hash in already_loaded:
            report.files_skipped += 1
            continue
        record = ingest_file(spec, path, landing_dir, store, load_id, options, file_hash)
        already_loaded.add(file_hash)
        if record.status != "loaded":
            report.problems.append(record.message)
            continue
        if record.message:
            report.warnings.append(f"{record.file_path}: {record.message}")
        report.files_loaded += 1
        report.rows_read += record.rows_read
        report.rows_loaded += record.rows_loaded
        report.rows_rejected += record.rows_rejected
    hashes.save()
    return report
