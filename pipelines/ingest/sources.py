"""The sources the landing folder holds: one sub-folder each, with its parser and raw table."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pyarrow as pa

from pipelines.ingest import google_ads
from pipelines.ingest.parsed import ParsedFile
from pipelines.ingest.raw_store import RAW_META_SCHEMAS, with_lineage


@dataclass(frozen=True)
class SourceSpec:
    """A landing sub-folder, how to read its files and the raw table they land in."""

    name: str
    raw_table: str
    schema: pa.Schema
    parse: Callable[[bytes, str], ParsedFile]
    description: str
    patterns: tuple[str, ...] = ("*.csv", "*.tsv", "*.txt")


SOURCES: dict[str, SourceSpec] = {
    spec.name: spec
    for spec in (
        SourceSpec(
            name=google_ads.SOURCE,
            raw_table=google_ads.TABLE,
            schema=google_ads.SCHEMA,
            parse=google_ads.parse,
            description="Google Ads campaign reports with the Day segment (UI downloads).",
        ),
    )
}


def raw_table_schemas() -> dict[str, pa.Schema]:
    """Every table of the raw layer with its full schema (lineage columns included)."""
    schemas = {spec.raw_table: with_lineage(spec.schema) for spec in SOURCES.values()}
    schemas.update(RAW_META_SCHEMAS)
    return schemas
