"""Views per level: which KPIs a scorecard or report shows for --level, --team, --owner, --goal."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import duckdb


@dataclass(frozen=True)
class KpiFilter:
    """Every given criterion must hold; text matches ignore case (owner: part of the name)."""

    level: str | None = None
    team: str | None = None
    owner: str | None = None
    goal: str | None = None

    @property
    def is_empty(self) -> bool:
        return not (self.level or self.team or self.owner or self.goal)

    def describe(self) -> str:
        parts = [
            f"{name} {value}"
            for name, value in (
                ("level", self.level),
                ("team", self.team),
                ("owner", self.owner),
                ("goal", self.goal),
            )
            if value
        ]
        return ", ".join(parts)

    def matches(self, kpi: dict[str, Any]) -> bool:
        def same(a: str | None, b: str) -> bool:
            return a is not None and a.casefold() == b.casefold()

        if self.level and not same(kpi.get("level"), self.level):
            return False
        if self.team and not same(kpi.get("team"), self.team):
            return False
        if self.goal and not (
            same(kpi.get("goal_id"), self.goal) or same(kpi.get("goal_name"), self.goal)
        ):
            return False
        if self.owner:
            wanted = self.owner.casefold()
            names = [n.casefold() for n in (kpi.get("owner"), kpi.get("person")) if n]
            if not any(wanted in name for name in names):
                return False
        return True


def kpi_ownership(con: duckdb.DuckDBPyConnection) -> dict[str, dict[str, Any]]:
    """Level, team, person, owner, goal and CSF of every KPI, from the published marts."""
    cursor = con.execute(
        "select k.kpi_id, k.level, k.team, k.person, k.owner, k.goal_id, g.goal_name, k.csf_id "
        "from marts.dim_kpi k left join marts.dim_goal g on g.goal_id = k.goal_id"
    )
    names = [d[0] for d in cursor.description]
    return {row[0]: dict(zip(names, row, strict=True)) for row in cursor.fetchall()}


def matching_kpi_ids(ownership: dict[str, dict[str, Any]], kpi_filter: KpiFilter) -> set[str]:
    return {kpi_id for kpi_id, kpi in ownership.items() if kpi_filter.matches(kpi)}


def keep_kpis(rows: list[dict[str, Any]], kpi_ids: set[str]) -> list[dict[str, Any]]:
    return [row for row in rows if row.get("kpi_id") in kpi_ids]
