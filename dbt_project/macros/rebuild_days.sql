{#-
    Daily facts are built incrementally on DuckDB: a run rebuilds only
    (1) every day covered by a file loaded since the fact was last built (a delivery replaces its
        whole date range, see latest_delivery_by_range), and
    (2) the run's explicit rebuild window (`kpi-warehouse run --rebuild-from D --rebuild-to D`, or
        rebuild_from / rebuild_to in the run config of raw/run_context): a backfill.
    Each row records the newest load it has seen (`loaded_through`), which is the fact's
    watermark, and the run that built it (`built_by_run`). Engines without row deletes (Spark on
    Parquet) build these models as tables, from the same SQL.
-#}

{#- The days to rebuild, as a query with one column `date_day`. -#}
{#- `also`: further raw tables the fact reads, each {'source', 'table', 'date_column'}; with
    'through_last_day': true a new delivery rebuilds from its first day up to the fact's last day
    (exchange rates: a new rate changes every later day that falls back on it). -#}
{% macro days_to_rebuild(raw_relation, date_column, fact_relation, also=[]) %}
    select distinct cast(day_value as date) as date_day
    from (

        select {{ day_series('first_date', 'last_date') }} as day_value
        from (
            select min({{ date_column }}) as first_date, max({{ date_column }}) as last_date
            from {{ raw_relation }}
            where _loaded_at > {{ rebuild_watermark(fact_relation) }}
            group by _file_hash
        ) as new_deliveries

        {%- for extra in also %}
        {%- set extra_relation = source(extra['source'], extra['table']) %}

        union all

        select {{ day_series('first_date', 'last_date') }} as day_value
        from (
            select
                min({{ extra['date_column'] }}) as first_date,
                {%- if extra.get('through_last_day') %}
                greatest(
                    max({{ extra['date_column'] }}),
                    coalesce((select max({{ date_column }}) from {{ fact_relation }}), max({{ extra['date_column'] }}))
                ) as last_date
                {%- else %}
                max({{ extra['date_column'] }}) as last_date
                {%- endif %}
            from {{ extra_relation }}
            where _loaded_at > {{ rebuild_watermark(fact_relation) }}
            group by _file_hash
        ) as new_deliveries_{{ loop.index }}
        {%- endfor %}

        union all

        select {{ day_series('rebuild_from', 'rebuild_to') }} as day_value
        from {{ ref('stg_pipeline__run_context') }}
        where rebuild_from is not null and rebuild_to is not null

    ) as days
{% endmacro %}

{#- The newest load the fact has seen; none for a table from before the watermark existed (it
    gets the column on this run, and every day is rebuilt once). -#}
{% macro rebuild_watermark(fact_relation) -%}
    {%- set columns = adapter.get_columns_in_relation(fact_relation) if execute else [] -%}
    {%- if 'loaded_through' in (columns | map(attribute='name') | map('lower') | list) -%}
    (
        select coalesce(max(loaded_through), cast('1900-01-01' as timestamp))
        from {{ fact_relation }}
    )
    {%- else -%}
    cast('1900-01-01' as timestamp)
    {%- endif -%}
{%- endmacro %}

{#- The filter a daily fact applies to its staging rows in an incremental run: the days to
    rebuild as constants (queried once when the model runs), so the engine prunes the raw layer's
    files and row groups by their date statistics and reads only those days, instead of reading
    the whole history and joining it with the list. -#}
{% macro rebuild_days_filter(raw_relation, date_column, also=[], watermark_of=none) -%}
    {%- if is_incremental() -%}
    {%- set fact = watermark_fact(watermark_of) -%}
    where {{ rebuild_days_condition(date_column, rebuild_days_list(raw_relation, date_column, fact, also)) }}
    {%- endif -%}
{%- endmacro %}

{#- The table whose watermark decides the days to rebuild: the model's own, or (`watermark_of`,
    a model in the same schema) the daily fact a model is always built with, right before it.
    fct_ad_days_unconverted holds no row on most days, so it has no watermark of its own; it is
    built from the same raw tables as fct_ad_performance_daily, which runs after it, so that
    fact's watermark is the one both were last built to. Not a ref: the fact depends on this
    model, not the other way round. Without that table, every day is rebuilt. -#}
{% macro watermark_fact(watermark_of=none) -%}
    {%- if watermark_of is none -%}
        {{- return(this) -}}
    {%- endif -%}
    {%- set fact = adapter.get_relation(
        database=this.database, schema=this.schema, identifier=watermark_of
    ) -%}
    {{- return(fact if fact is not none else this) -}}
{%- endmacro %}

{#- The days to rebuild as a sorted list of ISO dates ('YYYY-MM-DD'); empty at parse time. -#}
{% macro rebuild_days_list(raw_relation, date_column, fact_relation, also=[]) -%}
    {%- if not execute -%}
        {{- return([]) -}}
    {%- endif -%}
    {%- set query -%}
        select distinct cast(date_day as {{ dbt.type_string() }}) as day_text
        from ({{ days_to_rebuild(raw_relation, date_column, fact_relation, also) }}) as days
        where date_day is not null
        order by 1
    {%- endset -%}
    {%- set result = run_query(query) -%}
    {{- return(result.columns[0].values() | list) -}}
{%- endmacro %}

{#- `column` is one of `days` (ISO dates): a range (for pruning) and the exact list; no day, no
    row. -#}
{% macro rebuild_days_condition(column, days) -%}
    {%- if days | length == 0 -%}
    1 = 0
    {%- else -%}
    {{ column }} between cast('{{ days[0] }}' as date) and cast('{{ days[-1] }}' as date)
    and {{ column }} in (
        {%- for day in days %}cast('{{ day }}' as date){{ ', ' if not loop.last }}{% endfor -%}
    )
    {%- endif -%}
{%- endmacro %}

{#- The watermark and lineage columns every daily fact carries. -#}
{#- `also`: further raw tables the fact reads (as in days_to_rebuild); the watermark is the newest
    load of any of them. -#}
{% macro rebuild_lineage_columns(raw_relation, also=[]) -%}
    {%- if also %}
    cast(greatest(
        (select max(_loaded_at) from {{ raw_relation }})
        {%- for extra in also %},
        coalesce(
            (select max(_loaded_at) from {{ source(extra['source'], extra['table']) }}),
            cast('1900-01-01' as timestamp)
        )
        {%- endfor %}
    ) as timestamp) as loaded_through,
    {%- else %}
    cast((select max(_loaded_at) from {{ raw_relation }}) as timestamp) as loaded_through,
    {%- endif %}
    cast(
        (select max(run_id) from {{ ref('stg_pipeline__run_context') }}) as {{ dbt.type_string() }}
    ) as built_by_run
{%- endmacro %}

{#- Incremental where rows can be deleted (DuckDB); a table elsewhere (Spark on Parquet). Used by
    the daily facts and by fct_kpi_values. -#}
{% macro daily_fact_materialization() -%}
    {{- return('incremental' if target.type == 'duckdb' else 'table') -}}
{%- endmacro %}

{#-
    Incremental strategy `replace_days`: delete every day to rebuild (including days that a
    corrected delivery no longer has), then insert the new rows of those days. The model's config
    names its raw table and date column: rebuild_days={'source': ..., 'table': ..., 'date_column': ...},
    and, for a fact that reads several raw tables, 'also': [{'source', 'table', 'date_column'}, ...].
-#}
{% macro get_incremental_replace_days_sql(arg_dict) %}
    {%- set spec = config.get('rebuild_days') -%}
    {%- set target_relation = arg_dict['target_relation'] -%}
    {%- set columns = arg_dict['dest_columns'] | map(attribute='quoted') | join(', ') -%}
    {%- set fact = watermark_fact(spec['watermark_of']) if spec.get('watermark_of') else target_relation -%}
    {%- set days = rebuild_days_list(
        source(spec['source'], spec['table']), spec['date_column'], fact, spec.get('also', [])
    ) %}
    delete from {{ target_relation }}
    where {{ rebuild_days_condition(spec['date_column'], days) }};
    insert into {{ target_relation }} ({{ columns }})
    select {{ columns }} from {{ arg_dict['temp_relation'] }}
{% endmacro %}

{#-
    Incremental strategy `keep_unchanged`: the model computes every row; rows that are gone or
    whose values changed are deleted, and rows not present (new or changed) are inserted. A row
    whose values are the same (floating-point values within 1e-9 relative, as sums may add up in
    another order) is left as it is, lineage included; rows without lineage (built before the
    column existed) are rewritten once. The result always equals a full rebuild.
-#}
{% macro get_incremental_keep_unchanged_sql(arg_dict) %}
    {%- set target_relation = arg_dict['target_relation'] -%}
    {%- set new_rows = arg_dict['temp_relation'] -%}
    {%- set keys = config.get('unique_key') -%}
    {%- set dest = arg_dict['dest_columns'] -%}
    {%- set columns = dest | map(attribute='quoted') | join(', ') -%}
    {%- set same_key -%}
        {%- for key in keys %}{{ 'and ' if not loop.first }}n.{{ key }} = t.{{ key }} {% endfor -%}
    {%- endset -%}
    delete from {{ target_relation }} as t
    where not exists (
        select 1 from {{ new_rows }} as n
        where {{ same_key }}
        {%- if 'built_by_run' in (dest | map(attribute='name') | list) %}
            and t.built_by_run is not null  {#- rows from before the lineage column: rewrite #}
        {%- endif %}
        {%- for column in dest if column.name not in keys and column.name != 'built_by_run' %}
            {%- if column.data_type | lower in ('double', 'float', 'real') %}
            and (n.{{ column.quoted }} is null and t.{{ column.quoted }} is null
                 or abs(n.{{ column.quoted }} - t.{{ column.quoted }})
                    <= 1e-9 * greatest(abs(n.{{ column.quoted }}), abs(t.{{ column.quoted }})))
            {%- else %}
            and n.{{ column.quoted }} is not distinct from t.{{ column.quoted }}
            {%- endif %}
        {%- endfor %}
    );
    insert into {{ target_relation }} ({{ columns }})
    select {{ columns }} from {{ new_rows }} as n
    where not exists (select 1 from {{ target_relation }} as t where {{ same_key }})
{% endmacro %}
