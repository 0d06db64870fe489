"""Which load-log deliveries feed a KPI: fact -> dbt source -> the raw tables it reads."""

from __future__ import annotations

from pathlib import Path

import yaml

from pipelines.settings import DBT_PROJECT_DIR

# How a source's exports are named in a reason ("no survey exports have been loaded").
SOURCE_LABELS = {
    "google_ads": "Google Ads",
    "search_console": "Search Console",
    "ga4": "GA4",
    "shopify": "Shopify order",
    "zendesk": "Zendesk ticket",
    "surveymonkey": "survey",
}


def source_label(source: str) -> str:
    return SOURCE_LABELS.get(source, source.replace("_", " "))


def source_raw_tables(dbt_project_dir: Path = DBT_PROJECT_DIR) -> dict[str, set[str]]:
    """dbt source name -> the raw tables (identifiers) it reads, from the staging sources yml."""
    tables: dict[str, set[str]] = {}
    for yml in sorted((dbt_project_dir / "models" / "staging").rglob("_*__sources.yml")):
        document = yaml.safe_load(yml.read_text(encoding="utf-8")) or {}
        for source in document.get("sources", []):
            names = tables.setdefault(source["name"], set())
            for table in source.get("tables", []):
                names.add(table.get("identifier") or table["name"])
    return tables
