-- The CRM deals that could not be converted to the reporting currency (no ECB rate on or before
-- the rate day), with the reason; they are not in fct_crm_deals.
select
    cast(deal_key as {{ dbt.type_string() }}) as deal_key,
    cast(crm as {{ dbt.type_string() }}) as crm,
    cast(deal_id as {{ dbt.type_string() }}) as deal_id,
    cast(amount_to_convert as double) as amount_original,
    cast(amount_currency as {{ dbt.type_string() }}) as currency_code,
    cast(rate_date as date) as rate_date,
    cast(reporting_currency as {{ dbt.type_string() }}) as reporting_currency,
    cast(unconverted_reason as {{ dbt.type_string() }}) as unconverted_reason
from {{ ref('int_crm_deals_converted') }}
where unconverted_reason is not null
