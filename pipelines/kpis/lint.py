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
    CohortComputation,
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


def _expressions(kpi: KpiDefinition) -> list[tuple[str, str, bool, str | None]]:
    """(field path, expression, is an aggregate condition, fact it reads) of every expression."""
    computation = kpi.computation
    fact = kpi.fact
    found: list[tuple[str, str | None, bool, str | None]] = []

    def aggregate(path: str, agg: Aggregate, agg_fact: str | None) -> None:
        found.extend(
            [
                (f"{path}.measure", agg.measure, False, agg_fact),
                (f"{path}.where", agg.where, False, agg_fact),
            ]
        )

    if isinstance(computation, SumComputation):
        found += [("computation.measure", computation.measure, False, fact)]
        found += [("computation.where", computation.where, False, fact)]
    elif isinstance(computation, CountComputation):
        found += [("computation.where", computation.where, False, fact)]
    elif isinstance(computation, CountDistinctComputation):
        found += [("computation.column", computation.column, False, fact)]
        found += [("computation.where", computation.where, False, fact)]
        found += [("computation.having", computation.having, True, fact)]
    elif isinstance(computation, RatioComputation):
        aggregate("computation.numerator", computation.numerator, computation.numerator_fact)
        aggregate("computation.denominator", computation.denominator, computation.denominator_fact)
    elif isinstance(computation, ShareComputation):
        found += [("computation.condition", computation.condition, False, fact)]
        found += [("computation.where", computation.where, False, fact)]
    elif isinstance(computation, CohortComputation):
        base, conversion = computation.fact, computation.conversion_fact
        found += [("computation.entity", computation.entity, False, base)]
        if conversion != base:
            found += [("computation.entity", computation.entity, False, conversion)]
        found += [("computation.base.at", computation.base.at, False, base)]
        found += [("computation.base.where", computation.base.where, False, base)]
        found += [("computation.conversion.at", computation.conversion.at, False, conversion)]
        found += [("computation.conversion.where", computation.conversion.where, False, conversion)]
    return [(path, text, agg, f) for path, text, agg, f in found if text is not None]


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
            "add `unit:` (count, ratio, percent, currency, minutes, days or score).",
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
    elif unknown := [name for name in kpi.facts if name not in facts]:
        for name in unknown:
            add(
                Severity.error,
                "measurable.computation",
                f"unknown fact '{name}'.",
                f"use one of: {', '.join(sorted(facts))}.",
            )
    elif undeclared := [facts[name] for name in kpi.facts if facts[name].source not in SOURCES]:
        for fact in undeclared:
            add(
                Severity.error,
                "measurable.source",
                f"its fact '{fact.name}' names source '{fact.source}' ({fact.file}), which is not "
                "a declared source: its periods would never be judged against the source's data.",
                f"set meta.kpi_fact.source in {fact.file} to one of: {', '.join(sorted(SOURCES))}.",
            )
    else:
        for path, text, is_having, fact_name in _expressions(kpi):
            columns = facts[fact_name or ""].columns
            try:
                parse_expression(
                    text, columns, allow_aggregates=is_having, require_aggregate=is_having
                )
            except ExpressionError as exc:
                add(
                    Severity.error,
                    "measurable.computation",
                    f"{path}: {exc}.",
                    f"write `{path}` over the columns of {fact_name} only.",
                )
        if isinstance(computation, CohortComputation):
            for path, event, fact_name in (
                ("computation.base.at", computation.base, computation.fact),
                ("computation.conversion.at", computation.conversion, computation.conversion_fact),
            ):
                column_type = facts[fact_name].columns.get(event.at.strip().lower(), "")
                if not column_type.startswith("timestamp"):
                    add(
                        Severity.error,
                        "measurable.computation",
                        f"{path}: '{event.at}' is not a timestamp column of {fact_name}.",
                        f"name a timestamp column of {fact_name} (when the event happened).",
                    )

    # Drivers: the supporting metrics shown beside the KPI
    for driver in kpi.drivers:
        other = portfolio.kpi(driver)
        if driver == kpi.id:
            add(
                Severity.error,
                "relevant.drivers",
                "the KPI names itself as its driver.",
                f"remove '{driver}' from `drivers:`.",
            )
        elif other is None:
            add(
                Severity.error,
                "relevant.drivers",
                f"unknown driver '{driver}'.",
                "name the id of a supporting metric (`role: metric`) in `drivers:`.",
            )
        elif not other.is_metric:
            add(
                Severity.error,
                "relevant.drivers",
                f"driver '{driver}' is a key KPI, not a supporting metric.",
                f"set `role: metric` in '{driver}', or remove it from `drivers:`.",
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

    # Time-bound: a supporting metric has no target, so no deadline and no status either
    if kpi.is_metric:
        if kpi.target is not None:
            add(
                Severity.warning,
                "time_bound.metric_target",
                "a supporting metric has a target; it is ignored (metrics get no status).",
                "remove `target:`, or make it a key KPI with `role: kpi`.",
            )
        return findings
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
    ] + [
        Finding(
            Severity.error,
            "fact.unknown_covered_through",
            fact.file or fact.name,
            f"fact '{fact.name}' has meta.kpi_fact.covered_through '{fact.covered_through}', "
            "which is not one of its date columns.",
            "name a contract column of data_type date that says up to which day the row's "
            "snapshot covers, or remove covered_through.",
        )
        for fact in sorted(facts.values(), key=lambda f: f.name)
        if fact.covered_through and fact.columns.get(fact.covered_through.lower()) != "date"
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
    # Only key KPIs count against the limits; supporting metrics are as many as needed.
    key_kpis = [kpi for kpi in portfolio.kpis if not kpi.is_metric]
    if len(key_kpis) > limits.max_kpis_total:
        findings.append(
            Finding(
                Severity.warning,
                "portfolio.too_many",
                goals_file,
                f"{len(key_kpis)} key KPIs; more than {limits.max_kpis_total} dilutes attention.",
                "retire KPIs that drive no decision, make supporting ones `role: metric`, or "
                "raise limits.max_kpis_total deliberately.",
            )
        )

    by_goal: dict[str, list[KpiDefinition]] = defaultdict(list)
    for kpi in key_kpis:
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

    voices = [
        k for k in key_kpis if any(name in facts and facts[name].customer_voice for name in k.facts)
    ]
    if key_kpis and not voices:
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
