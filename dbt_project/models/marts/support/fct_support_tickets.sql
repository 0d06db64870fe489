{#- Rebuilt by ticket (macros/rebuild_keys.sql): the tickets of new deliveries and of the rebuild
    window, and every stored ticket whose state under this run's as-of time differs from the
    stored one (awaiting_first_reply turns into unanswered_after_24h as time passes). -#}
{%- set rebuild = {
    'key': 'ticket_id',
    'reads': [{'source': 'zendesk', 'table': 'tickets'}],
    'window': {'model': 'stg_zendesk__tickets', 'date_column': 'created_date'},
    'changed': 'tickets_with_changed_state',
} %}
{{ config(
    materialized=daily_fact_materialization(),
    incremental_strategy='replace_keys',
    on_schema_change='append_new_columns',
    rebuild_keys=rebuild,
) }}

with

tickets as (

    select * from {{ ref('int_tickets_response_states') }}
    {{ rebuild_keys_filter(rebuild) }}

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
    cast(full_resolution_minutes as double) as full_resolution_minutes,
    {{ rebuild_keys_lineage_columns(rebuild) }}
from tickets
