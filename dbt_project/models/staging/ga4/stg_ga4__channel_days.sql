with

source as (

    select * from {{ ref('base_ga4__channel_days') }}

),

renamed as (

    select
        -- dimensions
        channel_group,
        property as property_name,

        -- numerics
        cast(sessions as bigint) as sessions,
        cast(engaged_sessions as bigint) as engaged_sessions,
        cast(key_events as double) as key_events,
        cast(total_revenue as double) as total_revenue,

        -- dates
        cast(date_day as date) as date_day,

        -- lineage
        _source_file as source_file,
        _row_number as source_row_number

    from source

)

select * from renamed
