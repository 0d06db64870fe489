"""A run with nothing new skips dbt; anything new (a file, another as-of time, a backfill,
changed definitions) builds."""

from __future__ import annotations

import datetime as dt
import shutil

import pyarrow as pa
import pytest

from pipelines.build_state import build_inputs, forget, is_current, record
from pipelines.ingest.raw_store import RawStore, write_parquet_atomically
from tests.conftest import FIXTURE_AS_OF, run_pipeline

AS_OF = dt.datetime(2026, 10, 5)


def _raw(tmp_path):
    raw = tmp_path / "raw"
    write_parquet_atomically(pa.table({"x": [1]}), raw / "orders" / "a.parquet")
    RawStore(raw).write_run_context(AS_OF, "run-1")
    return raw


def test_inputs_ignore_the_run_id_but_not_files_as_of_or_definitions(tmp_path):
    raw = _raw(tmp_path)
    first = build_inputs(raw, "defs-1", "duckdb")
    record(tmp_path / "state", first)
    assert is_current(tmp_path / "state", first)

    RawStore(raw).write_run_context(AS_OF, "run-2")  # another run, same as-of time
    assert is_current(tmp_path / "state", build_inputs(raw, "defs-1", "duckdb"))
    assert not is_current(tmp_path / "state", build_inputs(raw, "defs-2", "duckdb"))
    assert not is_current(tmp_path / "state", build_inputs(raw, "defs-1", "spark"))

    RawStore(raw).write_run_context(AS_OF + dt.timedelta(days=1), "run-3")
    assert not is_current(tmp_path / "state", build_inputs(raw, "defs-1", "duckdb"))

    RawStore(raw).write_run_context(AS_OF, "run-4")
    write_parquet_atomically(pa.table({"x": [2]}), raw / "orders" / "b.parquet")
    assert not is_current(tmp_path / "state", build_inputs(raw, "defs-1", "duckdb"))


def test_a_backfill_always_builds_and_a_forgotten_state_is_not_current(tmp_path):
    raw = _raw(tmp_path)
    RawStore(raw).write_run_context(AS_OF, "run-1", (dt.date(2026, 9, 1), dt.date(2026, 9, 3)))
    inputs = build_inputs(raw, "defs-1", "duckdb")
    record(tmp_path / "state", inputs)
    assert not is_current(tmp_path / "state", inputs)

    RawStore(raw).write_run_context(AS_OF, "run-2")
    inputs = build_inputs(raw, "defs-1", "duckdb")
    record(tmp_path / "state", inputs)
    forget(tmp_path / "state")
    assert not is_current(tmp_path / "state", inputs)


@pytest.mark.slow
def test_a_run_with_nothing_new_skips_dbt_and_keeps_the_published_file(fixture_run, tmp_path):
    root = tmp_path / "copy"
    shutil.copytree(fixture_run.root, root)
    published = root / "published" / "kpi.duckdb"
    before = published.stat()

    again = run_pipeline(root, root / "landing", FIXTURE_AS_OF)
    assert again.result.success
    built = [
        event.asset_key.path
        for event in again.result.all_events
        if event.event_type_value == "ASSET_MATERIALIZATION"
    ]
    assert not [key for key in built if key[0] not in ("raw",)], built
    after = published.stat()
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)
