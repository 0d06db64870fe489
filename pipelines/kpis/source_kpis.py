"""Which KPIs read which landing source: the KPI's fact carries `meta.kpi_fact.source` (the
source's name in dbt) and each KPI names its fact (a growth KPI: the KPI it grows)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from pipelines.kpis.facts import Fact
from pipelines.kpis.models import KpiDefinition

# landing folder -> the source name the dbt facts use in `meta.kpi_fact.source`, where they differ
FACT_SOURCE_OF_LANDING = {
    "orders": "shopify",
    "support_tickets": "zendesk",
    "surveys": "surveymonkey",
}


def fact_source(landing_source: str) -> str:
    """The dbt-side source name of a landing folder (`orders` -> `shopify`)."""
    return FACT_SOURCE_OF_LANDING.get(landing_source, landing_source)


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
    landing_source: str, kpis: Iterable[KpiDefinition], facts: Mapping[str, Fact]
) -> list[str]:
    """Ids of the KPIs one of whose facts is fed by the landing source, sorted."""
    by_id = {kpi.id: kpi for kpi in kpis}
    wanted = fact_source(landing_source)
    found = []
    for kpi in by_id.values():
        sources = {facts[name].source for name in _facts_of(kpi, by_id) if name in facts}
        if wanted in sources:
            found.append(kpi.id)
    return sorted(found)
