-- Every ad platform's campaign days, with cost and conversion value in the reporting currency
-- (var reporting_currency, default EUR; KPI_REPORTING_CURRENCY in the environment). ECB rates are
-- units of a currency per euro, published on working days only: a day takes the latest rate on
-- or before it (macros/fx_rates.sql).
-- amount_in_reporting = amount / units_per_euro(currency) * units_per_euro(reporting); the euro's
-- rate is 1. A row in the reporting currency, or with no currency code (taken to be in
-- the reporting currency), needs no rate. A row whose conversion needs a rate that does not exist
-- on or before its day keeps null amounts and says why in `unconverted_reason`.

{%- set reporting_currency = var('reporting_currency', env_var('KPI_REPORTING_CURRENCY', 'EUR')) | upper %}

with

ad_days as (

    select
        'google_ads' as platform,
        date_day, campaign_key, campaign_id, campaign_name, campaign_type, currency_code,
        impressions, clicks, cost, conversions, conversion_value
    from {{ ref('stg_google_ads__campaign_days') }}

    union all

    select
        'microsoft_ads' as platform,
        date_day, campaign_key, campaign_id, campaign_name,
        cast(null as {{ dbt.type_string() }}) as campaign_type, currency_code,
        impressions, clicks, cost, conversions, conversion_value
    from {{ ref('stg_microsoft_ads__campaign_days') }}

    union all

    select
        'meta_ads' as platform,
        date_day, campaign_key, campaign_id, campaign_name,
        cast(null as {{ dbt.type_string() }}) as campaign_type, currency_code,
        impressions, clicks, cost, conversions, conversion_value
    from {{ ref('stg_meta_ads__campaign_days') }}

),

-- A row without a currency code is taken to be in the reporting currency.
with_currency as (

    select *, coalesce(currency_code, '{{ reporting_currency }}') as effective_currency
    from ad_days

),

with_rates as (

    {{ with_fx_rates('with_currency', 'effective_currency', 'date_day', reporting_currency) }}

),

converted as (

    select
        *,
        case
            when effective_currency = '{{ reporting_currency }}' then 1.0
            when units_per_euro is null or reporting_units_per_euro is null then null
            else reporting_units_per_euro / units_per_euro
        end as conversion_factor,
        case
            when effective_currency = '{{ reporting_currency }}' then null
            when units_per_euro is null then concat(
                'no ECB rate for ', effective_currency, ' on or before ',
                cast(date_day as {{ dbt.type_string() }})
            )
            when reporting_units_per_euro is null then concat(
                'no ECB rate for the reporting currency {{ reporting_currency }} on or before ',
                cast(date_day as {{ dbt.type_string() }})
            )
        end as unconverted_reason
    from with_rates

)

select
    platform,
    date_day,
    campaign_key,
    campaign_id,
    campaign_name,
    campaign_type,
    currency_code,
    '{{ reporting_currency }}' as reporting_currency,
    conversion_factor,
    impressions,
    clicks,
    cost as cost_original,
    conversion_value as conversion_value_original,
    cost * conversion_factor as cost,
    conversion_value * conversion_factor as conversion_value,
    conversions,
    unconverted_reason
from converted
