"""KPI definitions a run leaves out, shown in Dagster as KPI assets that are not built."""

from __future__ import annotations

import dagster as dg

from pipelines.kpis.usable import LeftOut


def left_out_kpi_specs(left_out: list[LeftOut]) -> list[dg.AssetSpec]:
    """One asset per left-out KPI, under the key its model would have, never materialised: the
    UI shows it as missing, with the definition's problems in its description and metadata."""
    return [
        dg.AssetSpec(
            key=dg.AssetKey(["kpis", f"kpi_{item.kpi_id}"]),
            group_name="kpis",
            description=(
                f"Not built: the definition {item.file} has errors, so this KPI is left out of "
                "every run until it is fixed (`kpi-warehouse lint` shows them):\n"
                + "\n".join(f"- {problem}" for problem in item.problems)
            ),
            metadata={
                "kpi/definition_file": item.file,
                "kpi/definition_errors": dg.MetadataValue.md(
                    "\n".join(f"- {problem}" for problem in item.problems)
                ),
            },
            tags={"kpi_left_out": "true"},
        )
        for item in left_out
    ]
