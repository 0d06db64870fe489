{{ config(
    materialized=daily_fact_materialization(),
    incremental_strategy='replace_days',
    on_schema_change='append_new_columns',
    rebuild_days={'source': 'ga4', 'table': 'channel_days', 'date_column': 'date_day'},
) }}

with

channel_days as (

    select * from {{ ref('stg_ga4__channel_days') }}
    {{ rebuild_days_filter(source('ga4', 'channel_days'), 'date_day') }}

),

aggregated as (

    select
        date_day,
        channel_group,
        sum(sessions) as sessions,
        sum(engaged_sessions) as engaged_sessions,
        sum(key_events) as key_events,
        sum(total_revenue) as total_revenue
    from channel_days
    group by date_day, channel_group

)

select
    cast(date_day as date) as date_day,
    cast(channel_group as {{ dbt.type_string() }}) as channel_group,
    cast(sessions as bigint) as sessions,
    cast(engaged_sessions as bigint) as engaged_sessions,
    cast(key_events as double) as key_events,
    cast(total_revenue as double) as total_revenue,
    {{ rebuild_lineage_columns(source('ga4', 'channel_days')) }}
from aggregated
