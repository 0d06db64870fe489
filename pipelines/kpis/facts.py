"""The facts KPIs may read, taken from the dbt marts' yml (the contract-enforced column lists).

A mart becomes a KPI fact by carrying `meta.kpi_fact` in its yml: the date column that places a row
in a period, the source whose coverage decides when a period is complete, and whether the fact is
the customer's own voice (surveys, tickets). KPI expressions are checked against these columns.

A fact's coverage is its own date range (first to last date of its rows), unless it names a
`covered_through` column: a fact built from full snapshots of current state (the CRM exports)
holds every row ever up to its snapshot, so its coverage has no first day and ends at the least
`covered_through` of its rows (the last day the oldest of its snapshots covers in full).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pipelines.settings import DBT_PROJECT_DIR
from pipelines.yaml_text import safe_load


@dataclass(frozen=True)
class Fact:
    name: str
    date_column: str
    source: str
    columns: dict[str, str]
    customer_voice: bool = False
    covered_through: str | None = None  # a date column: the fact is a snapshot, covered to it
    description: str = ""
    file: str = ""  # the yml that declares it


def _shown(path: Path, dbt_project_dir: Path) -> str:
    """The yml's path as a reader finds it: relative to the project folder when inside it."""
    base = dbt_project_dir.parent
    return str(path.relative_to(base)) if path.is_relative_to(base) else str(path)


# The catalogue last read, by the yml files' paths, sizes and modification times: a run asks for
# it several times (definitions, preparation, the dbt step) and the files rarely change.
_CATALOG_CACHE: dict[tuple, dict[str, Fact]] = {}


def load_fact_catalog(dbt_project_dir: Path = DBT_PROJECT_DIR) -> dict[str, Fact]:
    files = sorted((dbt_project_dir / "models").rglob("_*__models.yml"))
    key = tuple((str(p), p.stat().st_size, p.stat().st_mtime_ns) for p in files)
    if key not in _CATALOG_CACHE:
        _CATALOG_CACHE.clear()
        _CATALOG_CACHE[key] = _read_fact_catalog(files, dbt_project_dir)
    return dict(_CATALOG_CACHE[key])


def _read_fact_catalog(files: list[Path], dbt_project_dir: Path) -> dict[str, Fact]:
    facts: dict[str, Fact] = {}
    for yml in files:
        document = safe_load(yml.read_text(encoding="utf-8")) or {}
        for model in document.get("models", []):
            meta = (model.get("config") or {}).get("meta") or model.get("meta") or {}
            spec = meta.get("kpi_fact")
            if not spec:
                continue
            columns = {
                column["name"].lower(): str(column.get("data_type", "")).lower()
                for column in model.get("columns", [])
            }
            facts[model["name"]] = Fact(
                name=model["name"],
                date_column=spec["date_column"],
                source=spec["source"],
                columns=columns,
                customer_voice=bool(spec.get("customer_voice", False)),
                covered_through=spec.get("covered_through"),
                description=(model.get("description") or "").strip(),
                file=_shown(yml, dbt_project_dir),
            )
    return facts
