with

source as (

    {{ latest_delivery_by_key(source('search_console', 'site_days'), ['date_day', 'search_type']) }}

),

renamed as (

    select
        -- dimensions
        search_type,

        -- numerics
        cast(clicks as bigint) as clicks,
        cast(impressions as bigint) as impressions,
        cast(position as double) as average_position,

        -- dates
        cast(date_day as date) as date_day,

        -- lineage
        _source_file as source_file

    from source

)

select * from renamed
