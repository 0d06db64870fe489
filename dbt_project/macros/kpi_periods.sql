{#-
    Period arithmetic shared by every KPI model. Periods are `daily`, ISO `weekly` (Monday start),
    calendar `monthly` and `quarterly`; `period_end` is exclusive. Dates are already local dates in
    the reporting time zone (ingestion converts timestamps before anything is bucketed).
-#}

{% macro kpi_datepart(frequency) -%}
    {{ return({'daily': 'day', 'weekly': 'week', 'monthly': 'month', 'quarterly': 'quarter'}[frequency]) }}
{%- endmacro %}

{% macro kpi_period_start(frequency, date_column) -%}
    {%- if frequency == 'daily' -%}
        cast({{ date_column }} as date)
    {%- else -%}
        cast({{ dbt.date_trunc(kpi_datepart(frequency), date_column) }} as date)
    {%- endif -%}
{%- endmacro %}

{% macro kpi_period_end(frequency, period_start_column) -%}
    cast({{ dbt.dateadd(kpi_datepart(frequency), 1, period_start_column) }} as date)
{%- endmacro %}

{#-
    The periods of one frequency from the first day a KPI's fact covers up to the as-of day, with
    whether each is complete: the as-of day has reached its (exclusive) end and the fact's data
    covers every day of it. Coverage is the fact's own date range, so a KPI model depends on its
    fact and the run context only, never on other sources; a last day whose export was pulled
    before the day ended (a `partial_day` row of raw.check_holds for the fact's source) is not
    covered yet.

    A snapshot fact (meta.kpi_fact.covered_through, e.g. the CRM facts) holds every row ever up to
    its snapshots: its coverage has no first day, and it ends at the least `covered_through` of
    its rows (the last day the oldest snapshot in it covers in full). Its periods still start at
    the fact's first date.
-#}
{% macro kpi_periods(frequency, fact_name, date_column, source_name, covered_through=none) %}
    select
        spine.period_start,
        {{ kpi_period_end(frequency, 'spine.period_start') }} as period_end,
        (
            {{ kpi_period_end(frequency, 'spine.period_start') }} <= spine.as_of_date
            {%- if covered_through is none %}
            and spine.first_date <= spine.period_start
            {%- endif %}
            and {{ dbt.dateadd('day', 1, 'spine.last_date') }}
                >= {{ kpi_period_end(frequency, 'spine.period_start') }}
        ) as is_complete
    from (
        select distinct
            {{ kpi_period_start(frequency, 'days.date_day') }} as period_start,
            days.first_date,
            days.last_date,
            days.as_of_date
        from (
            select
                {{ day_series('bounds.first_date', 'bounds.as_of_date') }} as date_day,
                bounds.first_date,
                bounds.last_date,
                bounds.as_of_date
            from (
                select
                    loaded.first_date,
                    case
                        when partial.held_since is not null
                            then {{ dbt.dateadd('day', -1, 'loaded.last_date') }}
                        else loaded.last_date
                    end as last_date,
                    loaded.as_of_date
                from (
                    select
                        min(covered.{{ date_column }}) as first_date,
                        {%- if covered_through is none %}
                        max(covered.{{ date_column }}) as last_date,
                        {%- else %}
                        min(covered.{{ covered_through }}) as last_date,
                        {%- endif %}
                        max(run_context.as_of_date) as as_of_date
                    from {{ ref(fact_name) }} as covered
                    cross join {{ ref('stg_pipeline__run_context') }} as run_context
                ) as loaded
                left join {{ ref('stg_pipeline__check_holds') }} as partial
                    on partial.subject_kind = 'partial_day'
                    and partial.subject = '{{ source_name }}'
                    and partial.held_since = loaded.last_date
            ) as bounds
            where bounds.first_date is not null
        ) as days
    ) as spine
{% endmacro %}

{#- Every day from the first to the last date (inclusive); one small macro per engine. -#}
{% macro day_series(first_date, last_date) %}
    {{ return(adapter.dispatch('day_series', 'kpi_warehouse')(first_date, last_date)) }}
{% endmacro %}

{% macro default__day_series(first_date, last_date) %}
    cast(unnest(generate_series(cast({{ first_date }} as date), cast({{ last_date }} as date), interval 1 day)) as date)
{% endmacro %}

{% macro spark__day_series(first_date, last_date) %}
    explode(sequence(cast({{ first_date }} as date), cast({{ last_date }} as date), interval 1 day))
{% endmacro %}
