"""Generate the dbt models that compute each KPI from its definition file.

Adding a KPI is adding one YAML file: this module turns the portfolio into one dbt model per KPI
(`kpi_<id>`, tagged with its frequency), a model that unions them, and the definition models behind
`dim_kpi`, `dim_goal` and `dim_csf`. Expressions are parsed and re-rendered (never pasted), and all
literals are escaped. Files are rewritten only when their content changes, so dbt's partial parsing
keeps working, and files of removed KPIs are deleted.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
import shutil
from pathlib import Path

import yaml

from pipelines.kpis.expressions import to_sql
from pipelines.kpis.facts import Fact
from pipelines.kpis.models import (
    Aggregate,
    CohortComputation,
    CountComputation,
    CountDistinctComputation,
    GrowthComputation,
    KpiDefinition,
    Portfolio,
    RatioComputation,
    ShareComputation,
    SumComputation,
)
from pipelines.settings import DBT_PROJECT_DIR, GENERATED_DBT_DIR, PROJECT_DIR

# Relative to the dbt project; the folders under generated/ mirror models/, so the folder-based
# configs of dbt_project.yml (schema, materialization) apply to generated models unchanged.
_GENERATED = GENERATED_DBT_DIR.relative_to(DBT_PROJECT_DIR)
KPI_MODELS_DIR = _GENERATED / "kpis"
DEFINITION_MODELS_DIR = _GENERATED / "intermediate" / "definitions"
# Where generated models were written before generated/ (inside models/): removed when every file
# in them is generated, so a checkout that still has them does not define each model twice.
LEGACY_GENERATED_DIRS = (Path("models/kpis/generated"), Path("models/intermediate/definitions"))
# Portable string type (varchar on DuckDB, string on Spark).
STRING_TYPE = "{{ dbt.type_string() }}"

HEADER = (
    "-- Generated from {source} by `kpi-warehouse generate`; edit the YAML file, not this one.\n"
)


class GenerationError(ValueError):
    """A KPI that cannot be turned into SQL (the lint reports the same problem with a fix)."""


def sql_string(value: str | None) -> str:
    if value is None:
        return f"cast(null as {STRING_TYPE})"
    return "'" + value.replace("'", "''") + "'"


def sql_number(value: float | None) -> str:
    if value is None:
        return "cast(null as double)"
    if not math.isfinite(value):
        raise GenerationError(f"number {value} is not finite")
    return f"cast({value!r} as double)"


def sql_date(value: dt.date | None) -> str:
    return "cast(null as date)" if value is None else f"cast('{value.isoformat()}' as date)"


def _relative(path: str) -> str:
    try:
        return str(Path(path).resolve().relative_to(PROJECT_DIR))
    except ValueError:
        return str(path)


def _fact_for(kpi: KpiDefinition, facts: dict[str, Fact], fact_name: str | None = None) -> Fact:
    fact_name = fact_name or kpi.fact
    if fact_name not in facts:
        known = ", ".join(sorted(facts))
        raise GenerationError(f"{kpi.id}: unknown fact '{fact_name}'; known facts: {known}")
    return facts[fact_name]


def _row(text: str | None, fact: Fact) -> str | None:
    return None if text is None else to_sql(text, fact.columns)


def _aggregate_sql(aggregate: Aggregate, fact: Fact) -> str:
    measure = _row(aggregate.measure, fact)
    where = _row(aggregate.where, fact)
    if aggregate.aggregate == "count":
        counted = "1" if measure is None else f"case when ({measure}) is not null then 1 else 0 end"
        if where:
            counted = f"case when {where} then {counted} else 0 end"
        return f"sum({counted})"
    if where:
        measure = f"case when {where} then {measure} end"
    if aggregate.aggregate == "count_distinct":
        return f"count(distinct {measure})"
    return f"coalesce(sum({measure}), 0)"


def _target_sql(kpi: KpiDefinition) -> str:
    if kpi.target is None or kpi.is_metric:  # a metric has no target, whatever its file says
        return sql_number(None)
    if not kpi.target.per_period:
        return sql_number(kpi.target.value)
    branches = "\n".join(
        f"            when periods.period_start = {sql_date(t.period_start)}"
        f" then {sql_number(t.value)}"
        for t in kpi.target.per_period
    )
    return f"case\n{branches}\n            else {sql_number(kpi.target.value)}\n        end"


def _aggregated_cte(kpi: KpiDefinition, fact: Fact) -> tuple[str, str]:
    """SQL of the `aggregated` CTE (period_start, numerator, denominator) and the value formula."""
    computation = kpi.computation
    source = "fact_rows"
    if isinstance(computation, SumComputation):
        aggregate = Aggregate(aggregate="sum", measure=computation.measure, where=computation.where)
        numerator, denominator = _aggregate_sql(aggregate, fact), "cast(null as double)"
        value = "aggregated.numerator"
    elif isinstance(computation, CountComputation):
        aggregate = Aggregate(aggregate="count", where=computation.where)
        numerator, denominator = _aggregate_sql(aggregate, fact), "cast(null as double)"
        value = "coalesce(aggregated.numerator, 0)"
    elif isinstance(computation, CountDistinctComputation):
        column = to_sql(computation.column, fact.columns)
        where = _row(computation.where, fact)
        conditions = [f"({column}) is not null"] + ([f"({where})"] if where else [])
        having = (
            "\n        having "
            + to_sql(
                computation.having, fact.columns, allow_aggregates=True, require_aggregate=True
            )
            if computation.having
            else ""
        )
        cte = (
            "qualifying_values as (\n\n"
            f"    select\n        period_start,\n        {column} as counted_value\n"
            f"    from fact_rows\n    where {' and '.join(conditions)}\n"
            f"    group by period_start, {column}{having}\n\n),\n\n"
            "aggregated as (\n\n"
            "    select\n        period_start,\n        count(*) as numerator,\n"
            "        cast(null as double) as denominator\n"
            "    from qualifying_values\n    group by period_start\n\n)"
        )
        return cte, "coalesce(aggregated.numerator, 0)"
    elif isinstance(computation, RatioComputation):
        numerator = _aggregate_sql(computation.numerator, fact)
        denominator = _aggregate_sql(computation.denominator, fact)
        value = (
            f"{computation.scale!r} * cast(aggregated.numerator as double)"
            " / nullif(cast(aggregated.denominator as double), 0)"
        )
    elif isinstance(computation, ShareComputation):
        condition = to_sql(computation.condition, fact.columns)
        where = _row(computation.where, fact)
        matched = f"case when {condition} then 1 else 0 end"
        if where:
            numerator = f"sum(case when {where} then {matched} else 0 end)"
            denominator = f"sum(case when {where} then 1 else 0 end)"
        else:
            numerator, denominator = f"sum({matched})", "count(*)"
        value = (
            f"{computation.scale!r} * cast(aggregated.numerator as double)"
            " / nullif(cast(aggregated.denominator as double), 0)"
        )
    else:  # pragma: no cover - growth KPIs are rendered separately
        raise GenerationError(f"{kpi.id}: unexpected computation {computation.type}")
    cte = (
        "aggregated as (\n\n"
        f"    select\n        period_start,\n        {numerator} as numerator,\n"
        f"        {denominator} as denominator\n"
        f"    from {source}\n    group by period_start\n\n)"
    )
    return cte, value


def _final_select(kpi: KpiDefinition, incremental: bool = False) -> str:
    direction = kpi.direction.value
    status = (
        f"cast(null as {STRING_TYPE})"  # a supporting metric gets no status
        if kpi.is_metric
        else f"{{{{ kpi_status('value', 'target', 'source_rows', 'is_complete', '{direction}') }}}}"
    )
    return f"""
