"""KPI definitions as code: typed models, loading, SMART lint, dbt model generation, schedules."""
