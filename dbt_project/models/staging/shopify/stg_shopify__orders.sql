with

source as (

    select * from {{ ref('base_shopify__orders') }}

),

renamed as (

    select
        -- ids
        order_name,
        order_id,
        email_hash as customer_key,

        -- strings
        financial_status,
        fulfillment_status,
        currency as currency_code,
        discount_code,
        source_name as sales_channel,
        billing_city,
        billing_country,

        -- numerics
        cast(subtotal as double) as subtotal,
        cast(shipping as double) as shipping,
        cast(taxes as double) as taxes,
        cast(total as double) as total,
        cast(discount_amount as double) as discount_amount,
        cast(refunded_amount as double) as refunded_amount,
        cast(line_items as bigint) as line_items,

        -- timestamps (reporting time zone)
        cast(created_at as timestamp) as created_at,
        cast(created_at as date) as created_date,
        cast(paid_at as timestamp) as paid_at,
        cast(cancelled_at as timestamp) as cancelled_at,

        -- lineage
        _source_file as source_file,
        _row_number as source_row_number

    from source

)

select * from renamed
