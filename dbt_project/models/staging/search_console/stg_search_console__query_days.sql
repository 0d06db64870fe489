with

source as (

    select * from {{ ref('base_search_console__query_days') }}

),

renamed as (

    select
        -- dimensions
        site_url,
        query,
        is_anonymized_query,
        page,
        country,
        device,
        search_type,
        export_kind,

        -- numerics
        cast(impressions as bigint) as impressions,
        cast(clicks as bigint) as clicks,
        cast(position_sum as double) as position_sum,

        -- dates
        cast(date_day as date) as date_day,

        -- lineage
        _source_file as source_file,
        _row_number as source_row_number

    from source

)

select * from renamed
