with

notes as (

    select * from {{ ref('int_kpi_notes_defined') }}

)

select
    cast(kpi_id as varchar) as kpi_id,
    cast(period_start as date) as period_start,
    cast(author as varchar) as author,
    cast(note as varchar) as note,
    cast(note_file as varchar) as note_file
from notes
