{{ config(
    materialized=daily_fact_materialization(),
    incremental_strategy='keep_unchanged',
    unique_key=['kpi_id', 'period_start'],
    on_schema_change='append_new_columns',
) }}

-- A KPI held by a failed check on its raw data is not recomputed: its rows are its last good
-- values, marked with why and since when it is held.
-- Every period is computed; on DuckDB only periods whose values changed are written (see the
-- keep_unchanged strategy), so an untouched period keeps its row and the run that built it.
with

kpi_values as (

    select * from {{ ref('int_kpi_values_unioned') }}

),

run_context as (

    select * from {{ ref('stg_pipeline__run_context') }}

),

holds as (

    select * from {{ ref('stg_pipeline__check_holds') }}
    where subject_kind = 'kpi'

)

select
    cast(kpi_values.kpi_id as {{ dbt.type_string() }}) as kpi_id,
    cast(grain as {{ dbt.type_string() }}) as grain,
    cast(period_start as date) as period_start,
    cast(period_end as date) as period_end,
    cast(value as double) as value,
    cast(numerator as double) as numerator,
    cast(denominator as double) as denominator,
    cast(target as double) as target,
    cast(status as {{ dbt.type_string() }}) as status,
    cast(is_complete as boolean) as is_complete,
    cast(source_rows as bigint) as source_rows,
    cast(holds.held_reason as {{ dbt.type_string() }}) as held_reason,
    cast(holds.held_since as date) as held_since,
    cast((select max(run_id) from run_context) as {{ dbt.type_string() }}) as built_by_run
from kpi_values
left join holds
    on holds.subject = kpi_values.kpi_id
