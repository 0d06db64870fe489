"""Digests and alerts against a real SMTP server and a webhook receiver on localhost.

The published file is a small hand-made DuckDB with the scorecard's columns; each "run" rewrites
it the way a pipeline run republishes it.
"""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pytest

from pipelines.kpis.loader import load_portfolio
from pipelines.notify.digest import read_inputs
from pipelines.notify.dispatch import DispatchResult, dispatch
from pipelines.notify.people import load_people
from pipelines.notify.smtp import SmtpSettings
from pipelines.notify.state import NotifyState
from tests.conftest import environment
from tests.kpis.portfolio_factory import kpi, write_portfolio
from tests.notify.servers import Hooks, Mailbox, smtp_server, webhook_server
from tests.notify.warehouse_factory import write_warehouse

W1, W2, W3, W4, W5 = (dt.date(2026, 9, 7) + dt.timedelta(weeks=i) for i in range(5))
OWNERS = {
    "Lotte Jansen": ("lotte@example.com", "Performance marketing", ["sea_roas", "sea_cpa"]),
    "Mila de Boer": ("mila@example.com", "Performance marketing", ["seo_sessions"]),
    "Noor Hendriks": ("noor@example.com", "Customer service", ["cs_reply"]),
}
KPI_ID_IN_TEXT = re.compile(r"^\* .+ \[([a-z0-9_]+)\] - ", re.MULTILINE)


def _week(start: dt.date, value: float, status: str, target: float = 6.0) -> tuple:
    return (start, start + dt.timedelta(days=7), value, target, status)


@dataclass
class World:
    folder: Path
    warehouse: Path
    state: NotifyState
    smtp: SmtpSettings
    mailbox: Mailbox
    hooks: Hooks

    def round(self, history: dict[str, list[tuple]], as_of: str, **options: Any) -> DispatchResult:
        write_warehouse(self.warehouse, history, as_of)
        portfolio = load_portfolio(self.folder)
        with duckdb.connect(str(self.warehouse), read_only=True) as con:
            inputs = read_inputs(con)
        return dispatch(
            portfolio,
            load_people(self.folder, portfolio),
            inputs,
            self.state,
            send=options.pop("send", True),
            smtp=self.smtp,
            **options,
        )


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    documents = []
    for owner, (_, team, kpi_ids) in OWNERS.items():
        for kpi_id in kpi_ids:
            documents.append(kpi(id=kpi_id, name=f"KPI {kpi_id}", owner=owner, team=team))
    folder = write_portfolio(tmp_path / "defs", documents)
    with smtp_server() as (smtp_url, mailbox), webhook_server() as (hook_url, hooks):
        people = "people:\n" + "".join(
            f"  - {{name: {owner}, email: {address}}}\n"
            for owner, (address, _, _) in OWNERS.items()
        )
        people += (
            "teams:\n"
            f"  - {{name: Performance marketing, webhook: '{hook_url}/perf'}}\n"
            f"  - {{name: Customer service, webhook: '{hook_url}/cs'}}\n"
        )
        (folder / "people.yml").write_text(people, encoding="utf-8")
        with environment(KPI_SMTP_URL=smtp_url, KPI_SMTP_FROM="kpi@example.org"):
            settings = SmtpSettings.from_env()
        assert settings is not None
        yield World(
            folder=folder,
            warehouse=tmp_path / "published" / "kpi.duckdb",
            state=NotifyState(tmp_path / "work" / "notify_state.sqlite"),
            smtp=settings,
            mailbox=mailbox,
            hooks=hooks,
        )


def _all_on_track(weeks: list[dt.date]) -> dict[str, list[tuple]]:
    ids = [k for _, _, kpi_ids in OWNERS.values() for k in kpi_ids]
    return {k: [_week(w, 6.5, "on_track") for w in weeks] for k in ids}


