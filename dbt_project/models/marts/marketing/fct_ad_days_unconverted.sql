-- The ad campaign days that could not be converted to the reporting currency (no ECB rate on or
-- before the day), with the reason; they are not in fct_ad_performance_daily. Rebuilt by day
-- like that fact, from the same raw tables and to its watermark (this table is empty on most
-- days): it runs right before the fact (macros/rebuild_days.sql, watermark_fact).
{%- set also_reads = ad_days_also_reads() %}
-- The relations its days to rebuild are read from, named at parse time:
-- depends_on: {{ ref('stg_pipeline__run_context') }} {{ source('google_ads', 'campaign_days') }}
-- {%- for extra in also_reads %} {{ source(extra['source'], extra['table']) }}{% endfor %}
{{ config(
    materialized=daily_fact_materialization(),
    incremental_strategy='replace_days',
    on_schema_change='append_new_columns',
    rebuild_days={
        'source': 'google_ads', 'table': 'campaign_days', 'date_column': 'date_day',
        'also': also_reads, 'watermark_of': 'fct_ad_performance_daily',
    },
) }}

with

campaign_days as (

    select * from {{ ref('int_ad_campaign_days_converted') }}
    {{ rebuild_days_filter(
        source('google_ads', 'campaign_days'), 'date_day', also_reads,
        watermark_of='fct_ad_performance_daily'
    ) }}

)

select
    cast(platform as {{ dbt.type_string() }}) as platform,
    cast(date_day as date) as date_day,
    cast(campaign_key as {{ dbt.type_string() }}) as campaign_key,
    cast(campaign_name as {{ dbt.type_string() }}) as campaign_name,
    cast(currency_code as {{ dbt.type_string() }}) as currency_code,
    cast(reporting_currency as {{ dbt.type_string() }}) as reporting_currency,
    cast(cost_original as double) as cost_original,
    cast(conversion_value_original as double) as conversion_value_original,
    cast(unconverted_reason as {{ dbt.type_string() }}) as unconverted_reason
from campaign_days
where unconverted_reason is not null
