"""dbt tests scoped to what the run rebuilt: a nightly run's row tests on the models with
`built_by_run` read only the rows this run built, its key tests the rows that share a key with
them, and a run with full checks reads every row again."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import duckdb
import pytest

from pipelines.checks.raw_checks import FULL_CHECKS_TAG
from tests.conftest import FIXTURE_AS_OF, environment, run_pipeline, warehouse_env

pytestmark = pytest.mark.slow
NOT_NULL_COST = "not_null_fct_ad_performance_daily_cost"
UNIQUE_AD_DAYS = "unique_combination_fct_ad_performance_daily_platform__date_day__campaign_key"
DAILY_FACTS = ("fct_ad_performance_daily", "fct_search_queries_daily", "fct_web_sessions_daily")
# One new Google Ads day in a nightly run: the fact rebuilds 2026-09-07 only.
LATE_FILE = (
    "Campaign report\n"
    '"September 7, 2026 - September 7, 2026"\n'
    "Day,Campaign,Campaign ID,Currency code,Impr.,Clicks,Cost,Conversions,Conv. value\n"
    "2026-09-07,Brand,111,EUR,200,20,50.00,4.00,400.00\n"
)
EARLIER_RUN = "an-earlier-run"


def work_db(root: Path) -> Path:
    return root / "work" / "kpi_work.duckdb"


def insert_bad_row(root: Path, built_by_run: str, day_condition: str) -> None:
    """A Google Ads row without a cost (the not_null test fails on it) recorded as built by
    `built_by_run`, on a day the next nightly run does not rebuild."""
    with duckdb.connect(str(work_db(root))) as con:
        con.execute(
            "insert into marts.fct_ad_performance_daily "
            "select * replace (cast(null as double) as cost, 'no-such-campaign' as campaign_key, "
            "? as built_by_run) from marts.fct_ad_performance_daily "
            f"where platform = 'google_ads' and {day_condition} order by date_day limit 1",
            [built_by_run],
        )


def check_results(run) -> dict[str, bool]:
    return {e.check_name: e.passed for e in run.result.get_asset_check_evaluations()}


def compiled_test_sql(run_id: str, test_name: str) -> str:
    """The SQL dbt ran for a test in the run's dbt invocation (its own target folder)."""
    from pipelines.dbt_manifest import dbt_project

    project = dbt_project()
    manifest = json.loads(project.manifest_path.read_text(encoding="utf-8"))
    # Long test names are shortened in their file names (the node's `path`).
    file_name = next(
        Path(node["path"]).name
        for node in manifest["nodes"].values()
        if node["resource_type"] == "test" and node["name"] == test_name
    )
    target = project.project_dir / "target"
    found = [
        path
        for folder in target.glob(f"kpi_warehouse_dbt-{run_id[:7]}-*")
        for path in (folder / "run").rglob(file_name)
    ]
    assert found, f"no compiled SQL of {test_name} for run {run_id}"
    return found[0].read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def nightly(fixture_run, tmp_path_factory):
    """The fixture warehouse (copied) with a bad row an earlier run wrote, then a nightly run
    with one new Google Ads day."""
    root = tmp_path_factory.mktemp("scoped_nightly")
    shutil.copytree(fixture_run.root, root, dirs_exist_ok=True)
    insert_bad_row(root, EARLIER_RUN, "date_day <> date '2026-09-07'")
    (root / "landing" / "google_ads" / "campaign_report_2026-09-07_late.csv").write_text(LATE_FILE)
    run = run_pipeline(root, root / "landing", FIXTURE_AS_OF)
    return root, run


def test_a_first_build_tests_every_row(fixture_run):
    """On a first build every row of a model with lineage is this run's: the scoped tests read
    the whole table."""
    run_id = fixture_run.result.run_id
    with duckdb.connect(str(work_db(fixture_run.root)), read_only=True) as con:
        for table in (*DAILY_FACTS, "fct_kpi_values"):
            total, of_this_run = con.execute(
                f"select count(*), count(*) filter (where built_by_run = ?) from marts.{table}",
                [run_id],
            ).fetchone()
            assert total > 0 and of_this_run == total, table


