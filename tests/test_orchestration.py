"""Sensors, alerts, freshness and KPI metadata in Dagster, exercised with the in-process APIs."""

from __future__ import annotations

import datetime as dt
import shutil

import dagster as dg
import pytest

from pipelines.kpis.models import Frequency
from pipelines.kpis.schedule_plan import freshness_window
from pipelines.resources import WarehouseResource
from pipelines.sensors import landing_fingerprint
from tests.conftest import FIXTURES, environment, warehouse_env

pytestmark = pytest.mark.slow


def test_freshness_windows_follow_the_frequency():
    assert freshness_window(Frequency.weekly) == dt.timedelta(days=8)
    assert freshness_window(Frequency.daily) < freshness_window(Frequency.weekly)
    assert freshness_window(Frequency.monthly) < freshness_window(Frequency.quarterly)


def test_kpi_assets_carry_owner_goal_schedule_and_freshness(fixture_run):
    graph = fixture_run.defs.resolve_asset_graph()
    node = graph.get(dg.AssetKey(["kpis", "kpi_sea_roas"]))
    metadata = node.metadata
    assert metadata["kpi/owner"] == "Lotte Jansen (SEA lead)"
    assert metadata["kpi/goal"] == "profitable_growth"
    assert metadata["kpi/frequency"] == "weekly"
    assert metadata["kpi/built_by"].startswith("kpi_due_schedule: every Monday at 06:00")
    assert node.freshness_policy is not None
    assert node.freshness_policy.fail_window.to_timedelta() == dt.timedelta(days=8)


def test_kpi_materialisations_carry_latest_value_and_status(fixture_run):
    events = fixture_run.result.asset_materializations_for_node("kpi_warehouse_dbt")
    roas = next(e for e in events if e.asset_key == dg.AssetKey(["kpis", "kpi_sea_roas"]))
    assert roas.metadata["kpi/latest_period"].value == "2026-09-21"
    assert roas.metadata["kpi/latest_value"].value == pytest.approx(7.8)
    assert roas.metadata["kpi/latest_status"].value == "on_track"
    assert roas.metadata["dagster/row_count"].value == 6


def test_landing_sensor_fires_for_files_not_loaded_yet_only(fixture_run, tmp_path):
    # A copy of the landing folder the fixture run loaded: same contents, other file times.
    landing = tmp_path / "landing"
    shutil.copytree(FIXTURES / "landing", landing)
    sensor = fixture_run.defs.get_sensor_def("landing_folder_sensor")
    current = fixture_run.defs.resources["warehouse"]
    warehouse = WarehouseResource(
        landing_dir=str(landing),
        raw_dir=current.raw_dir,
        work_db_path=current.work_db_path,
        warehouse_path=current.warehouse_path,
        definitions_dir=current.definitions_dir,
    )
    resources = {"warehouse": warehouse}
    # Started on a folder whose every file is loaded: no run, whatever the cursor.
    with dg.build_sensor_context(resources=resources) as context:
        first = sensor(context)
        assert isinstance(first, dg.SkipReason)
        assert "already loaded" in (first.skip_message or "")
    cursor = landing_fingerprint(landing)
    with dg.build_sensor_context(cursor=cursor, resources=resources) as context:
        assert isinstance(sensor(context), dg.SkipReason)
    (landing / "google_ads" / "campaign_report_new.csv").write_text("Day,Campaign\n")
    with dg.build_sensor_context(cursor=cursor, resources=resources) as context:
        request = sensor(context)
        assert isinstance(request, dg.RunRequest) and request.run_key.startswith("landing-")
        assert context.cursor == landing_fingerprint(landing)


