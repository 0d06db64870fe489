"""Wall time and peak memory (RSS of the whole process tree) of a piece of work."""

from __future__ import annotations

import contextlib
import os
import subprocess
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import psutil


@dataclass
class Measurement:
    seconds: float
    peak_rss_mb: float


class _Sampler:
    """Samples the summed RSS of a process and all its children every 50 ms."""

    def __init__(self, pid: int):
        self.process = psutil.Process(pid)
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                processes = [self.process, *self.process.children(recursive=True)]
                total = 0
                for process in processes:
                    with contextlib.suppress(psutil.Error):
                        total += process.memory_info().rss
                self.peak = max(self.peak, total)
            except psutil.Error:
                pass
            time.sleep(0.05)

    def __enter__(self) -> _Sampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def measure_call(function: Callable[[], object]) -> tuple[Measurement, object]:
    """Run `function` in this process; peak RSS is this process's (and its children's)."""
    with _Sampler(os.getpid()) as sampler:
        started = time.perf_counter()
        result = function()
        seconds = time.perf_counter() - started
    return Measurement(seconds, sampler.peak / 2**20), result


def measure_command(command: Sequence[str], env: dict[str, str] | None = None) -> Measurement:
    """Run a command; peak RSS is summed over the command and everything it starts."""
    started = time.perf_counter()
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    with _Sampler(process.pid) as sampler:
        _, stderr = process.communicate()
    seconds = time.perf_counter() - started
    if process.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed:\n{stderr.decode()[-3000:]}")
    return Measurement(seconds, sampler.peak / 2**20)
