"""Per-stage timings of a run: which stages are there and that they add up (no time limits)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from pipelines.ingest.sources import SOURCES
from pipelines.stage_timings import (
    StepSpan,
    dbt_invocation_stages,
    grouped,
    run_stages,
    stage_of_step,
    summary,
)

T0 = dt.datetime(2026, 10, 5, 6, 0, tzinfo=dt.UTC).timestamp()


def _at(seconds: float) -> str:
    moment = dt.datetime.fromtimestamp(T0 + seconds, dt.UTC)
    return moment.isoformat().replace("+00:00", "Z")


def _node(unique_id: str, start: float, end: float) -> dict:
    return {
        "unique_id": unique_id,
        "timing": [
            {"name": "compile", "started_at": _at(start), "completed_at": _at(start + 0.5)},
            {"name": "execute", "started_at": _at(start + 0.5), "completed_at": _at(end)},
        ],
    }


def test_a_dbt_invocation_splits_into_start_up_models_tests_and_the_rest() -> None:
    # Invocation from 0 to 30 s; models at 5-10 and 8-14 (two threads), a test at 12-18, one
    # at 20-22. By hand: start-up 5; models are busy 5-14 = 9; only tests 14-18 and 20-22 = 6;
    # the rest 30 - 5 - 9 - 6 = 10 (the gap 18-20 and 22-30).
    run_results = {
        "results": [
            _node("model.kpi.a", 5, 10),
            _node("model.kpi.b", 8, 14),
            _node("test.kpi.not_null_a", 12, 18),
            _node("test.kpi.unique_b", 20, 22),
        ]
    }
    stages = dbt_invocation_stages(T0, T0 + 30, run_results)
    assert stages == pytest.approx(
        {"dbt/start-up": 5.0, "dbt/models": 9.0, "dbt/tests": 6.0, "dbt/other": 10.0}
    )
    assert sum(stages.values()) == pytest.approx(30.0)


def test_a_dbt_invocation_without_nodes_is_all_start_up() -> None:
    assert dbt_invocation_stages(T0, T0 + 4, {"results": []}) == {"dbt/start-up": 4.0}


def test_steps_map_onto_their_stages() -> None:
    assert stage_of_step("ingest_google_ads") == "ingestion/google_ads"
    assert stage_of_step("raw__orders_pandera_schema") == "raw_checks/pandera_schema"
    assert (
        stage_of_step("raw__orders_volume_within_expected_range")
        == "raw_checks/volume_within_expected_range"
    )
    assert stage_of_step("published__kpi_warehouse") == "publish"
    assert stage_of_step("kpi_warehouse_dbt") == "dbt"
    assert stage_of_step("kpi_on_target") == "kpi_checks"


def test_run_stages_split_the_dbt_step_and_count_dagster_between_steps() -> None:
    # Steps: ingestion 0-2, check 2.5-3, dbt 3-13 (reported: holds 1, start-up 4, models 3),
    # publish 13.5-14. By hand: dbt/other = 10 - 8 = 2; Dagster between steps 0.5 + 0.5 = 1.
    spans = [
        StepSpan("ingest_zendesk", T0, T0 + 2),
        StepSpan("raw__support_tickets_pandera_schema", T0 + 2.5, T0 + 3),
        StepSpan("kpi_warehouse_dbt", T0 + 3, T0 + 13),
        StepSpan("published__kpi_warehouse", T0 + 13.5, T0 + 14),
    ]
    reported = {"raw_checks/holds": 1.0, "dbt/start-up": 4.0, "dbt/models": 3.0}
    stages = run_stages(spans, reported, {"startup/imports": 3.0})
    assert stages == pytest.approx(
        {
            "startup/imports": 3.0,
            "ingestion/zendesk": 2.0,
            "raw_checks/pandera_schema": 0.5,
            "raw_checks/holds": 1.0,
            "dbt/start-up": 4.0,
            "dbt/models": 3.0,
            "dbt/other": 2.0,
            "publish": 0.5,
            "dagster/steps": 1.0,
        }
    )
    assert grouped(stages)["dbt"] == pytest.approx(9.0)
    timings = summary(stages, total=18.0)
    assert timings["accounted_seconds"] == pytest.approx(17.0)
    assert timings["unaccounted_seconds"] == pytest.approx(1.0)


@pytest.mark.slow
def test_the_run_summary_of_a_full_build_keeps_every_stage_and_they_sum_to_at_most_the_total(
    run_without_surveys: Path,
) -> None:
    summary_file = run_without_surveys / "work" / "logs" / "run-summary.json"
    payload = json.loads(summary_file.read_text(encoding="utf-8"))
    assert payload["success"] is True
    timings = payload["timings"]
    stages = timings["stages"]
    expected = {
        "startup/imports",
        "startup/dbt_manifest",
        "startup/definitions",
        "startup/dagster_run",
        "raw_checks/pandera_schema",
        "raw_checks/volume_within_expected_range",
        "raw_checks/holds",
        "dbt/start-up",
        "dbt/models",
        "dbt/tests",
        "publish",
        *(f"ingestion/{name}" for name in SOURCES),
    }
    assert expected <= set(stages), f"missing stages: {sorted(expected - set(stages))}"
    assert all(seconds >= 0 for seconds in stages.values())
    # A full build runs models and tests: they took some time.
    assert stages["dbt/models"] > 0 and stages["dbt/tests"] > 0
    assert sum(stages.values()) <= timings["total_seconds"] + 0.01
    assert timings["accounted_seconds"] == pytest.approx(sum(stages.values()), abs=0.01)
