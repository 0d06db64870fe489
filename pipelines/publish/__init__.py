"""Publishing the analyst-facing DuckDB file."""
