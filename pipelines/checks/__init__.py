"""Data checks on the raw layer (pandera schemas run inside DuckDB through ibis)."""
