"""The validation step: is each KPI measurable in practice, achievable, and on pace?"""
