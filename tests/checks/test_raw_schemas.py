"""The pandera checks on the raw layer catch what a parser must never let through."""

from __future__ import annotations

import datetime as dt

import pyarrow as pa
import yaml

from pipelines.checks.raw_schemas import RAW_SCHEMAS, validate_raw_table
from pipelines.ingest.dbt_sources import render_sources_yml
from pipelines.ingest.raw_store import ensure_table_dirs, write_parquet_atomically
from pipelines.ingest.sources import raw_table_schemas


def _ads_rows(cost: float, campaign: str = "Brand") -> pa.Table:
    schema = raw_table_schemas()["google_ads_campaign_days"]
    row = {
        "date_day": dt.date(2026, 9, 1),
        "campaign_id": "1",
        "campaign_name": campaign,
        "campaign_status": None,
        "campaign_type": None,
        "currency_code": "EUR",
        "impressions": 10,
        "clicks": 1,
        "cost": cost,
        "conversions": 1.0,
        "conversion_value": 5.0,
        "_row_number": 4,
        "_source_file": "google_ads/a.csv",
        "_file_hash": "h1",
        "_load_id": "l",
        "_loaded_at": dt.datetime(2026, 9, 2),
    }
    return pa.Table.from_pylist([row], schema=schema)


def test_every_raw_table_is_registered_for_dbt_and_checked():
    # register_raw_views registers the tables of the generated dbt sources in schema raw.
    document = yaml.safe_load(render_sources_yml())
    registered = {
        table.get("identifier") or table["name"]
        for source in document["sources"]
        if source["schema"] == "raw"
        for table in source["tables"]
    }
    assert registered == set(raw_table_schemas())
    data_tables = set(raw_table_schemas()) - {
        "load_log",
        "rejected_rows",
        "run_context",
        "check_holds",
    }
    assert data_tables == set(RAW_SCHEMAS)


def test_valid_rows_pass(tmp_path):
    ensure_table_dirs(tmp_path, raw_table_schemas())
    write_parquet_atomically(_ads_rows(12.5), tmp_path / "google_ads_campaign_days" / "h1.parquet")
    outcome = validate_raw_table(tmp_path, "google_ads_campaign_days")
    assert outcome.passed and outcome.rows == 1


def test_negative_cost_and_duplicate_keys_fail_with_the_column_named(tmp_path):
    ensure_table_dirs(tmp_path, raw_table_schemas())
    rows = pa.concat_tables([_ads_rows(-1.0), _ads_rows(-1.0)])
    write_parquet_atomically(rows, tmp_path / "google_ads_campaign_days" / "h1.parquet")
    outcome = validate_raw_table(tmp_path, "google_ads_campaign_days")
    assert not outcome.passed
    summary = outcome.summary()
    assert "greater_than_or_equal_to(0)" in summary and "cost" in summary
    assert "multiple_fields_uniqueness" in summary


def test_changed_type_is_caught(tmp_path):
    ensure_table_dirs(tmp_path, raw_table_schemas())
    table = _ads_rows(1.0)
    table = table.set_column(
        table.schema.get_field_index("cost"), "cost", pa.array(["1.0"], pa.string())
    )
    write_parquet_atomically(table, tmp_path / "google_ads_campaign_days" / "h1.parquet")
    outcome = validate_raw_table(tmp_path, "google_ads_campaign_days")
    assert not outcome.passed
    assert "cost" in outcome.summary()
