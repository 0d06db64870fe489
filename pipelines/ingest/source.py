"""What a source is, declared once: `Source`, one per reader module (its `SOURCE`).

A source has one name, used everywhere: the dbt source (`source('<name>', ...)`), its staging
models (`stg_<name>__...`), its coverage row (`int_sources_covered.source_name`), a fact's
`meta.kpi_fact.source`, the load log, the Dagster tags and the `sources:` settings of
config/ingestion.yml. Its landing folder may be named otherwise (exports already land in
`orders/`, `support_tickets/` and `surveys/`), so the folder is declared beside the name.

Everything else about a source is derived from this declaration (see `pipelines.ingest.sources`):
the Parquet schemas of its raw tables, its row checks at ingestion, the pandera schemas, the volume
and freshness checks, the dbt sources yml and source coverage (`pipelines.ingest.dbt_sources`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from pipelines.ingest.columns import RawTable
from pipelines.ingest.options import IngestOptions
from pipelines.ingest.parsed import Lineage, ParsedFile

# The one reader contract: a landing file (its path, and its lineage), the ingestion options and
# a scratch folder for staged Parquet -> the parsed tables, rejected rows and warnings.
Reader = Callable[[Path, Lineage, IngestOptions, Path], ParsedFile]

TEXT_EXPORTS = ("*.csv", "*.tsv", "*.txt")


@dataclass(frozen=True)
class Source:
    """One kind of export: where it lands, how its files are recognised, the raw tables it fills
    and how to read a file of it."""

    name: str
    label: str  # how reasons name its exports: "no <label> exports have been loaded"
    description: str
    tables: tuple[RawTable, ...]
    coverage: str  # the raw table whose days say which days the source's data covers
    read: Reader
    landing_folder: str = ""  # default: the name
    patterns: tuple[str, ...] = TEXT_EXPORTS  # the files of the folder its reader reads

    def __post_init__(self) -> None:
        if not self.landing_folder:
            object.__setattr__(self, "landing_folder", self.name)
        names = [t.name for t in self.tables]
        if self.coverage not in names:
            raise ValueError(
                f"source {self.name}: coverage table {self.coverage} is not one of {names}"
            )
        coverage = self.table(self.coverage)
        if coverage.day is None:
            raise ValueError(f"source {self.name}: its coverage table {coverage.name} has no `day`")
        for table in self.tables:
            if not table.entity:
                raise ValueError(f"source {self.name}: raw table {table.name} has no dbt `entity`")
            if table.volume_checked and table.day is None:
                raise ValueError(f"source {self.name}: {table.name} is volume-checked, no `day`")

    @property
    def raw_tables(self) -> list[str]:
        return [t.name for t in self.tables]

    def table(self, name: str) -> RawTable:
        for table in self.tables:
            if table.name == name:
                return table
        raise KeyError(f"source {self.name} has no raw table {name}")

    @property
    def pii(self) -> dict[str, dict[str, str]]:
        """raw table -> {column: personal-data kind}, for the tables that hold personal data."""
        return {t.name: t.pii for t in self.tables if t.pii}

    @property
    def load_log_names(self) -> tuple[str, ...]:
        """The names its files carry in `raw.load_log.source`: the name, and for files loaded
        before sources had one name, the landing folder."""
        return tuple(dict.fromkeys((self.name, self.landing_folder)))
