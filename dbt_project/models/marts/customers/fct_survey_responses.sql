with

responses as (

    select * from {{ ref('stg_surveymonkey__responses') }}

)

select
    cast(respondent_id as {{ dbt.type_string() }}) as respondent_id,
    cast(respondent_key as {{ dbt.type_string() }}) as respondent_key,
    cast(response_date as date) as response_date,
    cast(nps_score as integer) as nps_score,
    cast(
        case
            when nps_score >= 9 then 'promoter'
            when nps_score >= 7 then 'passive'
            when nps_score >= 0 then 'detractor'
        end as {{ dbt.type_string() }}
    ) as nps_category,
    cast(csat_score as integer) as csat_score
from responses
