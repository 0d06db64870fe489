{{ config(alias='kpi_scorecard') }}

-- The scorecard with names instead of ids, for dashboards.
with

scorecard as (

    select * from {{ ref('kpi_scorecard') }}

),

goals as (

    select * from {{ ref('dim_goal') }}

),

csfs as (

    select * from {{ ref('dim_csf') }}

),

kpis as (

    select * from {{ ref('dim_kpi') }}

)

select
    scorecard.kpi_name as kpi,
    goals.goal_name as goal,
    csfs.csf_name as critical_success_factor,
    scorecard.frequency,
    scorecard.period_start,
    {{ dbt.dateadd('day', -1, 'scorecard.period_end') }} as period_last_day,
    scorecard.value,
    scorecard.unit,
    scorecard.target,
    replace(scorecard.status, '_', ' ') as status,
    scorecard.previous_value,
    scorecard.change,
    scorecard.change_ratio * 100 as change_percent,
    scorecard.owner,
    scorecard.deadline,
    scorecard.note,
    scorecard.held_reason,
    scorecard.held_since,
    scorecard.kpi_id,
    -- views per level: filter by level, team, person, goal or CSF
    kpis.level,
    kpis.team,
    kpis.person,
    scorecard.goal_id,
    scorecard.csf_id,
    coalesce(
        scorecard.status in ('off_track', 'held')
        and scorecard.role = 'kpi'
        and scorecard.note is null,
        false
    ) as note_missing,
    scorecard.role,
    scorecard.drivers
from scorecard
left join goals
    on goals.goal_id = scorecard.goal_id
left join csfs
    on csfs.csf_id = scorecard.csf_id
left join kpis
    on kpis.kpi_id = scorecard.kpi_id
