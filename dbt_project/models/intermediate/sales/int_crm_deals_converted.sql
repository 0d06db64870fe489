-- Every CRM deal of the latest snapshots with its amount in the reporting currency (var
-- reporting_currency, default EUR; KPI_REPORTING_CURRENCY in the environment). The amount in the
-- CRM's company currency is used when the export has it, else the deal's own amount; a deal
-- without a currency code is taken to be in the company currency. The rate is the ECB's latest on
-- or before the rate day: the close date for closed deals, the snapshot (export) date for open
-- ones (macros/fx_rates.sql): amount_reporting = amount / units_per_euro(currency) *
-- units_per_euro(reporting).
-- A deal with an amount that needs a missing rate keeps a null amount_reporting and an
-- `unconverted_reason`; a deal without any amount needs no rate.

{%- set reporting_currency = var('reporting_currency', env_var('KPI_REPORTING_CURRENCY', 'EUR')) | upper %}

with

deals as (

    select
        *,
        case when is_closed then coalesce(cast(closed_at as date), close_date) end as closed_date
    from {{ ref('stg_crm__deals') }}

),

amounts as (

    select
        *,
        case
            when amount_company is not null then amount_company
            else amount
        end as amount_to_convert,
        case
            when amount_company is not null then company_currency_code
            else coalesce(currency_code, company_currency_code)
        end as amount_currency,
        case
            when is_closed then coalesce(closed_date, cast(snapshot_at as date))
            else cast(snapshot_at as date)
        end as rate_date
    from deals

),

with_rates as (

    {{ with_fx_rates('amounts', 'amount_currency', 'rate_date', reporting_currency) }}

),

converted as (

    select
        *,
        case
            when amount_to_convert is null then null
            when amount_currency = '{{ reporting_currency }}' then 1.0
            when units_per_euro is null or reporting_units_per_euro is null then null
            else reporting_units_per_euro / units_per_euro
        end as conversion_factor,
        case
            when amount_to_convert is null then null
            when amount_currency is null then 'no currency for the amount'
            when amount_currency = '{{ reporting_currency }}' then null
            when units_per_euro is null then concat(
                'no ECB rate for ', amount_currency, ' on or before ',
                cast(rate_date as {{ dbt.type_string() }})
            )
            when reporting_units_per_euro is null then concat(
                'no ECB rate for the reporting currency {{ reporting_currency }} on or before ',
                cast(rate_date as {{ dbt.type_string() }})
            )
        end as unconverted_reason
    from with_rates

)

select
    deal_key,
    crm,
    deal_id,
    pipeline,
    stage,
    owner,
    created_at,
    cast(created_at as date) as created_date,
    case when is_closed then closed_at end as closed_at,
    closed_date,
    case when not is_closed then close_date end as expected_close_date,
    is_closed,
    is_won,
    amount,
    currency_code,
    amount_company,
    company_currency_code,
    amount_to_convert,
    amount_currency,
    rate_date,
    conversion_factor,
    amount_to_convert * conversion_factor as amount_reporting,
    '{{ reporting_currency }}' as reporting_currency,
    case
        when is_won and closed_date is not null
            then {{ dbt.datediff('cast(created_at as date)', 'closed_date', 'day') }}
    end as sales_cycle_days,
    snapshot_at,
    -- the last day the deal's snapshot covers in full (the snapshot day itself is partial)
    cast({{ dbt.dateadd('day', -1, 'cast(snapshot_at as date)') }} as date) as covered_through,
    source_file,
    source_row_number,
    unconverted_reason
from converted
