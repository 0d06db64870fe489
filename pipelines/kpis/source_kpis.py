"""Which KPIs read which source: the KPI's fact carries `meta.kpi_fact.source` (the source's
name, `pipelines.ingest.sources.SOURCES`) and each KPI names its fact (a growth KPI: the KPI it
grows)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from pipelines.kpis.facts import Fact
from pipelines.kpis.models import KpiDefinition


def _facts_of(kpi: KpiDefinition, by_id: Mapping[str, KpiDefinition]) -> list[str]:
    """Every fact the KPI reads (a ratio of two facts: both; a growth KPI: its base's)."""
    seen = set()
    while not kpi.facts:
        base = getattr(kpi.computation, "of", None)
        if base is None or base in seen or base not in by_id:
            return []
        seen.add(base)
        kpi = by_id[base]
    return kpi.facts


def kpis_reading(
    source: str, kpis: Iterable[KpiDefinition], facts: Mapping[str, Fact]
) -> list[str]:
    """Ids of the KPIs one of whose facts is fed by the source, sorted."""
    by_id = {kpi.id: kpi for kpi in kpis}
    wanted = source
    found = []
    for kpi in by_id.values():
        sources = {facts[name].source for name in _facts_of(kpi, by_id) if name in facts}
        if wanted in sources:
            found.append(kpi.id)
    return sorted(found)
