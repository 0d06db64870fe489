-- Ephemeral: inlined into the staging view (as base_google_ads__campaign_days).
{{ config(materialized='ephemeral') }}

-- The raw rows of the latest delivery for each day: a later file replaces every row of earlier
-- files within its date_day range (macros/latest_delivery.sql). Columns as delivered.
{{ latest_delivery_by_range(source('meta_ads', 'campaign_days'), 'date_day') }}
