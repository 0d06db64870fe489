{#-
    Rules of the entity facts, shared by the intermediate views (every row) and the incremental
    facts (the rows to rebuild, macros/rebuild_keys.sql), so both compute the same values.
-#}

{#- A valid order: paid or partially refunded. -#}
{% macro is_valid_order(financial_status='financial_status') -%}
    {{ financial_status }} in ('paid', 'partially_refunded')
{%- endmacro %}

{#- CTEs `flagged` and `sequenced` over the CTE or relation `orders` (staged orders): each order
    with `is_valid` and, for valid orders of known customers, the customer's running number of
    valid orders. The window sees only the rows of `orders`: pass all orders of every customer
    that is to be numbered (the incremental fact passes every order of its affected customers). -#}
{% macro sequence_valid_orders(orders) %}
flagged as (

    select
        orders.*,
        {{ is_valid_order('orders.financial_status') }} as is_valid
    from {{ orders }} as orders

),

sequenced as (

    select
        flagged.*,
        case
            when is_valid and customer_key is not null then
                row_number() over (
                    partition by customer_key, is_valid
                    order by created_at, order_name
                )
        end as valid_order_number
    from flagged

)
{% endmacro %}

{#- Whether a ticket got its first reply within 24 calendar hours, judged at `as_of_ts`: a ticket
    without reply fails once 24 hours have passed, and is undecided before that. -#}
{% macro ticket_response_state(first_reply_minutes, created_at, as_of_ts) -%}
    case
        when {{ first_reply_minutes }} is not null and {{ first_reply_minutes }} <= 1440
            then 'replied_within_24h'
        when {{ first_reply_minutes }} is not null then 'replied_late'
        when {{ dbt.dateadd('hour', 24, created_at) }} <= {{ as_of_ts }}
            then 'unanswered_after_24h'
        else 'awaiting_first_reply'
    end
{%- endmacro %}

{#- Stored tickets whose state under this run's as-of time differs from the stored one (only
    tickets without a reply depend on it): a later as-of turns awaiting_first_reply into
    unanswered_after_24h, a backfill with an earlier as-of may turn it back. -#}
{% macro tickets_with_changed_state(fact_relation) %}
    select stored.ticket_id as rebuild_key
    from {{ fact_relation }} as stored
    cross join {{ ref('stg_pipeline__run_context') }} as run_context
    where stored.first_reply_minutes is null
        and stored.response_state <> {{ ticket_response_state(
            'stored.first_reply_minutes', 'stored.created_at', 'run_context.as_of_ts'
        ) }}
{% endmacro %}
