"""CRM exports (landing folder `crm/`): HubSpot, Salesforce and Pipedrive, told apart by their
headers (never by the file name) and read into the shared raw tables of `crm_tables`.

Each CRM's reader module offers `recognises(path) -> bool` (does the file's header belong to this
CRM) and `read(path, lineage, options, workdir) -> ParsedFile`; `READERS` lists them. A reader
may also offer `load` (same arguments), which ingestion calls instead of `read`: it may stage the
rows as Parquet (HubSpot CSV exports, read by DuckDB). A file no
reader recognises is refused with what was expected.
"""

from __future__ import annotations

from pathlib import Path
from types import ModuleType

from pipelines.ingest import crm_hubspot, crm_pipedrive, crm_salesforce
from pipelines.ingest.crm_tables import DEALS, TABLES
from pipelines.ingest.errors import FileRefused
from pipelines.ingest.options import IngestOptions
from pipelines.ingest.parsed import Lineage, ParsedFile
from pipelines.ingest.source import Source

# The CRM reader modules, tried in order.
READERS: tuple[ModuleType, ...] = (crm_salesforce, crm_hubspot, crm_pipedrive)

EXPECTED = (
    "a HubSpot deals or contacts export (Record ID / Deal ID / Contact ID, Deal Name or Email, "
    "Create Date), a Salesforce report export (Opportunity ID or Lead ID) or a Pipedrive export "
    "(Deal - ID / Person - ID)"
)


def read(path: Path, lineage: Lineage, options: IngestOptions, workdir: Path) -> ParsedFile:
    """Read one CRM export with the reader of the CRM whose header it has."""
    for reader in READERS:
        if reader.recognises(path):
            return getattr(reader, "load", reader.read)(path, lineage, options, workdir)
    raise FileRefused(
        lineage.source_file, f"not a CRM export this warehouse reads; expected {EXPECTED}"
    )


SOURCE = Source(
    name="crm",
    label="CRM",
    description=(
        "CRM exports (HubSpot, Salesforce, Pipedrive): snapshots of deals and contacts; the "
        "latest snapshot per CRM and object is the current state."
    ),
    tables=TABLES,
    coverage=DEALS,
    read=read,
    patterns=("*.csv", "*.tsv", "*.txt", "*.xlsx", "*.zip"),
)
