with

goals as (

    select * from {{ ref('int_goals_defined') }}

)

select
    cast(goal_id as {{ dbt.type_string() }}) as goal_id,
    cast(goal_name as {{ dbt.type_string() }}) as goal_name,
    cast(description as {{ dbt.type_string() }}) as description
from goals
