with

source as (

    select * from {{ ref('base_crm__deals') }}

),

renamed as (

    select
        -- ids
        concat(crm, ':', deal_id) as deal_key,
        crm,
        deal_id,

        -- strings
        deal_name,
        pipeline,
        stage,
        owner,
        account_name,
        upper(currency_code) as currency_code,
        upper(company_currency_code) as company_currency_code,
        lost_reason,
        lead_source,

        -- numerics
        cast(amount as double) as amount,
        cast(amount_company as double) as amount_company,

        -- booleans
        cast(is_closed as boolean) as is_closed,
        cast(is_won as boolean) as is_won,

        -- timestamps (local: reporting time zone; _utc: the instant)
        cast(created_at as timestamp) as created_at,
        cast(created_at_utc as timestamp) as created_at_utc,
        cast(closed_at as timestamp) as closed_at,
        cast(closed_at_utc as timestamp) as closed_at_utc,
        cast(snapshot_at as timestamp) as snapshot_at,

        -- dates
        cast(close_date as date) as close_date,

        -- lineage
        _source_file as source_file,
        _row_number as source_row_number

    from source

)

select * from renamed
