with

goals as (

    select * from {{ ref('int_goals_defined') }}

)

select
    cast(goal_id as varchar) as goal_id,
    cast(goal_name as varchar) as goal_name,
    cast(description as varchar) as description
from goals
