"""KPI warehouse: Dagster code location and the kpi-warehouse command."""
