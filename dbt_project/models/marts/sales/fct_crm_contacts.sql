-- One row per CRM and contact (HubSpot contact, Salesforce lead, Pipedrive person) of the latest
-- snapshots. is_paid_source: the contact's original traffic source is one of its CRM's paid
-- sources (dbt var crm_paid_sources, compared trimmed and in any case).
{%- set paid_sources = var('crm_paid_sources', {}) %}

with

contacts as (

    select * from {{ ref('stg_crm__contacts') }}

)

select
    cast(contact_key as {{ dbt.type_string() }}) as contact_key,
    cast(crm as {{ dbt.type_string() }}) as crm,
    cast(created_at as timestamp) as created_at,
    cast(cast(created_at as date) as date) as created_date,
    cast(became_customer_at as timestamp) as became_customer_at,
    cast(original_source as {{ dbt.type_string() }}) as original_source,
    cast(
        case
            {%- for crm, sources in paid_sources.items() if sources %}
            when crm = '{{ crm }}' and lower(trim(original_source)) in (
                {%- for source in sources %}'{{ source | lower | trim | replace("'", "''") }}'{{ ", " if not loop.last }}{% endfor -%}
            ) then true
            {%- endfor %}
            else false
        end as boolean
    ) as is_paid_source,
    cast(lifecycle_stage as {{ dbt.type_string() }}) as lifecycle_stage,
    -- the last day the contact's snapshot covers in full (the snapshot day itself is partial)
    cast({{ dbt.dateadd('day', -1, 'cast(snapshot_at as date)') }} as date) as covered_through
from contacts
