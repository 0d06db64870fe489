{#-
    Status of one KPI value against its target, in the KPI's direction:
    `on_track` meets the target, `at_risk` misses it by at most the tolerance (var
    kpi_status_tolerance, a share of the target), `off_track` otherwise, `no_target` without a target,
    `no_data` when the period has no source rows or no computable value. Incomplete periods get none.
-#}
{% macro kpi_status(value, target, source_rows, is_complete, direction) -%}
    {%- set tolerance = var('kpi_status_tolerance') | float -%}
    case
        when not {{ is_complete }} then null
        when {{ source_rows }} = 0 then 'no_data'
        when {{ target }} is null then 'no_target'
        when {{ value }} is null then 'no_data'
    {%- if direction == 'lower_is_better' %}
        when {{ value }} <= {{ target }} then 'on_track'
        when {{ value }} <= {{ target }} + {{ tolerance }} * abs({{ target }}) then 'at_risk'
    {%- else %}
        when {{ value }} >= {{ target }} then 'on_track'
        when {{ value }} >= {{ target }} - {{ tolerance }} * abs({{ target }}) then 'at_risk'
    {%- endif %}
        else 'off_track'
    end
{%- endmacro %}