def _text_part(message: email.message.EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain",))
    assert part is not None
    return part.get_content().replace("\r\n", "\n")


def test_one_digest_per_owner_with_only_their_kpis_and_never_twice(world: World) -> None:
    history = _all_on_track([W1, W2])
    result = world.round(history, "2026-09-21 06:00:00")

    assert result.failed == [] and result.skipped == []
    by_address = {}
    for message, rcpts in zip(world.mailbox.messages, world.mailbox.recipients, strict=True):
        assert rcpts == [message["To"]]
        assert message["To"] not in by_address, "one digest per owner"
        by_address[message["To"]] = sorted(KPI_ID_IN_TEXT.findall(_text_part(message)))
    assert by_address == {address: sorted(kpi_ids) for address, _, kpi_ids in OWNERS.values()}
    # team channels: each gets the KPIs of its team, by webhook
    perf, cs = world.hooks.texts("/perf"), world.hooks.texts("/cs")
    assert len(perf) == 1 and len(cs) == 1
    assert sorted(KPI_ID_IN_TEXT.findall(perf[0])) == ["sea_cpa", "sea_roas", "seo_sessions"]
    assert KPI_ID_IN_TEXT.findall(cs[0]) == ["cs_reply"]
    # the values in a digest are the scorecard's latest period (6.5 against 6.0, week W2)
    assert f"{W2.isoformat()} to {(W2 + dt.timedelta(days=6)).isoformat()}: 6.50 (target 6.00)" in (
        _text_part(world.mailbox.messages[0])
    )

    # the same periods again (a rerun): nothing is sent twice
    again = world.round(history, "2026-09-21 07:00:00")
    assert again.delivered == [] and len(world.mailbox.messages) == 3
    assert len(world.hooks.posts) == 2

    # the next week completes: one new digest per owner, with the new period only
    world.round(_all_on_track([W1, W2, W3]), "2026-09-28 06:00:00")
    assert len(world.mailbox.messages) == 6
    assert all(W3.isoformat() in _text_part(m) for m in world.mailbox.messages[3:])


def _alert_posts(hooks: Hooks, kind: str) -> list[str]:
    return [text for _, p in hooks.posts if kind in (text := p["text"]) and "digest" not in text]


def test_an_off_track_kpi_alerts_once_and_once_more_when_it_recovers(world: World) -> None:
    weeks = [W1]
    history = _all_on_track(weeks)
    world.round(history, "2026-09-14 06:00:00")
    assert world.state.alerts() == []

    # three consecutive runs with sea_roas off track (a new week each time, then a plain rerun)
    for week, as_of in ((W2, "2026-09-21"), (W3, "2026-09-28"), (W3, "2026-09-28")):
        if week not in weeks:
            weeks.append(week)
        history = _all_on_track(weeks)
        history["sea_roas"] = [_week(w, 6.5 if w == W1 else 3.0, "off_track") for w in weeks]
        world.round(history, f"{as_of} 06:00:00")
    alerts = world.state.alerts()
    assert [(a.kpi_id, a.kind, a.period_start) for a in alerts] == [("sea_roas", "off_track", W2)]
    # straight away on the team webhook, once; in Lotte's next e-mail digest, once
    assert len(_alert_posts(world.hooks, "went off track")) == 1
    lotte = [m for m in world.mailbox.messages if m["To"] == "lotte@example.com"]
    assert sum("KPI sea_roas went off track" in _text_part(m) for m in lotte) == 1
    # the owner is asked for a note, with the file and the lines to add
    assert "no note yet" in _text_part(lotte[1])
    assert f"- kpi: sea_roas\n      period_start: {W2.isoformat()}" in _text_part(lotte[1])

    # a backfill rebuilds older weeks (W1 is now off track too): the latest period did not
    # change, so no alert
    history["sea_roas"][0] = _week(W1, 2.0, "off_track")
    world.round(history, "2026-09-28 09:00:00", as_of_day=W4)
    assert len(world.state.alerts()) == 1

    # recovery: once, then quiet on the reruns
    weeks.append(W4)
    history = _all_on_track(weeks)
    for _ in range(2):
        world.round(history, "2026-10-05 06:00:00")
    kinds = [(a.kind, a.period_start) for a in world.state.alerts()]
    assert kinds == [("off_track", W2), ("back_on_track", W4)]
    assert len(_alert_posts(world.hooks, "back on track")) == 1

    # an older period than the one judged (e.g. a backfill that republishes an old as-of) is
    # ignored even when it is off track
    old = _all_on_track([W1, W2, W3])
    old["sea_roas"] = [_week(W3, 1.0, "off_track")]
    world.round(old, "2026-09-28 06:00:00")
    assert len(world.state.alerts()) == 2


def test_the_dry_run_writes_valid_mime_with_inline_charts_and_records_nothing(
    world: World, tmp_path: Path
) -> None:
    history = _all_on_track([W1, W2, W3])
    history["cs_reply"] = [_week(w, 3.0, "off_track") for w in (W1, W2, W3)]
    out = tmp_path / "digests"
    first = world.round(history, "2026-09-28 06:00:00", send=False, out_dir=out)
    assert world.mailbox.messages == [] and world.hooks.posts == []
    emls = sorted(p.name for p in out.glob("*.eml"))
    assert emls == [
        "person-lotte-jansen.eml",
        "person-mila-de-boer.eml",
        "person-noor-hendriks.eml",
    ]

    message = email.message_from_bytes(
        (out / "person-lotte-jansen.eml").read_bytes(), policy=email.policy.default
    )
    assert message.get_content_type() == "multipart/alternative"
    assert not message.defects
    html_part = message.get_body(preferencelist=("html",))
    assert html_part is not None and html_part.get_content_type() == "text/html"
    images = [p for p in message.walk() if p.get_content_maintype() == "image"]
    assert len(images) == 2  # sea_roas and sea_cpa
    html = html_part.get_content()
    assert "http://" not in html and "https://" not in html  # no remote content
    for image in images:
        cid = image["Content-ID"].strip("<>")
        assert f"cid:{cid}" in html
        assert image.get_content_disposition() == "inline"
        chart = ET.fromstring(image.get_content())  # a standalone SVG document
        assert chart.tag == "{http://www.w3.org/2000/svg}svg"
        points = chart.findall("{http://www.w3.org/2000/svg}circle")
        assert [float(p.get("data-value") or "nan") for p in points] == [6.5, 6.5, 6.5]

    # the dry run shows what a real round would send, and changes nothing: a real round after it
    # still sends the same digests, alert included
    assert [a.kpi_id for a in first.alerts] == ["cs_reply"]
    assert (out / "team-customer-service.webhook.json").exists()
    assert world.state.alerts() == [] and world.state.sent_digest_count() == 0
    sent = world.round(history, "2026-09-28 06:00:00")
    assert [a.kpi_id for a in sent.alerts] == ["cs_reply"]
    assert len(_alert_posts(world.hooks, "went off track")) == 1
    assert sorted(r for r, channel, _ in sent.delivered if channel == "email") == [
        "person:Lotte Jansen",
        "person:Mila de Boer",
        "person:Noor Hendriks",
    ]


def test_reporting_frequency_picks_the_digest_a_kpi_appears_in(tmp_path: Path) -> None:
    folder = write_portfolio(
        tmp_path / "defs",
        [
            kpi(id="sea_roas", owner="Lotte Jansen", reporting_frequency="monthly"),
            kpi(id="sea_cpa", owner="Lotte Jansen"),
        ],
    )
    (folder / "people.yml").write_text(
        "people:\n  - {name: Lotte Jansen, email: lotte@example.com}\n", encoding="utf-8"
    )
    portfolio = load_portfolio(folder)
    directory = load_people(folder, portfolio)
    state = NotifyState(tmp_path / "state.sqlite")
    warehouse = tmp_path / "kpi.duckdb"
    out = tmp_path / "out"

    def due(weeks: list[dt.date], as_of: str) -> list[tuple[str, dt.date]]:
        write_warehouse(
            warehouse,
            {k: [_week(w, 6.5, "on_track") for w in weeks] for k in ("sea_roas", "sea_cpa")},
            as_of,
        )
        with duckdb.connect(str(warehouse), read_only=True) as con:
            inputs = read_inputs(con)
        from pipelines.notify.digest import plan_digests

        digests = plan_digests(portfolio, directory, inputs, state)
        for digest in digests:
            state.record_sent(digest.recipient.key, digest.channel, digest.items, [], "")
        return [item for d in digests for item in d.items]

    # the week of 21 September ends inside September: the monthly review of September is not
    # complete yet, so only the weekly KPI is in the digest
    assert due([W1, W2, W3], "2026-09-28 06:00:00") == [("sea_cpa", W3)]
    # the week of 28 September reaches into October: September is complete (data up to 5 Oct)
    assert due([W1, W2, W3, W4], "2026-10-05 06:00:00") == [
        ("sea_cpa", W4),
        ("sea_roas", dt.date(2026, 9, 1)),
    ]
    # next week: September's review was sent already
    assert due([W1, W2, W3, W4, W5], "2026-10-12 06:00:00") == [("sea_cpa", W5)]
    assert not out.exists()
