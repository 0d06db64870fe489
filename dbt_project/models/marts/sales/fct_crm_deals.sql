-- One row per CRM and deal of the latest snapshots, in the reporting currency. Deals whose amount
-- has no ECB rate are left out (fct_crm_deals_unconverted); a deal without an amount stays in,
-- with no amount_reporting.
with

deals as (

    select * from {{ ref('int_crm_deals_converted') }}
    where unconverted_reason is null

)

select
    cast(deal_key as {{ dbt.type_string() }}) as deal_key,
    cast(crm as {{ dbt.type_string() }}) as crm,
    cast(deal_id as {{ dbt.type_string() }}) as deal_id,
    cast(pipeline as {{ dbt.type_string() }}) as pipeline,
    cast(stage as {{ dbt.type_string() }}) as stage,
    cast(owner as {{ dbt.type_string() }}) as owner,
    cast(created_at as timestamp) as created_at,
    cast(created_date as date) as created_date,
    cast(closed_at as timestamp) as closed_at,
    cast(closed_date as date) as closed_date,
    cast(expected_close_date as date) as expected_close_date,
    cast(is_closed as boolean) as is_closed,
    cast(is_won as boolean) as is_won,
    cast(amount as double) as amount,
    cast(currency_code as {{ dbt.type_string() }}) as currency_code,
    cast(amount_reporting as double) as amount_reporting,
    cast(reporting_currency as {{ dbt.type_string() }}) as reporting_currency,
    cast(sales_cycle_days as bigint) as sales_cycle_days,
    cast(covered_through as date) as covered_through
from deals
