{{ config(alias='kpi_history') }}

-- Every period of every KPI with names, for trend charts.
with

kpi_values as (

    select * from {{ ref('fct_kpi_values') }}

),

kpis as (

    select * from {{ ref('dim_kpi') }}

),

goals as (

    select * from {{ ref('dim_goal') }}

)

select
    kpis.kpi_name as kpi,
    goals.goal_name as goal,
    kpi_values.grain as frequency,
    kpi_values.period_start,
    {{ dbt.dateadd('day', -1, 'kpi_values.period_end') }} as period_last_day,
    kpi_values.value,
    kpis.unit,
    kpi_values.target,
    replace(kpi_values.status, '_', ' ') as status,
    kpi_values.is_complete,
    kpi_values.numerator,
    kpi_values.denominator,
    kpis.owner,
    kpi_values.kpi_id,
    -- views per level: filter by level, team, person, goal or CSF
    kpis.level,
    kpis.team,
    kpis.person,
    kpis.goal_id,
    kpis.csf_id
from kpi_values
inner join kpis
    on kpis.kpi_id = kpi_values.kpi_id
left join goals
    on goals.goal_id = kpis.goal_id
