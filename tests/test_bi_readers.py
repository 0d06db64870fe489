"""BI tools' driver for real: SQLAlchemy with duckdb-engine, as Superset and other SQLAlchemy
tools connect, with the connection string the README gives.

Column reflection through duckdb-engine 0.17.0 fails with SQLAlchemy 2.0.45 and later (its
PostgreSQL dialect queries pg_catalog.pg_collation; duckdb_engine issues #1379 and #1391), which
is the SQLAlchemy this project's own environment gets through Dagster. Superset pins SQLAlchemy
1.4, so reflection is tested in environments of its own with SQLAlchemy 1.4 and 2.0.44; queries
are tested in this project's environment too.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import duckdb
import pytest
import sqlalchemy as sa
import yaml

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parent.parent
BI_MODELS = ROOT / "dbt_project" / "models" / "bi" / "_bi__models.yml"
REFLECT = textwrap.dedent(
    """
    import json, sys
    import sqlalchemy as sa
    engine = sa.create_engine(sys.argv[1])
    inspector = sa.inspect(engine)
    names = inspector.get_view_names(schema="bi") + inspector.get_table_names(schema="bi")
    columns = {n: [c["name"] for c in inspector.get_columns(n, schema="bi")] for n in names}
    scorecard = sa.Table("kpi_scorecard", sa.MetaData(), schema="bi", autoload_with=engine)
    with engine.connect() as con:
        rows = con.execute(
            sa.select(scorecard.c.kpi_id, scorecard.c.value)
            .where(scorecard.c.team == "Performance marketing")
            .order_by(scorecard.c.kpi_id)
        ).all()
    print(json.dumps({"version": sa.__version__, "columns": columns,
                      "rows": [[r[0], r[1]] for r in rows]}))
    """
)


def readme_url(path: Path) -> str:
    """The README's Superset connection string, for an absolute path."""
    return f"duckdb:///{path.resolve()}?access_mode=read_only"


def _documented_columns() -> dict[str, list[str]]:
    models = yaml.safe_load(BI_MODELS.read_text(encoding="utf-8"))["models"]
    return {m["name"].removeprefix("bi_"): [c["name"] for c in m["columns"]] for m in models}


def _team_values(path: Path) -> list[list]:
    with duckdb.connect(str(path), read_only=True) as con:
        rows = con.execute(
            "select s.kpi_id, s.value from marts.kpi_scorecard s join marts.dim_kpi k "
            "using (kpi_id) where k.team = 'Performance marketing' order by s.kpi_id"
        ).fetchall()
    return [list(row) for row in rows]


def test_the_readme_connection_string_is_the_tested_one():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert readme_url(Path("/absolute/path/kpi.duckdb")) in readme


def test_sqlalchemy_lists_and_queries_the_bi_views_read_only(fixture_run):
    engine = sa.create_engine(readme_url(fixture_run.warehouse_path))
    scorecard = sa.table(
        "kpi_scorecard", sa.column("kpi_id"), sa.column("value"), sa.column("team"), schema="bi"
    )
    try:
        inspector = sa.inspect(engine)
        relations = inspector.get_view_names(schema="bi") + inspector.get_table_names(schema="bi")
        assert sorted(relations) == sorted(_documented_columns())
        with engine.connect() as con:
            rows = con.execute(
                sa.select(scorecard.c.kpi_id, scorecard.c.value)
                .where(scorecard.c.team == "Performance marketing")
                .order_by(scorecard.c.kpi_id)
            ).all()
            with pytest.raises(sa.exc.DBAPIError, match="read-only"):
                con.execute(sa.text("create table bi.scratch (x int)"))
    finally:
        engine.dispose()
    assert [list(r) for r in rows] == _team_values(fixture_run.warehouse_path)
    assert [r[0] for r in rows] == [
        "crm_lead_to_customer_rate",
        "crm_new_leads",
        "paid_blended_roas",
        "paid_cost_per_lead",
        "sea_conversions",
        "sea_cpa",
        "sea_roas",
    ]


@pytest.mark.parametrize("sqlalchemy_version", ["1.4.54", "2.0.44"])
def test_sqlalchemy_reflects_every_bi_view_and_column(fixture_run, tmp_path, sqlalchemy_version):
    """In an environment of its own: duckdb-engine and DuckDB as pinned here, and the SQLAlchemy
    of Superset (1.4) or the last 2.0 before the reflection change."""
    venv = tmp_path / "bi-client"
    uv = [sys.executable, "-m", "uv"]
    subprocess.run([*uv, "venv", "-q", "--python", sys.executable, str(venv)], check=True)
    python = venv / "bin" / "python"
    packages = [f"sqlalchemy=={sqlalchemy_version}", "duckdb-engine==0.17.0", duckdb_pin()]
    subprocess.run([*uv, "pip", "install", "-q", "--python", str(python), *packages], check=True)
    out = subprocess.run(
        [str(python), "-c", REFLECT, readme_url(fixture_run.warehouse_path)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    found = json.loads(out)
    assert found["version"] == sqlalchemy_version
    assert found["columns"] == _documented_columns()
    assert found["rows"] == _team_values(fixture_run.warehouse_path)


def duckdb_pin() -> str:
    return f"duckdb=={duckdb.__version__}"
