-- Ephemeral: inlined into the staging view.
{{ config(materialized='ephemeral') }}

-- The raw rows of the latest delivery for each rate date: a later file (a newer
-- eurofxref-hist.csv) replaces every row of earlier files within its rate_date range
-- (macros/latest_delivery.sql). Columns as delivered.
{{ latest_delivery_by_range(source('fx_rates', 'daily'), 'rate_date') }}
