-- One row per line item of the latest delivered version of each order, with the order's day,
-- customer and validity, so units and revenue per product are read without the raw layer.
{#- Rebuilt by order (macros/rebuild_keys.sql): the lines of the orders of new deliveries (orders
    and their lines come from the same Shopify files) and of orders placed in the rebuild window. -#}
{%- set rebuild = {
    'key': 'order_name',
    'reads': [
        {'source': 'shopify', 'table': 'order_lines'},
        {'source': 'shopify', 'table': 'orders'},
    ],
    'window': {'model': 'stg_shopify__orders', 'date_column': 'created_date'},
} %}
{{ config(
    materialized=daily_fact_materialization(),
    incremental_strategy='replace_keys',
    on_schema_change='append_new_columns',
    rebuild_keys=rebuild,
) }}

with

order_lines as (

    select * from {{ ref('stg_shopify__order_lines') }}
    {{ rebuild_keys_filter(rebuild) }}

),

orders as (

    select * from {{ ref('stg_shopify__orders') }}
    {{ rebuild_keys_filter(rebuild) }}

)

select
    cast(order_lines.order_name as {{ dbt.type_string() }}) as order_name,
    cast(order_lines.line_number as bigint) as line_number,
    cast(orders.customer_key as {{ dbt.type_string() }}) as customer_key,
    cast(orders.created_date as date) as created_date,
    cast({{ is_valid_order('orders.financial_status') }} as boolean) as is_valid,
    cast(orders.currency_code as {{ dbt.type_string() }}) as currency_code,
    cast(order_lines.sku as {{ dbt.type_string() }}) as sku,
    cast(order_lines.item_name as {{ dbt.type_string() }}) as item_name,
    cast(order_lines.quantity as bigint) as quantity,
    cast(order_lines.price as double) as price,
    cast(order_lines.discount as double) as discount,
    cast(
        order_lines.quantity * order_lines.price - coalesce(order_lines.discount, 0) as double
    ) as line_amount,
    {{ rebuild_keys_lineage_columns(rebuild) }}
from order_lines
inner join orders
    on order_lines.order_name = orders.order_name
