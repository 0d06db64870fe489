{#- Rebuilt by order (macros/rebuild_keys.sql): the orders of new deliveries and of the rebuild
    window, and every order of their customers, so each customer's running number stays right when
    a late file brings an older order or an order moves to another customer. -#}
{%- set rebuild = {
    'key': 'order_name',
    'reads': [{'source': 'shopify', 'table': 'orders'}],
    'window': {'model': 'stg_shopify__orders', 'date_column': 'created_date'},
    'group': {'raw_column': 'email_hash', 'model': 'stg_shopify__orders', 'column': 'customer_key'},
} %}
{{ config(
    materialized=daily_fact_materialization(),
    incremental_strategy='replace_keys',
    on_schema_change='append_new_columns',
    rebuild_keys=rebuild,
) }}

with

orders as (

    -- Filtered before the sequencing window: the set holds every order of its customers.
    select * from {{ ref('stg_shopify__orders') }}
    {{ rebuild_keys_filter(rebuild) }}

),

{{ sequence_valid_orders('orders') }}

select
    cast(order_name as {{ dbt.type_string() }}) as order_name,
    cast(customer_key as {{ dbt.type_string() }}) as customer_key,
    cast(created_at as timestamp) as created_at,
    cast(created_date as date) as created_date,
    cast(financial_status as {{ dbt.type_string() }}) as financial_status,
    cast(fulfillment_status as {{ dbt.type_string() }}) as fulfillment_status,
    cast(is_valid as boolean) as is_valid,
    cast(valid_order_number as bigint) as valid_order_number,
    cast(coalesce(valid_order_number > 1, false) as boolean) as is_repeat_order,
    cast(sales_channel as {{ dbt.type_string() }}) as sales_channel,
    cast(currency_code as {{ dbt.type_string() }}) as currency_code,
    cast(total as double) as total,
    cast(refunded_amount as double) as refunded_amount,
    cast(line_items as bigint) as line_items,
    {{ rebuild_keys_lineage_columns(rebuild) }}
from sequenced
