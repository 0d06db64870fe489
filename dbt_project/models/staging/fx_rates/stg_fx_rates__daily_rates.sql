with

source as (

    select * from {{ ref('base_fx_rates__daily_rates') }}

),

renamed as (

    select
        -- strings
        upper(currency_code) as currency_code,

        -- numerics
        cast(units_per_euro as double) as units_per_euro,

        -- dates
        cast(rate_date as date) as rate_date,

        -- lineage
        _source_file as source_file,
        _file_hash as file_hash,
        _row_number as source_row_number,
        _load_id as load_id

    from source

)

select * from renamed
