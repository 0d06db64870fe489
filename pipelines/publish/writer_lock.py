"""One writer at a time: a lock file beside the working database, held while dbt or the publish
step writes. A second run waits (and says so) or, with a timeout, refuses with a clear message.
The lock is an OS file lock, so it is released the moment a killed process dies."""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import logging
import os
import time
from collections.abc import Iterator
from pathlib import Path

log = logging.getLogger(__name__)


class WarehouseBusy(RuntimeError):
    """Another process is writing the warehouse."""


def lock_path(work_db: Path) -> Path:
    return work_db.with_name(work_db.name + ".writer.lock")


def holder(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8").strip() or "another process"
    except OSError:
        return "another process"


@contextlib.contextmanager
def writer_lock(
    work_db: Path, *, timeout: float | None = None, what: str = "a run", shared: bool = False
) -> Iterator[None]:
    """Hold the warehouse's writer lock; wait for it (forever, or `timeout` seconds).

    `shared`: for loads into the raw layer. Any number of them may run at once, but never while
    dbt builds (which holds the lock exclusively), so the raw layer cannot change under a build.
    """
    mode = fcntl.LOCK_SH if shared else fcntl.LOCK_EX
    path = lock_path(work_db)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle = path.open("a+", encoding="utf-8")
    try:
        started = time.monotonic()
        announced = False
        while True:
            try:
                fcntl.flock(handle, mode | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                current = holder(path)
                if timeout is not None and time.monotonic() - started >= timeout:
                    raise WarehouseBusy(
                        f"the warehouse {work_db} is being written by {current}; {what} did not "
                        f"start. Try again when that run has finished."
                    ) from None
                if not announced:
                    log.warning(f"waiting: the warehouse is being written by {current}")
                    announced = True
                time.sleep(0.5)
        handle.seek(0)
        handle.truncate()
        since = f"{dt.datetime.now():%Y-%m-%d %H:%M:%S}"
        if shared:  # several loads may hold it; name the latest
            handle.write(f"loads into the raw layer (latest: pid {os.getpid()}, {what}, {since})\n")
        else:
            handle.write(f"pid {os.getpid()} ({what}, since {since})\n")
        handle.flush()
        yield
    finally:
        with contextlib.suppress(OSError):
            fcntl.flock(handle, fcntl.LOCK_UN)
        handle.close()
