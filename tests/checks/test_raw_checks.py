"""A raw table's check verdicts are remembered until its files change, failures included."""

from __future__ import annotations

import pyarrow as pa

from pipelines.checks.raw_checks import (
    SCHEMA_CHECK,
    CheckVerdict,
    cached_verdict,
    remember_verdict,
    verdict_key,
)
from pipelines.ingest.raw_store import write_parquet_atomically


def test_a_remembered_verdict_holds_until_the_files_change(tmp_path):
    raw, state = tmp_path / "raw", tmp_path / "state"
    write_parquet_atomically(pa.table({"x": [1, 2]}), raw / "orders" / "a.parquet")
    key = verdict_key(raw, "orders", SCHEMA_CHECK)
    assert cached_verdict(state, "orders", SCHEMA_CHECK, key) is None

    failed = CheckVerdict("orders", SCHEMA_CHECK, False, "total: ge(0) failed", {"rows": 2})
    remember_verdict(state, key, failed)
    again = cached_verdict(state, "orders", SCHEMA_CHECK, verdict_key(raw, "orders", SCHEMA_CHECK))
    assert again is not None and not again.passed and again.reused
    assert again.description == "total: ge(0) failed" and again.metadata == {"rows": 2}
    other_key = verdict_key(raw, "order_lines", SCHEMA_CHECK)
    assert cached_verdict(state, "order_lines", SCHEMA_CHECK, other_key) is None

    write_parquet_atomically(pa.table({"x": [3]}), raw / "orders" / "b.parquet")
    new_key = verdict_key(raw, "orders", SCHEMA_CHECK)
    assert new_key != key
    assert cached_verdict(state, "orders", SCHEMA_CHECK, new_key) is None
