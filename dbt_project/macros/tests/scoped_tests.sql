{#-
    dbt tests scoped to what the run rebuilt.

    Every generic test reads its model through `get_where_subquery` (dbt wraps the model argument
    of each generic test in it, together with the test's own `where` config); this project's
    version narrows that read, in one place, for the models that record which run built each row:
    every model whose yml declares a `built_by_run` column (the daily facts, fct_kpi_values, and
    any fact that gains the lineage columns later).

    * Row tests (`ROW_TESTS`: a row passes or fails on its own values, or, for relationships, on
      the parent's keys; the parent side is read in full) read only the rows this run built:
      `built_by_run` = this run's id (stg_pipeline__run_context). A row no run rebuilt was tested
      by the run that built it.
    * Key tests (`KEY_TESTS`: unique, unique_combination) need the whole table on one side: a
      rebuilt row may collide with a row an earlier run built. They read every row whose key
      equals the key of a row this run built, so a duplicate that involves a rebuilt row is found,
      and only a duplicate among rows no run rebuilt (found when they were built) is not.
    * Every other test, and every test of a model without `built_by_run`, reads the whole model.

    The dbt var `full_tests` (true in runs with the full-checks tag: `kpi-warehouse run
    --full-checks` and the weekly full-check run of the schedule, pipelines/assets/dbt.py) turns
    the scoping off. A first build needs no var: every row of it is built by that run, so the
    scoped tests read every row.

    The scoping is decided when the test runs (`execute`), never while parsing, so it adds no
    dependency to the tests and the parsed project is the same for scoped and full runs.
-#}

{% macro scoped_row_tests() -%}
    {{- return(['not_null', 'accepted_values', 'relationships', 'no_rows', 'expression_is_true']) -}}
{%- endmacro %}

{% macro scoped_key_tests() -%}
    {{- return(['unique', 'unique_combination']) -}}
{%- endmacro %}

{% macro get_where_subquery(relation) -%}
    {%- set where = config.get('where', '') -%}
    {%- set scope = tested_rows_scope(relation) if execute else none -%}
    {%- if where or scope -%}
        {%- set filtered -%}
            (select * from {{ relation }} as tested_rows where {% if where %}({{ where }}){% endif %}
            {%- if where and scope %} and {% endif %}{% if scope %}{{ scope }}{% endif %}) dbt_subquery
        {%- endset -%}
        {%- do return(filtered) -%}
    {%- else -%}
        {%- do return(relation) -%}
    {%- endif -%}
{%- endmacro %}

{#- The condition that narrows the test's read of `relation` to what this run rebuilt, or none
    when the test reads the whole model. -#}
{% macro tested_rows_scope(relation) -%}
    {%- if var('full_tests', false) in (true, 'true', 'True', 1) -%}
        {{- return(none) -}}
    {%- endif -%}
    {%- set test_name = (model.get('test_metadata') or {}).get('name') -%}
    {%- set target_node = graph.nodes.get(model.get('attached_node') or '') -%}
    {%- if target_node is none or 'built_by_run' not in (target_node.get('columns') or {}) -%}
        {{- return(none) -}}
    {%- endif -%}
    {%- set this_run -%}
        (select max(run_id) from {{ run_context_relation() }})
    {%- endset -%}
    {%- if test_name in scoped_row_tests() -%}
        {{- return('tested_rows.built_by_run = ' ~ this_run) -}}
    {%- elif test_name in scoped_key_tests() -%}
        {%- set kwargs = model['test_metadata'].get('kwargs') or {} -%}
        {%- set keys = kwargs.get('columns') or ([kwargs['column_name']] if kwargs.get('column_name') else []) -%}
        {%- if not keys -%}
            {{- return(none) -}}
        {%- endif -%}
        {%- set rebuilt_key -%}
            exists (
                select 1 from {{ relation }} as rebuilt
                where rebuilt.built_by_run = {{ this_run }}
                {%- for key in keys %}
                and (rebuilt.{{ key }} = tested_rows.{{ key }}
                     or rebuilt.{{ key }} is null and tested_rows.{{ key }} is null)
                {%- endfor %}
            )
        {%- endset -%}
        {{- return(rebuilt_key) -}}
    {%- endif -%}
    {{- return(none) -}}
{%- endmacro %}

{#- stg_pipeline__run_context as a relation (not a ref: a ref made while the test runs must have
    been made while parsing, and scoping is decided only while running). -#}
{% macro run_context_relation() -%}
    {%- set node = graph.nodes['model.' ~ project_name ~ '.stg_pipeline__run_context'] -%}
    {{- return(api.Relation.create(database=node.database, schema=node.schema, identifier=node.alias)) -}}
{%- endmacro %}
