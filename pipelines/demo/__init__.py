"""Deterministic, realistic demo landing data in the real export formats."""
