"""Sensors, alerts, freshness and KPI metadata in Dagster, exercised with the in-process APIs."""

from __future__ import annotations

import datetime as dt
import json
import shutil

import dagster as dg
import pyarrow as pa
import pytest

from pipelines.ingest.raw_store import write_parquet_atomically
from pipelines.ingest.sources import raw_table_schemas
from pipelines.kpis.models import Frequency
from pipelines.kpis.schedule_plan import freshness_window
from pipelines.resources import WarehouseResource
from pipelines.sensors import landing_fingerprint
from tests.conftest import FIXTURE_AS_OF, FIXTURES, environment, run_pipeline, warehouse_env

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


def test_landing_sensor_fires_on_new_files_only(fixture_run, tmp_path):
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
    with dg.build_sensor_context(resources=resources) as context:
        first = sensor(context)
        assert isinstance(first, dg.RunRequest)
    cursor = landing_fingerprint(landing)
    with dg.build_sensor_context(cursor=cursor, resources=resources) as context:
        assert isinstance(sensor(context), dg.SkipReason)
    (landing / "google_ads" / "campaign_report_new.csv").write_text("Day,Campaign\n")
    with dg.build_sensor_context(cursor=cursor, resources=resources) as context:
        request = sensor(context)
        assert isinstance(request, dg.RunRequest) and request.run_key.startswith("landing-")


def test_failed_blocking_check_stops_kpis_and_fires_the_alert(tmp_path):
    landing = tmp_path / "landing"
    shutil.copytree(FIXTURES / "landing", landing)
    # A raw file that bypassed the parser with a negative cost: the pandera check must block.
    schema = raw_table_schemas()["google_ads_campaign_days"]
    bad = {
        "date_day": dt.date(2026, 9, 2),
        "campaign_id": "9",
        "campaign_name": "Broken",
        "campaign_status": None,
        "campaign_type": None,
        "currency_code": "EUR",
        "impressions": 1,
        "clicks": 1,
        "cost": -50.0,
        "conversions": 0.0,
        "conversion_value": 0.0,
        "_row_number": 4,
        "_source_file": "google_ads/broken.csv",
        "_file_hash": "bad",
        "_load_id": "x",
        "_loaded_at": dt.datetime(2026, 9, 3),
    }
    write_parquet_atomically(
        pa.Table.from_pylist([bad], schema=schema),
        tmp_path / "raw" / "google_ads_campaign_days" / "bad.parquet",
    )
    run = run_pipeline(tmp_path, landing, FIXTURE_AS_OF, instance=dg.DagsterInstance.ephemeral())
    assert not run.result.success
    built = {
        e.asset_key.to_user_string()
        for e in run.result.get_asset_materialization_events()
        if e.asset_key
    }
    assert "raw/google_ads_campaign_days" in built
    assert not any(key.startswith(("kpis/", "marts/", "published/")) for key in built)
    assert not (tmp_path / "published" / "kpi.duckdb").exists()

    alert_file = tmp_path / "alerts.jsonl"
    instance = run.instance
    dagster_run = instance.get_run_by_id(run.result.run_id)
    failure = next(
        r.event_log_entry.dagster_event
        for r in instance.get_records_for_run(dagster_run.run_id).records
        if r.event_log_entry.dagster_event
        and r.event_log_entry.dagster_event.event_type == dg.DagsterEventType.RUN_FAILURE
    )
    sensor = run.defs.get_sensor_def("run_failure_alert")
    with environment(KPI_ALERT_FILE=str(alert_file), **warehouse_env(tmp_path, landing)):
        context = dg.build_run_status_sensor_context(
            sensor_name="run_failure_alert",
            dagster_instance=instance,
            dagster_run=dagster_run,
            dagster_event=failure,
        ).for_run_failure()
        sensor(context)
    alert = json.loads(alert_file.read_text().splitlines()[-1])
    assert "raw/google_ads_campaign_days:pandera_schema" in alert["failed_checks"]
    assert "kpis/kpi_sea_roas" in alert["failed_assets"]
    assert "raw/google_ads_campaign_days:pandera_schema" in alert["message"]
    # The fixture's GA4 report ends 2026-09-30: as of 2026-10-05 (one delivery, assumed daily)
    # it is stale; the alert says so with the KPIs that read it.
    stale = [s for s in alert["stale_sources"] if s.startswith("ga4: stale")]
    assert stale and "seo_organic_sessions" in stale[0]
    assert "Stale sources: ga4: stale" in alert["message"]


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
    assert "KPIs that read it: sea_conversions, sea_cpa, sea_roas" in ads.description
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
