-- Whether each ticket got its first reply within 24 calendar hours, judged at the as-of time:
-- a ticket without reply fails once 24 hours have passed, and is undecided before that.
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
        case
            when tickets.first_reply_minutes is not null and tickets.first_reply_minutes <= 1440
                then 'replied_within_24h'
            when tickets.first_reply_minutes is not null then 'replied_late'
            when {{ dbt.dateadd('hour', 24, 'tickets.created_at') }} <= run_context.as_of_ts
                then 'unanswered_after_24h'
            else 'awaiting_first_reply'
        end as response_state
    from tickets
    cross join run_context

)

select * from states
