"""`kpi-warehouse digest` end to end on a small hand-made published file."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from pipelines.cli import main
from tests.conftest import environment
from tests.kpis.portfolio_factory import kpi, write_portfolio
from tests.notify.servers import smtp_server
from tests.notify.warehouse_factory import write_warehouse

WEEK = dt.date(2026, 9, 21)


@pytest.fixture
def project(tmp_path: Path) -> dict[str, str]:
    folder = write_portfolio(tmp_path / "defs", [kpi(owner="Lotte Jansen")])
    (folder / "people.yml").write_text(
        "people:\n  - {name: Lotte Jansen, email: lotte@example.com}\n", encoding="utf-8"
    )
    warehouse = tmp_path / "published" / "kpi.duckdb"
    end = WEEK + dt.timedelta(days=7)
    write_warehouse(warehouse, {"sea_roas": [(WEEK, end, 3.0, 6.0, "off_track")]}, "2026-09-28")
    return {
        "KPI_DEFINITIONS_DIR": str(folder),
        "KPI_WAREHOUSE_PATH": str(warehouse),
        "KPI_WORK_DB_PATH": str(tmp_path / "work" / "kpi_work.duckdb"),
        "KPI_ALLOW_PATHS_OUTSIDE_PROJECT": "1",
        "KPI_SMTP_URL": "",
    }


def test_digest_needs_send_or_out(project: dict[str, str]) -> None:
    with environment(**project):
        assert main(["digest"]) == 2


def test_digest_dry_run_then_send_with_credentials_then_nothing_due(
    project: dict[str, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "eml"
    with environment(**project):
        assert main(["digest", "--out", str(out)]) == 0
    assert [p.name for p in out.iterdir()] == ["person-lotte-jansen.eml"]
    state = Path(project["KPI_WORK_DB_PATH"]).parent / "notify_state.sqlite"
    assert not state.exists()  # a dry run records nothing

    with smtp_server(login=("kpi-bot", "s3cret")) as (url, mailbox):
        env = {**project, "KPI_SMTP_URL": url, "KPI_SMTP_USER": "kpi-bot"}
        with environment(**env, KPI_SMTP_PASSWORD="s3cret"):
            assert main(["digest", "--send"]) == 0
            assert main(["digest", "--send"]) == 0
        assert mailbox.logins == [("kpi-bot", "s3cret")]  # the second round connected not at all
        assert [m["To"] for m in mailbox.messages] == ["lotte@example.com"]
    printed = capsys.readouterr().out
    assert "sent to person:Lotte Jansen by email: sea_roas" in printed
    assert "no digest is due" in printed
    assert "s3cret" not in printed


def test_wrong_credentials_fail_and_nothing_is_recorded(project: dict[str, str]) -> None:
    with smtp_server(login=("kpi-bot", "s3cret")) as (url, mailbox):
        env = {**project, "KPI_SMTP_URL": url, "KPI_SMTP_USER": "kpi-bot"}
        with environment(**env, KPI_SMTP_PASSWORD="wrong"):
            assert main(["digest", "--send"]) == 1
        with environment(**env, KPI_SMTP_PASSWORD="s3cret"):
            assert main(["digest", "--send"]) == 0  # tried again: nothing was recorded as sent
        assert len(mailbox.messages) == 1


@pytest.mark.parametrize(
    "url", ["http://mail.example.com", "smtp://user:pw@mail.example.com:587", "smtp://:x"]
)
def test_an_unusable_smtp_url_is_refused_with_the_reason(
    project: dict[str, str], url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with environment(**{**project, "KPI_SMTP_URL": url}):
        assert main(["digest", "--send"]) == 2
    assert "KPI_SMTP_URL" in capsys.readouterr().err
