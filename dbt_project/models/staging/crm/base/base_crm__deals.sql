-- Ephemeral: inlined into the staging view, so no relation shows the raw columns.
{{ config(materialized='ephemeral') }}

-- The raw rows of each CRM's latest deals snapshot (macros/latest_snapshot.sql): a newer export
-- replaces the older one, so a deal it no longer has is gone. Columns as delivered.
{{ latest_snapshot(source('crm', 'deals'), ['crm']) }}
