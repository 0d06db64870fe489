with

orders as (

    select * from {{ ref('int_orders_sequenced') }}

)

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
    cast(line_items as bigint) as line_items
from orders
