with

source as (

    select * from {{ ref('base_microsoft_ads__campaign_days') }}

),

renamed as (

    select
        -- ids
        coalesce(cast(campaign_id as {{ dbt.type_string() }}), campaign_name) as campaign_key,
        cast(campaign_id as {{ dbt.type_string() }}) as campaign_id,

        -- strings
        campaign_name,
        lower(campaign_status) as campaign_status,
        upper(currency_code) as currency_code,

        -- numerics
        cast(impressions as bigint) as impressions,
        cast(clicks as bigint) as clicks,
        cast(cost as double) as cost,
        cast(conversions as double) as conversions,
        cast(conversion_value as double) as conversion_value,

        -- dates
        cast(date_day as date) as date_day,

        -- lineage
        _source_file as source_file,
        _file_hash as file_hash,
        _row_number as source_row_number,
        _load_id as load_id

    from source

)

select * from renamed
