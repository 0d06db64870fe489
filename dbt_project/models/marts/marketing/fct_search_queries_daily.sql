{{ config(
    materialized=daily_fact_materialization(),
    incremental_strategy='replace_days',
    on_schema_change='append_new_columns',
    rebuild_days={'source': 'search_console', 'table': 'query_days', 'date_column': 'date_day'},
) }}

with

query_days as (

    select * from {{ ref('stg_search_console__query_days') }}
    {{ rebuild_days_filter(source('search_console', 'query_days'), 'date_day') }}

),

aggregated as (

    -- Key columns repeat in the exports (country, device, page): always aggregate.
    select
        date_day,
        search_type,
        query,
        bool_and(is_anonymized_query) as is_anonymized_query,
        sum(impressions) as impressions,
        sum(clicks) as clicks,
        sum(position_sum) as position_sum
    from query_days
    group by date_day, search_type, query

)

select
    cast(date_day as date) as date_day,
    cast(search_type as {{ dbt.type_string() }}) as search_type,
    cast(query as {{ dbt.type_string() }}) as query,
    cast(is_anonymized_query as boolean) as is_anonymized_query,
    cast(impressions as bigint) as impressions,
    cast(clicks as bigint) as clicks,
    cast(position_sum as double) as position_sum,
    cast(position_sum / nullif(impressions, 0) as double) as average_position,
    {{ rebuild_lineage_columns(source('search_console', 'query_days')) }}
from aggregated
