"""The published file: marts and bi views only, readable by DuckDB 1.x, atomically replaced while
readers keep their consistent view; plus the HTML report checked in a real browser."""

from __future__ import annotations

import html.parser
import os
import shutil
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import duckdb
import pytest

from pipelines.publish.warehouse_file import STORAGE_VERSION
from pipelines.report.html_report import load_report_data, render_report
from tests.conftest import FIXTURE_AS_OF, run_pipeline
from tests.test_bi_readers import readme_url

pytestmark = pytest.mark.slow
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


def test_bi_views_and_about(fixture_run):
    with duckdb.connect(str(fixture_run.warehouse_path), read_only=True) as con:
        roas = con.execute(
            "select kpi, goal, status, value from bi.kpi_scorecard where kpi_id = 'sea_roas'"
        ).fetchone()
        history = con.execute(
            "select count(*) from bi.kpi_history where kpi_id = 'sea_roas'"
        ).fetchone()[0]
        about = dict(con.execute("select source, data_until from bi.about").fetchall())
        as_of = con.execute("select distinct as_of from bi.about").fetchall()
        tags = con.execute("select tags from duckdb_databases() where database_name = 'kpi'")
        storage = tags.fetchone()[0]
    assert roas == ("Google Ads ROAS", "Grow revenue profitably", "on track", pytest.approx(7.8))
    assert history == 6
    assert about["google_ads"].isoformat() == "2026-09-27"
    assert set(about) == {
        "google_ads",
        "search_console",
        "ga4",
        "shopify",
        "zendesk",
        "surveymonkey",
    }
    assert [str(a[0]) for a in as_of] == [f"{FIXTURE_AS_OF} 00:00:00"]
    assert storage["storage_version"].startswith(STORAGE_VERSION)


