"""A change to the models' code makes the next build a full refresh; a KPI edit does not."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from pipelines.model_code import model_code_fingerprint, needs_full_refresh, record_model_code

PROJECT = Path(__file__).parents[1] / "dbt_project"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    copy = tmp_path / "dbt_project"
    copy.mkdir()
    for entry in ("dbt_project.yml", "profiles.yml"):
        shutil.copy(PROJECT / entry, copy / entry)
    for folder in ("models", "macros", "generated"):
        shutil.copytree(PROJECT / folder, copy / folder)
    return copy


def test_model_code_changes_are_seen_and_kpi_edits_are_not(project: Path, monkeypatch) -> None:
    monkeypatch.delenv("KPI_REPORTING_CURRENCY", raising=False)
    before = model_code_fingerprint(project, "duckdb")
    assert model_code_fingerprint(project, "duckdb") == before  # stable
    assert model_code_fingerprint(project, "spark") != before

    kpi = next((project / "generated" / "kpis").glob("kpi_*.sql"))
    kpi.write_text(kpi.read_text() + "\n-- a new target\n")
    assert model_code_fingerprint(project, "duckdb") == before  # its own hash recomputes it

    macro = project / "macros" / "rebuild_days.sql"
    macro.write_text(macro.read_text() + "\n{# changed #}\n")
    changed = model_code_fingerprint(project, "duckdb")
    assert changed != before

    monkeypatch.setenv("KPI_REPORTING_CURRENCY", "USD")
    assert model_code_fingerprint(project, "duckdb") != changed


def test_a_full_refresh_until_this_code_has_built_the_models(tmp_path: Path) -> None:
    state = tmp_path / "work"
    assert needs_full_refresh(state, "abc")  # nothing recorded: refresh (a new one costs nothing)
    record_model_code(state, "abc")
    assert not needs_full_refresh(state, "abc")
    assert needs_full_refresh(state, "def")
    (state / "incremental_model_code.json").write_text("not json")
    assert needs_full_refresh(state, "abc")
