"""HubSpot CSV exports of a landing `crm/` folder read by each reader, one reader per process.

    .venv/bin/python -m benchmarks.crm_benchmark <landing>/crm [--reader python|native|copy]

`python` is the Python reader (`crm_hubspot.read_python`, rows held in memory, then hashed as the
runner hashes them), `native` the DuckDB reader ingestion uses (`crm_hubspot.load`: rows staged as
Parquet, personal data hashed in SQL), `copy` a plain DuckDB copy of each file as text to Parquet
(no typing, no check: no reader can be faster). Each reader runs in its own process; it prints
rows, wall and CPU seconds, rows per CPU second and the process's peak RSS as JSON. The folder is
only read; scratch files go to a temporary folder.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from pipelines.ingest import crm_hubspot
from pipelines.ingest.crm_tables import TABLES
from pipelines.ingest.native import connect, quote
from pipelines.ingest.options import IngestOptions
from pipelines.ingest.parsed import Lineage
from pipelines.ingest.pii import add_hash_columns

READERS = ("copy", "native", "python")


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def run(folder: Path, reader: str) -> dict[str, object]:
    files = sorted(p for p in folder.glob("hubspot*.csv"))
    options = IngestOptions(pii_salt="benchmark-salt")
    pii = {t.name: t.pii for t in TABLES}
    rows = 0
    start, cpu = time.perf_counter(), _cpu()
    with tempfile.TemporaryDirectory(prefix="crm-bench-") as scratch:
        for n, path in enumerate(files):
            work = Path(scratch) / str(n)
            lineage = Lineage(f"crm/{path.name}", str(n), "bench", dt.datetime(2026, 12, 1))
            if reader == "copy":
                con = connect(work)
                con.execute(
                    f"copy (select * from read_csv({quote(str(path))}, all_varchar = true)) "
                    f"to {quote(str(work / 'copy.parquet'))} (format parquet, compression zstd)"
                )
                (count,) = con.execute(
                    f"select count(*) from read_parquet({quote(str(work / 'copy.parquet'))})"
                ).fetchone()
                con.close()
                rows += int(count)
                continue
            if reader == "native":
                parsed = crm_hubspot.load(path, lineage, options, work)
            else:
                parsed = crm_hubspot.read_python(path, lineage, options, work)
                for name, table in parsed.tables.items():
                    if pii[name]:
                        add_hash_columns(table, pii[name], "benchmark-salt")
            rows += parsed.rows_read
            for staged in parsed.staged.values():
                staged.unlink()
    return {
        "reader": reader,
        "files": len(files),
        "rows": rows,
        "wall_s": round(time.perf_counter() - start, 1),
        "cpu_s": round(_cpu() - cpu, 1),
        "rows_per_cpu_s": round(rows / max(_cpu() - cpu, 1e-9)),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("folder", type=Path)
    parser.add_argument("--reader", choices=READERS)
    args = parser.parse_args()
    if args.reader:
        print(json.dumps(run(args.folder, args.reader)))
        return
    for reader in READERS:  # each in a fresh process: its own peak memory
        command = [sys.executable, "-m", "benchmarks.crm_benchmark", str(args.folder)]
        subprocess.run([*command, "--reader", reader], check=True)


if __name__ == "__main__":
    main()