select
    {sql_string(kpi.id)} as kpi_id,
    {sql_string(kpi.frequency.value)} as grain,
    period_start,
    period_end,
    cast(value as double) as value,
    cast(numerator as double) as numerator,
    cast(denominator as double) as denominator,
    cast(target as double) as target,
    {status} as status,
    is_complete,
    cast(source_rows as bigint) as source_rows{_INCREMENTAL_SELECT if incremental else ""}
from computed{_INCREMENTAL_WHERE if incremental else ""}
"""


# The incremental KPI's own columns and the periods it recomputes (macros/kpi_incremental.sql).
_INCREMENTAL_SELECT = ",\n    {{ kpi_incremental_columns() }}"
_INCREMENTAL_WHERE = (
    "\n{%- if recompute_from %}\n"
    "where period_start >= cast('{{ recompute_from }}' as date)\n"
    "{%- endif %}"
)
# The macros whose text is part of an incremental KPI's definition hash: a change to any of them
# recomputes every period.
_DEFINITION_MACROS = ("kpi_periods.sql", "kpi_status.sql", "kpi_incremental.sql")
_HASH_PLACEHOLDER = "@definition_hash@"


def _incremental_facts(kpi: KpiDefinition, facts: dict[str, Fact]) -> list[Fact] | None:
    """The facts of a KPI whose periods can be recomputed alone (see macros/kpi_incremental.sql),
    or None: a growth KPI reads another KPI's periods and a cohort its entities' earliest events
    (both small and recomputed whole), and a snapshot fact is rebuilt whole with every snapshot."""
    computation = kpi.computation
    if isinstance(computation, (GrowthComputation, CohortComputation)):
        return None
    if (
        isinstance(computation, RatioComputation)
        and computation.numerator_fact != computation.denominator_fact
    ):
        chosen = [
            _fact_for(kpi, facts, computation.numerator_fact),
            _fact_for(kpi, facts, computation.denominator_fact),
        ]
    else:
        chosen = [_fact_for(kpi, facts)]
    if any(fact.covered_through for fact in chosen):
        return None
    return chosen


def _incremental_config(kpi: KpiDefinition, chosen: list[Fact]) -> str:
    facts = ", ".join(
        f"{{'name': '{fact.name}', 'date_column': '{fact.date_column}'}}" for fact in chosen
    )
    return (
        "{{ config(\n"
        "    materialized=kpi_materialization(),\n"
        "    incremental_strategy='replace_periods',\n"
        "    on_schema_change='append_new_columns',\n"
        "    kpi_incremental={\n"
        f"        'frequency': '{kpi.frequency.value}',\n"
        f"        'facts': [{facts}],\n"
        f"        'definition_hash': '{_HASH_PLACEHOLDER}',\n"
        "    },\n"
        ") }}\n"
        "{%- set recompute_from = kpi_recompute_from() %}\n"
    )


def _macros_text(dbt_project_dir: Path) -> bytes:
    """The KPI macros' text, read once per generation."""
    paths = [dbt_project_dir / "macros" / name for name in _DEFINITION_MACROS]
    return b"".join(path.read_bytes() if path.exists() else b"" for path in paths)


