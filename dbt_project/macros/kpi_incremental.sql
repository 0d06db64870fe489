{#-
    KPI models recompute only the periods a run can have changed (DuckDB; elsewhere, and on a
    first build, every period). A KPI model whose config has `kpi_incremental` keeps, on each row,
    the newest load of the raw tables it reads (`loaded_through`), the as-of day it was judged at
    (`as_of_date`), the hash of its own definition (`definition_hash`) and the run that computed
    it (`built_by_run`). A run then recomputes
    every period from the first period that contains one of:

    * a day of a raw row loaded since (`loaded_through`), less one day: a delivery replaces or
      adds rows from its first day on, and what an entity fact derives from a row (an order's
      number among the customer's orders, a rate's later days) lies on or after that day; the day
      before covers a row whose day is in another time zone than the fact's;
    * two days before the stored and before this run's as-of day: completeness, and the states
      judged at the as-of time (a ticket without reply after 24 hours), move with it;
    * the day before the last day of each fact the KPI reads: a partial last day, held or released;
    * the first day of an explicit rebuild window (a backfill).

    A definition that changed (its hash) or a table from before these columns recomputes every
    period. Periods before the first one recomputed are kept as they are: nothing they are built
    from can have changed.
-#}

{#- The KPI's materialisation: incremental where rows can be deleted (DuckDB), else a table. -#}
{% macro kpi_materialization() -%}
    {{- return('incremental' if target.type == 'duckdb' else 'table') -}}
{%- endmacro %}

{#- The raw tables (dbt source nodes with meta.day) a node reads, directly or through models. -#}
{% macro upstream_day_sources(node_id) %}
    {%- set queue = [node_id] -%}
    {%- set seen = [] -%}
    {%- set found = [] -%}
    {%- for current in queue -%}
        {%- if current not in seen -%}
            {%- do seen.append(current) -%}
            {%- if current in graph.sources -%}
                {%- set node = graph.sources[current] -%}
                {%- if node.meta.get('day') -%}
                    {%- do found.append(node) -%}
                {%- endif -%}
            {%- elif current in graph.nodes -%}
                {%- for parent in graph.nodes[current].depends_on.nodes -%}
                    {%- do queue.append(parent) -%}
                {%- endfor -%}
            {%- endif -%}
        {%- endif -%}
    {%- endfor -%}
    {{ return(found) }}
{% endmacro %}

{#- The newest load of the raw tables the model reads: its watermark. -#}
{% macro kpi_loaded_through() -%}
    {%- set sources = upstream_day_sources(model.unique_id) if execute else [] -%}
    {%- if sources | length == 0 -%}
    cast(null as timestamp)
    {%- else -%}
    {#- greatest() needs two arguments or more on Spark -#}
    cast({{ 'greatest(' if sources | length > 1 }}
        {%- for node in sources %}
        coalesce(
            (select max(_loaded_at) from {{ source(node.source_name, node.name) }}),
            cast('1900-01-01' as timestamp)
        ){{ ',' if not loop.last }}
        {%- endfor %}
    {{ ')' if sources | length > 1 }} as timestamp)
    {%- endif -%}
{%- endmacro %}

{#- The first period to recompute, as an ISO date, or '' for every period. Queried when the model
    runs (and again by its incremental strategy, over the same unchanged tables). -#}
{% macro kpi_recompute_from() -%}
    {%- if not execute or not is_incremental() -%}
        {{- return('') -}}
    {%- endif -%}
    {%- set spec = config.get('kpi_incremental') -%}
    {%- set columns = adapter.get_columns_in_relation(this) | map(attribute='name') | map('lower') | list -%}
    {%- for needed in ['loaded_through', 'as_of_date', 'definition_hash'] -%}
        {%- if needed not in columns -%}
            {{- return('') -}}
        {%- endif -%}
    {%- endfor -%}
    {%- set stored_query -%}
        select
            count(*) as periods,
            count(distinct definition_hash) as hashes,
            max(definition_hash) as definition_hash,
            cast(min(loaded_through) as {{ dbt.type_string() }}) as loaded_through,
            cast(min(as_of_date) as {{ dbt.type_string() }}) as as_of_date
        from {{ this }}
    {%- endset -%}
    {%- set stored = run_query(stored_query).rows[0] -%}
    {%- if stored[0] == 0 or stored[1] != 1 or stored[2] != spec['definition_hash']
        or stored[3] is none or stored[4] is none -%}
        {{- return('') -}}
    {%- endif -%}
    {%- set watermark = "cast('" ~ stored[3] ~ "' as timestamp)" -%}
    {%- set query -%}
        select cast({{ kpi_period_start(spec['frequency'], 'min(first_day)') }} as {{ dbt.type_string() }})
        from (
            {%- for node in upstream_day_sources(model.unique_id) %}
            select {{ dbt.dateadd('day', -1, 'min(' ~ node.meta['day'] ~ ')') }} as first_day
            from {{ source(node.source_name, node.name) }}
            where _loaded_at > {{ watermark }}
            union all
            {%- endfor %}
            {%- for fact in spec['facts'] %}
            select {{ dbt.dateadd('day', -1, 'max(' ~ fact['date_column'] ~ ')') }} as first_day
            from {{ ref(fact['name']) }}
            union all
            {%- endfor %}
            select {{ dbt.dateadd('day', -2, "cast('" ~ stored[4] ~ "' as date)") }} as first_day
            union all
            select {{ dbt.dateadd('day', -2, 'as_of_date') }} as first_day
            from {{ ref('stg_pipeline__run_context') }}
            union all
            select rebuild_from as first_day
            from {{ ref('stg_pipeline__run_context') }}
        ) as candidates
        where first_day is not null
    {%- endset -%}
    {%- set first = run_query(query).columns[0].values()[0] -%}
    {{- return(first or '') -}}
{%- endmacro %}

{#- The filter of a KPI's fact rows: only the periods recomputed. -#}
{% macro kpi_rows_from(date_column, recompute_from) -%}
    {%- if recompute_from -%}
    where {{ date_column }} >= cast('{{ recompute_from }}' as date)
    {%- endif -%}
{%- endmacro %}

{#- The incremental KPI's own columns (the final select of its model). -#}
{% macro kpi_incremental_columns() -%}
    {{ kpi_loaded_through() }} as loaded_through,
    (select max(as_of_date) from {{ ref('stg_pipeline__run_context') }}) as as_of_date,
    cast('{{ config.get('kpi_incremental')['definition_hash'] }}' as {{ dbt.type_string() }}) as definition_hash,
    cast(
        (select max(run_id) from {{ ref('stg_pipeline__run_context') }}) as {{ dbt.type_string() }}
    ) as built_by_run
{%- endmacro %}

{#-
    Incremental strategy `replace_periods`: delete the periods from the first one recomputed on
    (all of them when every period is recomputed), then insert the recomputed ones.
-#}
{% macro get_incremental_replace_periods_sql(arg_dict) %}
    {%- set target_relation = arg_dict['target_relation'] -%}
    {%- set columns = arg_dict['dest_columns'] | map(attribute='quoted') | join(', ') -%}
    {%- set recompute_from = kpi_recompute_from() -%}
    delete from {{ target_relation }}
    {%- if recompute_from %}
    where period_start >= cast('{{ recompute_from }}' as date)
    {%- endif %};
    insert into {{ target_relation }} ({{ columns }})
    select {{ columns }} from {{ arg_dict['temp_relation'] }}
{% endmacro %}
