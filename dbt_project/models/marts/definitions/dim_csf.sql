with

csfs as (

    select * from {{ ref('int_csfs_defined') }}

)

select
    cast(csf_id as {{ dbt.type_string() }}) as csf_id,
    cast(goal_id as {{ dbt.type_string() }}) as goal_id,
    cast(csf_name as {{ dbt.type_string() }}) as csf_name,
    cast(description as {{ dbt.type_string() }}) as description
from csfs