def _with_definition_hash(sql: str, macros: bytes) -> str:
    """The model with its definition hash: of its own text and of the KPI macros it uses."""
    digest = hashlib.sha256(sql.encode("utf-8"))
    digest.update(macros)
    return sql.replace(_HASH_PLACEHOLDER, digest.hexdigest()[:16])


def _rows_from(fact: Fact, incremental: bool) -> str:
    if not incremental:
        return ""
    return f"\n    {{{{ kpi_rows_from('{fact.date_column}', recompute_from) }}}}"


def render_kpi_model(
    kpi: KpiDefinition,
    portfolio: Portfolio,
    facts: dict[str, Fact],
    macros: bytes | None = None,
) -> str:
    """The SQL of model `kpi_<id>`; `macros`: the KPI macros' text (read when not given)."""
    header = HEADER.format(source=_relative(portfolio.kpi_files.get(kpi.id, f"{kpi.id}.yml")))
    chosen = _incremental_facts(kpi, facts)
    if chosen is None:
        return _render_kpi_model(kpi, portfolio, facts, header, incremental=False)
    sql = _render_kpi_model(
        kpi, portfolio, facts, header + _incremental_config(kpi, chosen), incremental=True
    )
    return _with_definition_hash(sql, _macros_text(DBT_PROJECT_DIR) if macros is None else macros)


