with

source as (

    select * from {{ ref('base_shopify__order_lines') }}

),

renamed as (

    select
        -- ids
        order_name,
        line_number,
        sku,

        -- strings
        item_name,

        -- numerics
        cast(quantity as bigint) as quantity,
        cast(price as double) as price,
        cast(discount as double) as discount,

        -- lineage
        _source_file as source_file,
        _row_number as source_row_number

    from source

)

select * from renamed
