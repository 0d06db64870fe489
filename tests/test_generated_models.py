"""Where the generated dbt models go: a git-ignored build folder that dbt reads as a model path."""

from __future__ import annotations

from pathlib import Path

import yaml

from pipelines.kpis.dbt_models import write_generated_models
from pipelines.kpis.facts import load_fact_catalog
from pipelines.kpis.usable import usable_portfolio
from pipelines.settings import DBT_PROJECT_DIR, DEFAULT_KPI_DEFINITIONS_DIR, GENERATED_DBT_DIR

ROOT = Path(__file__).resolve().parent.parent


def _portfolio():
    facts = load_fact_catalog()
    return usable_portfolio(DEFAULT_KPI_DEFINITIONS_DIR, facts).portfolio, facts


def test_generated_models_go_to_the_build_folder_mirroring_models(tmp_path: Path) -> None:
    portfolio, facts = _portfolio()
    write_generated_models(portfolio, facts, tmp_path)
    kpi_files = {p.name for p in (tmp_path / "generated" / "kpis").iterdir()}
    expected = {f"kpi_{kpi.id}.sql" for kpi in portfolio.kpis}
    assert kpi_files == expected | {"int_kpi_values_unioned.sql", "_generated__models.yml"}
    definitions = {p.name for p in (tmp_path / "generated/intermediate/definitions").iterdir()}
    assert "int_kpis_defined.sql" in definitions
    # Nothing is written among the hand-written models.
    assert not (tmp_path / "models").exists()


def test_dbt_reads_the_build_folder_make_clean_removes_it_and_git_ignores_it() -> None:
    project = yaml.safe_load((DBT_PROJECT_DIR / "dbt_project.yml").read_text(encoding="utf-8"))
    assert GENERATED_DBT_DIR == DBT_PROJECT_DIR / "generated"
    assert project["model-paths"] == ["models", "generated"]
    # dbt clean refuses to delete a model path ("will not clean the following source paths").
    assert "generated" not in project["clean-targets"]
    clean = (ROOT / "Makefile").read_text(encoding="utf-8").split("\nclean:")[1]
    assert "dbt_project/generated" in clean
    ignored = (ROOT / ".gitignore").read_text(encoding="utf-8").splitlines()
    assert "dbt_project/generated/" in ignored


def test_models_generated_into_the_old_folders_are_removed_hand_written_ones_kept(
    tmp_path: Path,
) -> None:
    old_kpis = tmp_path / "models" / "kpis" / "generated"
    old_kpis.mkdir(parents=True)
    (old_kpis / "kpi_sea_roas.sql").write_text("-- Generated from x.yml\nselect 1\n")
    (old_kpis / "_generated__models.yml").write_text("# Generated from kpi_definitions/\n")
    hand_written = tmp_path / "models" / "intermediate" / "definitions"
    hand_written.mkdir(parents=True)
    (hand_written / "int_mine.sql").write_text("select 1 as mine\n")
    portfolio, facts = _portfolio()
    changed = write_generated_models(portfolio, facts, tmp_path)
    assert not old_kpis.exists()
    assert old_kpis / "kpi_sea_roas.sql" in changed
    assert (hand_written / "int_mine.sql").read_text() == "select 1 as mine\n"