def _render_kpi_model(
    kpi: KpiDefinition,
    portfolio: Portfolio,
    facts: dict[str, Fact],
    header: str,
    incremental: bool,
) -> str:
    frequency = kpi.frequency.value
    if isinstance(kpi.computation, GrowthComputation):
        base = portfolio.kpi(kpi.computation.of)
        if base is None:
            raise GenerationError(f"{kpi.id}: growth of unknown KPI '{kpi.computation.of}'")
        if base.frequency != kpi.frequency:
            raise GenerationError(f"{kpi.id}: growth of '{base.id}' needs the same frequency")
        scale = repr(kpi.computation.scale)
        return f"""{header}
with

base as (

    select * from {{{{ ref('{base.model_name}') }}}}

),

periods as (

    select
        current_period.period_start,
        current_period.period_end,
        current_period.is_complete,
        current_period.source_rows,
        current_period.value as current_value,
        previous_period.value as previous_value,
        coalesce(previous_period.is_complete, false) as previous_is_complete
    from base as current_period
    left join base as previous_period
        on previous_period.period_end = current_period.period_start

),

computed as (

    select
        period_start,
        period_end,
        is_complete,
        source_rows,
        case when previous_is_complete then current_value - previous_value end as numerator,
        case when previous_is_complete then previous_value end as denominator,
        case
            when previous_is_complete and previous_value <> 0
                then {scale} * (current_value - previous_value) / previous_value
        end as value,
        {_target_sql(kpi)} as target
    from periods

)
{_final_select(kpi)}"""

    computation = kpi.computation
    if isinstance(computation, CohortComputation):
        return header + _cohort_model(kpi, computation, facts)
    if (
        isinstance(computation, RatioComputation)
        and computation.numerator_fact != computation.denominator_fact
    ):
        return header + _two_fact_ratio_model(kpi, computation, facts, incremental)
    fact = _fact_for(kpi, facts)
    aggregated, value = _aggregated_cte(kpi, fact)
    return f"""{header}
with

periods as (
    {_periods_call(frequency, fact)}
),

fact_rows as (

    select
        {{{{ kpi_period_start('{frequency}', '{fact.date_column}') }}}} as period_start,
        *
    from {{{{ ref('{fact.name}') }}}}{_rows_from(fact, incremental)}

),

row_counts as (

    select
        period_start,
        count(*) as source_rows
    from fact_rows
    group by period_start

),

{aggregated},

{_computed(kpi, value, incremental=incremental)}"""


def _periods_call(frequency: str, fact: Fact) -> str:
    covered_through = f", '{fact.covered_through}'" if fact.covered_through else ""
    return (
        f"{{{{ kpi_periods('{frequency}', '{fact.name}', '{fact.date_column}', "
        f"'{fact.source}'{covered_through}) }}}}"
    )


def _two_fact_ratio_model(
    kpi: KpiDefinition,
    computation: RatioComputation,
    facts: dict[str, Fact],
    incremental: bool = False,
) -> str:
    """A ratio whose numerator and denominator read different facts, aligned on the period: each
    side is aggregated over its own fact's rows of the period, and the period is complete only when
    both facts cover it (each by its own source's coverage)."""
    frequency = kpi.frequency.value
    sides = {
        "numerator": (computation.numerator, _fact_for(kpi, facts, computation.numerator_fact)),
        "denominator": (
            computation.denominator,
            _fact_for(kpi, facts, computation.denominator_fact),
        ),
    }
    ctes = []
    for side, (aggregate, fact) in sides.items():
        ctes.append(
            f"""{side}_periods as (
    {_periods_call(frequency, fact)}
),

{side}_rows as (

    select
        {{{{ kpi_period_start('{frequency}', '{fact.date_column}') }}}} as period_start,
        *
    from {{{{ ref('{fact.name}') }}}}{_rows_from(fact, incremental)}

),

{side}_aggregated as (

    select
        period_start,
        count(*) as source_rows,
        {_aggregate_sql(aggregate, fact)} as {side}
    from {side}_rows
    group by period_start

)"""
        )
    value = (
        f"{computation.scale!r} * cast(numerator_aggregated.numerator as double)"
        " / nullif(cast(denominator_aggregated.denominator as double), 0)"
    )
    joined = ",\n\n".join(ctes)
    return f"""
with

{joined},

periods as (

    select
        coalesce(numerator_periods.period_start, denominator_periods.period_start)
            as period_start,
        coalesce(numerator_periods.period_end, denominator_periods.period_end) as period_end,
        (
            coalesce(numerator_periods.is_complete, false)
            and coalesce(denominator_periods.is_complete, false)
        ) as is_complete
    from numerator_periods
    full outer join denominator_periods
        on denominator_periods.period_start = numerator_periods.period_start

),

computed as (

    select
        periods.period_start,
        periods.period_end,
        periods.is_complete,
        coalesce(numerator_aggregated.source_rows, 0)
            + coalesce(denominator_aggregated.source_rows, 0) as source_rows,
        numerator_aggregated.numerator,
        denominator_aggregated.denominator,
        case
            when coalesce(numerator_aggregated.source_rows, 0) > 0
                and coalesce(denominator_aggregated.source_rows, 0) > 0
                then {value}
        end as value,
        {_target_sql(kpi)} as target
    from periods
    left join numerator_aggregated
        on numerator_aggregated.period_start = periods.period_start
    left join denominator_aggregated
        on denominator_aggregated.period_start = periods.period_start

)
{_final_select(kpi, incremental)}"""


