"""Views per level against the built fixture warehouse: scorecard, report and bi filters."""

from __future__ import annotations

import json
import re
from pathlib import Path

import duckdb
import pytest
import yaml
from rich.console import Console

from pipelines.cli import main
from pipelines.report.filters import KpiFilter, kpi_ownership, matching_kpi_ids
from pipelines.report.html_report import filter_report_data, load_report_data, render_report
from pipelines.report.scorecard import compact_scorecard, read_scorecard
from pipelines.settings import DEFAULT_KPI_DEFINITIONS_DIR
from tests.conftest import environment, warehouse_env

pytestmark = pytest.mark.slow


def _definitions() -> dict[str, dict]:
    """The KPI files as plain YAML: the expected sets come from them, not from the marts."""
    documents = {}
    for path in sorted(DEFAULT_KPI_DEFINITIONS_DIR.glob("*.yml")):
        if path.name not in {"goals.yml", "people.yml"}:
            documents[path.stem] = yaml.safe_load(path.read_text(encoding="utf-8"))
    return documents


def _expected(**criteria: str) -> list[str]:
    found = []
    for kpi_id, kpi in _definitions().items():
        if "team" in criteria and kpi.get("team") != criteria["team"]:
            continue
        if "level" in criteria and kpi.get("level", "organisation") != criteria["level"]:
            continue
        if "goal" in criteria and kpi.get("goal") != criteria["goal"]:
            continue
        if "owner" in criteria and criteria["owner"] not in (kpi.get("owner") or ""):
            continue
        found.append(kpi_id)
    return sorted(found)


def _cli_json(fixture_run, *args: str, capsys) -> list[str]:
    env = warehouse_env(fixture_run.root, fixture_run.root / "landing")
    capsys.readouterr()
    with environment(**env):
        assert main(["scorecard", "--format", "json", *args]) == 0
    return sorted(row["kpi_id"] for row in json.loads(capsys.readouterr().out))


@pytest.mark.parametrize(
    ("args", "criteria"),
    [
        (["--team", "performance marketing"], {"team": "Performance marketing"}),
        (["--owner", "Mila"], {"owner": "Mila"}),
        (["--level", "individual"], {"level": "individual"}),
        (["--goal", "loyal_customers"], {"goal": "loyal_customers"}),
        (["--team", "Customer service", "--level", "team"], {"team": "Customer service"}),
    ],
)
def test_scorecard_filters(fixture_run, capsys, args, criteria):
    expected = _expected(**criteria)
    assert expected, "the filter selects some KPIs"
    assert _cli_json(fixture_run, *args, capsys=capsys) == expected


def test_a_filter_that_matches_nothing_says_so(fixture_run, capsys):
    env = warehouse_env(fixture_run.root, fixture_run.root / "landing")
    with environment(**env):
        assert main(["scorecard", "--team", "Nobody"]) == 1
    assert "no KPI matches team Nobody" in capsys.readouterr().err


def test_the_terminal_scorecard_fits_100_columns_with_owner_and_note(fixture_run):
    rows = read_scorecard(fixture_run.warehouse_path)
    console = Console(width=100, record=True, color_system=None)
    console.print(compact_scorecard(rows, width=100))
    text = console.export_text()
    lines = text.splitlines()
    assert max(len(line) for line in lines) <= 100
    assert lines[1].split() == ["KPI", "Period", "Value", "Target", "Status", "Change"]
    for row in rows:
        line = next(i for i, line in enumerate(lines) if line.startswith(row["kpi_id"] + " "))
        second = lines[line + 1]
        assert second.startswith("    ") and row["owner"] in " ".join(lines[line + 1 : line + 4])
    support = next(i for i, line in enumerate(lines) if line.startswith("cs_replied_within_24h"))
    assert "2026-W40" in lines[support]  # the week of 28 September
    note = " ".join(line.strip() for line in lines[support + 1 : support + 4])
    assert "note: New ticket routing" in note
    assert "from the weekend backlog." in note  # wrapped onto the next lines, not cut
    # an off-track period without a note is marked
    off = [r for r in rows if r["status"] == "off_track" and not r["note"]]
    assert off, "the fixture has an off-track KPI without a note"
    for row in off:
        line = next(i for i, line in enumerate(lines) if line.startswith(row["kpi_id"] + " "))
        assert "no note yet" in " ".join(lines[line + 1 : line + 4])