def test_a_duckdb_1_1_client_opens_the_published_file(fixture_run, tmp_path):
    """An older DuckDB 1.x client, installed in its own environment, reads the file."""
    venv = tmp_path / "old-duckdb"
    subprocess.run(
        [sys.executable, "-m", "uv", "venv", "-q", "--python", sys.executable, str(venv)],
        check=True,
    )
    python = venv / "bin" / "python"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "uv",
            "pip",
            "install",
            "-q",
            "--python",
            str(python),
            "duckdb==1.1.3",
        ],
        check=True,
    )
    script = (
        "import duckdb, sys; c = duckdb.connect(sys.argv[1], read_only=True); "
        'print(duckdb.__version__, c.execute("select round(value, 4) from marts.kpi_scorecard '
        "where kpi_id = 'sea_roas'\").fetchone()[0])"
    )
    out = subprocess.run(
        [str(python), "-c", script, str(fixture_run.warehouse_path)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert out == ["1.1.3", "7.8"]


READER = textwrap.dedent(
    """
    import sys, time, duckdb
    path, stop = sys.argv[1], sys.argv[2]
    con = duckdb.connect(path, read_only=True)
    seen = set()
    import os
    while not os.path.exists(stop):
        seen.add(con.execute("select count(*), sum(value) from marts.fct_kpi_values").fetchone())
        time.sleep(0.05)
    print(len(seen), sorted(seen)[0])
    """
)
# The same through SQLAlchemy and duckdb-engine (the driver of Superset and Metabase-style tools),
# reflecting the bi views while the run publishes.
SQLALCHEMY_READER = textwrap.dedent(
    """
    import os, sys, time
    import sqlalchemy as sa
    url, stop = sys.argv[1], sys.argv[2]
    engine = sa.create_engine(url)
    con = engine.connect()
    seen, views = set(), set()
    query = sa.text("select count(*), sum(value) from bi.kpi_history")
    while not os.path.exists(stop):
        seen.add(tuple(con.execute(query).one()))
        views.add(tuple(sorted(sa.inspect(con).get_view_names(schema="bi"))))
        time.sleep(0.05)
    print(len(seen), len(views), sorted(seen)[0])
    """
)


def test_reader_keeps_a_consistent_view_while_a_run_publishes(fixture_run, tmp_path):
    # The first publication is the session's clean build of the fixture landing, copied with its
    # landing folder, raw layer and work database: the same state a first run here would leave.
    shutil.copytree(fixture_run.root, tmp_path, dirs_exist_ok=True)
    landing = tmp_path / "landing"
    published = tmp_path / "published" / "kpi.duckdb"
    with duckdb.connect(str(published), read_only=True) as con:
        before = con.execute("select count(*), sum(value) from marts.fct_kpi_values").fetchone()

    stop = tmp_path / "stop"
    reader = subprocess.Popen(
        [sys.executable, "-c", READER, str(published), str(stop)], stdout=subprocess.PIPE, text=True
    )
    bi_reader = subprocess.Popen(
        [sys.executable, "-c", SQLALCHEMY_READER, readme_url(published), str(stop)],
        stdout=subprocess.PIPE,
        text=True,
    )
    with duckdb.connect(str(published), read_only=True) as con:
        history_before = con.execute("select count(*), sum(value) from bi.kpi_history").fetchone()
    time.sleep(2.0)
    # New data arrives: one more Google Ads week, so the published values change.
    (landing / "google_ads" / "late_week.csv").write_text(
        "Day,Campaign,Cost,Conversions,Conv. value\n2026-09-29,Brand,10.00,1,100.00\n"
    )
    second = run_pipeline(tmp_path, landing, FIXTURE_AS_OF)
    stop.touch()
    output, _ = reader.communicate(timeout=60)
    assert second.result.success, "the run must not fail because a reader holds the file"
    distinct, snapshot = output.strip().split(" ", 1)
    assert distinct == "1", "the reader saw more than one state"
    assert snapshot == str(before)
    bi_output, _ = bi_reader.communicate(timeout=60)
    assert bi_reader.returncode == 0
    states, view_lists, bi_snapshot = bi_output.strip().split(" ", 2)
    assert (states, view_lists) == ("1", "1"), "the SQLAlchemy reader saw more than one state"
    assert bi_snapshot == str(history_before)

    script = (
        "import duckdb, sys; c = duckdb.connect(sys.argv[1], read_only=True); "
        "print(c.execute('select count(*), sum(value) from marts.fct_kpi_values').fetchone())"
    )
    after = subprocess.run(
        [sys.executable, "-c", script, str(published)], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert after != str(before), "a new connection sees the new version"
    assert not list(published.parent.glob(".*publishing*")), "no temporary file left behind"


class _ReportParser(html.parser.HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.charts = 0
        self.points: list[dict[str, str]] = []
        self.kpis: list[str] = []
        self.badges: list[str] = []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        classes = (attributes.get("class") or "").split()
        if tag == "svg" and "trend-chart" in classes:
            self.charts += 1
        if tag == "circle" and "point" in classes:
            self.points.append(attributes)
        if tag == "div" and "kpi" in classes:
            self.kpis.append(attributes["id"])
        if tag == "span" and "badge" in classes:
            self.badges.append(classes[1])


def test_report_shows_every_kpi_with_values_from_the_warehouse(fixture_run, tmp_path):
    data = load_report_data(fixture_run.warehouse_path)
    page = render_report(data)
    parser = _ReportParser()
    parser.feed(page)
    # every KPI has a card and a chart (an empty one for a KPI without values: no CRM exports in
    # the fixture)
    assert len(parser.kpis) == 21 and parser.charts == 21
    with duckdb.connect(str(fixture_run.warehouse_path), read_only=True) as con:
        expected = con.execute(
            "select count(*) from marts.fct_kpi_values where is_complete and value is not null"
        ).fetchone()[0]
    assert len(parser.points) == expected
    roas_points = [
        float(p["data-value"]) for p in parser.points if p["data-period"] == "2026-09-21"
    ]
    assert pytest.approx(7.8) in roas_points
    assert "status-on_track" in parser.badges and "status-off_track" in parser.badges
    assert "New ticket routing went live" in page
    assert "<script" not in page and "http" not in page.replace("http-equiv", "")


@pytest.mark.skipif(CHROMIUM is None, reason="headless Chromium is not installed")
def test_report_renders_in_headless_chromium(fixture_run, tmp_path):
    report = tmp_path / "report.html"
    report.write_text(render_report(load_report_data(fixture_run.warehouse_path)))
    screenshot = tmp_path / "report.png"
    subprocess.run(
        [
            CHROMIUM,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            f"--user-data-dir={tmp_path / 'chromium'}",
            f"--screenshot={screenshot}",
            "--window-size=1200,1600",
            f"file://{report}",
        ],
        check=True,
        capture_output=True,
        timeout=120,
        env={**os.environ, "HOME": str(tmp_path)},
    )
    assert screenshot.stat().st_size > 20_000
    dom = subprocess.run(
        [
            CHROMIUM,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            f"--user-data-dir={tmp_path / 'chromium2'}",
            "--dump-dom",
            f"file://{report}",
        ],
        check=True,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "HOME": str(tmp_path)},
    ).stdout
    assert (
        dom.count('class="trend-chart"') == 14
    )  # the KPIs with values (no CRM exports in the fixture)
    assert dom.count('class="value-line"') >= 10 and 'class="target-line"' in dom
    Path(screenshot).unlink()
