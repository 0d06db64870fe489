"""Dagster assets, one module per layer: raw ingestion, dbt models, the published file."""
