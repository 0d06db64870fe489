with

source as (

    select * from {{ source('pipeline', 'run_context') }}

),

renamed as (

    select
        -- ids
        cast(run_id as {{ dbt.type_string() }}) as run_id,

        -- timestamps
        cast(as_of_ts as timestamp) as as_of_ts,
        cast(as_of_ts as date) as as_of_date,

        -- dates: an explicit rebuild window (a backfill), both null in a normal run
        cast(rebuild_from as date) as rebuild_from,
        cast(rebuild_to as date) as rebuild_to

    from source

)

select * from renamed
