"""The dbt files derived from the source declarations, written by `kpi-warehouse generate`.

* `staging/_raw__sources.yml`: one dbt source per declared source (its name, schema `raw`), one
  table per raw table (`<entity>`, identifier the raw table) with its columns, personal-data kind
  and natural key, plus the pipeline's own tables. `register_raw_views` exposes every table of
  these sources as `raw.<table>`, so no raw table list is kept by hand in the dbt project.
* `intermediate/periods/int_sources_covered.sql`: the first and last day each source's data
  covers (bi.about), from its coverage table and the day a row belongs to.

Both go to `GENERATED_DBT_DIR`, git-ignored and listed in dbt's model-paths.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from pipelines.ingest.columns import RawTable
from pipelines.ingest.raw_store import LINEAGE_DOCS, PIPELINE_TABLE_DOCS, RAW_META_SCHEMAS
from pipelines.ingest.source import Source
from pipelines.ingest.sources import SOURCES, stored_schema
from pipelines.kpis.dbt_models import _write_if_changed as write_if_changed
from pipelines.settings import DBT_PROJECT_DIR, GENERATED_DBT_DIR

SOURCES_YML = Path("staging") / "_raw__sources.yml"
SOURCES_COVERED_SQL = Path("intermediate") / "periods" / "int_sources_covered.sql"
PIPELINE_SOURCE = "pipeline"  # the pipeline's own raw tables (load log, run context, holds)
_HEADER = (
    "Generated from the source declarations (pipelines/ingest/sources.py) by "
    "`kpi-warehouse generate`; do not edit"
)


def _column(name: str, description: str = "", pii: str | None = None) -> dict:
    column: dict = {"name": name}
    if description:
        column["description"] = description
    if pii:
        column["meta"] = {"pii": pii}
    return column


def _table(table: RawTable) -> dict:
    declared = {c.name: c for c in table.columns}
    hashed = {f"{name}_hash": (name, kind) for name, kind in table.pii.items()}
    columns = []
    for name in stored_schema(table).names:  # in the order the Parquet files hold them
        if name in declared:
            columns.append(_column(name, declared[name].description, declared[name].pii))
        elif name in hashed:
            column, kind = hashed[name]
            columns.append(_column(name, f"HMAC-SHA256 of {column} ({kind}) with KPI_PII_SALT."))
        else:
            columns.append(_column(name, LINEAGE_DOCS[name]))
    entry: dict = {"name": table.entity, "identifier": table.name}
    if table.description:
        entry["description"] = table.description
    meta: dict = {}
    if table.unique:
        meta["natural_key"] = ["_file_hash", *table.unique]
    if table.day:
        meta["day"] = table.day
    if meta:
        entry["meta"] = meta
    entry["columns"] = columns
    return entry


def _source(source: Source) -> dict:
    return {
        "name": source.name,
        "description": f"{source.description} Landing folder: {source.landing_folder}/.",
        "schema": "raw",
        "meta": {"landing_folder": source.landing_folder, "coverage": source.coverage},
        "tables": [_table(t) for t in source.tables],
    }


def _pipeline_source() -> dict:
    tables = []
    for name, schema in RAW_META_SCHEMAS.items():
        description, columns = PIPELINE_TABLE_DOCS[name]
        tables.append(
            {
                "name": name,
                "description": description,
                "columns": [_column(f.name, columns.get(f.name, "")) for f in schema],
            }
        )
    return {
        "name": PIPELINE_SOURCE,
        "description": "The pipeline's own tables: load log, rejected rows, run context, holds.",
        "schema": "raw",
        "tables": tables,
    }


def render_sources_yml(sources: dict[str, Source] = SOURCES) -> str:
    document = {
        "version": 2,
        "sources": [_source(s) for s in sources.values()] + [_pipeline_source()],
    }
    body = yaml.safe_dump(document, sort_keys=False, allow_unicode=True, width=100)
    return f"# {_HEADER}.\n{body}"


def _coverage_cte(source: Source) -> str:
    table = source.table(source.coverage)
    return (
        f"{source.name} as (\n\n"
        f"    select\n"
        f"        '{source.name}' as source_name,\n"
        f"        min({table.day}) as first_date,\n"
        f"        max({table.day}) as last_date\n"
        f"    from {{{{ source('{source.name}', '{table.entity}') }}}}\n\n"
        f")"
    )


def render_sources_covered(sources: dict[str, Source] = SOURCES) -> str:
    names = list(sources)
    unioned = "\n    union all ".join(f"select * from {name}" for name in names)
    ctes = ",\n\n".join(_coverage_cte(s) for s in sources.values())
    return (
        f"-- {_HEADER}.\n"
        "-- The date range each source's data covers (its coverage table, by the day a row\n"
        "-- belongs to); a source without rows yet has no row.\n"
        f"with\n\n{ctes},\n\n"
        f"unioned as (\n\n    {unioned}\n\n)\n\n"
        "select * from unioned\nwhere first_date is not null\n"
    )


def dbt_source_files(dbt_project_dir: Path = DBT_PROJECT_DIR) -> dict[Path, str]:
    """The dbt files the source declarations give: path -> content."""
    generated_dir = dbt_project_dir / GENERATED_DBT_DIR.relative_to(DBT_PROJECT_DIR)
    return {
        generated_dir / SOURCES_YML: render_sources_yml(),
        generated_dir / SOURCES_COVERED_SQL: render_sources_covered(),
    }


def outdated_dbt_sources(dbt_project_dir: Path = DBT_PROJECT_DIR) -> list[Path]:
    """The generated source files that differ from the declarations (missing or changed)."""
    return [
        path
        for path, text in dbt_source_files(dbt_project_dir).items()
        if not path.is_file() or path.read_text(encoding="utf-8") != text
    ]


def write_dbt_sources(dbt_project_dir: Path = DBT_PROJECT_DIR) -> list[Path]:
    """Write the dbt sources and source coverage; return the files whose content changed."""
    return [
        path
        for path, text in dbt_source_files(dbt_project_dir).items()
        if write_if_changed(path, text)
    ]
