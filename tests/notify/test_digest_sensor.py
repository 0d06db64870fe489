"""The digest sensor after a real pipeline run: each owner gets their built KPIs, once."""

from __future__ import annotations

import re

import dagster as dg
import duckdb
import pytest

from pipelines.kpis.loader import load_portfolio
from pipelines.notify.people import load_people
from pipelines.resources import WarehouseResource
from tests.conftest import environment
from tests.notify.servers import smtp_server, webhook_server

pytestmark = pytest.mark.slow
KPI_ID_IN_TEXT = re.compile(r"^\* .+ \[([a-z0-9_]+)\] - ", re.MULTILINE)


def _success_context(fixture_run, warehouse: WarehouseResource):
    instance = fixture_run.instance
    dagster_run = instance.get_run_by_id(fixture_run.result.run_id)
    success = next(
        r.event_log_entry.dagster_event
        for r in instance.get_records_for_run(dagster_run.run_id).records
        if r.event_log_entry.dagster_event
        and r.event_log_entry.dagster_event.event_type == dg.DagsterEventType.RUN_SUCCESS
    )
    return dg.build_run_status_sensor_context(
        sensor_name="kpi_digest_sensor",
        dagster_instance=instance,
        dagster_run=dagster_run,
        dagster_event=success,
        resources={"warehouse": warehouse},
    )


def test_the_digest_sensor_sends_each_owner_their_kpis_once_after_a_run(fixture_run):
    settings = fixture_run.settings
    portfolio = load_portfolio(settings.definitions_dir)
    directory = load_people(settings.definitions_dir, portfolio)
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        built = dict(
            con.execute(
                "select kpi_id, status from marts.kpi_scorecard where period_start is not null"
            ).fetchall()
        )
    expected: dict[str, list[str]] = {}
    for kpi in portfolio.kpis:
        owner = directory.owner_of(kpi)
        if kpi.id in built and owner is not None and owner.email:
            expected.setdefault(owner.email, []).append(kpi.id)
    assert len(expected) >= 3, "the fixture gives several owners a complete period"
    # team channels with an e-mail address get their team's KPIs
    for team in directory.teams.values():
        team_kpis = [k.id for k in portfolio.kpis if k.team == team.name and k.id in built]
        if team.email and team_kpis:
            expected[team.email] = team_kpis
    state = settings.work_db_path.parent / "notify_state.sqlite"
    state.unlink(missing_ok=True)

    sensor = fixture_run.defs.get_sensor_def("kpi_digest_sensor")
    warehouse = WarehouseResource.from_settings(settings)
    with smtp_server() as (smtp_url, mailbox), webhook_server() as (hook_url, hooks):
        hook = {"KPI_WEBHOOK_PERFORMANCE_MARKETING": f"{hook_url}/perf"}
        with environment(KPI_SMTP_URL=smtp_url, **hook):
            first = sensor(_success_context(fixture_run, warehouse))
            second = sensor(_success_context(fixture_run, warehouse))
    got = {}
    for message in mailbox.messages:
        assert message["To"] not in got
        text = message.get_body(preferencelist=("plain",)).get_content()
        got[message["To"]] = KPI_ID_IN_TEXT.findall(text)
    assert {k: sorted(v) for k, v in got.items()} == {k: sorted(v) for k, v in expected.items()}
    assert "digests sent to" in first.skip_message
    assert "nobody" in second.skip_message  # nothing twice

    # the team webhook got the alerts of its off-track KPIs straight away, once each
    team = [k.id for k in portfolio.kpis if k.team == "Performance marketing"]
    off = sorted(k for k in team if built.get(k) == "off_track")
    alerts = [
        p["text"]
        for path, p in hooks.posts
        if "went off track" in p["text"] and "digest" not in p["text"]
    ]
    names = {k.id: k.name for k in portfolio.kpis}
    assert sorted(k for k in off if any(t.startswith(names[k]) for t in alerts)) == off
    assert len(alerts) == len(off)
    state.unlink(missing_ok=True)
