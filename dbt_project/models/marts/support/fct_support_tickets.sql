with

tickets as (

    select * from {{ ref('int_tickets_response_states') }}

)

select
    cast(ticket_id as bigint) as ticket_id,
    cast(requester_key as {{ dbt.type_string() }}) as requester_key,
    cast(created_at as timestamp) as created_at,
    cast(created_date as date) as created_date,
    cast(status as {{ dbt.type_string() }}) as status,
    cast(channel as {{ dbt.type_string() }}) as channel,
    cast(group_name as {{ dbt.type_string() }}) as group_name,
    cast(first_reply_minutes as double) as first_reply_minutes,
    cast(response_state as {{ dbt.type_string() }}) as response_state,
    cast(satisfaction_score as {{ dbt.type_string() }}) as satisfaction_score,
    cast(full_resolution_minutes as double) as full_resolution_minutes
from tickets
