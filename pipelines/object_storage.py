"""Landing and raw folders on object storage (s3://, gs://, abfs://, ... through fsspec).

DuckDB here has no network extensions (httpfs cannot be installed offline), so the pipeline works
on local folders and mirrors them: new landing files are copied down before ingestion (the remote
originals are never changed), and new raw Parquet files are copied up after it, where a Spark
cluster reads them. Files are compared by relative path and size; raw files are content-addressed
and written once, so a copy is never half-visible to readers of the local folder.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import fsspec

_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")
# Scratch space of running loads; never part of the raw layer.
_SKIPPED_PARTS = frozenset({"_work"})
_STATE_FILE = ".mirrored-up.json"


def is_url(location: str) -> bool:
    return bool(_URL.match(location))


@dataclass
class MirrorReport:
    copied: list[str] = field(default_factory=list)
    unchanged: int = 0


def _filesystem(url: str):
    fs, root = fsspec.core.url_to_fs(url)
    return fs, root.rstrip("/")


def _relative(path: str, root: str) -> str:
    return path[len(root) :].lstrip("/")


def mirror_down(url: str, local: Path) -> MirrorReport:
    """Copy the files under `url` that `local` lacks (or holds at another size) into `local`."""
    fs, root = _filesystem(url)
    report = MirrorReport()
    if not fs.exists(root):
        raise FileNotFoundError(f"the landing location {url} does not exist")
    for path, info in sorted(fs.find(root, detail=True).items()):
        relative = _relative(path, root)
        target = local / relative
        if target.exists() and target.stat().st_size == info.get("size"):
            report.unchanged += 1
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_name(f".{target.name}.partial")
        fs.get_file(path, str(partial))
        os.replace(partial, target)
        report.copied.append(relative)
    return report


def mirror_up(local: Path, url: str) -> MirrorReport:
    """Copy the files under `local` that `url` lacks, or that changed locally since they were
    last copied up (a local state file remembers size and modification time), up to `url`."""
    fs, root = _filesystem(url)
    report = MirrorReport()
    remote = {
        _relative(path, root): info.get("size")
        for path, info in (fs.find(root, detail=True).items() if fs.exists(root) else [])
    }
    state_file = local / _STATE_FILE
    state = json.loads(state_file.read_text(encoding="utf-8")) if state_file.exists() else {}
    for path in sorted(p for p in local.rglob("*") if p.is_file()):
        relative = path.relative_to(local)
        if _SKIPPED_PARTS & set(relative.parts) or path.name.startswith("."):
            continue
        key = relative.as_posix()
        stat = path.stat()
        seen = [stat.st_size, stat.st_mtime_ns]
        if remote.get(key) == stat.st_size and state.get(key) == seen:
            report.unchanged += 1
            continue
        fs.makedirs(f"{root}/{relative.parent.as_posix()}", exist_ok=True)
        fs.put_file(str(path), f"{root}/{key}")
        state[key] = seen
        report.copied.append(key)
    if report.copied:
        partial = state_file.with_name(state_file.name + ".partial")
        partial.write_text(json.dumps(state, sort_keys=True), encoding="utf-8")
        os.replace(partial, state_file)
    return report


_VERSION_KEYS = ("ETag", "etag", "md5Hash", "mtime", "LastModified", "updated", "created")


def remote_fingerprint(url: str, folders: list[str]) -> str:
    """Changes whenever a file is added to or replaced in one of the folders under `url`."""
    fs, root = _filesystem(url)
    digest = hashlib.sha256()
    for folder in sorted(folders):
        location = f"{root}/{folder}"
        if not fs.exists(location):
            continue
        for path, info in sorted(fs.find(location, detail=True).items()):
            version = next((str(info[k]) for k in _VERSION_KEYS if info.get(k) is not None), "")
            digest.update(f"{_relative(path, root)}|{info.get('size')}|{version}\n".encode())
    return digest.hexdigest()
