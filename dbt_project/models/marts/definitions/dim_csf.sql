with

csfs as (

    select * from {{ ref('int_csfs_defined') }}

)

select
    cast(csf_id as varchar) as csf_id,
    cast(goal_id as varchar) as goal_id,
    cast(csf_name as varchar) as csf_name,
    cast(description as varchar) as description
from csfs
