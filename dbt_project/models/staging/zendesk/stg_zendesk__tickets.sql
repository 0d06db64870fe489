with

source as (

    select * from {{ ref('base_zendesk__tickets') }}

),

renamed as (

    select
        -- ids
        ticket_id,
        requester_email_hash as requester_key,

        -- strings
        group_name,
        status,
        priority,
        via as channel,
        ticket_type,
        satisfaction_score,

        -- numerics
        cast(replies as bigint) as replies,
        cast(first_reply_minutes as double) as first_reply_minutes,
        cast(first_reply_minutes_business as double) as first_reply_business_minutes,
        cast(full_resolution_minutes as double) as full_resolution_minutes,

        -- timestamps (reporting time zone)
        cast(created_at as timestamp) as created_at,
        cast(created_at as date) as created_date,
        cast(solved_at as timestamp) as solved_at,

        -- lineage
        _source_file as source_file,
        _row_number as source_row_number

    from source

)

select * from renamed