def test_a_nightly_runs_row_tests_read_only_the_rows_it_built(nightly):
    root, run = nightly
    assert run.result.success
    run_id = run.result.run_id
    sql = compiled_test_sql(run_id, NOT_NULL_COST)
    assert "tested_rows.built_by_run = (select max(run_id) from" in sql
    assert "stg_pipeline__run_context" in sql
    # The earlier run's bad row is not read: the scoped check passed with it in the table.
    assert check_results(run)[NOT_NULL_COST] is True
    with duckdb.connect(str(work_db(root)), read_only=True) as con:
        rebuilt_days = con.execute(
            "select distinct date_day from marts.fct_ad_performance_daily where built_by_run = ?",
            [run_id],
        ).fetchall()
        # What the scoped test reads, as compiled: only the rows of the rebuilt day.
        scanned = con.execute(
            "select count(*) from marts.fct_ad_performance_daily as tested_rows "
            "where tested_rows.built_by_run = "
            "(select max(run_id) from staging.stg_pipeline__run_context)"
        ).fetchone()[0]
        day_rows = con.execute(
            "select count(*) from marts.fct_ad_performance_daily where date_day = '2026-09-07'"
        ).fetchone()[0]
        old_bad = con.execute(
            "select count(*) from marts.fct_ad_performance_daily where cost is null "
            "and built_by_run = ?",
            [EARLIER_RUN],
        ).fetchone()[0]
    assert [str(d[0]) for d in rebuilt_days] == ["2026-09-07"]
    assert scanned == day_rows > 0
    assert old_bad == 1


def test_a_nightly_runs_key_tests_compare_the_rebuilt_keys_with_the_whole_table(nightly):
    _, run = nightly
    sql = compiled_test_sql(run.result.run_id, UNIQUE_AD_DAYS)
    assert "exists (" in sql and "rebuilt.built_by_run = (select max(run_id) from" in sql
    for key in ("platform", "date_day", "campaign_key"):
        assert f"rebuilt.{key} = tested_rows.{key}" in sql
    assert check_results(run)[UNIQUE_AD_DAYS] is True


def test_a_run_with_full_checks_finds_a_bad_row_of_an_earlier_run(nightly, tmp_path):
    root = tmp_path / "full"
    shutil.copytree(nightly[0], root)
    run = run_pipeline(root, root / "landing", FIXTURE_AS_OF, tags={FULL_CHECKS_TAG: "true"})
    # A failed dbt test fails the dbt step, naming the test and its one failing row.
    assert not run.result.success
    failures = [
        event.step_failure_data.error.to_string()
        for event in run.result.all_events
        if event.is_step_failure and event.step_key == "kpi_warehouse_dbt"
    ]
    failed_tests = {
        line.split(" FAIL ")[1].split()[1]
        for line in failures[0].splitlines()
        if " FAIL " in line and " of " in line
    }
    assert failed_tests == {NOT_NULL_COST}
    sql = compiled_test_sql(run.result.run_id, NOT_NULL_COST)
    assert "built_by_run" not in sql


def test_a_bad_row_among_the_rows_this_run_built_fails_the_scoped_test(nightly, tmp_path):
    """The nightly run's own rows made bad (cost removed on the day it rebuilt): the scoped
    test, run again over the same run context, fails; so does a duplicate key of a rebuilt row
    with a row of an earlier run."""
    from pipelines.dbt_manifest import dbt_cli, prepare
    from pipelines.settings import Settings

    root = tmp_path / "bad_rebuilt"
    shutil.copytree(nightly[0], root)
    run_id = nightly[1].result.run_id
    with duckdb.connect(str(work_db(root))) as con:
        con.execute(
            "update marts.fct_ad_performance_daily set cost = null "
            "where built_by_run = ? and date_day = '2026-09-07'",
            [run_id],
        )
        # An earlier run's row with the key of a row this run rebuilt.
        con.execute(
            "insert into marts.fct_ad_performance_daily "
            "select * replace (? as built_by_run) from marts.fct_ad_performance_daily "
            "where built_by_run = ? limit 1",
            [EARLIER_RUN, run_id],
        )
    with environment(**warehouse_env(root, root / "landing")):
        project = prepare(Settings.from_env())
        invocation = dbt_cli(project).cli(
            ["test", "--select", f"{NOT_NULL_COST} {UNIQUE_AD_DAYS}"],
            manifest=project.manifest_path,
            raise_on_error=False,
        )
        invocation.wait()
        results = {
            r["unique_id"].split(".")[2]: (r["status"], r["failures"])
            for r in invocation.get_artifact("run_results.json")["results"]
        }
    with duckdb.connect(str(work_db(root)), read_only=True) as con:
        rebuilt_rows = con.execute(
            "select count(*) from marts.fct_ad_performance_daily "
            "where built_by_run = ? and date_day = '2026-09-07'",
            [run_id],
        ).fetchone()[0]
    # The earlier run's bad row (no cost) is not read; every rebuilt row now fails.
    assert results[NOT_NULL_COST] == ("fail", rebuilt_rows)
    assert results[UNIQUE_AD_DAYS] == ("fail", 1)
