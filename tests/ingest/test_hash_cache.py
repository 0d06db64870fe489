"""Landing-file hashes are reused only while the file is provably untouched."""

from __future__ import annotations

import hashlib
import os

from pipelines.ingest.hash_cache import HashCache


def test_a_hash_is_reused_until_the_file_changes(tmp_path, monkeypatch):
    landing = tmp_path / "export.csv"
    landing.write_bytes(b"a,b\n1,2\n")
    cache_file = tmp_path / "cache" / "hashes.json"
    expected = hashlib.sha256(b"a,b\n1,2\n").hexdigest()

    cache = HashCache(cache_file)
    assert cache.sha256(landing, "export.csv") == expected
    cache.save()

    reads = []
    monkeypatch.setattr(
        "pipelines.ingest.hash_cache.file_sha256", lambda p: reads.append(p) or "recomputed"
    )
    again = HashCache(cache_file)
    assert again.sha256(landing, "export.csv") == expected and reads == []

    # Same size, modification time set back: the change time still moves, so it is hashed again.
    stat = landing.stat()
    landing.write_bytes(b"a,b\n3,4\n")
    os.utime(landing, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert HashCache(cache_file).sha256(landing, "export.csv") == "recomputed"
    assert reads == [landing]
