-- Whether each ticket got its first reply within 24 calendar hours, judged at the as-of time:
-- a ticket without reply fails once 24 hours have passed, and is undecided before that
-- (macros/entity_rules.sql, shared with fct_support_tickets' choice of tickets to rebuild).
with

tickets as (

    select * from {{ ref('stg_zendesk__tickets') }}

),

run_context as (

    select * from {{ ref('stg_pipeline__run_context') }}

),

states as (

    select
        tickets.*,
        {{ ticket_response_state(
            'tickets.first_reply_minutes', 'tickets.created_at', 'run_context.as_of_ts'
        ) }} as response_state
    from tickets
    cross join run_context

)

select * from states
