with

source as (

    select * from {{ source('pipeline', 'check_holds') }}

),

renamed as (

    select
        -- ids
        cast(subject_kind as {{ dbt.type_string() }}) as subject_kind,
        cast(subject as {{ dbt.type_string() }}) as subject,

        -- text
        cast(held_reason as {{ dbt.type_string() }}) as held_reason,

        -- dates
        cast(held_since as date) as held_since

    from source

)

select * from renamed
