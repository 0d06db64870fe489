-- Ephemeral: inlined into the staging view, so no relation shows the raw columns (personal data
-- included) that the staging view leaves out or replaces by their hashes.
{{ config(materialized='ephemeral') }}

-- The raw rows of the latest delivery for each day: a later file replaces every row of earlier
-- files within its date_day range (macros/latest_delivery.sql). Columns as delivered.
{{ latest_delivery_by_range(source('ga4', 'channel_days'), 'date_day') }}
