"""The table reference of the published warehouse, generated from the dbt project's docs."""

from __future__ import annotations

import json
from pathlib import Path

PUBLISHED_SCHEMAS = ("marts", "bi")


def published_models(manifest_path: Path) -> list[dict]:
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    models = [
        node
        for node in manifest["nodes"].values()
        if node["resource_type"] == "model" and node.get("schema") in PUBLISHED_SCHEMAS
    ]
    return sorted(models, key=lambda n: (n["schema"], n["name"]))


def render_table_reference(manifest_path: Path) -> str:
    lines = [
        "# Table reference",
        "",
        "Tables and views of the published warehouse (`KPI_WAREHOUSE_PATH`), generated from the",
        "dbt project's documentation by `kpi-warehouse docs`. Do not edit by hand.",
        "",
    ]
    for model in published_models(manifest_path):
        lines += [
            f"## `{model['schema']}.{model['name']}`",
            "",
            " ".join(model["description"].split()),
            "",
        ]
        lines += ["| column | type | description |", "|---|---|---|"]
        for column in model["columns"].values():
            description = " ".join((column.get("description") or "").split()).replace("|", "\\|")
            lines.append(
                f"| `{column['name']}` | {column.get('data_type') or ''} | {description} |"
            )
        lines.append("")
    return "\n".join(lines)
