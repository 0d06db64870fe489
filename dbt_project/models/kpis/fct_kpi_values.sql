{{ config(schema='marts', contract={'enforced': target.type == 'duckdb'}) }}

with

kpi_values as (

    select * from {{ ref('int_kpi_values_unioned') }}

)

select
    cast(kpi_id as {{ dbt.type_string() }}) as kpi_id,
    cast(grain as {{ dbt.type_string() }}) as grain,
    cast(period_start as date) as period_start,
    cast(period_end as date) as period_end,
    cast(value as double) as value,
    cast(numerator as double) as numerator,
    cast(denominator as double) as denominator,
    cast(target as double) as target,
    cast(status as {{ dbt.type_string() }}) as status,
    cast(is_complete as boolean) as is_complete,
    cast(source_rows as bigint) as source_rows
from kpi_values
