"""Faults that really happen: killed runs, re-sent and late files, two writers, a dropped source."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import psutil
import pyarrow as pa
import pytest

from pipelines.checks.volume import check_volume
from pipelines.cli import EXIT_OK, main
from pipelines.ingest.options import VolumeSettings
from pipelines.ingest.raw_store import EMPTY_SCHEMA_FILE, write_parquet_atomically
from pipelines.publish.writer_lock import WarehouseBusy, writer_lock
from tests.conftest import FIXTURE_AS_OF, FIXTURES, environment, warehouse_env

pytestmark = pytest.mark.slow
KPI_CHECKSUM = (
    "select count(*), md5(string_agg(concat_ws('|', kpi_id, period_start, value, numerator, "
    "denominator, target, status, is_complete), ';' order by kpi_id, period_start)) "
    "from marts.fct_kpi_values"
)


def checksum(path: Path) -> tuple:
    with duckdb.connect(str(path), read_only=True) as con:
        return con.execute(KPI_CHECKSUM).fetchone()


def cli_run(root: Path, landing: Path) -> subprocess.Popen:
    env = {**os.environ, **warehouse_env(root, landing)}
    return subprocess.Popen(
        [sys.executable, "-m", "pipelines.cli", "run", "--as-of", FIXTURE_AS_OF, "--quiet"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )


def rerun(root: Path, landing: Path) -> None:
    """`kpi-warehouse run` in this process: the run after a killed one, or any run that is not
    interrupted (a process of its own would only add the start-up of Python and Dagster)."""
    with environment(**warehouse_env(root, landing)):
        assert main(["run", "--as-of", FIXTURE_AS_OF, "--quiet"]) == EXIT_OK


def kill_tree(process: subprocess.Popen) -> None:
    os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=30)


def wait_for(condition, timeout: float = 120) -> None:
    started = time.monotonic()
    while not condition():
        if time.monotonic() - started > timeout:
            raise TimeoutError("the run never reached the point to interrupt")
        time.sleep(0.02)


@pytest.fixture(scope="module")
def clean_run_checksum(fixture_run) -> tuple:
    """fct_kpi_values of one clean run over the fixture landing folder."""
    return checksum(fixture_run.warehouse_path)


def test_killed_in_dbt_then_rerun_equals_a_clean_run(
    tmp_path, clean_run_checksum, run_without_surveys
):
    # The first publication, without the survey export: the shared run of tests/conftest.py,
    # copied with its raw layer, work database and Dagster home.
    shutil.copytree(run_without_surveys, tmp_path, dirs_exist_ok=True)
    landing = tmp_path / "landing"
    published = tmp_path / "published" / "kpi.duckdb"
    before = checksum(published)

    shutil.copytree(FIXTURES / "landing" / "surveys", landing / "surveys")  # new data arrives
    process = cli_run(tmp_path, landing)
    wait_for(lambda: any("build" in args for args in child_command_lines(process.pid, "dbt")))
    time.sleep(0.5)
    kill_tree(process)
    assert checksum(published) == before, "the published warehouse changed after a killed run"

    rerun(tmp_path, landing)
    assert checksum(published) == clean_run_checksum
    assert checksum(published) != before


def child_command_lines(pid: int, word: str) -> list[list[str]]:
    """The command lines of the process's descendants that mention `word`; a child that exits (or
    is a zombie) while it is looked at is skipped."""
    found = []
    for child in psutil.Process(pid).children(recursive=True):
        try:
            args = child.cmdline()
        except (psutil.NoSuchProcess, psutil.ZombieProcess, psutil.AccessDenied):
            continue
        if word in " ".join(args):
            found.append(args)
    return found


def test_killed_in_ingestion_rerun_twice_then_late_data(tmp_path, clean_run_checksum):
    landing = tmp_path / "landing"
    shutil.copytree(FIXTURES / "landing", landing)
    published = tmp_path / "published" / "kpi.duckdb"
    # A large export takes a few seconds to load: the run is killed while it is being read.
    large = landing / "search_console" / "searchdata_large.csv"
    duckdb.sql(
        "copy (select date '2026-10-20' + cast(i % 20 as integer) as data_date, "
        "'sc-domain:example.com' as site_url, 'q' || (i % 5000) as query, false as "
        "is_anonymized_query, 'nld' as country, 'WEB' as search_type, 'MOBILE' as device, "
        "10 as impressions, 1 as clicks, 20.0 as sum_top_position from range(2000000) t(i)) "
        f"to '{large}' (header)"
    )
    process = cli_run(tmp_path, landing)
    work = tmp_path / "raw" / "_work"
    wait_for(lambda: work.exists() and any(p.is_dir() for p in work.iterdir()))
    kill_tree(process)
    assert not published.exists()
    loaded = (tmp_path / "raw" / "search_console_query_days").glob("*.parquet")
    assert [p.name for p in loaded] == [EMPTY_SCHEMA_FILE]  # nothing loaded, nothing half-written
    large.unlink()  # the large file was never loaded; without it the rerun equals a clean run

    rerun(tmp_path, landing)
    assert checksum(published) == clean_run_checksum
    rerun(tmp_path, landing)  # the same landing folder again: nothing double-counted
    assert checksum(published) == clean_run_checksum

    # A file for a day two weeks back (09-16) arrives after that week was published; its name has
    # spaces, brackets and a non-ASCII letter.
    (landing / "google_ads" / "late 2026-09-16 (re-export) é.csv").write_text(
        "Day,Campaign,Campaign ID,Cost,Conversions,Conv. value\n"
        "2026-09-16,Late campaign,333,100.00,1,20.00\n"
    )
    rerun(tmp_path, landing)
    with duckdb.connect(str(published), read_only=True) as con:
        weeks = dict(
            con.execute(
                "select period_start, value from marts.fct_kpi_values where kpi_id = 'sea_roas'"
            ).fetchall()
        )
    # week 09-14: (1000 + 180 + 20) / (120 + 80 + 100) = 4.0 instead of 5.9; other weeks unchanged
    assert weeks[dt.date(2026, 9, 14)] == pytest.approx(4.0)
    assert weeks[dt.date(2026, 9, 21)] == pytest.approx(7.8)
    assert weeks[dt.date(2026, 8, 31)] == pytest.approx(1.9)


def test_a_second_writer_waits_or_refuses_with_a_clear_message(tmp_path):
    work_db = tmp_path / "work.duckdb"
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time; from pathlib import Path; "
            "from pipelines.publish.writer_lock import writer_lock\n"
            "with writer_lock(Path(sys.argv[1]), what='run A'):\n"
            "    print('locked', flush=True); time.sleep(3)",
            str(work_db),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout.readline().strip() == "locked"
    with (
        pytest.raises(WarehouseBusy, match=r"being written by pid \d+ \(run A"),
        writer_lock(work_db, timeout=0.5, what="run B"),
    ):
        pass
    started = time.monotonic()
    with writer_lock(work_db, what="run B"):  # waits until run A is done
        waited = time.monotonic() - started
    holder.wait(timeout=10)
    assert waited > 1.0


def test_loads_share_the_lock_but_never_overlap_a_build(tmp_path):
    """Loads into the raw layer may run together; a dbt build waits for them, and they for it."""
    work_db = tmp_path / "work.duckdb"
    with writer_lock(work_db, shared=True, what="load A"):
        with writer_lock(work_db, shared=True, timeout=0.5, what="load B"):
            pass  # a second load does not wait
        with (
            pytest.raises(WarehouseBusy, match=r"loads into the raw layer \(latest: pid \d+, load"),
            writer_lock(work_db, timeout=0.5, what="dbt build"),
        ):
            pass
    with (
        writer_lock(work_db, what="dbt build"),
        pytest.raises(WarehouseBusy, match="dbt build"),
        writer_lock(work_db, shared=True, timeout=0.5, what="load C"),
    ):
        pass


def _daily_rows(raw: Path, counts: list[int]) -> None:
    rows = []
    first = dt.date(2026, 9, 1)
    for offset, count in enumerate(counts):
        for i in range(count):
            rows.append(
                {
                    "date_day": first + dt.timedelta(days=offset),
                    "n": i,
                    "_loaded_at": dt.datetime(2026, 10, 1),
                }
            )
    table = pa.Table.from_pylist(rows)
    write_parquet_atomically(table, raw / "google_ads_campaign_days" / "x.parquet")


def test_volume_check_fails_when_a_source_drops(tmp_path):
    settings, as_of, tz = VolumeSettings(), dt.date(2026, 9, 30), "Europe/Amsterdam"
    # 28 days of 200 rows (expected 200, no spread: lower bound min(200 - 0, 200 x 0.75) = 150),
    # loaded on 2026-10-01, after every day ended.
    _daily_rows(tmp_path, [200] * 28 + [190])
    assert check_volume(tmp_path, "google_ads_campaign_days", settings, as_of, tz).passed
    _daily_rows(tmp_path, [200] * 28 + [60])  # a day with 30 % of its usual rows
    outcome = check_volume(tmp_path, "google_ads_campaign_days", settings, as_of, tz)
    assert not outcome.passed
    assert "60 rows on 2026-09-29 (Tuesday); expected 200.0" in outcome.message
    assert "expected range at least 150.0: below it (30% of expected" in outcome.message
    _daily_rows(tmp_path, [20] * 3 + [1])
    short = check_volume(tmp_path, "google_ads_campaign_days", settings, as_of, tz)
    assert short.passed and "not judged: only 3 days of history" in short.message
