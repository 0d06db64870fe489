"""One very large landing file: a Shopify orders export of 2 GB (by default), loaded into the raw
layer the way a nightly run loads it (hash, read, check, fold, hash personal data, store).

    .venv/bin/python -m benchmarks.large_file_benchmark [--gigabytes 2] [--workdir DIR]

Prints the file size, rows, seconds, MB/s, rows/s and the peak memory (RSS of the process tree),
and writes them to benchmarks/results/large_file.json. Target: memory bounded (well under 1 GB)
whatever the file size.
"""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
import time
from pathlib import Path

from benchmarks.measure import measure_call
from pipelines.demo.large_files import write_large_orders_export
from pipelines.ingest.options import load_options
from pipelines.ingest.raw_store import RawStore, ensure_table_dirs
from pipelines.ingest.runner import ingest_source
from pipelines.ingest.sources import SOURCES, raw_table_schemas

RESULTS = Path(__file__).parent / "results"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--gigabytes", type=float, default=2.0)
    parser.add_argument("--workdir", help="keep the generated file here (default: a temp dir)")
    args = parser.parse_args()

    root = Path(args.workdir) if args.workdir else Path(tempfile.mkdtemp(prefix="kpi-large-"))
    landing, raw = root / "landing", root / "raw"
    export = landing / "orders" / f"orders_export_{args.gigabytes:g}GB.csv"
    target = int(args.gigabytes * 2**30)
    if not export.exists() or export.stat().st_size < target:
        export.parent.mkdir(parents=True, exist_ok=True)
        started = time.perf_counter()
        rows, orders = write_large_orders_export(export, target)
        print(
            f"generated {export.name}: {rows:,} rows, {orders:,} orders in "
            f"{time.perf_counter() - started:.0f}s"
        )
    shutil.rmtree(raw, ignore_errors=True)
    ensure_table_dirs(raw, raw_table_schemas())
    options = load_options().model_copy(update={"pii_salt": "benchmark-salt"})
    spec = SOURCES["shopify"]

    measurement, report = measure_call(
        lambda: ingest_source(spec, landing, RawStore(raw), "bench", options)
    )
    if report.problems:
        raise SystemExit(f"the file was not loaded: {report.problems}")
    size_mb = export.stat().st_size / 2**20
    summary = {
        "file_mb": round(size_mb),
        "rows": report.rows_read,
        "rows_loaded": report.rows_loaded,
        "seconds": round(measurement.seconds, 1),
        "mb_per_second": round(size_mb / measurement.seconds, 1),
        "rows_per_second": round(report.rows_read / measurement.seconds),
        "peak_rss_mb": round(measurement.peak_rss_mb),
    }
    print(
        f"{export.name}: {size_mb:,.0f} MB, {report.rows_read:,} rows in "
        f"{measurement.seconds:.1f}s ({summary['mb_per_second']} MB/s, "
        f"{summary['rows_per_second']:,} rows/s), peak memory {measurement.peak_rss_mb:.0f} MB"
    )
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "large_file.json").write_text(json.dumps(summary, indent=2))
    if not args.workdir:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
