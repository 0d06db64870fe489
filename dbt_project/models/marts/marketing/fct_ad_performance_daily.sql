{{ config(
    materialized=daily_fact_materialization(),
    incremental_strategy='replace_days',
    on_schema_change='append_new_columns',
    rebuild_days={'source': 'google_ads', 'table': 'campaign_days', 'date_column': 'date_day'},
) }}

with

campaign_days as (

    select * from {{ ref('stg_google_ads__campaign_days') }}
    {{ rebuild_days_filter(source('google_ads', 'campaign_days'), 'date_day') }}

),

aggregated as (

    select
        date_day,
        campaign_key,
        max(campaign_id) as campaign_id,
        max(campaign_name) as campaign_name,
        max(campaign_type) as campaign_type,
        max(currency_code) as currency_code,
        sum(impressions) as impressions,
        sum(clicks) as clicks,
        sum(cost) as cost,
        sum(conversions) as conversions,
        sum(conversion_value) as conversion_value
    from campaign_days
    group by date_day, campaign_key

)

select
    cast(date_day as date) as date_day,
    cast(campaign_key as {{ dbt.type_string() }}) as campaign_key,
    cast(campaign_id as {{ dbt.type_string() }}) as campaign_id,
    cast(campaign_name as {{ dbt.type_string() }}) as campaign_name,
    cast(campaign_type as {{ dbt.type_string() }}) as campaign_type,
    cast(currency_code as {{ dbt.type_string() }}) as currency_code,
    cast(impressions as bigint) as impressions,
    cast(clicks as bigint) as clicks,
    cast(cost as double) as cost,
    cast(conversions as double) as conversions,
    cast(conversion_value as double) as conversion_value,
    {{ rebuild_lineage_columns(source('google_ads', 'campaign_days')) }}
from aggregated
