-- Orders with the customer's running number of valid orders (valid = paid or partially refunded),
-- so a repeat purchase is a valid order that is not the customer's first valid order ever.
-- The rules are macros/entity_rules.sql, shared with fct_orders (which numbers only the orders of
-- the customers it rebuilds).
with

orders as (

    select * from {{ ref('stg_shopify__orders') }}

),

{{ sequence_valid_orders('orders') }}

select * from sequenced
