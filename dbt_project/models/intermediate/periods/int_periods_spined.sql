-- A table, not a view: every KPI model reads it, and it should be computed once per run.
{{ config(materialized='table') }}

-- Every period of every frequency from the first day a source covers up to the as-of day,
-- with whether it is complete: the as-of day has reached its (exclusive) end and the source's data
-- covers every day of it.
with

coverage as (

    select * from {{ ref('int_sources_covered') }}

),

run_context as (

    select * from {{ ref('stg_pipeline__run_context') }}

),

bounds as (

    select
        min(coverage.first_date) as first_date,
        max(run_context.as_of_date) as last_date
    from coverage
    cross join run_context

),

days as (

    select {{ day_series('first_date', 'last_date') }} as date_day
    from bounds

),

grains as (

    select 'daily' as grain
    union all select 'weekly'
    union all select 'monthly'
    union all select 'quarterly'

),

period_starts as (

    select distinct
        coverage.source_name,
        grains.grain,
        case grains.grain
            when 'daily' then {{ kpi_period_start('daily', 'days.date_day') }}
            when 'weekly' then {{ kpi_period_start('weekly', 'days.date_day') }}
            when 'monthly' then {{ kpi_period_start('monthly', 'days.date_day') }}
            when 'quarterly' then {{ kpi_period_start('quarterly', 'days.date_day') }}
        end as period_start
    from coverage
    cross join grains
    inner join days
        on days.date_day >= coverage.first_date

),

periods as (

    select
        source_name,
        grain,
        period_start,
        case grain
            when 'daily' then {{ kpi_period_end('daily', 'period_start') }}
            when 'weekly' then {{ kpi_period_end('weekly', 'period_start') }}
            when 'monthly' then {{ kpi_period_end('monthly', 'period_start') }}
            when 'quarterly' then {{ kpi_period_end('quarterly', 'period_start') }}
        end as period_end
    from period_starts

)

select
    periods.source_name,
    periods.grain,
    periods.period_start,
    periods.period_end,
    (
        periods.period_end <= run_context.as_of_date
        and coverage.first_date <= periods.period_start
        and {{ dbt.dateadd('day', 1, 'coverage.last_date') }} >= periods.period_end
    ) as is_complete
from periods
inner join coverage
    on coverage.source_name = periods.source_name
cross join run_context
