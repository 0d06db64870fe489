"""Content hashes of landing files, remembered while a file is provably untouched.

Every run decides which landing files are new by their SHA-256. Reading a year of exports again
on every run costs seconds, so a file's hash is reused while its size, modification time, change
time and inode are all the same as when it was hashed (the change time cannot be set back by any
tool, so a rewritten file is always hashed again).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from pipelines.ingest.raw_store import file_sha256


class HashCache:
    def __init__(self, path: Path):
        self.path = path
        try:
            self.entries: dict[str, list] = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            self.entries = {}
        self.changed = False

    @staticmethod
    def _identity(path: Path) -> list[int]:
        stat = path.stat()
        return [stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns, stat.st_ino]

    def sha256(self, path: Path, key: str) -> str:
        identity = self._identity(path)
        entry = self.entries.get(key)
        if entry and entry[0] == identity:
            return entry[1]
        digest = file_sha256(path)
        self.entries[key] = [identity, digest]
        self.changed = True
        return digest

    def save(self) -> None:
        if not self.changed:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        partial = self.path.with_name(f"{self.path.name}.{os.getpid()}.partial")
        partial.write_text(json.dumps(self.entries), encoding="utf-8")
        partial.replace(self.path)