def _cohort_model(
    kpi: KpiDefinition, computation: CohortComputation, facts: dict[str, Fact]
) -> str:
    """The share of a period's cohort that converted within the window.

    The cohort of a period: the entities whose earliest base event (a row of the base fact
    meeting `base.where`) falls in it. An entity converted when a conversion row of the same entity
    happened at or after its base event and at most the window after it. The period is complete
    when the base fact covers it, the as-of time is at least the window past the period's end,
    and the conversion fact covers every day up to then."""
    frequency = kpi.frequency.value
    base_fact = _fact_for(kpi, facts, computation.fact)
    conversion_fact = _fact_for(kpi, facts, computation.conversion_fact)
    hours = computation.window.hours_total

    def event_rows(event: object, fact: Fact, at_name: str, with_date: bool) -> str:
        entity = to_sql(computation.entity, fact.columns)
        at = to_sql(event.at, fact.columns)  # type: ignore[attr-defined]
        where = _row(event.where, fact)  # type: ignore[attr-defined]
        conditions = [f"({entity}) is not null", f"({at}) is not null"]
        if where:
            conditions.append(f"({where})")
        date = (
            f",\n        {{{{ kpi_period_start('{frequency}', '{fact.date_column}') }}}}"
            " as period_start"
            if with_date
            else ""
        )
        return (
            f"    select\n        {entity} as entity_value,\n"
            f"        cast({at} as timestamp) as {at_name}{date}\n"
            f"    from {{{{ ref('{fact.name}') }}}}\n"
            f"    where {' and '.join(conditions)}"
        )

    def counted(column: str) -> str:  # 0, not null, in a period with rows but an empty cohort
        return (
            "case when coalesce(row_counts.source_rows, 0) > 0\n"
            f"            then coalesce(aggregated.{column}, 0) end as {column}"
        )

    window_end = (
        f"{{{{ dbt.dateadd('hour', {hours}, 'cast(base_periods.period_end as timestamp)') }}}}"
    )
    within = f"{{{{ dbt.dateadd('hour', {hours}, 'cohort.base_at') }}}}"
    value = (
        f"{computation.scale!r} * cast(aggregated.numerator as double)"
        " / nullif(cast(aggregated.denominator as double), 0)"
    )
    return f"""
with

base_periods as (
    {_periods_call(frequency, base_fact)}
),

-- the day after the last day the conversion fact covers (a partial last day is not covered)
conversion_days as (
    {_periods_call("daily", conversion_fact)}
),

conversion_coverage as (

    select max(period_end) as covered_until
    from conversion_days
    where is_complete

),

run_context as (

    select max(as_of_ts) as as_of_ts from {{{{ ref('stg_pipeline__run_context') }}}}

),

periods as (

    select
        base_periods.period_start,
        base_periods.period_end,
        coalesce(
            base_periods.is_complete
            and {window_end} <= run_context.as_of_ts
            and {window_end} <= cast(conversion_coverage.covered_until as timestamp),
            false
        ) as is_complete
    from base_periods
    cross join run_context
    cross join conversion_coverage

),

row_counts as (

    select
        {{{{ kpi_period_start('{frequency}', '{base_fact.date_column}') }}}} as period_start,
        count(*) as source_rows
    from {{{{ ref('{base_fact.name}') }}}}
    group by 1

),

base_rows as (

{event_rows(computation.base, base_fact, "base_at", True)}

),

-- each entity once, at its earliest base event
cohort as (

    select entity_value, base_at, period_start
    from (
        select
            entity_value,
            base_at,
            period_start,
            row_number() over (partition by entity_value order by base_at, period_start)
                as base_rank
        from base_rows
    ) as ranked
    where base_rank = 1

),

conversion_rows as (

{event_rows(computation.conversion, conversion_fact, "conversion_at", False)}

),

members as (

    select
        cohort.period_start,
        cohort.entity_value,
        max(case when conversion_rows.entity_value is not null then 1 else 0 end) as converted
    from cohort
    left join conversion_rows
        on conversion_rows.entity_value = cohort.entity_value
        and conversion_rows.conversion_at >= cohort.base_at
        and conversion_rows.conversion_at <= {within}
    group by cohort.period_start, cohort.entity_value

),

aggregated as (

    select
        period_start,
        sum(converted) as numerator,
        count(*) as denominator
    from members
    group by period_start

),

{_computed(kpi, value, counted("numerator"), counted("denominator"))}"""


