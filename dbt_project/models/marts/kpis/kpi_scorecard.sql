-- The latest complete period of every KPI, with the period before it for the change. A KPI held by
-- a failed check shows its last good values with status `held`, why, and since when. A supporting
-- metric has no target and no status: its status reads `metric` (or `held`).
with

kpi_values as (

    select * from {{ ref('fct_kpi_values') }}

),

kpis as (

    select * from {{ ref('dim_kpi') }}

),

complete_periods as (

    select
        kpi_values.*,
        row_number() over (partition by kpi_id order by period_start desc) as recency,
        lag(value) over (partition by kpi_id order by period_start) as previous_value
    from kpi_values
    where is_complete

),

latest as (

    select * from complete_periods
    where recency = 1

),

notes as (

    select * from {{ ref('fct_kpi_notes') }}

),

holds as (

    select * from {{ ref('stg_pipeline__check_holds') }}
    where subject_kind = 'kpi'

)

select
    cast(kpis.kpi_id as {{ dbt.type_string() }}) as kpi_id,
    cast(kpis.kpi_name as {{ dbt.type_string() }}) as kpi_name,
    cast(kpis.goal_id as {{ dbt.type_string() }}) as goal_id,
    cast(kpis.csf_id as {{ dbt.type_string() }}) as csf_id,
    cast(kpis.frequency as {{ dbt.type_string() }}) as frequency,
    cast(kpis.unit as {{ dbt.type_string() }}) as unit,
    cast(kpis.direction as {{ dbt.type_string() }}) as direction,
    cast(kpis.owner as {{ dbt.type_string() }}) as owner,
    cast(latest.period_start as date) as period_start,
    cast(latest.period_end as date) as period_end,
    cast(latest.value as double) as value,
    cast(latest.target as double) as target,
    cast(
        case
            when holds.subject is not null then 'held'
            when kpis.role = 'metric' then 'metric'
            else coalesce(latest.status, 'no_data')
        end as {{ dbt.type_string() }}
    ) as status,
    cast(
        case when kpis.role = 'metric' then 'metric' else coalesce(latest.status, 'no_data') end
        as {{ dbt.type_string() }}
    ) as last_status,
    cast(holds.held_reason as {{ dbt.type_string() }}) as held_reason,
    cast(holds.held_since as date) as held_since,
    cast(latest.previous_value as double) as previous_value,
    cast(latest.value - latest.previous_value as double) as change,
    cast(
        case
            when latest.previous_value <> 0
                then (latest.value - latest.previous_value) / abs(latest.previous_value)
        end as double
    ) as change_ratio,
    cast(kpis.deadline as date) as deadline,
    cast(notes.note as {{ dbt.type_string() }}) as note,
    cast(notes.author as {{ dbt.type_string() }}) as note_author,
    cast(kpis.role as {{ dbt.type_string() }}) as role,
    cast(kpis.drivers as {{ dbt.type_string() }}) as drivers
from kpis
left join latest
    on latest.kpi_id = kpis.kpi_id
left join notes
    on notes.kpi_id = latest.kpi_id
    and notes.period_start = latest.period_start
left join holds
    on holds.subject = kpis.kpi_id
