{#-
    The ECB rate lookup of every model that converts money into the reporting currency.

    ECB rates are units of a currency per euro (EUR is the base, rate 1), published on working days
    only: a day takes the latest rate on or before it. `with_fx_rates` selects every row of
    `relation` (a CTE) with two columns:
      units_per_euro            the rate of `currency` on or before `rate_date` (1.0 for EUR)
      reporting_units_per_euro  the same for the reporting currency (1.0 for EUR)
    either null when no rate exists on or before the day. Converting is then
    amount / units_per_euro * reporting_units_per_euro. A range join over each rate's validity
    span, so DuckDB and Spark run the same SQL.
-#}
{% macro with_fx_rates(relation, currency, rate_date, reporting_currency) %}
    select
        {{ relation }}.*,
        case
            when {{ relation }}.{{ currency }} = 'EUR' then 1.0
            else own_rate.units_per_euro
        end as units_per_euro,
        {%- if reporting_currency == 'EUR' %}
        1.0 as reporting_units_per_euro
        {%- else %}
        reporting_rate.units_per_euro as reporting_units_per_euro
        {%- endif %}
    from {{ relation }}
    left join ({{ fx_rate_spans() }}) as own_rate
        on own_rate.currency_code = {{ relation }}.{{ currency }}
        and {{ relation }}.{{ rate_date }} >= own_rate.valid_from
        and (own_rate.valid_until is null or {{ relation }}.{{ rate_date }} < own_rate.valid_until)
    {%- if reporting_currency != 'EUR' %}
    left join ({{ fx_rate_spans() }}) as reporting_rate
        on reporting_rate.currency_code = '{{ reporting_currency }}'
        and {{ relation }}.{{ rate_date }} >= reporting_rate.valid_from
        and (reporting_rate.valid_until is null or {{ relation }}.{{ rate_date }} < reporting_rate.valid_until)
    {%- endif %}
{% endmacro %}

{#- Each rate holds from its date up to (not including) the currency's next rate date. -#}
{% macro fx_rate_spans() %}
    select
        currency_code,
        units_per_euro,
        rate_date as valid_from,
        lead(rate_date) over (partition by currency_code order by rate_date) as valid_until
    from {{ ref('stg_fx_rates__daily_rates') }}
{% endmacro %}