def _computed(
    kpi: KpiDefinition,
    value: str,
    numerator: str = "aggregated.numerator",
    denominator: str = "aggregated.denominator",
    incremental: bool = False,
) -> str:
    """The `computed` CTE over `periods`, `row_counts` and `aggregated`, and the final select."""
    return f"""computed as (

    select
        periods.period_start,
        periods.period_end,
        periods.is_complete,
        coalesce(row_counts.source_rows, 0) as source_rows,
        {numerator},
        {denominator},
        case when coalesce(row_counts.source_rows, 0) > 0 then {value} end as value,
        {_target_sql(kpi)} as target
    from periods
    left join row_counts
        on row_counts.period_start = periods.period_start
    left join aggregated
        on aggregated.period_start = periods.period_start

)
{_final_select(kpi, incremental)}"""


_EMPTY_KPI_VALUES = (
    f"select\n    cast(null as {STRING_TYPE}) as kpi_id,\n"
    f"    cast(null as {STRING_TYPE}) as grain,\n"
    "    cast(null as date) as period_start,\n    cast(null as date) as period_end,\n"
    "    cast(null as double) as value,\n    cast(null as double) as numerator,\n"
    "    cast(null as double) as denominator,\n    cast(null as double) as target,\n"
    f"    cast(null as {STRING_TYPE}) as status,\n"
    "    cast(null as boolean) as is_complete,\n"
    "    cast(null as bigint) as source_rows\nwhere 1 = 0\n"
)


# The columns every KPI model has (an incremental one has its watermark columns too).
KPI_VALUE_COLUMNS = (
    "kpi_id, grain, period_start, period_end, value, numerator, denominator, target, status, "
    "is_complete, source_rows"
)


def render_union_model(portfolio: Portfolio) -> str:
    """All KPI models stacked. A KPI model that was never built (held by a failed check on its
    first run) is left out rather than failing the union; the others keep their values."""
    header = HEADER.format(source="kpi_definitions/")
    if not portfolio.kpis:
        return header + "\n" + _EMPTY_KPI_VALUES
    names = ", ".join(f"'{kpi.model_name}'" for kpi in sorted(portfolio.kpis, key=lambda k: k.id))
    return header + (
        f"{{%- set built = [] -%}}\n"
        f"{{%- for name in [{names}] -%}}\n"
        "    {%- set relation = ref(name) -%}\n"
        "    {%- if not execute or load_relation(relation) is not none -%}\n"
        "        {%- do built.append(relation) -%}\n"
        "    {%- endif -%}\n"
        "{%- endfor %}\n"
        "{% for relation in built %}\n"
        f"select {KPI_VALUE_COLUMNS} from {{{{ relation }}}}\n"
        "{% if not loop.last %}union all{% endif %}\n"
        "{% else %}\n" + _EMPTY_KPI_VALUES + "{% endfor %}\n"
    )


