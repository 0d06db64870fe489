"""Build small KPI portfolios on disk for tests."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import yaml

GOALS: dict[str, Any] = {
    "goals": [
        {
            "id": "profitable_growth",
            "name": "Grow revenue profitably",
            "csfs": [{"id": "efficient_paid_search", "name": "Paid search pays for itself"}],
        },
        {
            "id": "loyal_customers",
            "name": "Satisfied and loyal customers",
            "csfs": [{"id": "fast_support", "name": "Questions answered quickly"}],
        },
    ]
}

ROAS: dict[str, Any] = {
    "id": "sea_roas",
    "name": "Google Ads ROAS",
    "description": "Sum of Google Ads conversion value divided by the sum of cost over the week.",
    "unit": "ratio",
    "direction": "higher_is_better",
    "computation": {
        "type": "ratio",
        "fact": "fct_ad_performance_daily",
        "numerator": {"aggregate": "sum", "measure": "conversion_value"},
        "denominator": {"aggregate": "sum", "measure": "cost"},
    },
    "frequency": "weekly",
    "target": {"value": 6.0},
    "deadline": "2099-12-31",
    "owner": "Lotte Jansen",
    "level": "team",
    "team": "Performance marketing",
    "goal": "profitable_growth",
    "csf": "efficient_paid_search",
    "horizon": "long",
}


def kpi(**changes: Any) -> dict[str, Any]:
    """A valid KPI document (ROAS) with fields replaced; a value of None removes the field."""
    document = copy.deepcopy(ROAS)
    for key, value in changes.items():
        if value is None:
            document.pop(key, None)
        else:
            document[key] = value
    return document


def write_portfolio(
    directory: Path, kpis: list[dict[str, Any]], goals: dict[str, Any] | None = None
) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "goals.yml").write_text(yaml.safe_dump(goals or GOALS), encoding="utf-8")
    for document in kpis:
        (directory / f"{document['id']}.yml").write_text(
            yaml.safe_dump(document, sort_keys=False), encoding="utf-8"
        )
    return directory
