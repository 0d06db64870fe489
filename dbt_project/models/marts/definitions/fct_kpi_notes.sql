with

notes as (

    select * from {{ ref('int_kpi_notes_defined') }}

)

select
    cast(kpi_id as {{ dbt.type_string() }}) as kpi_id,
    cast(period_start as date) as period_start,
    cast(author as {{ dbt.type_string() }}) as author,
    cast(note as {{ dbt.type_string() }}) as note,
    cast(note_file as {{ dbt.type_string() }}) as note_file
from notes