def test_the_report_for_a_team_holds_only_its_kpis(fixture_run, tmp_path: Path):
    data = load_report_data(fixture_run.warehouse_path)
    with duckdb.connect(str(fixture_run.warehouse_path), read_only=True) as con:
        ownership = kpi_ownership(con)
    view = KpiFilter(team="Performance marketing")
    page = render_report(filter_report_data(data, matching_kpi_ids(ownership, view), "team X"))
    cards = sorted(re.findall(r'<div class="kpi" id="kpi-([a-z0-9_]+)"', page))
    assert cards == _expected(team="Performance marketing")
    assert "<h1>KPI report: team X</h1>" in page
    full = render_report(data)
    assert full.count("no note yet") == sum(
        r["status"] == "off_track" and not r["note"] for r in data["scorecard"]
    )
    env = warehouse_env(fixture_run.root, fixture_run.root / "landing")
    out = tmp_path / "team.html"
    with environment(**env):
        assert main(["report", "--out", str(out), "--owner", "lotte"]) == 0
    cards = sorted(re.findall(r'<div class="kpi" id="kpi-([a-z0-9_]+)"', out.read_text()))
    assert cards == _expected(owner="Lotte")


def test_bi_views_can_be_filtered_by_level_team_person_goal_and_csf(fixture_run):
    definitions = _definitions()
    with duckdb.connect(str(fixture_run.warehouse_path), read_only=True) as con:
        rows = con.execute(
            "select kpi_id, level, team, person, goal_id, csf_id, note_missing, status, note "
            "from bi.kpi_scorecard"
        ).fetchall()
        history = con.execute(
            "select distinct kpi_id from bi.kpi_history where team = 'Customer service'"
        ).fetchall()
    assert len(rows) == len(definitions)
    for kpi_id, level, team, person, goal, csf, missing, status, note in rows:
        kpi = definitions[kpi_id]
        assert (level, team, person, goal, csf) == (
            kpi.get("level", "organisation"),
            kpi.get("team"),
            kpi.get("person"),
            kpi["goal"],
            kpi["csf"],
        )
        assert missing == (status == "off track" and note is None)
    assert sorted(k for (k,) in history) == _expected(team="Customer service")


def test_the_report_opens_with_a_summary_legend_and_labelled_time_zones(fixture_run):
    import datetime as dt

    data = load_report_data(fixture_run.warehouse_path)
    generated = dt.datetime(2026, 12, 1, 18, 56, tzinfo=dt.UTC)
    page = render_report(data, generated_at=generated, timezone="Europe/Amsterdam")
    assert "As of 2026-10-05 00:00:00 (Europe/Amsterdam); generated 2026-12-01 18:56 UTC." in page
    first_card = page.index('<div class="kpi"')
    assert page.index('class="meta legend"') < first_card
    summary = page[page.index('<table class="summary">') : first_card]
    rows = dict(re.findall(r'<tr data-kpi="([a-z0-9_]+)">(.*?)</tr>', summary))
    assert sorted(rows) == sorted(_definitions())
    # sea_roas: 7.80 against 6.00, up 1.90 (+32 %) on the week before (tests/test_pipeline.py)
    cells = re.findall(r'<td class="num">(.*?)</td>', rows["sea_roas"])
    assert cells == ["7.80", "6.00", "▲ 1.90 (+32%)"]
    assert "status-on_track" in rows["sea_roas"]
    # the organisation overview: per goal, how many of its KPIs are on track
    on_track: dict[str, list[int]] = {}
    statuses = {r["kpi_id"]: r["status"] for r in data["scorecard"]}
    for kpi_id, kpi in _definitions().items():
        if kpi.get("role") == "metric":  # a goal's count counts key KPIs only
            continue
        on_track.setdefault(kpi["goal"], [0, 0])[1] += 1
        on_track[kpi["goal"]][0] += statuses[kpi_id] == "on_track"
    counts = re.findall(r'<h2 class="goal">(.*?) <span class="meta goal-count">(.*?)</span>', page)
    names = {g["goal_id"]: g["goal_name"] for g in data["goals"]}
    assert sorted(counts) == sorted(
        (names[goal], f"{n} of {total} KPIs on track") for goal, (n, total) in on_track.items()
    )


