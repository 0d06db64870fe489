"""The KPIs a run can build, and the definitions it has to leave out (with why).

`kpi-warehouse lint` refuses a portfolio with any error, but a nightly run should not lose every
KPI to one typo: a KPI file that does not load or has lint errors is left out (reported in the run
summary, in Dagster as a KPI asset that is not built, and in the alert), and so is a KPI that
depends on one left out (a growth KPI of it). The other KPIs, ingestion and sensors run as usual.
Only a goals file that cannot be loaded leaves every KPI out, since every KPI needs its goal.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

from pipelines.kpis.facts import Fact
from pipelines.kpis.lint import Severity, lint_portfolio
from pipelines.kpis.loader import (
    GOALS_FILE_NAME,
    NOTES_DIR_NAME,
    DefinitionError,
    _load_notes,
    kpi_files,
    load_goals_file,
    load_kpi_file,
)
from pipelines.kpis.models import GrowthComputation, KpiDefinition, Portfolio, PortfolioLimits


@dataclass(frozen=True)
class LeftOut:
    """A definition file a run cannot use, and the problems that say why."""

    file: str
    kpi_id: str
    problems: tuple[str, ...]

    def summary(self) -> str:
        return f"{self.kpi_id} ({self.file}): " + "; ".join(self.problems)


@dataclass
class UsablePortfolio:
    portfolio: Portfolio
    left_out: list[LeftOut] = field(default_factory=list)
    note_problems: list[str] = field(default_factory=list)


def usable_portfolio(
    definitions_dir: Path, facts: dict[str, Fact], today: dt.date | None = None
) -> UsablePortfolio:
    """Every KPI that loads and lints without errors, and every file left out with its problems."""
    goals_path = definitions_dir / GOALS_FILE_NAME
    left_out: list[LeftOut] = []
    try:
        goals_file = load_goals_file(goals_path)
    except DefinitionError as exc:
        problems = tuple(str(p) for p in exc.problems)
        left = [LeftOut(str(path), path.stem, problems) for path in kpi_files(definitions_dir)]
        empty = Portfolio(goals=[], limits=PortfolioLimits(), kpis=[], goals_file=str(goals_path))
        return UsablePortfolio(empty, left)

    kpis: list[KpiDefinition] = []
    files: dict[str, str] = {}
    for path in kpi_files(definitions_dir):
        try:
            kpi = load_kpi_file(path)
        except DefinitionError as exc:
            problems = tuple(
                f"{p.field}: {p.message}" if p.field else p.message for p in exc.problems
            )
            left_out.append(LeftOut(str(path), path.stem, problems))
            continue
        if kpi.id in files:
            left_out.append(
                LeftOut(str(path), kpi.id, (f"id '{kpi.id}' is already used by {files[kpi.id]}",))
            )
            continue
        kpis.append(kpi)
        files[kpi.id] = str(path)

    def _portfolio(chosen: list[KpiDefinition], notes_problems: list) -> Portfolio:
        chosen_files = {k.id: files[k.id] for k in chosen}
        notes, note_files = _load_notes(
            definitions_dir / NOTES_DIR_NAME, chosen_files, notes_problems
        )
        return Portfolio(
            goals=goals_file.goals,
            limits=goals_file.limits,
            kpis=chosen,
            kpi_files=chosen_files,
            goals_file=str(goals_path),
            notes=notes,
            note_files=note_files,
        )

    portfolio = _portfolio(kpis, [])
    errors: dict[str, list[str]] = {}
    for finding in lint_portfolio(portfolio, facts, today=today):
        if finding.severity == Severity.error:
            errors.setdefault(finding.file, []).append(
                f"{finding.rule}: {finding.message} Fix: {finding.fix}"
            )
    for kpi in kpis:
        if files[kpi.id] in errors:
            left_out.append(LeftOut(files[kpi.id], kpi.id, tuple(errors[files[kpi.id]])))
    usable = [k for k in kpis if files[k.id] not in errors]
    # A KPI built on one that is left out (growth of it) cannot be built either.
    changed = True
    while changed:
        ids = {k.id for k in usable}
        dependent = [
            k
            for k in usable
            if isinstance(k.computation, GrowthComputation) and k.computation.of not in ids
        ]
        changed = bool(dependent)
        for kpi in dependent:
            usable.remove(kpi)
            left_out.append(
                LeftOut(
                    files[kpi.id],
                    kpi.id,
                    (f"it is the growth of '{kpi.computation.of}', which is left out",),  # type: ignore[union-attr]
                )
            )
    note_problems: list = []
    portfolio = _portfolio(usable, note_problems)
    return UsablePortfolio(
        portfolio,
        sorted(left_out, key=lambda item: item.kpi_id),
        [str(p) for p in note_problems],
    )
