-- The raw rows of the latest delivery of each order_name: re-deliveries replace, they never add
-- (macros/latest_delivery.sql). Columns as delivered.
{{ latest_delivery_by_key(source('shopify', 'order_lines'), ['order_name']) }}
