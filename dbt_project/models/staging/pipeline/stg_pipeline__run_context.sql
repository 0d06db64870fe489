with

source as (

    select * from {{ source('pipeline', 'run_context') }}

),

renamed as (

    select
        -- timestamps
        cast(as_of_ts as timestamp) as as_of_ts,
        cast(as_of_ts as date) as as_of_date

    from source

)

select * from renamed
