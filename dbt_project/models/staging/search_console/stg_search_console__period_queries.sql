with

source as (

    {{ latest_delivery_by_key(source('search_console', 'period_queries'), ['period_label', 'search_type']) }}

),

renamed as (

    select
        -- dimensions
        period_label,
        is_relative_period,
        search_type,
        query,

        -- numerics
        cast(clicks as bigint) as clicks,
        cast(impressions as bigint) as impressions,
        cast(position as double) as average_position,

        -- dates
        cast(period_start as date) as period_start,
        cast(period_end as date) as period_end,

        -- lineage
        _source_file as source_file,
        _loaded_at as loaded_at

    from source

)

select * from renamed
