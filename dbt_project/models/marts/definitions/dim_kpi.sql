with

kpis as (

    select * from {{ ref('int_kpis_defined') }}

)

select
    cast(kpi_id as varchar) as kpi_id,
    cast(kpi_name as varchar) as kpi_name,
    cast(description as varchar) as description,
    cast(unit as varchar) as unit,
    cast(direction as varchar) as direction,
    cast(frequency as varchar) as frequency,
    cast(computation_type as varchar) as computation_type,
    cast(fact_name as varchar) as fact_name,
    cast(target as double) as target,
    cast(deadline as date) as deadline,
    cast(owner as varchar) as owner,
    cast(level as varchar) as level,
    cast(team as varchar) as team,
    cast(person as varchar) as person,
    cast(goal_id as varchar) as goal_id,
    cast(csf_id as varchar) as csf_id,
    cast(horizon as varchar) as horizon,
    cast(definition_file as varchar) as definition_file
from kpis
