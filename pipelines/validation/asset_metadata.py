"""The validation verdicts as Dagster metadata of each KPI asset, computed after a build.

Cheap (a few queries over the built tables and the load log) and never fatal: a validation that
cannot be computed shows as such on every KPI asset, and the run goes on.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import dagster as dg
import duckdb

from pipelines.kpis.loader import load_portfolio
from pipelines.validation.verdicts import KpiValidation
from pipelines.validation.warehouse import validate_portfolio

KpiMetadata = dict[str, dict[str, Any]]


def verdict_metadata(result: KpiValidation) -> dict[str, Any]:
    achievability = result.achievability
    metadata: dict[str, Any] = {
        "kpi/measurability": result.measurability.verdict.value,
        "kpi/achievability": achievability.verdict.value,
        "kpi/pace": achievability.pace.value,
        "kpi/validation_reasons": dg.MetadataValue.md(
            "\n".join(f"- {reason}" for reason in result.reasons + result.warnings)
        ),
    }
    if achievability.needed_change_per_period is not None:
        metadata["kpi/needed_change_per_period"] = dg.MetadataValue.float(
            achievability.needed_change_per_period
        )
    if achievability.forecast is not None:
        metadata["kpi/forecast_method"] = achievability.forecast.method
    return metadata


def validation_for_assets(
    definitions_dir: Path, raw_dir: Path | None
) -> Callable[[duckdb.DuckDBPyConnection], KpiMetadata]:
    """A function from the built tables to each KPI's verdict metadata, keyed by KPI id."""

    def compute(con: duckdb.DuckDBPyConnection) -> KpiMetadata:
        try:
            portfolio = load_portfolio(definitions_dir)
            results = validate_portfolio(con, portfolio, raw_dir=raw_dir)
        except Exception as exc:  # validation must never fail the run that built the KPIs
            text = f"not computed: {type(exc).__name__}: {exc}"
            return {"*": {"kpi/validation": text}}
        return {result.kpi_id: verdict_metadata(result) for result in results}

    return compute
