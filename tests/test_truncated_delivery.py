"""A truncated delivery holds exactly the KPIs of its source; every other KPI is built as usual.

Sixty days of demo exports (September and October 2026, one file per source and month). Run 1
loads everything but October's Google Ads and GA4 reports. Run 2 gets October's GA4 report and a
Google Ads report cut off after two thirds of its lines: its last day lists a fraction of the
usual campaigns, which the volume check must catch. The three Google Ads KPIs must keep their
run-1 values, held by that check, while every other KPI, the GA4 ones with October included,
equals a clean build of the complete exports. (That a passing table releases its hold is tested
in tests/test_holds.py.)
"""

from __future__ import annotations

import datetime as dt
import math
import shutil
from pathlib import Path

import duckdb
import pytest

from pipelines.cli import EXIT_HELD, EXIT_OK, main
from pipelines.demo.landing import write_demo_landing
from tests.conftest import environment, warehouse_env

pytestmark = pytest.mark.slow

# The KPIs that read Google Ads: the search KPIs and the paid ones over every ad platform.
ADS = {"sea_conversions", "sea_cpa", "sea_roas", "paid_blended_roas", "paid_cost_per_lead"}
AS_OF = "2026-11-02"
REASON = f"held: volume_within_expected_range on raw.google_ads_campaign_days since {AS_OF}"


def _values(path: Path) -> dict[tuple[str, str], tuple]:
    with duckdb.connect(str(path), read_only=True) as con:
        rows = con.execute(
            "select kpi_id, cast(period_start as varchar), value, target, status, is_complete "
            "from marts.fct_kpi_values"
        ).fetchall()
    return {(r[0], r[1]): r[2:] for r in rows}


def _same(left: dict, right: dict) -> bool:
    """Equal keys and values; floats within 1e-9 relative (sums may add up in another order)."""
    if left.keys() != right.keys():
        return False
    for key, values in left.items():
        for a, b in zip(values, right[key], strict=True):
            if isinstance(a, float) and isinstance(b, float):
                if not math.isclose(a, b, rel_tol=1e-9):
                    return False
            elif a != b:
                return False
    return True


def _run(root: Path, landing: Path) -> int:
    with environment(**warehouse_env(root, landing)):
        return main(["run", "--as-of", AS_OF, "--quiet"])


def test_a_truncated_delivery_holds_exactly_the_kpis_of_its_source(tmp_path, capsys):
    complete = tmp_path / "complete"
    write_demo_landing(complete, end=dt.date(2026, 10, 31), days=61, scale=0.3)
    october_ads = Path("google_ads") / "campaign_report_2026-10.csv"
    october_ga4 = Path("ga4") / "traffic_acquisition_2026-10.csv"

    clean = tmp_path / "clean"
    assert _run(clean, complete) == EXIT_OK
    clean_values = _values(clean / "published" / "kpi.duckdb")

    landing = tmp_path / "landing"
    shutil.copytree(complete, landing)
    (landing / october_ads).unlink()
    (landing / october_ga4).unlink()
    warehouse = tmp_path / "warehouse"
    published = warehouse / "published" / "kpi.duckdb"
    assert _run(warehouse, landing) == EXIT_OK
    first = _values(published)
    capsys.readouterr()

    shutil.copy(complete / october_ga4, landing / october_ga4)
    lines = (complete / october_ads).read_text(encoding="utf-8").splitlines(keepends=True)
    (landing / october_ads).write_text("".join(lines[: len(lines) * 2 // 3]), encoding="utf-8")
    assert _run(warehouse, landing) == EXIT_HELD
    out = capsys.readouterr().out
    second = _values(published)

    assert {k: v for k, v in second.items() if k[0] in ADS} == {
        k: v for k, v in first.items() if k[0] in ADS
    }
    assert _same(
        {k: v for k, v in second.items() if k[0] not in ADS},
        {k: v for k, v in clean_values.items() if k[0] not in ADS},
    )
    # GA4's October changed what the GA4 KPIs show: they were really rebuilt in run 2.
    ga4_kpis = {"cro_conversion_rate", "cro_conversions", "seo_organic_sessions"}
    assert {k: v for k, v in second.items() if k[0] in ga4_kpis} != {
        k: v for k, v in first.items() if k[0] in ga4_kpis
    }
    with duckdb.connect(str(published), read_only=True) as con:
        held = dict(
            con.execute(
                "select kpi_id, held_reason from marts.kpi_scorecard where held_reason is not null"
            ).fetchall()
        )
    assert held == dict.fromkeys(ADS, REASON)
    assert f"{len(ADS)} KPI(s) held at their last good values" in out
