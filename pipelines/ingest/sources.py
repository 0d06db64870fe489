"""The sources the landing folder holds: one sub-folder each, with its reader and raw tables."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa

from pipelines.ingest import ga4, google_ads, search_console, shopify, surveys, zendesk
from pipelines.ingest.errors import FileRefused
from pipelines.ingest.options import IngestOptions, require_salt
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
    return google_ads.parse(path, lineage.source_file, workdir, lineage)


def _read_search_console(path: Path, lineage: Lineage, options: IngestOptions, workdir: Path):
    return search_console.read(path, lineage, workdir)


def _read_ga4(path: Path, lineage: Lineage, options: IngestOptions, workdir: Path):
    size = path.stat().st_size
    if size > ga4.MAX_BYTES:  # read whole in Python: refuse what cannot be a report download
        raise FileRefused(
            lineage.source_file,
            f"{size / 2**20:,.0f} MB is far larger than a GA4 report download (one row per day "
            f"and channel: a year is about 1 MB); the limit is {ga4.MAX_BYTES // 2**20} MB. "
            "Download the report again, or per month",
        )
    return ga4.parse(path.read_bytes(), lineage.source_file)


def _read_orders(path: Path, lineage: Lineage, options: IngestOptions, workdir: Path):
    return shopify.parse(
        path,
        lineage.source_file,
        options.reporting_timezone,
        workdir=workdir,
        lineage=lineage,
        salt=require_salt(options),
    )


def _read_tickets(path: Path, lineage: Lineage, options: IngestOptions, workdir: Path):
    return zendesk.parse(
        path,
        lineage.source_file,
        options.support_tickets.account_timezone,
        options.reporting_timezone,
        workdir=workdir,
        lineage=lineage,
        salt=require_salt(options),
    )


def _read_surveys(path: Path, lineage: Lineage, options: IngestOptions, workdir: Path):
    return surveys.parse(
        path,
        lineage.source_file,
        options.surveys,
        options.reporting_timezone,
        workdir=workdir,
        lineage=lineage,
        salt=require_salt(options),
    )


SOURCES: dict[str, SourceSpec] = {
    spec.name: spec
    for spec in (
        SourceSpec(
            name=google_ads.SOURCE,
            schemas={google_ads.TABLE: google_ads.SCHEMA},
            read=_read_google_ads,
            description="Google Ads campaign reports with the Day segment (UI downloads).",
        ),
        SourceSpec(
            name=search_console.SOURCE,
            schemas=search_console.SCHEMAS,
            read=_read_search_console,
            description="Search Console bulk exports, API exports and UI zips.",
            patterns=("*.csv", "*.zip", "*.parquet"),
        ),
        SourceSpec(
            name=ga4.SOURCE,
            schemas={ga4.TABLE: ga4.SCHEMA},
            read=_read_ga4,
            description="GA4 report downloads split by Date and session channel group.",
        ),
        SourceSpec(
            name=shopify.SOURCE,
            schemas={
                shopify.ORDERS: shopify.ORDERS_SCHEMA,
                shopify.ORDER_LINES: shopify.LINES_SCHEMA,
            },
            read=_read_orders,
            description="Shopify orders exports (one row per line item).",
            pii=shopify.PII,
        ),
        SourceSpec(
            name=zendesk.SOURCE,
            schemas={zendesk.TABLE: zendesk.SCHEMA},
            read=_read_tickets,
            description="Zendesk ticket exports.",
            pii=zendesk.PII,
        ),
        SourceSpec(
            name=surveys.SOURCE,
            schemas={surveys.TABLE: surveys.SCHEMA},
            read=_read_surveys,
            description="SurveyMonkey-style NPS and CSAT survey exports.",
            pii=surveys.PII,
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
