"""A failed blocking check holds the KPIs downstream of its raw table, and only those.

Run 1 builds the fixture landing without its survey export (the shared run of tests/conftest.py,
copied). Before run 2 the survey export arrives
and a raw Google Ads file with a negative cost appears (it bypassed the parser, so only the raw
table's pandera check can catch it). Run 2 must build and publish the survey KPIs and every KPI
that does not read Google Ads, equal to a clean build of the whole fixture, while the three
Google Ads KPIs keep their run-1 values, marked held with the check, table and day. Run 3, after
the bad file is gone, releases them.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import dagster as dg
import duckdb
import pyarrow as pa
import pytest

from pipelines.alerts import alert_for_run
from pipelines.cli import EXIT_HELD, EXIT_OK, main
from pipelines.ingest.raw_store import write_parquet_atomically
from pipelines.ingest.sources import raw_table_schemas
from pipelines.kpis.loader import load_portfolio
from tests.conftest import FIXTURE_AS_OF, FIXTURES, environment, warehouse_env

pytestmark = pytest.mark.slow

# the KPIs that read the Google Ads table: the SEA KPIs and the paid KPIs over every platform
ADS = {"sea_conversions", "sea_cpa", "sea_roas", "paid_blended_roas", "paid_cost_per_lead"}
REASON = f"held: pandera_schema on raw.google_ads_campaign_days since {FIXTURE_AS_OF}"


def _values(path: Path) -> dict[tuple[str, str], tuple]:
    with duckdb.connect(str(path), read_only=True) as con:
        rows = con.execute(
            "select kpi_id, cast(period_start as varchar), value, target, status, is_complete "
            "from marts.fct_kpi_values"
        ).fetchall()
    return {(r[0], r[1]): r[2:] for r in rows}


def _bad_google_ads_file(raw: Path) -> Path:
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
    path = raw / "google_ads_campaign_days" / "bad.parquet"
    write_parquet_atomically(pa.Table.from_pylist([bad], schema=schema), path)
    return path


def test_a_failed_check_holds_only_the_kpis_downstream_of_its_table(
    tmp_path, fixture_run, run_without_surveys, capsys
):
    clean = _values(fixture_run.warehouse_path)
    # Run 1 is the shared run over the fixture landing without its survey export, copied with its
    # raw layer, work database, published file and Dagster history (run 2 is judged against it).
    shutil.copytree(run_without_surveys, tmp_path, dirs_exist_ok=True)
    landing = tmp_path / "landing"
    alerts = tmp_path / "alerts.jsonl"
    env = {**warehouse_env(tmp_path, landing), "KPI_ALERT_FILE": str(alerts)}
    published = tmp_path / "published" / "kpi.duckdb"
    run = ["run", "--as-of", FIXTURE_AS_OF]

    with environment(**env):
        first = _values(published)
        assert not any(kpi.startswith("cs_") and kpi != "cs_replied_within_24h" for kpi, _ in first)
        capsys.readouterr()

        shutil.copytree(FIXTURES / "landing" / "surveys", landing / "surveys")
        bad = _bad_google_ads_file(tmp_path / "raw")
        assert main(run) == EXIT_HELD
        out = capsys.readouterr().out
        second = _values(published)

        # The held KPIs keep their last good values; every other KPI equals a clean build,
        # the survey KPIs included, which did not exist before this run.
        assert {k: v for k, v in second.items() if k[0] in ADS} == {
            k: v for k, v in first.items() if k[0] in ADS
        }
        assert {k: v for k, v in second.items() if k[0] not in ADS} == {
            k: v for k, v in clean.items() if k[0] not in ADS
        }
        with duckdb.connect(str(published), read_only=True) as con:
            scorecard = dict(
                con.execute("select kpi_id, held_reason from marts.kpi_scorecard").fetchall()
            )
            statuses = dict(
                con.execute("select kpi_id, status from marts.kpi_scorecard").fetchall()
            )
            held_values = con.execute(
                "select distinct kpi_id, held_reason, cast(held_since as varchar) "
                "from marts.fct_kpi_values where held_reason is not null"
            ).fetchall()
            about = dict(con.execute("select source, held_reason from bi.about").fetchall())
            bi_status = dict(con.execute("select kpi_id, status from bi.kpi_scorecard").fetchall())
        assert {k for k, r in scorecard.items() if r} == ADS
        assert {scorecard[k] for k in ADS} == {REASON}
        assert {k for k, s in statuses.items() if s == "held"} == ADS
        assert {bi_status[k] for k in ADS} == {"held"}
        assert sorted(held_values) == sorted((k, REASON, FIXTURE_AS_OF) for k in ADS)
        assert {s for s, r in about.items() if r} == {"google_ads"}

        # Validation: a held KPI is not measurable for now, with the check named.
        capsys.readouterr()
        main(["validate", "--format", "json", "--kpi", "sea_roas"])
        verdict = json.loads(capsys.readouterr().out)["kpis"][0]
        assert verdict["measurability"] == "not_measurable"
        assert any(REASON in reason for reason in verdict["reasons"])

        # The run summary says what was held and why; the scorecard shows it instead of a status.
        assert f"{len(ADS)} KPI(s) held at their last good values" in out
        for kpi in ADS:
            assert f"{kpi}: {REASON}" in out

        # The alert names the held KPIs with their owners (from the definitions) and the check.
        owners = {k.id: k.owner for k in load_portfolio(Path("kpi_definitions")).kpis}
        alert = json.loads(alerts.read_text().splitlines()[-1])
        assert alert["kind"] == "kpis_held"
        assert sorted((h["kpi"], h["owner"], h["reason"]) for h in alert["held_kpis"]) == sorted(
            (k, owners[k], REASON) for k in ADS
        )
        assert alert["failed_checks"] == ["raw/google_ads_campaign_days:pandera_schema"]
        assert any(s.startswith("ga4: stale") for s in alert["stale_sources"])

        # In Dagster, the held KPI assets were not materialised in that run, and an
        # observation names the check that held them.
        instance = dg.DagsterInstance.get()
        for kpi in ADS:
            key = dg.AssetKey(["kpis", f"kpi_{kpi}"])
            observation = instance.fetch_observations(key, limit=1).records[0]
            metadata = observation.asset_observation.metadata
            assert metadata["held_because"].value == REASON
            materialization = instance.fetch_materializations(key, limit=1).records[0]
            assert materialization.run_id != observation.run_id
        # The run-failure alert reads the same from a run's event log.
        held_run = instance.get_run_by_id(observation.run_id)
        from_log = alert_for_run(instance, held_run)
        assert sorted((h["kpi"], h["owner"]) for h in from_log.held_kpis) == sorted(
            (k, owners[k]) for k in ADS
        )
        # The fixture's GA4 report ends 2026-09-30 (one delivery, taken as daily): stale as of
        # 2026-10-05, named with the KPIs that read it; stale sources hold nothing.
        stale = [s for s in from_log.stale_sources if s.startswith("ga4: stale")]
        assert stale and "seo_organic_sessions" in stale[0]

        # Once the table passes again, the hold is released and the KPIs are rebuilt.
        bad.unlink()
        assert main(run) == EXIT_OK
        assert _values(published) == clean
        with duckdb.connect(str(published), read_only=True) as con:
            assert con.execute(
                "select count(*) from marts.kpi_scorecard where held_reason is not null"
            ).fetchone() == (0,)
