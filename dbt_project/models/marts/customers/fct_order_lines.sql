-- One row per line item of the latest delivered version of each order, with the order's day,
-- customer and validity, so units and revenue per product are read without the raw layer.
with

order_lines as (

    select * from {{ ref('stg_shopify__order_lines') }}

),

orders as (

    select * from {{ ref('int_orders_sequenced') }}

)

select
    cast(order_lines.order_name as {{ dbt.type_string() }}) as order_name,
    cast(order_lines.line_number as bigint) as line_number,
    cast(orders.customer_key as {{ dbt.type_string() }}) as customer_key,
    cast(orders.created_date as date) as created_date,
    cast(orders.is_valid as boolean) as is_valid,
    cast(orders.currency_code as {{ dbt.type_string() }}) as currency_code,
    cast(order_lines.sku as {{ dbt.type_string() }}) as sku,
    cast(order_lines.item_name as {{ dbt.type_string() }}) as item_name,
    cast(order_lines.quantity as bigint) as quantity,
    cast(order_lines.price as double) as price,
    cast(order_lines.discount as double) as discount,
    cast(
        order_lines.quantity * order_lines.price - coalesce(order_lines.discount, 0) as double
    ) as line_amount
from order_lines
inner join orders
    on order_lines.order_name = orders.order_name