def test_a_load_of_nothing_leaves_downstream_assets_in_sync(fixture_run):
    from dagster._core.definitions.data_version import CachingStaleStatusResolver, StaleStatus
    from dagster._core.loader import LoadingContextForTest

    landing = fixture_run.root / "landing"
    with environment(**warehouse_env(fixture_run.root, landing)):
        job = fixture_run.defs.get_job_def("ingestion")
        result = job.execute_in_process(instance=fixture_run.instance)
    assert result.success
    materialized = [
        e.event_specific_data.materialization
        for e in result.all_events
        if e.event_type_value == "ASSET_MATERIALIZATION"
    ]
    assert "raw/run_context" not in {m.asset_key.to_user_string() for m in materialized}
    loaded = [m.metadata["files_loaded"].value for m in materialized]
    assert loaded and set(loaded) == {0}
    resolver = CachingStaleStatusResolver(
        fixture_run.instance,
        fixture_run.defs.resolve_asset_graph(),
        LoadingContextForTest(fixture_run.instance),
    )
    for key in (
        ["staging", "stg_google_ads__campaign_days"],
        ["marts", "fct_ad_performance_daily"],
        ["staging", "stg_zendesk__tickets"],
        ["kpis", "kpi_sea_roas"],
    ):
        assert resolver.get_status(dg.AssetKey(key)) == StaleStatus.FRESH, key


def test_volume_and_freshness_checks_judge_as_of_the_run(fixture_run):
    """The checks use the run's as-of date (2026-10-05), not the wall clock."""
    results = {
        (e.asset_key.to_user_string(), e.check_name): e
        for e in (
            event.event_specific_data
            for event in fixture_run.result.all_events
            if event.event_type_value == "ASSET_CHECK_EVALUATION"
        )
    }
    # Google Ads reports end 2026-09-13 and 2026-09-27 (the file names): every 14 days, silent 7
    # days as of 2026-10-05 (the 28th to the 4th), stale after 28: fresh.
    ads = results[("raw/google_ads_campaign_days", "fresh_against_usual_cadence")]
    assert ads.passed
    assert ads.metadata["silent_days"].value == 7
    assert ads.metadata["usual_gap_days"].value == 14
    assert (
        "KPIs that read it: paid_blended_roas, paid_cost_per_lead, sea_conversions, sea_cpa, "
        "sea_roas" in ads.description
    )
    # GA4 ends 2026-09-30, one delivery: silent 4 days against an assumed daily cadence: a
    # warning, which does not fail the run.
    ga4 = results[("raw/ga4_channel_days", "fresh_against_usual_cadence")]
    assert not ga4.passed and ga4.severity == dg.AssetCheckSeverity.WARN
    assert ga4.metadata["silent_days"].value == 4
    assert fixture_run.result.success
    # Tickets 2026-09-21 to 2026-10-04: the 4th is judged on the 13 days before it.
    tickets = results[("raw/support_tickets", "volume_within_expected_range")]
    assert tickets.passed
    assert "not judged: only 13 days of history (needs 14)" in tickets.description


def test_only_the_latest_dbt_invocation_folders_are_kept(tmp_path):
    import os

    from pipelines.assets.dbt import prune_invocation_dirs

    for index in range(8):
        folder = tmp_path / f"kpi_warehouse_dbt-{index:03d}"
        folder.mkdir()
        os.utime(folder, (1_000_000 + index, 1_000_000 + index))
    (tmp_path / "manifest.json").write_text("{}")
    prune_invocation_dirs(tmp_path, keep=5)
    left = sorted(p.name for p in tmp_path.iterdir())
    assert left == [f"kpi_warehouse_dbt-{i:03d}" for i in range(3, 8)] + ["manifest.json"]


def test_run_summary_counts_warnings_apart_and_names_stale_sources(fixture_run):
    from rich.console import Console

    from pipelines.cli import run_summary

    console = Console(record=True, width=300)
    console.print(run_summary(fixture_run.result))
    text = console.export_text()
    # The fixture run fails no check; GA4, orders, Search Console and surveys are stale as of
    # 2026-10-05 (see test_volume_and_freshness_checks_judge_as_of_the_run): warnings.
    assert " 0 failed, " in text
    assert "stale source" in text and "ga4: stale: data up to 2026-09-30" in text
