"""The source declarations are the one place a source is described: the pandera schemas, the dbt
sources dbt parsed, source coverage, the raw views and the facts all agree with them."""

from __future__ import annotations

import json

import pytest

from pipelines.checks.raw_schemas import RAW_SCHEMAS
from pipelines.checks.volume import DATE_EXPRESSIONS, TABLE_SOURCES, TIME_COLUMNS
from pipelines.ingest.dbt_sources import (
    PIPELINE_SOURCE,
    outdated_dbt_sources,
    render_sources_covered,
    write_dbt_sources,
)
from pipelines.ingest.raw_store import RAW_META_SCHEMAS
from pipelines.ingest.sources import RAW_TABLES, SOURCES, raw_table_schemas
from pipelines.kpis.facts import load_fact_catalog

LINEAGE = ["_row_number", "_source_file", "_file_hash", "_load_id"]


@pytest.fixture(scope="module")
def manifest() -> dict:
    """The manifest dbt parsed from the generated files (`kpi-warehouse generate`'s step)."""
    from pipelines.dbt_manifest import prepare

    project = prepare()
    return json.loads(project.manifest_path.read_text(encoding="utf-8"))


def _dbt_sources(manifest: dict) -> dict[tuple[str, str], dict]:
    return {
        (node["source_name"], node["name"]): node
        for node in manifest["sources"].values()
        if node["package_name"] == "kpi_warehouse"
    }


def test_the_shipped_sources_have_one_name_each():
    expected = {
        "google_ads": "google_ads",
        "search_console": "search_console",
        "ga4": "ga4",
        "shopify": "orders",
        "zendesk": "support_tickets",
        "surveymonkey": "surveys",
        "microsoft_ads": "microsoft_ads",
        "meta_ads": "meta_ads",
        "fx_rates": "fx_rates",
        "crm": "crm",
    }
    assert {name: s.landing_folder for name, s in SOURCES.items()} == expected
    for name, source in SOURCES.items():
        assert source.name == name


def test_the_dbt_files_are_written_to_the_generated_folder_once(tmp_path):
    written = write_dbt_sources(tmp_path)
    assert sorted(p.relative_to(tmp_path).as_posix() for p in written) == [
        "generated/intermediate/periods/int_sources_covered.sql",
        "generated/staging/_raw__sources.yml",
    ]
    assert all(
        p.read_text(encoding="utf-8").startswith(("-- Generated", "# Generated")) for p in written
    )
    assert write_dbt_sources(tmp_path) == []  # unchanged: nothing rewritten, no re-parse


def test_generated_source_files_that_no_longer_match_the_declarations_are_outdated(tmp_path):
    written = write_dbt_sources(tmp_path)
    assert outdated_dbt_sources(tmp_path) == []
    sources_yml, covered_sql = sorted(written, key=lambda p: p.suffix, reverse=True)
    sources_yml.write_text(sources_yml.read_text(encoding="utf-8") + "# edited\n", "utf-8")
    covered_sql.unlink()
    assert sorted(outdated_dbt_sources(tmp_path)) == sorted([sources_yml, covered_sql])


def test_the_dbt_sources_are_the_declarations(manifest):
    sources = _dbt_sources(manifest)
    declared = {(s.name, t.entity) for s in SOURCES.values() for t in s.tables}
    pipeline = {(PIPELINE_SOURCE, table) for table in RAW_META_SCHEMAS}
    assert set(sources) == declared | pipeline
    for source in SOURCES.values():
        for table in source.tables:
            node = sources[(source.name, table.entity)]
            assert node["schema"] == "raw" and node["identifier"] == table.name
            # The columns as the raw Parquet files hold them: declared, line, hashes, lineage.
            assert list(node["columns"]) == [
                *[c.name for c in table.columns],
                "_row_number",
                *[f"{c}_hash" for c in table.pii],
                "_source_file",
                "_file_hash",
                "_load_id",
                "_loaded_at",
            ]
            assert list(node["columns"]) == raw_table_schemas()[table.name].names
            pii = {
                name: column["meta"]["pii"]
                for name, column in node["columns"].items()
                if column.get("meta", {}).get("pii")
            }
            assert pii == table.pii
            key = node["meta"].get("natural_key")
            assert key == (["_file_hash", *table.unique] if table.unique else None)


