{#- Rebuilt by respondent (macros/rebuild_keys.sql): the respondents of new deliveries and the
    responses of the rebuild window. -#}
{%- set rebuild = {
    'key': 'respondent_id',
    'reads': [{'source': 'surveymonkey', 'table': 'responses'}],
    'window': {'model': 'stg_surveymonkey__responses', 'date_column': 'response_date'},
} %}
{{ config(
    materialized=daily_fact_materialization(),
    incremental_strategy='replace_keys',
    on_schema_change='append_new_columns',
    rebuild_keys=rebuild,
) }}

with

responses as (

    select * from {{ ref('stg_surveymonkey__responses') }}
    {{ rebuild_keys_filter(rebuild) }}

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
    cast(csat_score as integer) as csat_score,
    {{ rebuild_keys_lineage_columns(rebuild) }}
from responses
