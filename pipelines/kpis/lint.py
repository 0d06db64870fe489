"""SMART lint of the KPI portfolio: each finding names the file, the rule and a one-line fix.

Errors mean the pipeline refuses to run; warnings point at the portfolio mistakes that make KPIs
meaningless: too many, vague, unmeasurable, not tied to a goal, duplicated, only short-term, or no
customer voice anywhere.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from dataclasses import asdict, dataclass
from enum import StrEnum

from pipelines.ingest.sources import SOURCES
from pipelines.kpis.expressions import ExpressionError, parse_expression
from pipelines.kpis.facts import Fact
from pipelines.kpis.models import (
    Aggregate,
    CountComputation,
    CountDistinctComputation,
    GrowthComputation,
    KpiDefinition,
    Level,
    Portfolio,
    RatioComputation,
    ShareComputation,
    SumComputation,
)


class Severity(StrEnum):
    error = "error"
    warning = "warning"


@dataclass(frozen=True)
class Finding:
    severity: Severity
    rule: str
    file: str
    message: str
    fix: str
    kpi_id: str | None = None

    def __str__(self) -> str:
        return f"{self.file}: {self.severity.value} [{self.rule}] {self.message} Fix: {self.fix}"


def _expressions(kpi: KpiDefinition) -> list[tuple[str, str, bool]]:
    """(field path, expression, is an aggregate condition) of every expression in the KPI."""
    computation = kpi.computation
    found: list[tuple[str, str | None, bool]] = []

    def aggregate(path: str, agg: Aggregate) -> None:
        found.extend([(f"{path}.measure", agg.measure, False), (f"{path}.where", agg.where, False)])

    if isinstance(computation, SumComputation):
        found += [("computation.measure", computation.measure, False)]
        found += [("computation.where", computation.where, False)]
    elif isinstance(computation, CountComputation):
        found += [("computation.where", computation.where, False)]
    elif isinstance(computation, CountDistinctComputation):
        found += [("computation.column", computation.column, False)]
        found += [("computation.where", computation.where, False)]
        found += [("computation.having", computation.having, True)]
    elif isinstance(computation, RatioComputation):
        aggregate("computation.numerator", computation.numerator)
        aggregate("computation.denominator", computation.denominator)
    elif isinstance(computation, ShareComputation):
        found += [("computation.condition", computation.condition, False)]
        found += [("computation.where", computation.where, False)]
    return [(path, text, agg) for path, text, agg in found if text is not None]


def computation_signature(kpi: KpiDefinition) -> str:
    """A normalised form of the computation; two KPIs with the same one are duplicates."""
    return (
        json.dumps(kpi.computation.model_dump(mode="json"), sort_keys=True).lower().replace(" ", "")
    )


def lint_kpi(
    kpi: KpiDefinition, portfolio: Portfolio, facts: dict[str, Fact], today: dt.date
) -> list[Finding]:
    file = portfolio.kpi_files.get(kpi.id, f"{kpi.id}.yml")
    findings: list[Finding] = []

    def add(severity: Severity, rule: str, message: str, fix: str) -> None:
        findings.append(Finding(severity, rule, file, message, fix, kpi.id))

    # Specific
    words = len((kpi.description or "").split())
    if not kpi.description:
        add(
            Severity.error,
            "specific.description",
            "no description of what exactly is counted.",
            "add `description:` saying what is counted, from which source, over which period.",
        )
    elif words < portfolio.limits.min_description_words:
        add(
            Severity.warning,
            "specific.description",
            f"the description has {words} words; too vague to know what is counted.",
            f"describe the computation in at least {portfolio.limits.min_description_words} words.",
        )
    if kpi.unit is None:
        add(
            Severity.error,
            "specific.unit",
            "no unit.",
            "add `unit:` (count, ratio, percent, currency, minutes or score).",
        )

    # Measurable
    computation = kpi.computation
    if isinstance(computation, GrowthComputation):
        base = portfolio.kpi(computation.of)
        if base is None:
            add(
                Severity.error,
                "measurable.computation",
                f"growth of unknown KPI '{computation.of}'.",
                "set `computation.of:` to the id of an existing KPI.",
            )
        elif base.frequency != kpi.frequency:
            add(
                Severity.error,
                "measurable.computation",
                f"growth of '{base.id}' ({base.frequency.value}) "
                f"at frequency {kpi.frequency.value}.",
                f"use frequency {base.frequency.value}, the frequency of '{base.id}'.",
            )
        elif isinstance(base.computation, GrowthComputation):
            add(
                Severity.error,
                "measurable.computation",
                f"growth of '{base.id}', which is itself a growth KPI.",
                "point `computation.of:` at a KPI computed from a fact.",
            )
    elif kpi.fact not in facts:
        add(
            Severity.error,
            "measurable.computation",
            f"unknown fact '{kpi.fact}'.",
            f"use one of: {', '.join(sorted(facts))}.",
        )
    elif facts[kpi.fact].source not in SOURCES:
        fact = facts[kpi.fact]
        add(
            Severity.error,
            "measurable.source",
            f"its fact '{fact.name}' names source '{fact.source}' ({fact.file}), which is not a "
            "declared source: its periods would never be judged against the source's data.",
            f"set meta.kpi_fact.source in {fact.file} to one of: {', '.join(sorted(SOURCES))}.",
        )
    else:
        columns = facts[kpi.fact].columns
        for path, text, is_having in _expressions(kpi):
            try:
                parse_expression(
                    text, columns, allow_aggregates=is_having, require_aggregate=is_having
                )
            except ExpressionError as exc:
                add(
                    Severity.error,
                    "measurable.computation",
                    f"{path}: {exc}.",
                    f"write `{path}` over the columns of {kpi.fact} only.",
                )

    # Acceptable
    if not (kpi.owner or "").strip():
        add(
            Severity.error,
            "acceptable.owner",
            "no owner.",
            "add `owner:` with the person accountable for the KPI.",
        )
    if kpi.level == Level.team and not kpi.team:
        add(
            Severity.error,
            "acceptable.level",
            "a team-level KPI without a team.",
            "add `team:` or change `level:`.",
        )
    if kpi.level == Level.individual and not kpi.person:
        add(
            Severity.error,
            "acceptable.level",
            "an individual KPI without a person.",
            "add `person:` or change `level:`.",
        )

    # Relevant
    goal = portfolio.goal(kpi.goal) if kpi.goal else None
    if not kpi.goal:
        add(
            Severity.error,
            "relevant.goal",
            "not tied to a strategic goal.",
            f"add `goal:` with a goal id from {portfolio.goals_file}.",
        )
    elif goal is None:
        add(
            Severity.error,
            "relevant.goal",
            f"unknown goal '{kpi.goal}'.",
            f"use one of: {', '.join(g.id for g in portfolio.goals)}.",
        )
    if not kpi.csf:
        add(
            Severity.error,
            "relevant.csf",
            "no critical success factor.",
            "add `csf:` with the CSF this KPI measures.",
        )
    elif goal is not None and kpi.csf not in {c.id for c in goal.csfs}:
        add(
            Severity.error,
            "relevant.csf",
            f"CSF '{kpi.csf}' is not a CSF of goal '{goal.id}'.",
            f"use one of: {', '.join(c.id for c in goal.csfs) or '(define CSFs for the goal)'}.",
        )

    # Time-bound
    if kpi.target is None:
        add(
            Severity.error,
            "time_bound.target",
            "no target.",
            "add `target: {value: ...}` so the KPI can be on or off track.",
        )
    if kpi.deadline is None:
        add(
            Severity.error,
            "time_bound.deadline",
            "no deadline.",
            "add `deadline: YYYY-MM-DD`, the date the target should be met.",
        )
    elif kpi.deadline < today:
        add(
            Severity.warning,
            "time_bound.deadline",
            f"the deadline {kpi.deadline.isoformat()} has passed.",
            "set a new deadline and target, or retire the KPI.",
        )
    return findings


def _unknown_sources(facts: dict[str, Fact]) -> list[Finding]:
    """A fact whose `meta.kpi_fact.source` is no declared source (a typo): an error in its yml."""
    return [
        Finding(
            Severity.error,
            "fact.unknown_source",
            fact.file or fact.name,
            f"fact '{fact.name}' has meta.kpi_fact.source '{fact.source}', which is not a "
            f"declared source; known: {', '.join(sorted(SOURCES))}.",
            "write the source's name as declared in its reader module (`SOURCE = Source(name=...)`"
            ", pipelines/ingest/).",
        )
        for fact in sorted(facts.values(), key=lambda f: f.name)
        if fact.source not in SOURCES
    ]


def lint_portfolio(
    portfolio: Portfolio, facts: dict[str, Fact], today: dt.date | None = None
) -> list[Finding]:
    today = today or dt.date.today()
    findings: list[Finding] = []
    for kpi in portfolio.kpis:
        findings.extend(lint_kpi(kpi, portfolio, facts, today))

    findings.extend(_unknown_sources(facts))
    goals_file = portfolio.goals_file
    limits = portfolio.limits
    if len(portfolio.kpis) > limits.max_kpis_total:
        findings.append(
            Finding(
                Severity.warning,
                "portfolio.too_many",
                goals_file,
                f"{len(portfolio.kpis)} KPIs; more than {limits.max_kpis_total} dilutes attention.",
                "retire KPIs that drive no decision, or raise limits.max_kpis_total deliberately.",
            )
        )

    by_goal: dict[str, list[KpiDefinition]] = defaultdict(list)
    for kpi in portfolio.kpis:
        if kpi.goal:
            by_goal[kpi.goal].append(kpi)
    for goal in portfolio.goals:
        kpis = by_goal.get(goal.id, [])
        if not kpis:
            findings.append(
                Finding(
                    Severity.warning,
                    "portfolio.goal_without_kpi",
                    goals_file,
                    f"goal '{goal.id}' has no KPI, so nobody can tell whether it is being reached.",
                    f"add a KPI with `goal: {goal.id}`, or remove the goal.",
                )
            )
            continue
        if len(kpis) > limits.max_kpis_per_goal:
            findings.append(
                Finding(
                    Severity.warning,
                    "portfolio.too_many_per_goal",
                    goals_file,
                    f"goal '{goal.id}' has {len(kpis)} KPIs; "
                    f"the limit is {limits.max_kpis_per_goal}.",
                    "keep the few KPIs that best show progress on the goal.",
                )
            )
        if all(k.horizon.value == "short" for k in kpis):
            findings.append(
                Finding(
                    Severity.warning,
                    "portfolio.only_short_term",
                    goals_file,
                    f"goal '{goal.id}' has only short-term KPIs.",
                    "add a KPI with `horizon: long` that shows lasting progress on the goal.",
                )
            )

    seen: dict[str, KpiDefinition] = {}
    for kpi in sorted(portfolio.kpis, key=lambda k: k.id):
        signature = computation_signature(kpi)
        if signature in seen:
            first = seen[signature]
            findings.append(
                Finding(
                    Severity.warning,
                    "portfolio.duplicate",
                    portfolio.kpi_files.get(kpi.id, kpi.id),
                    f"computes exactly what '{first.id}' computes.",
                    f"remove one of '{first.id}' and '{kpi.id}', or make them differ.",
                    kpi.id,
                )
            )
        else:
            seen[signature] = kpi

    voices = [k for k in portfolio.kpis if (k.fact in facts and facts[k.fact].customer_voice)]
    if portfolio.kpis and not voices:
        findings.append(
            Finding(
                Severity.warning,
                "portfolio.no_customer_voice",
                goals_file,
                "no KPI reads the customer's own voice (surveys, tickets): numbers lack context.",
                "add a satisfaction, NPS or complaints KPI on a customer-voice fact.",
            )
        )
    return findings


def has_errors(findings: list[Finding]) -> bool:
    return any(f.severity == Severity.error for f in findings)


def exit_code(findings: list[Finding], *, strict: bool) -> int:
    """0 clean (or warnings without --strict), 1 warnings with --strict, 2 errors."""
    if has_errors(findings):
        return 2
    if strict and findings:
        return 1
    return 0


def findings_as_json(findings: list[Finding]) -> str:
    payload = {
        "errors": sum(f.severity == Severity.error for f in findings),
        "warnings": sum(f.severity == Severity.warning for f in findings),
        "findings": [{**asdict(f), "severity": f.severity.value} for f in findings],
    }
    return json.dumps(payload, indent=2)
