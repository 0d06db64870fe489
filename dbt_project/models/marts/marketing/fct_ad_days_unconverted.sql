-- The ad campaign days that could not be converted to the reporting currency (no ECB rate on or
-- before the day), with the reason; they are not in fct_ad_performance_daily.
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
from {{ ref('int_ad_campaign_days_converted') }}
where unconverted_reason is not null