def test_the_pandera_schemas_and_the_dbt_sources_agree(manifest):
    """Every raw data table dbt reads has a pandera schema with the same columns (and the reverse),
    and the blocking check's key is the natural key the dbt source documents."""
    sources = _dbt_sources(manifest)
    for (source_name, _), node in sources.items():
        if source_name == PIPELINE_SOURCE:
            assert node["identifier"] not in RAW_SCHEMAS
            continue
        schema = RAW_SCHEMAS[node["identifier"]]
        hashes = {c for c in node["columns"] if c.endswith("_hash") and c != "_file_hash"}
        documented = set(node["columns"]) - hashes - {"_loaded_at"}
        assert set(schema.columns) == documented, node["identifier"]
        for name, column in schema.columns.items():
            if name in LINEAGE:
                continue
            declared = RAW_TABLES[node["identifier"]].column(name)
            assert column.nullable == declared.nullable
        assert schema.unique == node["meta"].get("natural_key")
    data_tables = {n["identifier"] for (s, _), n in sources.items() if s != PIPELINE_SOURCE}
    assert data_tables == set(RAW_SCHEMAS)


def test_the_raw_views_are_every_table_of_the_raw_layer(manifest):
    """register_raw_views registers the identifiers of the dbt sources in schema raw: exactly the
    raw layer's folders (data and pipeline tables)."""
    registered = {
        node["identifier"] for node in _dbt_sources(manifest).values() if node["schema"] == "raw"
    }
    assert registered == set(raw_table_schemas())
    hook = manifest["macros"]["macro.kpi_warehouse.raw_tables"]["macro_sql"]
    assert "graph.get('sources'" in hook and "var(" not in hook


def test_source_coverage_reads_each_sources_coverage_table_by_its_day(manifest):
    node = manifest["nodes"]["model.kpi_warehouse.int_sources_covered"]
    expected = {
        f"source.kpi_warehouse.{s.name}.{s.table(s.coverage).entity}" for s in SOURCES.values()
    }
    assert set(node["depends_on"]["nodes"]) == expected
    assert node["original_file_path"] == "generated/intermediate/periods/int_sources_covered.sql"
    assert node["schema"].endswith("intermediate")
    sql = render_sources_covered()
    assert "'shopify' as source_name" in sql
    assert "min(cast(created_at as date)) as first_date" in sql
    assert "{{ source('surveymonkey', 'responses') }}" in sql


def test_the_volume_check_settings_come_from_the_declarations():
    assert DATE_EXPRESSIONS == {
        "google_ads_campaign_days": "date_day",
        "search_console_query_days": "date_day",
        "ga4_channel_days": "date_day",
        "orders": "cast(created_at as date)",
        "support_tickets": "cast(created_at as date)",
        "microsoft_ads_campaign_days": "date_day",
        "meta_ads_campaign_days": "date_day",
    }
    assert TABLE_SOURCES["orders"] == "shopify" and TABLE_SOURCES["support_tickets"] == "zendesk"
    assert TIME_COLUMNS == {"orders": "created_at", "support_tickets": "created_at"}


def test_every_fact_names_a_declared_source_and_every_staging_model_its_source(manifest):
    facts = load_fact_catalog()
    assert {f.source for f in facts.values()} <= set(SOURCES)
    # A source's staging models carry its one name: stg_<source>__<entity>s.
    for node in manifest["nodes"].values():
        if node["resource_type"] != "model" or not node["name"].startswith("stg_"):
            continue
        for uid in node["depends_on"]["nodes"]:
            if uid.startswith("source."):
                source_name = uid.split(".")[2]
                assert node["name"].startswith(f"stg_{source_name}__"), (node["name"], uid)


def test_a_zendesk_ticket_id_rule_is_the_same_at_ingestion_and_in_pandera():
    """The rule written once (ticket_id >= 1) is the one pandera checks: they cannot disagree."""
    declared = RAW_TABLES["support_tickets"].column("ticket_id")
    [check] = RAW_SCHEMAS["support_tickets"].columns["ticket_id"].checks
    assert [r.kind for r in declared.rules] == [">= 1"]
    assert check.statistics == {"min_value": 1}
