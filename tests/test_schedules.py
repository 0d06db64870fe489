"""The KPI schedule selects, in one run, exactly the KPIs whose period just closed."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import dagster as dg
import pytest

pytestmark = pytest.mark.slow


def _evaluate(defs, day: dt.date):
    schedule = defs.get_schedule_def("kpi_due_schedule")
    moment = dt.datetime.combine(day, dt.time(6, 0), tzinfo=ZoneInfo("Europe/Amsterdam"))
    with dg.build_schedule_context(scheduled_execution_time=moment) as context:
        return list(schedule.evaluate_tick(context).run_requests or []), schedule


def test_weekly_kpi_runs_on_monday_with_its_upstream_and_the_published_file(fixture_run):
    requests, schedule = _evaluate(fixture_run.defs, dt.date(2026, 11, 30))
    assert schedule.cron_schedule == "0 6 * * *"
    assert len(requests) == 1
    keys = {k.to_user_string() for k in requests[0].asset_selection}
    assert "kpis/kpi_sea_roas" in keys
    assert {"raw/google_ads_campaign_days", "marts/fct_ad_performance_daily"} <= keys
    assert {"marts/fct_kpi_values", "published/kpi_warehouse"} <= keys
    assert requests[0].run_config["ops"]["raw__run_context"]["config"]["as_of"] == "2026-11-30"


def test_no_run_when_no_kpi_falls_due(fixture_run):
    requests, _ = _evaluate(fixture_run.defs, dt.date(2026, 11, 25))  # a Wednesday
    assert requests == []


def test_the_weekly_run_asks_for_full_raw_checks_and_the_other_days_do_not():
    import datetime as dt

    from pipelines.checks.raw_checks import FULL_CHECKS_TAG
    from pipelines.schedules import FULL_CHECKS_WEEKDAY, full_checks_tags

    monday = dt.date(2026, 10, 5)
    assert monday.weekday() == FULL_CHECKS_WEEKDAY
    assert full_checks_tags(monday) == {FULL_CHECKS_TAG: "true"}
    for offset in range(1, 7):
        assert full_checks_tags(monday + dt.timedelta(days=offset)) == {}
