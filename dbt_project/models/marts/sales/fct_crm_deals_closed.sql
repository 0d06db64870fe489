-- One row per closed deal (won or lost), placed by its close date: the fact of the KPIs of closed
-- deals (win rate, deal size, sales cycle). Open deals are never in it, whatever their expected
-- close date says.
select
    deal_key,
    crm,
    deal_id,
    pipeline,
    stage,
    owner,
    created_date,
    closed_at,
    closed_date,
    is_won,
    amount_reporting,
    reporting_currency,
    sales_cycle_days,
    covered_through
from {{ ref('fct_crm_deals') }}
where is_closed and closed_date is not null
