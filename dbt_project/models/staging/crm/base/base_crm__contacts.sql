-- Ephemeral: inlined into the staging view, so no relation shows the raw columns (names, e-mails
-- and phones) that the staging view leaves out or replaces by their hashes.
{{ config(materialized='ephemeral') }}

-- The raw rows of each CRM's latest contacts snapshot (macros/latest_snapshot.sql): a newer
-- export replaces the older one, so a contact it no longer has is gone. Columns as delivered.
{{ latest_snapshot(source('crm', 'contacts'), ['crm']) }}
