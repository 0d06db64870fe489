"""A last day whose export was pulled before the day ended is not covered yet: its periods stay
incomplete (no status), and nothing else changes."""

from __future__ import annotations

import datetime as dt
import os
import shutil
from zoneinfo import ZoneInfo

import duckdb
import pytest

from tests.conftest import FIXTURE_AS_OF, FIXTURES, run_pipeline

pytestmark = pytest.mark.slow


def _values(path):
    with duckdb.connect(str(path), read_only=True) as con:
        rows = con.execute(
            "select kpi_id, cast(period_start as varchar), value, status, is_complete "
            "from marts.fct_kpi_values"
        ).fetchall()
    return {(r[0], r[1]): r[2:] for r in rows}


def test_a_partial_last_day_leaves_its_period_incomplete(tmp_path, fixture_run):
    landing = tmp_path / "landing"
    shutil.copytree(FIXTURES / "landing", landing)
    # The ticket export (2026-09-21 to 2026-10-04) was downloaded at noon on its last day.
    tickets = next((landing / "support_tickets").glob("*.csv"))
    noon = dt.datetime(2026, 10, 4, 12, 0, tzinfo=ZoneInfo("Europe/Amsterdam")).timestamp()
    os.utime(tickets, (noon, noon))

    run = run_pipeline(tmp_path, landing, FIXTURE_AS_OF)
    assert run.result.success
    partial, clean = _values(run.warehouse_path), _values(fixture_run.warehouse_path)

    # Week 2026-09-28 to 10-04 ends on the partial day: complete in a clean build, not here.
    week = ("cs_replied_within_24h", "2026-09-28")
    assert clean[week][2] is True and clean[week][1] is not None
    assert partial[week][2] is False and partial[week][1] is None
    assert {k: v for k, v in partial.items() if k != week} == {
        k: v for k, v in clean.items() if k != week
    }
    with duckdb.connect(str(run.warehouse_path), read_only=True) as con:
        # a partial day is not a hold: no KPI is held
        assert con.execute(
            "select count(*) from marts.kpi_scorecard where held_reason is not null"
        ).fetchone() == (0,)
