"""The registry of sources: every reader module's `SOURCE` declaration, gathered once.

Adding a source means adding its reader module with a `SOURCE` (see `pipelines.ingest.source`)
and naming it here; the raw layer, the checks, the dbt sources and source coverage follow.
"""

from __future__ import annotations

import pyarrow as pa

from pipelines.ingest import (
    crm,
    fx_rates,
    ga4,
    google_ads,
    meta_ads,
    microsoft_ads,
    search_console,
    shopify,
    surveys,
    zendesk,
)
from pipelines.ingest.columns import RawTable
from pipelines.ingest.raw_store import RAW_META_SCHEMAS, with_lineage
from pipelines.ingest.source import Source

SOURCES: dict[str, Source] = {
    source.name: source
    for source in (
        google_ads.SOURCE,
        search_console.SOURCE,
        ga4.SOURCE,
        shopify.SOURCE,
        zendesk.SOURCE,
        surveys.SOURCE,
        microsoft_ads.SOURCE,
        meta_ads.SOURCE,
        fx_rates.SOURCE,
        crm.SOURCE,
    )
}

# raw table -> its declaration, and -> the source that fills it
RAW_TABLES: dict[str, RawTable] = {
    table.name: table for source in SOURCES.values() for table in source.tables
}
SOURCE_OF_TABLE: dict[str, Source] = {
    table.name: source for source in SOURCES.values() for table in source.tables
}


def source_by_folder(folder: str) -> Source | None:
    """The source whose landing folder (or name) is `folder`."""
    for source in SOURCES.values():
        if folder in (source.landing_folder, source.name):
            return source
    return None


def stored_schema(table: RawTable) -> pa.Schema:
    """The raw table's Parquet schema as stored: its columns, a hash per personal-data column and
    the lineage columns."""
    schema = table.arrow_schema
    for column in table.pii:
        schema = schema.append(pa.field(f"{column}_hash", pa.string()))
    return with_lineage(schema)


def raw_table_schemas() -> dict[str, pa.Schema]:
    """Every table of the raw layer with its stored schema (hashes and lineage included)."""
    schemas = {name: stored_schema(table) for name, table in RAW_TABLES.items()}
    schemas.update(RAW_META_SCHEMAS)
    return schemas
