with

kpis as (

    select * from {{ ref('int_kpis_defined') }}

)

select
    cast(kpi_id as {{ dbt.type_string() }}) as kpi_id,
    cast(kpi_name as {{ dbt.type_string() }}) as kpi_name,
    cast(description as {{ dbt.type_string() }}) as description,
    cast(unit as {{ dbt.type_string() }}) as unit,
    cast(direction as {{ dbt.type_string() }}) as direction,
    cast(frequency as {{ dbt.type_string() }}) as frequency,
    cast(computation_type as {{ dbt.type_string() }}) as computation_type,
    cast(fact_name as {{ dbt.type_string() }}) as fact_name,
    cast(target as double) as target,
    cast(deadline as date) as deadline,
    cast(owner as {{ dbt.type_string() }}) as owner,
    cast(level as {{ dbt.type_string() }}) as level,
    cast(team as {{ dbt.type_string() }}) as team,
    cast(person as {{ dbt.type_string() }}) as person,
    cast(goal_id as {{ dbt.type_string() }}) as goal_id,
    cast(csf_id as {{ dbt.type_string() }}) as csf_id,
    cast(horizon as {{ dbt.type_string() }}) as horizon,
    cast(definition_file as {{ dbt.type_string() }}) as definition_file,
    cast(role as {{ dbt.type_string() }}) as role,
    cast(drivers as {{ dbt.type_string() }}) as drivers
from kpis
