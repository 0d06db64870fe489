"""people.yml: validated like the KPI files, and never read as a KPI file."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipelines.kpis.loader import DefinitionError, load_portfolio
from pipelines.notify.people import load_people
from tests.conftest import environment
from tests.kpis.portfolio_factory import kpi, write_portfolio


def _portfolio_dir(tmp_path: Path, people_yml: str) -> Path:
    folder = write_portfolio(
        tmp_path / "defs",
        [
            kpi(),
            kpi(id="cs_reply", owner="Noor Hendriks", team="Customer service", person=None),
        ],
    )
    (folder / "people.yml").write_text(people_yml, encoding="utf-8")
    return folder


def test_people_file_maps_owners_and_teams_and_is_not_a_kpi_file(tmp_path: Path) -> None:
    folder = _portfolio_dir(
        tmp_path,
        "people:\n"
        "  - {name: Lotte Jansen, email: lotte@example.com}\n"
        "  - {name: Noor Hendriks, webhook_env: NOOR_HOOK}\n"
        "teams:\n"
        "  - {name: Performance marketing, webhook: 'https://hooks.example.com/perf'}\n",
    )
    portfolio = load_portfolio(folder)  # people.yml is not taken for a KPI
    assert sorted(k.id for k in portfolio.kpis) == ["cs_reply", "sea_roas"]
    with environment(NOOR_HOOK="https://hooks.example.com/noor"):
        directory = load_people(folder, portfolio)
        roas, reply = portfolio.kpi("sea_roas"), portfolio.kpi("cs_reply")
        assert roas is not None and reply is not None
        assert [(r.key, r.email, r.webhook) for r in directory.recipients_for(roas)] == [
            ("person:Lotte Jansen", "lotte@example.com", None),
            ("team:Performance marketing", None, "https://hooks.example.com/perf"),
        ]
        assert [(r.key, r.webhook) for r in directory.recipients_for(reply)] == [
            ("person:Noor Hendriks", "https://hooks.example.com/noor")
        ]


@pytest.mark.parametrize(
    ("people_yml", "field", "message"),
    [
        ("people:\n  - {name: Lotte Jansen, email: lotte-at-example}\n", "people[0].email", "not"),
        ("people:\n  - {name: Lotte Jansen}\n", "people[0]", "give an email"),
        ("people:\n  - {name: Lotte Jansen, webhook: 'ftp://x'}\n", "people[0].webhook", "http"),
        ("people:\n  - {name: Lotte Jansen, emial: a@example.com}\n", "people[0].emial", "unknown"),
        ("people:\n  - {name: Lotte Jnsen, email: a@example.com}\n", "people[0].name", "owns no"),
        ("teams:\n  - {name: Sales, email: a@example.com}\n", "teams[0].name", "no KPI has team"),
        (
            "people:\n  - {name: Lotte Jansen, email: a@example.com}\n"
            "  - {name: Lotte Jansen, email: b@example.com}\n",
            "people[1].name",
            "listed twice",
        ),
    ],
)
def test_bad_entries_are_refused_naming_file_and_field(
    tmp_path: Path, people_yml: str, field: str, message: str
) -> None:
    folder = _portfolio_dir(tmp_path, people_yml)
    with pytest.raises(DefinitionError) as caught:
        load_people(folder, load_portfolio(folder))
    problem = caught.value.problems[0]
    assert problem.file.endswith("people.yml")
    assert problem.field == field
    assert message in problem.message


def test_invalid_yaml_names_line_and_column(tmp_path: Path) -> None:
    folder = _portfolio_dir(tmp_path, "people:\n  - name: [Lotte\n")
    with pytest.raises(DefinitionError) as caught:
        load_people(folder)
    assert caught.value.problems[0].field.startswith("line ")
    assert "column" in caught.value.problems[0].field


def test_unsafe_yaml_tags_are_refused(tmp_path: Path) -> None:
    folder = _portfolio_dir(tmp_path, "people: !!python/object/apply:os.system ['true']\n")
    with pytest.raises(DefinitionError, match="invalid YAML"):
        load_people(folder)


def test_the_shipped_people_file_matches_the_shipped_kpis() -> None:
    from pipelines.settings import DEFAULT_KPI_DEFINITIONS_DIR

    portfolio = load_portfolio(DEFAULT_KPI_DEFINITIONS_DIR)
    directory = load_people(DEFAULT_KPI_DEFINITIONS_DIR, portfolio)
    assert all(directory.owner_of(k) is not None for k in portfolio.kpis)


def test_lint_reports_people_file_problems(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    from pipelines.cli import main

    folder = _portfolio_dir(tmp_path, "people:\n  - {name: Lotte Jnsen, email: a@example.com}\n")
    assert main(["lint", "--definitions", str(folder)]) == 2
    assert "people[0].name" in capsys.readouterr().err


def test_lint_json_reports_people_file_problems(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    import json

    from pipelines.cli import main

    folder = _portfolio_dir(tmp_path, "teams:\n  - {name: Sales, email: a@example.com}\n")
    assert main(["lint", "--definitions", str(folder), "--format", "json"]) == 2
    report = json.loads(capsys.readouterr().out)
    assert report["errors"] == 1
    assert report["findings"][0]["field"] == "teams[0].name"
    assert report["findings"][0]["file"].endswith("people.yml")
