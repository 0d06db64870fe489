{#- The fact reads every ad platform and the exchange rates: a new delivery of any of them
    rebuilds its days (a new rate: every day from its date on, macros/rebuild_days.sql). -#}
-- Built after the days left unconverted, which are rebuilt to this fact's watermark:
-- depends_on: {{ ref('fct_ad_days_unconverted') }}
{%- set also_reads = ad_days_also_reads() %}
{{ config(
    materialized=daily_fact_materialization(),
    incremental_strategy='replace_days',
    on_schema_change='append_new_columns',
    rebuild_days={
        'source': 'google_ads', 'table': 'campaign_days', 'date_column': 'date_day',
        'also': also_reads,
    },
) }}

with

campaign_days as (

    -- Rows without an ECB rate on or before their day are left out (int_ad_campaign_days_unconverted).
    select * from {{ ref('int_ad_campaign_days_converted') }}
    {{ rebuild_days_filter(source('google_ads', 'campaign_days'), 'date_day', also_reads) }}

),

converted as (

    select * from campaign_days
    where unconverted_reason is null

),

aggregated as (

    select
        platform,
        date_day,
        campaign_key,
        max(campaign_id) as campaign_id,
        max(campaign_name) as campaign_name,
        max(campaign_type) as campaign_type,
        max(currency_code) as currency_code,
        max(reporting_currency) as reporting_currency,
        sum(impressions) as impressions,
        sum(clicks) as clicks,
        sum(cost) as cost,
        sum(conversions) as conversions,
        sum(conversion_value) as conversion_value
    from converted
    group by platform, date_day, campaign_key

)

select
    cast(platform as {{ dbt.type_string() }}) as platform,
    cast(date_day as date) as date_day,
    cast(campaign_key as {{ dbt.type_string() }}) as campaign_key,
    cast(campaign_id as {{ dbt.type_string() }}) as campaign_id,
    cast(campaign_name as {{ dbt.type_string() }}) as campaign_name,
    cast(campaign_type as {{ dbt.type_string() }}) as campaign_type,
    cast(currency_code as {{ dbt.type_string() }}) as currency_code,
    cast(reporting_currency as {{ dbt.type_string() }}) as reporting_currency,
    cast(impressions as bigint) as impressions,
    cast(clicks as bigint) as clicks,
    cast(cost as double) as cost,
    cast(conversions as double) as conversions,
    cast(conversion_value as double) as conversion_value,
    {{ rebuild_lineage_columns(source('google_ads', 'campaign_days'), also_reads) }}
from aggregated
