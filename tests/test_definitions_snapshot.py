"""A snapshot of every asset key, check and schedule, so a rename never goes unnoticed.

When a change is intended, regenerate with:
    KPI_UPDATE_SNAPSHOTS=1 .venv/bin/python -m pytest tests/test_definitions_snapshot.py
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow
SNAPSHOT = Path(__file__).parent / "snapshots" / "definitions.txt"


def describe(defs) -> str:
    graph = defs.resolve_asset_graph()
    lines = ["# assets (group: key)"]
    for key in sorted(graph.get_all_asset_keys(), key=lambda k: k.to_user_string()):
        node = graph.get(key)
        lines.append(f"{node.group_name}: {key.to_user_string()}")
    lines.append("# checks")
    checks = sorted(f"{c.asset_key.to_user_string()}:{c.name}" for c in graph.asset_check_keys)
    lines.extend(checks)
    lines.append("# schedules")
    for schedule in sorted(defs.schedules or [], key=lambda s: s.name):
        lines.append(
            f"{schedule.name}: {schedule.cron_schedule} {schedule.execution_timezone} "
            f"job={schedule.job_name}"
        )
    lines.append("# sensors")
    for sensor in sorted(defs.sensors or [], key=lambda s: s.name):
        lines.append(f"{sensor.name}: {type(sensor).__name__}")
    return "\n".join(lines) + "\n"


def test_definitions_match_snapshot(fixture_run):
    current = describe(fixture_run.defs)
    if os.environ.get("KPI_UPDATE_SNAPSHOTS") == "1":
        SNAPSHOT.write_text(current, encoding="utf-8")
    assert current == SNAPSHOT.read_text(encoding="utf-8")