def _values_model(header: str, columns: list[str], rows: list[list[str]]) -> str:
    if not rows:
        nulls = ",\n    ".join(
            f"cast(null as {'date' if c == 'period_start' else STRING_TYPE}) as {c}"
            for c in columns
        )
        return f"{header}\nselect\n    {nulls}\nwhere 1 = 0\n"
    selects = []
    for row in rows:
        fields = ",\n    ".join(f"{v} as {c}" for c, v in zip(columns, row, strict=True))
        selects.append(f"select\n    {fields}")
    return header + "\n" + "\nunion all\n".join(selects) + "\n"


def render_definition_models(portfolio: Portfolio) -> dict[str, str]:
    goals_header = HEADER.format(source=_relative(portfolio.goals_file))
    goals = _values_model(
        goals_header,
        ["goal_id", "goal_name", "description"],
        [
            [sql_string(g.id), sql_string(g.name), sql_string(g.description)]
            for g in portfolio.goals
        ],
    )
    csfs = _values_model(
        goals_header,
        ["csf_id", "goal_id", "csf_name", "description"],
        [
            [sql_string(c.id), sql_string(g.id), sql_string(c.name), sql_string(c.description)]
            for g in portfolio.goals
            for c in g.csfs
        ],
    )
    kpi_rows = []
    for kpi in sorted(portfolio.kpis, key=lambda k: k.id):
        kpi_rows.append(
            [
                sql_string(kpi.id),
                sql_string(kpi.name),
                sql_string(kpi.description),
                sql_string(kpi.unit.value if kpi.unit else None),
                sql_string(kpi.direction.value),
                sql_string(kpi.frequency.value),
                sql_string(kpi.computation.type),
                sql_string(", ".join(kpi.facts) or None),
                sql_number(kpi.target.value if kpi.target else None),
                sql_date(kpi.deadline),
                sql_string(kpi.owner),
                sql_string(kpi.level.value),
                sql_string(kpi.team),
                sql_string(kpi.person),
                sql_string(kpi.goal),
                sql_string(kpi.csf),
                sql_string(kpi.horizon.value),
                sql_string(_relative(portfolio.kpi_files.get(kpi.id, ""))),
                sql_string(kpi.role.value),
                sql_string(", ".join(kpi.drivers) or None),
            ]
        )
    kpis = _values_model(
        HEADER.format(source="kpi_definitions/"),
        [
            "kpi_id",
            "kpi_name",
            "description",
            "unit",
            "direction",
            "frequency",
            "computation_type",
            "fact_name",
            "target",
            "deadline",
            "owner",
            "level",
            "team",
            "person",
            "goal_id",
            "csf_id",
            "horizon",
            "definition_file",
            "role",
            "drivers",
        ],
        kpi_rows,
    )
    notes = _values_model(
        HEADER.format(source="kpi_definitions/notes/"),
        ["kpi_id", "period_start", "author", "note", "note_file"],
        [
            [
                sql_string(note.kpi),
                sql_date(note.period_start),
                sql_string(note.author),
                sql_string(note.note),
                sql_string(_relative(portfolio.note_files.get(index, ""))),
            ]
            for index, note in enumerate(portfolio.notes)
        ],
    )
    return {
        "int_goals_defined.sql": goals,
        "int_csfs_defined.sql": csfs,
        "int_kpis_defined.sql": kpis,
        "int_kpi_notes_defined.sql": notes,
    }


def kpi_model_meta(kpi: KpiDefinition) -> dict[str, object]:
    """Metadata carried by the KPI's dbt model and, through it, by its Dagster asset."""
    return {
        "kpi_id": kpi.id,
        "kpi_name": kpi.name,
        "owner": kpi.owner,
        "goal": kpi.goal,
        "csf": kpi.csf,
        "frequency": kpi.frequency.value,
        "direction": kpi.direction.value,
        "unit": kpi.unit.value if kpi.unit else None,
        "target": kpi.target.value if kpi.target else None,
    }


