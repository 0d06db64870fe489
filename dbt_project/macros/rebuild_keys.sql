{#-
    Entity facts (orders, order lines, tickets, survey answers) are built incrementally on DuckDB
    by key: a run rebuilds every row of the keys (an order, a ticket, a respondent) that

    (1) appear in a raw row loaded since the fact was last built (its watermark `loaded_through`,
        as for the daily facts: a re-delivery of an order replaces the order);
    (2) fall in the run's explicit rebuild window (a backfill), by the date the spec names;
    (3) a model-specific macro names (`changed`): tickets whose state depends on the as-of time;
    (4) with a `group` (orders: the customer), every key whose current row belongs to a group of
        any raw row, of any delivery, of the keys of (1) to (3): a customer's running number of
        orders changes when one of its orders arrives, changes or moves to another customer, so
        every order of both customers is rebuilt, and the rebuilt set holds all orders of each
        of its customers (a window over the rebuilt set alone is right).

    The spec, given to the model's config as rebuild_keys={...} and to rebuild_keys_filter:
        key:     the fact's key column, also the column of that name in the raw tables
        reads:   raw tables whose new rows name keys to rebuild: [{'source', 'table'}, ...]; the
                 first one's newest load is the rows' `loaded_through`, the others' count too
        window:  {'model', 'date_column'}: the staged rows whose date falls in the rebuild window
        group:   {'raw_column', 'model', 'column'}: the group column in the first raw table (any
                 delivery) and in the staged model (current rows)
        changed: name of a macro (fact_relation) that returns a query of keys whose stored rows
                 are out of date for another reason
    Engines without row deletes (Spark on Parquet) build these models as tables, from the same SQL.
-#}

{#- The keys to rebuild, as a query with one column `rebuild_key`. -#}
{% macro keys_to_rebuild(spec, fact_relation) %}
    {%- set key = spec['key'] -%}
    {%- set first_raw = source(spec['reads'][0]['source'], spec['reads'][0]['table']) -%}
    {%- set base -%}
        {%- for raw in spec['reads'] %}
        {{ 'union' if not loop.first }}
        select {{ key }} as rebuild_key
        from {{ source(raw['source'], raw['table']) }}
        where _loaded_at > {{ rebuild_watermark(fact_relation) }}
        {%- endfor %}
        {%- if spec.get('window') %}
        union
        select staged.{{ key }} as rebuild_key
        from {{ ref(spec['window']['model']) }} as staged
        inner join {{ ref('stg_pipeline__run_context') }} as run_context
            on staged.{{ spec['window']['date_column'] }}
                between run_context.rebuild_from and run_context.rebuild_to
        {%- endif %}
        {%- if spec.get('changed') %}
        union
        select rebuild_key from ({{ context[spec['changed']](fact_relation) }}) as changed_keys
        {%- endif %}
    {%- endset -%}
    {%- if spec.get('group') %}
    {%- set group = spec['group'] %}
    select rebuild_key from ({{ base }}) as base_keys
    union
    select staged.{{ key }} as rebuild_key
    from {{ ref(group['model']) }} as staged
    where staged.{{ group['column'] }} in (
        select delivered.{{ group['raw_column'] }}
        from {{ first_raw }} as delivered
        where delivered.{{ group['raw_column'] }} is not null
            and delivered.{{ key }} in ({{ base }})
    )
    {%- else %}
    {{ base }}
    {%- endif %}
{% endmacro %}

{#- Up to this many keys are written into the SQL as constants; beyond (a long backfill), the
    keys stay a subquery. KPI_REBUILD_KEYS_CONSTANT_LIMIT sets another limit (0: always the
    subquery; the tests use it to check that path). -#}
{% macro rebuild_keys_constant_limit() -%}
    {%- set text = env_var('KPI_REBUILD_KEYS_CONSTANT_LIMIT', '50000') | trim -%}
    {%- if not text.isdigit() -%}
        {{- exceptions.raise_compiler_error(
            "KPI_REBUILD_KEYS_CONSTANT_LIMIT must be a whole number of keys (0 or more), not '"
            ~ text ~ "'"
        ) -}}
    {%- endif -%}
    {{- return(text | int) -}}
{%- endmacro %}

{#- The keys to rebuild as SQL literals (none when there are more than the limit: then the
    subquery is used). As constants, the staged view's filter reaches below its window over
    every delivery (the latest delivery of each key), so a run reads and ranks the rows of its
    keys only, not the whole history. -#}
{% macro rebuild_keys_literals(spec, fact_relation) -%}
    {%- if not execute -%}
        {{- return(none) -}}
    {%- endif -%}
    {%- set key_type = (
        adapter.get_columns_in_relation(fact_relation)
        | selectattr('name', 'equalto', spec['key']) | map(attribute='dtype') | first
    ) | default('', true) | lower -%}
    {%- set numbers = ['int', 'decimal', 'numeric', 'double', 'float', 'real'] -%}
    {%- set is_number = numbers | select('in', key_type) | list | length > 0 -%}
    {%- set query -%}
        select distinct cast(rebuild_key as {{ dbt.type_string() }}) as key_text
        from ({{ keys_to_rebuild(spec, fact_relation) }}) as keys_to_rebuild
        where rebuild_key is not null
        limit {{ rebuild_keys_constant_limit() + 1 }}
    {%- endset -%}
    {%- set keys = run_query(query).columns[0].values() | list -%}
    {%- if keys | length > rebuild_keys_constant_limit() -%}
        {{- return(none) -}}
    {%- endif -%}
    {%- set literals = [] -%}
    {%- for key in keys | sort -%}
        {%- do literals.append(
            key | string if is_number else "'" ~ (key | replace("'", "''")) ~ "'"
        ) -%}
    {%- endfor -%}
    {{- return(literals) -}}
{%- endmacro %}

{#- `column` is one of the keys to rebuild: constants when they are few enough, else the query. -#}
{% macro rebuild_keys_condition(spec, fact_relation, column) -%}
    {%- set literals = rebuild_keys_literals(spec, fact_relation) -%}
    {%- if literals is none -%}
    {{ column }} in (
        select rebuild_key from ({{ keys_to_rebuild(spec, fact_relation) }}) as keys_to_rebuild
    )
    {%- elif literals | length == 0 -%}
    1 = 0
    {%- else -%}
    {{ column }} in ({{ literals | join(', ') }})
    {%- endif -%}
{%- endmacro %}

{#- The filter an entity fact applies to its staged rows in an incremental run. The relations of
    the spec are named on every render, so dbt sees them as dependencies of the model. -#}
{% macro rebuild_keys_filter(spec, key_column=none) -%}
    {%- for raw in spec['reads'] %}{% do source(raw['source'], raw['table']) %}{% endfor -%}
    {%- if spec.get('window') %}{% do ref(spec['window']['model']) %}{% endif -%}
    {%- if spec.get('group') %}{% do ref(spec['group']['model']) %}{% endif -%}
    {%- do ref('stg_pipeline__run_context') -%}
    {%- if is_incremental() -%}
    where {{ rebuild_keys_condition(spec, this, key_column or spec['key']) }}
    {%- endif -%}
{%- endmacro %}

{#- The watermark and lineage columns of an entity fact (as rebuild_lineage_columns). -#}
{% macro rebuild_keys_lineage_columns(spec) -%}
    {%- set raws = spec['reads'] -%}
    {{ rebuild_lineage_columns(source(raws[0]['source'], raws[0]['table']), raws[1:]) }}
{%- endmacro %}

{#-
    Incremental strategy `replace_keys`: delete every row of the keys to rebuild, then insert the
    new rows of those keys. The model's config names the spec: rebuild_keys={...} (see above).
-#}
{% macro get_incremental_replace_keys_sql(arg_dict) %}
    {%- set spec = config.get('rebuild_keys') -%}
    {%- set target_relation = arg_dict['target_relation'] -%}
    {%- set columns = arg_dict['dest_columns'] | map(attribute='quoted') | join(', ') -%}
    delete from {{ target_relation }}
    where {{ rebuild_keys_condition(spec, target_relation, spec['key']) }};
    insert into {{ target_relation }} ({{ columns }})
    select {{ columns }} from {{ arg_dict['temp_relation'] }}
{% endmacro %}
