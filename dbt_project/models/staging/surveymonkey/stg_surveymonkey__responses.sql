with

source as (

    select * from {{ ref('base_surveymonkey__responses') }}

),

renamed as (

    select
        -- ids
        respondent_id,
        collector_id,
        email_hash as respondent_key,
        custom_data,

        -- answers
        cast(nps_score as integer) as nps_score,
        csat_answer,
        cast(csat_score as integer) as csat_score,

        -- timestamps (reporting time zone)
        cast(ended_at as timestamp) as responded_at,
        cast(ended_at as date) as response_date,

        -- lineage
        _source_file as source_file,
        _row_number as source_row_number

    from source

)

select * from renamed
