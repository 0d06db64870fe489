-- Ephemeral: inlined into the staging view, so no relation shows the raw columns (personal data
-- included) that the staging view leaves out or replaces by their hashes.
{{ config(materialized='ephemeral') }}

-- The raw rows of the latest delivery of each order_name: re-deliveries replace, they never add
-- (macros/latest_delivery.sql). Columns as delivered.
{{ latest_delivery_by_key(source('shopify', 'orders'), ['order_name']) }}