def test_charts_have_gridlines_a_target_line_for_one_period_and_note_marks(fixture_run):
    data = load_report_data(fixture_run.warehouse_path)
    page = render_report(data)
    cards = dict(
        re.findall(r'<div class="kpi" id="kpi-([a-z0-9_]+)">(.*?</svg>)</div>', page, re.S)
    )
    # cs_nps is quarterly: one complete period, and the target is still drawn across the chart
    nps = cards["cs_nps"]
    assert nps.count('class="point"') == 1
    target = re.search(r'class="target-line"[^>]*points="([^"]+)"', nps)
    assert target is not None and len(target.group(1).split()) == 2
    assert all(card.count('class="gridline"') == 3 for card in cards.values() if "<circle" in card)
    # notes are marked at their periods (notes/2026.yml) where the chart has that period
    notes_file = DEFAULT_KPI_DEFINITIONS_DIR / "notes" / "2026.yml"
    noted = {
        str(n["period_start"])
        for n in yaml.safe_load(notes_file.read_text(encoding="utf-8"))["notes"]
        if n["kpi"] == "cs_replied_within_24h"
    }
    support = cards["cs_replied_within_24h"]
    charted = set(re.findall(r'data-period="([0-9-]+)"', support))
    assert noted & charted, "the fixture has a noted period on the chart"
    assert support.count('class="note-mark"') == len(noted & charted)


@pytest.mark.skipif(
    __import__("shutil").which("chromium") is None, reason="headless Chromium is not installed"
)
def test_the_per_team_report_renders_in_headless_chromium(fixture_run, tmp_path: Path):
    import os
    import subprocess

    env = warehouse_env(fixture_run.root, fixture_run.root / "landing")
    report = tmp_path / "team.html"
    with environment(**env):
        assert main(["report", "--out", str(report), "--team", "Customer service"]) == 0
    dom = subprocess.run(
        [
            "chromium",
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            f"--user-data-dir={tmp_path / 'chromium'}",
            "--dump-dom",
            f"file://{report}",
        ],
        check=True,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "HOME": str(tmp_path)},
    ).stdout
    cards = sorted(re.findall(r'<div class="kpi" id="kpi-([a-z0-9_]+)"', dom))
    assert cards == _expected(team="Customer service")
    assert dom.count('class="trend-chart"') == len(cards)
    assert "KPI report: team Customer service" in dom


def test_the_full_report_has_a_section_per_team_and_per_person(fixture_run):
    data = load_report_data(fixture_run.warehouse_path)
    page = render_report(data)
    definitions = _definitions()
    for field in ("team", "person"):
        names = sorted({k[field] for k in definitions.values() if k.get(field)})
        assert names, field
        for name in names:
            start = page.index(f'data-{field}="{name}"')
            table = page[start : page.index("</table>", start)]
            found = sorted(re.findall(r'<tr data-kpi="([a-z0-9_]+)">', table))
            assert found == sorted(k for k, d in definitions.items() if d.get(field) == name)
    filtered = render_report(filter_report_data(data, {"sea_roas"}, "owner Lotte"))
    assert 'class="level"' not in filtered  # a filtered report is already one team's or person's
