-- The date range each source's data covers; a KPI period is complete only inside it.
with

google_ads as (

    select 'google_ads' as source_name, min(date_day) as first_date, max(date_day) as last_date
    from {{ ref('stg_google_ads__campaign_days') }}

),

search_console as (

    select 'search_console' as source_name, min(date_day) as first_date, max(date_day) as last_date
    from {{ ref('stg_search_console__query_days') }}

),

ga4 as (

    select 'ga4' as source_name, min(date_day) as first_date, max(date_day) as last_date
    from {{ ref('stg_ga4__channel_days') }}

),

shopify as (

    select 'shopify' as source_name, min(created_date) as first_date, max(created_date) as last_date
    from {{ ref('stg_shopify__orders') }}

),

zendesk as (

    select 'zendesk' as source_name, min(created_date) as first_date, max(created_date) as last_date
    from {{ ref('stg_zendesk__tickets') }}

),

surveymonkey as (

    select
        'surveymonkey' as source_name,
        min(response_date) as first_date,
        max(response_date) as last_date
    from {{ ref('stg_surveymonkey__responses') }}

),

unioned as (

    select * from google_ads
    union all select * from search_console
    union all select * from ga4
    union all select * from shopify
    union all select * from zendesk
    union all select * from surveymonkey

)

select * from unioned
where first_date is not null
