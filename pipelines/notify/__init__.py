"""Telling KPI owners and teams about their KPIs: people.yml, digests, alerts, delivery."""
