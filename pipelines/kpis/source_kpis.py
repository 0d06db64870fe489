"""Which KPIs read which source: the KPI's fact carries `meta.kpi_fact.source` (the source's
name, `pipelines.ingest.sources.SOURCES`) and each KPI names its fact (a growth KPI: the KPI it
grows)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from pipelines.kpis.facts import Fact
from pipelines.kpis.models import KpiDefinition


def _fact_of(kpi: KpiDefinition, by_id: Mapping[str, KpiDefinition]) -> str | None:
    seen = set()
    while kpi.fact is None:
        base = getattr(kpi.computation, "of", None)
        if base is None or base in seen or base not in by_id:
            return None
        seen.add(base)
        kpi = by_id[base]
    return kpi.fact


def kpis_reading(
    source: str, kpis: Iterable[KpiDefinition], facts: Mapping[str, Fact]
) -> list[str]:
    """Ids of the KPIs whose fact is fed by the source, sorted."""
    by_id = {kpi.id: kpi for kpi in kpis}
    wanted = source
    found = []
    for kpi in by_id.values():
        fact = facts.get(_fact_of(kpi, by_id) or "")
        if fact is not None and fact.source == wanted:
            found.append(kpi.id)
    return sorted(found)
