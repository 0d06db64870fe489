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

{#- The periods of one frequency for which a source has (or should have) data, with completeness. -#}
{% macro kpi_periods(frequency, source_name) %}
    select
        period_start,
        period_end,
        is_complete
    from {{ ref('int_periods_spined') }}
    where grain = '{{ frequency }}'
        and source_name = '{{ source_name }}'
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
