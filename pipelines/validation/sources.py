"""Which load-log deliveries feed a KPI: fact -> its source -> the raw tables the source fills."""

from __future__ import annotations

from pipelines.ingest.sources import SOURCES


def source_label(source: str) -> str:
    """How a reason names the source's exports ("no survey exports have been loaded")."""
    declared = SOURCES.get(source)
    return declared.label if declared else source.replace("_", " ")


def source_raw_tables() -> dict[str, set[str]]:
    """Source name -> the raw tables it fills, from the source declarations."""
    return {name: set(source.raw_tables) for name, source in SOURCES.items()}
