with

source as (

    {{ latest_delivery_by_range(source('ga4', 'channel_days'), 'date_day') }}

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
