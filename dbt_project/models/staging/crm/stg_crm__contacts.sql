with

source as (

    select * from {{ ref('base_crm__contacts') }}

),

renamed as (

    select
        -- ids (names, e-mails and phones only as their salted hashes)
        {{ dbt.hash("concat(crm, ':', contact_id)") }} as contact_key,
        crm,
        contact_id,
        email_hash,
        phone_hash,
        full_name_hash,
        first_name_hash,
        last_name_hash,

        -- strings (not the contact's company: a sole trader's company name is a person's name)
        lifecycle_stage,
        lead_status,
        original_source,

        -- booleans
        cast(is_converted as boolean) as is_converted,

        -- timestamps (local: reporting time zone; _utc: the instant)
        cast(created_at as timestamp) as created_at,
        cast(created_at_utc as timestamp) as created_at_utc,
        cast(became_lead_at as timestamp) as became_lead_at,
        cast(became_customer_at as timestamp) as became_customer_at,
        cast(became_customer_at_utc as timestamp) as became_customer_at_utc,
        cast(snapshot_at as timestamp) as snapshot_at,

        -- dates
        cast(converted_date as date) as converted_date,

        -- lineage
        _source_file as source_file,
        _row_number as source_row_number

    from source

)

select * from renamed
