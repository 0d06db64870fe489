{{ config(alias='about', materialized='table') }}

-- When this warehouse was built, as of when, from which data, by which pipeline version.
with

coverage as (

    select * from {{ ref('int_sources_covered') }}

),

run_context as (

    select * from {{ ref('stg_pipeline__run_context') }}

),

holds as (

    select * from {{ ref('stg_pipeline__check_holds') }}
    where subject_kind = 'source'

)

select
    cast(current_timestamp as timestamp) as built_at,
    run_context.as_of_ts as as_of,
    coverage.source_name as source,
    coverage.first_date as data_from,
    coverage.last_date as data_until,
    holds.held_reason,
    holds.held_since,
    '{{ var("pipeline_version") }}' as pipeline_version
from coverage
cross join run_context
left join holds
    on holds.subject = coverage.source_name
