{#-
    The raw layer is engine-neutral Parquet under KPI_RAW_DIR, one folder per table (each holding a
    zero-row empty_schema.parquet so the table exists before its first load). Each engine registers
    it its own way; dbt sources then read `raw.<table>` on any engine. The tables are those of the
    dbt sources in schema `raw`, generated from the source declarations (pipelines/ingest/).
-#}
{% macro register_raw_views() %}
    {{ return(adapter.dispatch('register_raw_views', 'kpi_warehouse')()) }}
{% endmacro %}

{% macro raw_tables() -%}
    {%- set tables = [] -%}
    {#- graph is empty while dbt parses; hooks run with the full graph. -#}
    {%- for node in graph.get('sources', {}).values() if node.schema == 'raw' -%}
        {%- do tables.append(node.identifier) -%}
    {%- endfor -%}
    {{- return(tables | unique | sort) -}}
{%- endmacro %}

{% macro raw_table_location(table) -%}
    {{- env_var('KPI_RAW_DIR', '../warehouse/raw') ~ '/' ~ table -}}
{%- endmacro %}

{% macro default__register_raw_views() %}
    {%- do run_query('create schema if not exists raw') -%}
    {%- for table in raw_tables() -%}
        {%- do run_query(
            "create or replace view raw." ~ table ~ " as select * from read_parquet('"
            ~ raw_table_location(table) | replace("'", "''") ~ "/*.parquet', union_by_name = true)"
        ) -%}
    {%- endfor -%}
{% endmacro %}

{#- Spark reads the folders itself (spark.sql.parquet.mergeSchema unions the columns of files). -#}
{% macro spark__register_raw_views() %}
    {%- do run_query('create database if not exists raw') -%}
    {%- for table in raw_tables() -%}
        {%- do run_query(
            "create or replace view raw." ~ table ~ " as select * from parquet.`"
            ~ raw_table_location(table) | replace("`", "``") ~ "`"
        ) -%}
    {%- endfor -%}
{% endmacro %}
