-- The date range each source's data covers; a KPI period is complete only inside it.
with

google_ads as (

    select
        'google_ads' as source_name,
        min(date_day) as first_date,
        max(date_day) as last_date
    from {{ ref('stg_google_ads__campaign_days') }}

),

unioned as (

    select * from google_ads

)

select * from unioned
where first_date is not null
