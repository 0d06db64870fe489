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
    landing_source: str, kpis: Iterable[KpiDefinition], facts: Mapping[str, Fact]
) -> list[str]:
    """Ids of the KPIs whose fact is fed by the landing source, sorted."""
    by_id = {kpi.id: kpi for kpi in kpis}
    wanted = fact_source(landing_source)
    found = []
    for kpi in by_id.values():
        fact = facts.get(_fact_of(kpi, by_id) or "")
        if fact is not None and fact.source == wanted:
            found.append(kpi.id)
    return sorted(found)
