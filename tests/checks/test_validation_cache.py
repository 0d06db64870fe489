"""A raw table that passed its checks is not checked again until its files change."""

from __future__ import annotations

import pyarrow as pa

from pipelines.checks.validation_cache import cached_pass, remember_pass, validation_key
from pipelines.ingest.raw_store import write_parquet_atomically


def test_a_remembered_pass_holds_until_the_files_change(tmp_path):
    raw, state = tmp_path / "raw", tmp_path / "state"
    write_parquet_atomically(pa.table({"x": [1, 2]}), raw / "orders" / "a.parquet")
    key = validation_key(raw, "orders")
    assert cached_pass(state, "orders", key) is None

    remember_pass(state, "orders", key, rows=2)
    assert cached_pass(state, "orders", validation_key(raw, "orders")) == 2
    assert cached_pass(state, "order_lines", validation_key(raw, "order_lines")) is None

    write_parquet_atomically(pa.table({"x": [3]}), raw / "orders" / "b.parquet")
    assert validation_key(raw, "orders") != key
    assert cached_pass(state, "orders", validation_key(raw, "orders")) is None
