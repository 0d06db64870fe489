{#-
    Re-deliveries replace, they never add: of the rows that share `partition_by` (e.g. a day of one
    landing folder, or one order), only those of the latest delivered file are kept.
-#}
{% macro latest_delivery(relation, partition_by) %}
    select *
    from (
        select
            delivered.*,
            dense_rank() over (
                partition by {{ partition_by | join(', ') }}
                order by delivered._loaded_at desc, delivered._file_hash desc
            ) as delivery_rank
        from {{ relation }} as delivered
    ) as ranked
    where delivery_rank = 1
{% endmacro %}

{#- The landing sub-folder of a row's file: files of different folders never replace each other. -#}
{% macro landing_folder(source_file_column='_source_file') -%}
    regexp_replace({{ source_file_column }}, '/[^/]*$', '')
{%- endmacro %}
