"""The sources the landing folder holds: one sub-folder each, with its reader and raw tables."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa

from pipelines.ingest import google_ads
from pipelines.ingest.options import IngestOptions
from pipelines.ingest.parsed import Lineage, ParsedFile
from pipelines.ingest.raw_store import RAW_META_SCHEMAS, with_lineage

Reader = Callable[[Path, Lineage, IngestOptions, Path], ParsedFile]


@dataclass(frozen=True)
class SourceSpec:
    """A landing sub-folder, how to read its files and the raw tables they land in."""

    name: str
    schemas: dict[str, pa.Schema]
    read: Reader
    description: str
    patterns: tuple[str, ...] = ("*.csv", "*.tsv", "*.txt")
    pii: dict[str, dict[str, str]] = field(default_factory=dict)

    @property
    def raw_tables(self) -> list[str]:
        return list(self.schemas)


def _read_google_ads(path: Path, lineage: Lineage, options: IngestOptions, workdir: Path):
    return google_ads.parse(path.read_bytes(), lineage.source_file)


SOURCES: dict[str, SourceSpec] = {
    spec.name: spec
    for spec in (
        SourceSpec(
            name=google_ads.SOURCE,
            schemas={google_ads.TABLE: google_ads.SCHEMA},
            read=_read_google_ads,
            description="Google Ads campaign reports with the Day segment (UI downloads).",
        ),
    )
}


def _stored_schema(spec: SourceSpec, table: str, schema: pa.Schema) -> pa.Schema:
    for column in spec.pii.get(table, {}):
        schema = schema.append(pa.field(f"{column}_hash", pa.string()))
    return with_lineage(schema)


def raw_table_schemas() -> dict[str, pa.Schema]:
    """Every table of the raw layer with its stored schema (hashes and lineage included)."""
    schemas = {
        table: _stored_schema(spec, table, schema)
        for spec in SOURCES.values()
        for table, schema in spec.schemas.items()
    }
    schemas.update(RAW_META_SCHEMAS)
    return schemas
