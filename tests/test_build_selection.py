"""Which models a build leaves out: those reading no raw table that changed, and not the as-of
time when it moved (hand-made manifests, then the project's own)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pyarrow as pa

from pipelines.build_selection import current_models, models_reading_as_of, models_to_build
from pipelines.build_state import Changes, build_inputs, changes_since, last_build, record
from pipelines.ingest.raw_store import RawStore, write_parquet_atomically

P = "model.kpi_warehouse."
S = "source.kpi_warehouse."
M = "macro.kpi_warehouse."


def _model(name: str, sql: str = "select 1", macros=(), materialized="table", tags=()) -> dict:
    return {
        "resource_type": "model",
        "name": name,
        "raw_code": sql,
        "depends_on": {"macros": list(macros)},
        "config": {"materialized": materialized},
        "tags": list(tags),
    }


def _manifest() -> dict:
    """ads -> stg_ads -> fct_ads -> kpi_roas -> fct_kpi_values (fan-in) <- kpi_orders <- fct_orders
    <- stg_orders <- orders; tickets -> stg_tickets -> int_states (calls a macro calling a macro
    that names as_of) -> fct_tickets; dim_kpi reads no raw table; base_ads is ephemeral."""
    view, ephemeral = {"materialized": "view"}, {"materialized": "ephemeral"}
    nodes = {
        P + "stg_pipeline__run_context": _model("stg_pipeline__run_context", "as_of_ts", **view),
        P + "stg_ads": _model("stg_ads", **view),
        P + "base_ads": _model("base_ads", **ephemeral),
        P + "fct_ads": _model("fct_ads", "select * from base_ads"),
        P + "kpi_roas": _model("kpi_roas", "where period <= {{ as_of_date }}"),
        P + "stg_orders": _model("stg_orders", **view),
        P + "fct_orders": _model("fct_orders"),
        P + "kpi_orders": _model("kpi_orders", macros=[M + "periods"]),
        P + "stg_tickets": _model("stg_tickets", **view),
        P + "int_states": _model("int_states", macros=[M + "state"], **view),
        P + "fct_tickets": _model("fct_tickets"),
        P + "fct_kpi_values": _model("fct_kpi_values", tags=["fan_in"]),
        P + "dim_kpi": _model("dim_kpi"),
        "test.kpi_warehouse.unique_fct_ads": {"resource_type": "test", "name": "unique_fct_ads"},
    }
    edges = {
        S + "ads.days": ["stg_ads"],
        S + "shop.orders": ["stg_orders"],
        S + "zendesk.tickets": ["stg_tickets"],
        S + "pipeline.run_context": ["stg_pipeline__run_context"],
        P + "stg_pipeline__run_context": ["fct_ads", "fct_orders", "int_states", "kpi_roas"],
        P + "stg_ads": ["base_ads"],
        P + "base_ads": ["fct_ads"],
        P + "fct_ads": ["kpi_roas", "unique_fct_ads"],
        P + "kpi_roas": ["fct_kpi_values"],
        P + "stg_orders": ["fct_orders"],
        P + "fct_orders": ["kpi_orders"],
        P + "kpi_orders": ["fct_kpi_values"],
        P + "stg_tickets": ["int_states"],
        P + "int_states": ["fct_tickets"],
    }
    child_map = {
        parent: [c if "." in c else P + c for c in children] for parent, children in edges.items()
    }
    parent_map: dict[str, list[str]] = {uid: [] for uid in nodes}
    for parent, children in child_map.items():
        for child in children:
            parent_map.setdefault(child, []).append(parent)
    sources = {
        S + f"{source}.{name}": {"source_name": source, "name": name, "identifier": identifier}
        for source, name, identifier in [
            ("ads", "days", "ads_days"),
            ("shop", "orders", None),
            ("zendesk", "tickets", "support_tickets"),
            ("pipeline", "run_context", None),
        ]
    }
    macros = {
        M + name: {"macro_sql": sql, "depends_on": {"macros": [M + c for c in calls]}}
        for name, sql, calls in [
            ("periods", "{{ kpi_bounds() }}", ["kpi_bounds"]),
            ("kpi_bounds", "max(run_context.as_of_date)", []),
            ("state", "{{ inner_state() }}", ["inner_state"]),
            ("inner_state", "created_at <= as_of_ts", []),
        ]
    }
    macros["macro.dbt.dateadd"] = {"macro_sql": "as_of_anything", "depends_on": {"macros": []}}
    return {
        "nodes": nodes,
        "sources": sources,
        "macros": macros,
        "child_map": child_map,
        "parent_map": parent_map,
    }


def _changes(tables=(), as_of_moved=False, left_out=()) -> Changes:
    return Changes(frozenset(tables), as_of_moved, frozenset(left_out))


def test_the_as_of_time_is_read_through_code_and_macros_calling_macros():
    readers = {uid.removeprefix(P) for uid in models_reading_as_of(_manifest())}
    # The run context's own view passes the values through; dbt's macros are not the project's.
    assert readers == {"kpi_roas", "kpi_orders", "int_states"}


def test_a_new_ads_file_builds_the_ads_chain_and_what_is_always_built():
    manifest = _manifest()
    build = {uid.removeprefix(P) for uid in models_to_build(manifest, _changes(["ads_days"]))}
    assert build == {
        "stg_ads", "base_ads", "fct_ads", "kpi_roas", "fct_kpi_values", "dim_kpi",
        "stg_pipeline__run_context",
    }  # fmt: skip
    # Left out: every other model except the ephemeral one (dbt builds none).
    assert current_models(manifest, _changes(["ads_days"])) == [
        "fct_orders", "fct_tickets", "int_states", "kpi_orders", "stg_orders", "stg_tickets",
    ]  # fmt: skip


def test_a_moved_as_of_time_builds_its_readers_and_what_depends_on_them():
    left_out = current_models(_manifest(), _changes(as_of_moved=True))
    assert left_out == ["fct_ads", "fct_orders", "stg_ads", "stg_orders", "stg_tickets"]


def test_models_held_last_time_are_built_and_a_source_named_by_its_table():
    left_out = current_models(_manifest(), _changes(["orders"], left_out=["fct_tickets"]))
    assert left_out == ["fct_ads", "int_states", "kpi_roas", "stg_ads", "stg_tickets"]
    everything_but_the_always_built = [
        "fct_ads", "fct_orders", "fct_tickets", "int_states", "kpi_orders", "kpi_roas",
        "stg_ads", "stg_orders", "stg_tickets",
    ]  # fmt: skip
    assert current_models(_manifest(), _changes()) == everything_but_the_always_built


AS_OF = dt.datetime(2026, 10, 5)


def _raw(tmp_path: Path) -> Path:
    raw = tmp_path / "raw"
    write_parquet_atomically(pa.table({"x": [1]}), raw / "orders" / "a.parquet")
    write_parquet_atomically(pa.table({"x": [1]}), raw / "ads_days" / "a.parquet")
    RawStore(raw).write_run_context(AS_OF, "run-1")
    return raw


def test_changes_name_the_tables_with_other_files_and_a_moved_as_of_time(tmp_path):
    raw, state = _raw(tmp_path), tmp_path / "state"
    record(state, build_inputs(raw, "defs-1", "duckdb"), left_out=["fct_tickets"])

    RawStore(raw).write_run_context(AS_OF, "run-2")
    write_parquet_atomically(pa.table({"x": [2]}), raw / "ads_days" / "b.parquet")
    write_parquet_atomically(pa.table({"x": [2]}), raw / "support_tickets" / "a.parquet")
    changes = changes_since(last_build(state), build_inputs(raw, "defs-1", "duckdb"))
    assert changes == _changes(["ads_days", "support_tickets"], False, ["fct_tickets"])

    (raw / "ads_days" / "b.parquet").unlink()  # a file taken away changes its table too
    RawStore(raw).write_run_context(AS_OF + dt.timedelta(days=1), "run-3")
    changes = changes_since(last_build(state), build_inputs(raw, "defs-1", "duckdb"))
    assert changes == _changes(["support_tickets"], True, ["fct_tickets"])


def test_every_model_counts_as_changed_without_a_comparable_build(tmp_path):
    raw, state = _raw(tmp_path), tmp_path / "state"
    inputs = build_inputs(raw, "defs-1", "duckdb")
    assert changes_since(last_build(state), inputs) is None  # no build recorded
    record(state, inputs)
    assert changes_since(last_build(state), build_inputs(raw, "defs-2", "duckdb")) is None
    assert changes_since(last_build(state), build_inputs(raw, "defs-1", "spark")) is None
    RawStore(raw).write_run_context(AS_OF, "run-2", (dt.date(2026, 9, 1), dt.date(2026, 9, 3)))
    backfill = build_inputs(raw, "defs-1", "duckdb")
    assert changes_since(last_build(state), backfill) is None
    record(state, backfill)  # the build after a backfill compares with none
    RawStore(raw).write_run_context(AS_OF, "run-3")
    assert changes_since(last_build(state), build_inputs(raw, "defs-1", "duckdb")) is None
    # A record from before the left-out models were kept: its inputs, no comparison.
    (state / "last_complete_build.json").write_text(json.dumps(inputs), encoding="utf-8")
    assert last_build(state) == {"inputs": inputs, "left_out": None}
    assert changes_since(last_build(state), inputs) is None


def test_the_projects_own_manifest_leaves_the_crm_and_shop_out_of_an_ads_night():
    manifest_path = Path(__file__).parents[1] / "dbt_project" / "target" / "manifest.json"
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    night = _changes(["google_ads_campaign_days", "search_console_query_days"], as_of_moved=True)
    left_out = set(current_models(manifest, night))
    assert {"fct_crm_deals", "fct_crm_contacts", "fct_orders", "fct_order_lines"} <= left_out
    # Tickets are judged at the as-of time (answered within 24 h): rebuilt when it moves.
    assert "fct_support_tickets" not in left_out
    assert not {"fct_ad_performance_daily", "fct_search_queries_daily", "kpi_sea_roas"} & left_out
    assert not {"fct_kpi_values", "kpi_scorecard", "dim_kpi"} & left_out
