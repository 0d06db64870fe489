"""A large export is streamed, never held: Python keeps no rows, and DuckDB reads a file larger
than its memory limit (it spills beyond it instead of failing). The 2-GB run, with the peak memory
of the whole process, is a benchmark: `benchmarks/large_file_benchmark.py`."""

from __future__ import annotations

import tracemalloc

import pyarrow.parquet as pq
import pytest

from pipelines.demo.large_files import write_large_orders_export
from pipelines.ingest.options import IngestOptions
from pipelines.ingest.raw_store import RawStore
from pipelines.ingest.runner import ingest_source
from pipelines.ingest.sources import SOURCES


@pytest.mark.slow
def test_a_file_larger_than_the_memory_limit_loads_without_holding_its_rows(tmp_path, monkeypatch):
    landing, raw = tmp_path / "landing", tmp_path / "raw"
    (landing / "orders").mkdir(parents=True)
    export = landing / "orders" / "orders export (große).csv"
    size = 160 * 2**20
    rows, orders = write_large_orders_export(export, size)
    # Less than the file itself. (Much lower limits can fail: the wide rows' read and write
    # buffers, two threads' worth, need about 100-150 MB however large the file.)
    monkeypatch.setenv("KPI_INGEST_MEMORY_LIMIT", "150MB")
    # A small load first, so the libraries the readers import lazily are not counted below.
    (tmp_path / "small" / "orders").mkdir(parents=True)
    write_large_orders_export(tmp_path / "small" / "orders" / "small.csv", 2**20)
    options = IngestOptions(pii_salt="salt")
    ingest_source(SOURCES["shopify"], tmp_path / "small", RawStore(tmp_path / "r"), "w", options)

    tracemalloc.start()
    try:
        report = ingest_source(SOURCES["shopify"], landing, RawStore(raw), "load", options)
        _, python_peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert report.problems == []
    assert (report.rows_read, report.rows_loaded, report.rows_rejected) == (rows, rows, 0)
    stored = {
        table: sum(pq.ParquetFile(p).metadata.num_rows for p in (raw / table).glob("*.parquet"))
        for table in ("orders", "order_lines")
    }
    assert stored == {"orders": orders, "order_lines": rows}
    # Python's own allocations stay small: neither the file nor its rows pass through Python.
    assert python_peak < 8 * 2**20, f"{python_peak / 2**20:.1f} MB held by Python"