def render_kpi_models_yml(portfolio: Portfolio) -> str:
    models = []
    for kpi in sorted(portfolio.kpis, key=lambda k: k.id):
        models.append(
            {
                "name": kpi.model_name,
                "description": f"{kpi.name}: {(kpi.description or '').strip()}",
                "config": {
                    "tags": ["kpi", f"kpi_{kpi.frequency.value}"],
                    "meta": kpi_model_meta(kpi),
                },
            }
        )
    models.append(
        {
            "name": "int_kpi_values_unioned",
            "description": "All KPI models stacked; one row per KPI and period.",
            # Always built: a KPI held by a failed check contributes its last good table.
            "config": {"tags": ["fan_in"]},
        }
    )
    document = {"version": 2, "models": models}
    return "# Generated from kpi_definitions/ by `kpi-warehouse generate`; do not edit.\n" + (
        yaml.safe_dump(document, sort_keys=False, allow_unicode=True)
    )


def _write_if_changed(path: Path, content: str) -> bool:
    if path.exists() and path.read_text(encoding="utf-8") == content:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(content, encoding="utf-8")
    return True


def generated_models(
    portfolio: Portfolio, facts: dict[str, Fact], dbt_project_dir: Path = DBT_PROJECT_DIR
) -> dict[Path, str]:
    """Every generated file (absolute path) with its content, written nowhere."""
    kpi_dir = dbt_project_dir / KPI_MODELS_DIR
    definitions_dir = dbt_project_dir / DEFINITION_MODELS_DIR
    wanted: dict[Path, str] = {}
    macros = _macros_text(dbt_project_dir)
    for kpi in portfolio.kpis:
        wanted[kpi_dir / f"{kpi.model_name}.sql"] = render_kpi_model(kpi, portfolio, facts, macros)
    wanted[kpi_dir / "int_kpi_values_unioned.sql"] = render_union_model(portfolio)
    wanted[kpi_dir / "_generated__models.yml"] = render_kpi_models_yml(portfolio)
    for name, sql in render_definition_models(portfolio).items():
        wanted[definitions_dir / name] = sql
    return wanted


def _unwanted_files(wanted: dict[Path, str], dbt_project_dir: Path) -> list[Path]:
    """Files in the generated folders that the portfolio no longer generates."""
    folders = (dbt_project_dir / KPI_MODELS_DIR, dbt_project_dir / DEFINITION_MODELS_DIR)
    return [
        existing
        for directory in folders
        for existing in sorted(directory.glob("*"))
        if existing.is_file() and existing not in wanted
    ]


def outdated_generated_files(
    portfolio: Portfolio, facts: dict[str, Fact], dbt_project_dir: Path = DBT_PROJECT_DIR
) -> list[Path]:
    """The generated files that differ from what the portfolio generates (missing, changed or no
    longer generated); empty when `write_generated_models` would change nothing. Reads only."""
    wanted = generated_models(portfolio, facts, dbt_project_dir)
    outdated = [
        path
        for path, content in wanted.items()
        if not path.is_file() or path.read_text(encoding="utf-8") != content
    ]
    return outdated + _unwanted_files(wanted, dbt_project_dir)


def write_generated_models(
    portfolio: Portfolio, facts: dict[str, Fact], dbt_project_dir: Path = DBT_PROJECT_DIR
) -> list[Path]:
    """Write every generated model; return the files that changed (written or removed)."""
    wanted = generated_models(portfolio, facts, dbt_project_dir)
    changed = [path for path, content in wanted.items() if _write_if_changed(path, content)]
    for existing in _unwanted_files(wanted, dbt_project_dir):
        existing.unlink()
        changed.append(existing)
    for legacy in LEGACY_GENERATED_DIRS:
        changed.extend(_remove_if_generated(dbt_project_dir / legacy))
    return changed


def _remove_if_generated(directory: Path) -> list[Path]:
    """Delete a folder of generated files (all carry the generated header); a folder with any
    hand-written file is left alone."""
    files = sorted(p for p in directory.rglob("*") if p.is_file()) if directory.is_dir() else []
    markers = ("-- Generated from", "# Generated from")
    if not files or not all(
        p.read_text(encoding="utf-8", errors="replace").startswith(markers) for p in files
    ):
        return []
    shutil.rmtree(directory)
    return files
