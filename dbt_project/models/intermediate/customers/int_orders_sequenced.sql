-- Orders with the customer's running number of valid orders (valid = paid or partially refunded),
-- so a repeat purchase is a valid order that is not the customer's first valid order ever.
with

orders as (

    select * from {{ ref('stg_shopify__orders') }}

),

flagged as (

    select
        orders.*,
        financial_status in ('paid', 'partially_refunded') as is_valid
    from orders

),

sequenced as (

    select
        flagged.*,
        case
            when is_valid and customer_key is not null then
                row_number() over (
                    partition by customer_key, is_valid
                    order by created_at, order_name
                )
        end as valid_order_number
    from flagged

)

select * from sequenced
