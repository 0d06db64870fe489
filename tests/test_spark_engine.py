"""The same project on Spark (local mode): every KPI value equals the DuckDB build's."""

from __future__ import annotations

import html
import json
import math
import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from pipelines.engines import spark_table_folders, spark_tables_connection
from tests.conftest import FIXTURE_AS_OF, FIXTURES, warehouse_env

pytestmark = pytest.mark.slow

KEY = ("kpi_id", "grain", "period_start")
COLUMNS = (
    "kpi_id, grain, period_start, period_end, value, numerator, denominator, target, status, "
    "is_complete, source_rows"
)
NUMERIC = ("value", "numerator", "denominator", "target")


def kpi_values(con: duckdb.DuckDBPyConnection) -> dict[tuple, dict]:
    cursor = con.execute(f"select {COLUMNS} from marts.fct_kpi_values")
    names = [d[0] for d in cursor.description]
    rows = [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
    return {tuple(row[k] for k in KEY): row for row in rows}


def same_number(a: float | None, b: float | None) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=0.0) or a == b


@pytest.fixture(scope="module")
def spark_run(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """`kpi-warehouse run` over the fixture landing folder with KPI_ENGINE=spark."""
    root = tmp_path_factory.mktemp("spark_run")
    landing = root / "landing"
    shutil.copytree(FIXTURES / "landing", landing)
    env = {
        **os.environ,
        **warehouse_env(root, landing),
        "KPI_ENGINE": "spark",
        "KPI_SPARK_DIR": str(root / "spark"),
        "KPI_SPARK_CORES": "2",
    }
    run = subprocess.run(
        [sys.executable, "-m", "pipelines.cli", "run", "--as-of", FIXTURE_AS_OF, "--quiet"],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    # dbt's line per model goes to a file, not the terminal; the run says where.
    [dbt_log] = [
        line.split(": ", 1)[1] for line in run.stdout.splitlines() if "dbt's output" in line
    ]
    assert "OK created" in Path(dbt_log).read_text() and "OK created" not in run.stdout
    scorecard = subprocess.run(
        [sys.executable, "-m", "pipelines.cli", "scorecard", "--format", "json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert scorecard.returncode == 0, scorecard.stderr[-3000:]
    report = subprocess.run(
        [sys.executable, "-m", "pipelines.cli", "report", "--out", str(root / "report.html")],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert report.returncode == 0, report.stderr[-3000:]
    return {
        "root": root,
        "tables": root / "spark" / "tables",
        "scorecard": scorecard.stdout,
        "report": (root / "report.html").read_text(encoding="utf-8"),
    }


def test_spark_builds_every_kpi_value_of_the_duckdb_build(fixture_run, spark_run):
    with duckdb.connect(str(fixture_run.warehouse_path), read_only=True) as con:
        expected = kpi_values(con)
    with spark_tables_connection(spark_run["tables"]) as con:
        actual = kpi_values(con)

    assert len(expected) > 50  # every KPI, every period of the fixture
    assert set(actual) == set(expected)
    for key, row in expected.items():
        other = actual[key]
        for column in NUMERIC:
            assert same_number(other[column], row[column]), (key, column, other, row)
        for column in ("period_end", "status", "is_complete", "source_rows"):
            assert other[column] == row[column], (key, column, other, row)


def test_spark_build_leaves_no_file_to_publish_and_writes_its_own_tables(fixture_run, spark_run):
    root: Path = spark_run["root"]
    assert not (root / "published" / "kpi.duckdb").exists()  # publishing is DuckDB's step
    built = spark_table_folders(spark_run["tables"])
    assert ("marts", "fct_kpi_values") in built
    assert ("marts", "kpi_scorecard") in built
    assert ("bi", "about") in built
    # The raw layer is the one ingestion wrote, read by Spark in place (not copied).
    assert not any(schema == "raw" for schema, _ in built)


def test_scorecard_reads_the_spark_build(fixture_run, spark_run):
    from pipelines.report.scorecard import read_scorecard

    spark_rows = {row["kpi_id"]: row for row in json.loads(spark_run["scorecard"])}
    duckdb_rows = {row["kpi_id"]: row for row in read_scorecard(fixture_run.warehouse_path)}
    assert set(spark_rows) == set(duckdb_rows) and len(spark_rows) >= 12
    for kpi_id, row in duckdb_rows.items():
        assert spark_rows[kpi_id]["status"] == row["status"], kpi_id
        assert str(spark_rows[kpi_id]["period_start"]) == str(row["period_start"]), kpi_id
        assert same_number(spark_rows[kpi_id]["value"], row["value"]), kpi_id


def test_report_reads_the_spark_build(fixture_run, spark_run):
    from pipelines.report.html_report import load_report_data

    report = spark_run["report"]
    assert report.startswith("<!DOCTYPE html>")
    kpis = load_report_data(fixture_run.warehouse_path)["kpis"]
    assert len(kpis) >= 12
    for kpi in kpis:  # every KPI of the DuckDB build's report, by name
        assert html.escape(kpi["kpi_name"]) in report, kpi["kpi_name"]
