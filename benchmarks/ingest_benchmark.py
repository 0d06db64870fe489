"""Ingestion + validation throughput: a year of exports with a ~5-million-row Search Console bulk
export plus every other source, loaded into the raw layer and checked by the pandera schemas.

    .venv/bin/python -m benchmarks.ingest_benchmark [--search-console-rows 5000000]

Prints rows per second and peak memory (RSS of the process tree) per source and in total, and
writes them to benchmarks/results/ingest.json. Target: >= 1 million rows/s, peak memory < 1 GB.

For scale it also times a plain copy: DuckDB (same threads and memory limit) reading each landing
file as text and writing it to Parquet, with no check, typing, folding or hashing. No ingestion of
these files can be faster than that on this machine; the ratio shows what the checks cost.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import platform
import shutil
import tempfile
import time
from pathlib import Path

import duckdb
import psutil

from benchmarks.measure import measure_call
from pipelines.checks.raw_schemas import RAW_SCHEMAS, validate_raw_table
from pipelines.demo.landing import write_demo_landing
from pipelines.ingest.native import connect, quote
from pipelines.ingest.options import load_options
from pipelines.ingest.raw_store import RawStore, ensure_table_dirs
from pipelines.ingest.runner import ingest_source
from pipelines.ingest.sources import SOURCES, raw_table_schemas
from pipelines.ingest.text_files import head_text

RESULTS = Path(__file__).parent / "results"
DAYS = 365


def plain_copy_seconds(folder: Path, scratch: Path) -> float:
    """Seconds DuckDB takes to copy every CSV and Parquet file of `folder` to Parquet as is."""
    seconds = 0.0
    con = connect(scratch)
    target = quote(str(scratch / "copy.parquet"))
    try:
        for path in sorted(folder.iterdir()):
            if path.suffix == ".parquet":
                sources = [f"read_parquet({quote(str(path))})"]
            elif path.suffix == ".csv":
                encoding = head_text(path, path.name)[1]
                options = (
                    f"all_varchar = true, encoding = '{encoding}', strict_mode = false, "
                    "null_padding = true"
                )
                sources = [
                    f"read_csv({quote(str(path))}, {options})",
                    f"read_csv({quote(str(path))}, {options}, parallel = false)",
                ]
            else:
                continue  # zip archives and the like are not copied
            for source in sources:  # the serial reader when the parallel one cannot read it
                started = time.perf_counter()
                try:
                    con.execute(
                        f"copy (select * from {source}) to {target} (format parquet, "
                        "compression zstd)"
                    )
                except duckdb.Error:
                    continue
                seconds += time.perf_counter() - started
                break
    finally:
        con.close()
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--search-console-rows", type=int, default=5_000_000)
    parser.add_argument("--workdir", help="keep the generated data here (default: a temp dir)")
    args = parser.parse_args()

    root = Path(args.workdir) if args.workdir else Path(tempfile.mkdtemp(prefix="kpi-bench-"))
    landing, raw = root / "landing", root / "raw"
    scale = args.search_console_rows / DAYS / 300
    if not landing.exists():
        started = time.perf_counter()
        write_demo_landing(landing, end=dt.date(2026, 9, 30), days=DAYS, scale=scale, seed=7)
        print(
            f"generated demo landing at scale {scale:.1f} in {time.perf_counter() - started:.1f}s"
        )
    shutil.rmtree(raw, ignore_errors=True)
    options = load_options().model_copy(update={"pii_salt": "benchmark-salt"})
    ensure_table_dirs(raw, raw_table_schemas())

    results = {}
    total_rows = total_seconds = total_copy = peak = 0.0
    for spec in SOURCES.values():

        def work(spec=spec):
            report = ingest_source(spec, landing, RawStore(raw), "bench", options)
            outcomes = [validate_raw_table(raw, t) for t in spec.raw_tables if t in RAW_SCHEMAS]
            return report, outcomes

        measurement, (report, outcomes) = measure_call(work)
        failed = [o.summary() for o in outcomes if not o.passed]
        if report.problems or failed:
            raise SystemExit(f"{spec.name}: {report.problems} {failed}")
        rate = report.rows_read / measurement.seconds if measurement.seconds else 0
        copy = plain_copy_seconds(landing / spec.landing_folder, root / "plain_copy")
        results[spec.name] = {
            "rows": report.rows_read,
            "seconds": round(measurement.seconds, 2),
            "rows_per_second": round(rate),
            "peak_rss_mb": round(measurement.peak_rss_mb),
            "plain_copy_seconds": round(copy, 2),
        }
        print(
            f"{spec.name:16} {report.rows_read:>10,} rows {measurement.seconds:7.2f}s "
            f"{rate:>12,.0f} rows/s  peak {measurement.peak_rss_mb:6.0f} MB  "
            f"(plain copy {copy:6.2f}s)"
        )
        total_rows += report.rows_read
        total_seconds += measurement.seconds
        total_copy += copy
        peak = max(peak, measurement.peak_rss_mb)
    summary = {
        "rows": int(total_rows),
        "seconds": round(total_seconds, 2),
        "rows_per_second": round(total_rows / total_seconds),
        "peak_rss_mb": round(peak),
        "plain_copy_seconds": round(total_copy, 2),
        "plain_copy_rows_per_second": round(total_rows / total_copy) if total_copy else None,
        "machine": f"{platform.machine()}, {psutil.cpu_count()} cores, "
        f"{psutil.virtual_memory().total / 2**30:.0f} GiB",
        "sources": results,
    }
    print(
        f"{'total':16} {int(total_rows):>10,} rows {total_seconds:7.2f}s "
        f"{summary['rows_per_second']:>12,} rows/s  peak {peak:6.0f} MB  "
        f"(plain copy {total_copy:6.2f}s)"
    )
    if total_copy:
        print(
            f"plain copy of the same files, no checks: {total_rows / total_copy:,.0f} rows/s; "
            f"ingestion with every check takes {total_seconds / total_copy:.1f}x as long"
        )
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "ingest.json").write_text(json.dumps(summary, indent=2))
    if not args.workdir:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
