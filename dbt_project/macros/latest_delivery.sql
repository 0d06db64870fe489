{#-
    Re-deliveries replace, they never add.

    latest_delivery_by_range: a delivered file covers the days from its first to its last row; a
    later file from the same landing folder replaces every row of earlier files within its range,
    including days the later file no longer has (a corrected export is the truth for its range).

    latest_delivery_by_key: of the rows that share a key (an order, a ticket), only those of the
    latest delivered file are kept.
-#}
{% macro latest_delivery_by_range(relation, date_column) %}
    {#- The relation is read twice (deliveries, rows) rather than through a shared CTE, so no
        engine has to hold every delivered row in memory to reuse it. -#}
    with

    deliveries as (

        select
            _file_hash as file_hash,
            {{ landing_folder('_source_file') }} as delivery_folder,
            max(_loaded_at) as loaded_at,
            min({{ date_column }}) as first_date,
            max({{ date_column }}) as last_date
        from {{ relation }}
        group by _file_hash, {{ landing_folder('_source_file') }}

    )

    select delivered.*
    from {{ relation }} as delivered
    where not exists (
        select 1
        from deliveries as newer
        where newer.delivery_folder = {{ landing_folder('delivered._source_file') }}
            and newer.file_hash <> delivered._file_hash
            and (
                newer.loaded_at > delivered._loaded_at
                or (newer.loaded_at = delivered._loaded_at and newer.file_hash > delivered._file_hash)
            )
            and delivered.{{ date_column }} between newer.first_date and newer.last_date
    )
{% endmacro %}

{% macro latest_delivery_by_key(relation, key_columns) %}
    select *
    from (
        select
            delivered.*,
            dense_rank() over (
                partition by {{ key_columns | join(', ') }}
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
