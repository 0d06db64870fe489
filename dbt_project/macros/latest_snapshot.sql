{#-
    CRM exports are snapshots of current state: a newer export of the same object from the same
    CRM replaces the older one, rows and all. latest_snapshot keeps the rows of the latest
    snapshot file of each partition (by default each CRM): the file with the latest snapshot_at,
    ties broken by the later load (_loaded_at), then by file hash so the choice is deterministic.
    A deal absent from the newer export is gone; snapshots are never unioned.
-#}
{% macro latest_snapshot(source_relation, partition_by=['crm']) %}
    {#- One row per snapshot file and partition, ranked newest first. -#}
    with

    snapshot_files as (

        select
            {% for column in partition_by %}{{ column }}, {% endfor %}
            _file_hash,
            max(snapshot_at) as file_snapshot_at,
            max(_loaded_at) as file_loaded_at
        from {{ source_relation }}
        group by {% for column in partition_by %}{{ column }}, {% endfor %}_file_hash

    ),

    ranked_files as (

        select
            *,
            row_number() over (
                partition by {{ partition_by | join(', ') }}
                order by file_snapshot_at desc, file_loaded_at desc, _file_hash desc
            ) as snapshot_rank
        from snapshot_files

    )

    select snapshot_rows.*
    from {{ source_relation }} as snapshot_rows
    inner join ranked_files as latest
        on latest.snapshot_rank = 1
        and latest._file_hash = snapshot_rows._file_hash
        {%- for column in partition_by %}
        and latest.{{ column }} = snapshot_rows.{{ column }}
        {%- endfor %}
{% endmacro %}
