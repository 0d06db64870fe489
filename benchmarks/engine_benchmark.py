"""The same pipeline on both engines over the KPI test fixture: DuckDB and Spark (local mode).

    .venv/bin/python -m benchmarks.engine_benchmark [--repeat 3]

Runs `kpi-warehouse run` from an empty warehouse with KPI_ENGINE=duckdb and KPI_ENGINE=spark,
prints the median wall time and peak memory (RSS of the process tree) of each, and writes them to
benchmarks/results/engines.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

import psutil

from benchmarks.measure import measure_command
from pipelines.settings import PROJECT_DIR

RESULTS = Path(__file__).parent / "results"
FIXTURE_LANDING = PROJECT_DIR / "tests" / "fixtures" / "landing"
FIXTURE_AS_OF = "2026-10-05"


def run_once(engine: str) -> tuple[float, float]:
    root = Path(tempfile.mkdtemp(prefix=f"kpi-engine-{engine}-"))
    try:
        env = {
            **os.environ,
            "KPI_ENGINE": engine,
            "KPI_LANDING_DIR": str(FIXTURE_LANDING),
            "KPI_RAW_DIR": str(root / "raw"),
            "KPI_WORK_DB_PATH": str(root / "work" / "kpi_work.duckdb"),
            "KPI_WAREHOUSE_PATH": str(root / "published" / "kpi.duckdb"),
            "KPI_SPARK_DIR": str(root / "spark"),
            "KPI_ALLOW_PATHS_OUTSIDE_PROJECT": "1",
            "DAGSTER_HOME": str(root / "dagster_home"),
            "KPI_PII_SALT": "benchmark-salt",
        }
        command = [sys.executable, "-m", "pipelines.cli", "run", "--as-of", FIXTURE_AS_OF]
        measurement = measure_command([*command, "--quiet"], env=env)
        return measurement.seconds, measurement.peak_rss_mb
    finally:
        shutil.rmtree(root, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    results = {}
    for engine in ("duckdb", "spark"):
        runs = [run_once(engine) for _ in range(args.repeat)]
        seconds = statistics.median(r[0] for r in runs)
        peak = max(r[1] for r in runs)
        results[engine] = {"median_seconds": round(seconds, 1), "peak_rss_mb": round(peak)}
        print(f"{engine:7} median {seconds:6.1f}s over {args.repeat} run(s), peak {peak:5.0f} MB")
    results["machine"] = (
        f"{platform.machine()}, {psutil.cpu_count()} cores, "
        f"{psutil.virtual_memory().total / 2**30:.0f} GiB"
    )
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "engines.json").write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
