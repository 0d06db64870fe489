"""Owner and team digests: which KPIs each recipient gets, and the message that carries them.

One message per recipient and channel holds only the recipient's KPIs whose review period
(`reporting_frequency`, default the KPI's frequency) has completed and was not sent to them
before, plus the alerts raised for those KPIs since their last message. The e-mail is HTML with a
plain-text part and the trend charts inline (cid: images), with no remote content.
"""

from __future__ import annotations

import datetime as dt
import html
from collections import defaultdict
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Any

import duckdb

from pipelines.kpis.models import KpiDefinition, Portfolio
from pipelines.notify.people import Directory, Recipient
from pipelines.notify.periods import review_period
from pipelines.notify.state import Alert, NotifyState
from pipelines.report.html_report import STATUS_COLOURS, trend_chart
from pipelines.report.scorecard import format_value

CHANNELS = ("email", "webhook")
SVG_NS = 'xmlns="http://www.w3.org/2000/svg"'


@dataclass(frozen=True)
class DigestInputs:
    """What digests are made of, read from the published warehouse."""

    as_of: dt.datetime | None
    scorecard: list[dict[str, Any]]
    history: dict[str, list[dict[str, Any]]]


def _rows(con: duckdb.DuckDBPyConnection, sql: str) -> list[dict[str, Any]]:
    cursor = con.execute(sql)
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def read_inputs(con: duckdb.DuckDBPyConnection) -> DigestInputs:
    """The scorecard (all its columns, so pace or held ones show when the mart has them), every
    complete period for the charts, and the as-of time."""
    scorecard = _rows(con, "select * from marts.kpi_scorecard order by kpi_id")
    history: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in _rows(
        con,
        "select kpi_id, period_start, value, target, status from marts.fct_kpi_values "
        "where is_complete order by kpi_id, period_start",
    ):
        history[row["kpi_id"]].append(row)
    as_of = con.execute("select max(as_of) from bi.about").fetchone()[0]
    return DigestInputs(as_of=as_of, scorecard=scorecard, history=dict(history))


@dataclass(frozen=True)
class DigestKpi:
    kpi: KpiDefinition
    row: dict[str, Any]
    review_start: dt.date
    review_end: dt.date
    points: list[dict[str, Any]]

    @property
    def item(self) -> tuple[str, dt.date]:
        return (self.kpi.id, self.review_start)

    @property
    def needs_note(self) -> bool:
        if self.kpi.is_metric:  # a supporting metric has no target to be off
            return False
        return self.row.get("status") in {"off_track", "held"} and not self.row.get("note")


@dataclass
class Digest:
    recipient: Recipient
    channel: str
    as_of: dt.datetime | None
    kpis: list[DigestKpi]
    alerts: list[Alert] = field(default_factory=list)
    names: dict[str, str] = field(default_factory=dict)

    @property
    def items(self) -> list[tuple[str, dt.date]]:
        return sorted(k.item for k in self.kpis)

    @property
    def kpi_ids(self) -> list[str]:
        return sorted({k.kpi.id for k in self.kpis} | {a.kpi_id for a in self.alerts})

    @property
    def subject(self) -> str:
        off = sum(k.row.get("status") == "off_track" for k in self.kpis)
        day = f" (as of {self.as_of:%Y-%m-%d})" if self.as_of else ""
        parts = [f"{len(self.kpis)} KPI{'s' if len(self.kpis) != 1 else ''}"]
        if off:
            parts.append(f"{off} off track")
        if self.alerts:
            parts.append(f"{len(self.alerts)} alert{'s' if len(self.alerts) != 1 else ''}")
        return f"KPI digest for {self.recipient.name}: {', '.join(parts)}{day}"


def plan_digests(
    portfolio: Portfolio,
    directory: Directory,
    inputs: DigestInputs,
    state: NotifyState,
    as_of_day: dt.date | None = None,
) -> list[Digest]:
    """The digests that are due: one per recipient and channel with something not sent yet."""
    day = as_of_day or (inputs.as_of.date() if inputs.as_of else dt.date.today())
    rows = {row["kpi_id"]: row for row in inputs.scorecard}
    by_recipient: dict[str, tuple[Recipient, list[DigestKpi]]] = {}
    for kpi in sorted(portfolio.kpis, key=lambda k: k.id):
        row = rows.get(kpi.id)
        recipients = directory.recipients_for(kpi)
        if row is None or row.get("period_start") is None or not recipients:
            continue
        review = review_period(
            kpi.frequency, kpi.review_frequency, row["period_start"], row["period_end"], day
        )
        if review is None:
            continue
        start, end = review
        entry = DigestKpi(kpi, row, start, end, inputs.history.get(kpi.id, []))
        for recipient in recipients:
            by_recipient.setdefault(recipient.key, (recipient, []))[1].append(entry)
    names = {k.id: k.name for k in portfolio.kpis}
    digests: list[Digest] = []
    for recipient, entries in by_recipient.values():
        owned = {e.kpi.id for e in entries}
        for channel in CHANNELS:
            if not (recipient.email if channel == "email" else recipient.webhook):
                continue
            sent = state.sent_items(recipient.key, channel)
            due = [e for e in entries if e.item not in sent]
            alerts = state.undelivered_alerts(recipient.key, channel, owned)
            if due or alerts:
                digests.append(Digest(recipient, channel, inputs.as_of, due, alerts, names))
    return digests


# --- rendering ---------------------------------------------------------------------------------


def _period_text(start: dt.date, end: dt.date) -> str:
    last = end - dt.timedelta(days=1)
    return start.isoformat() if start == last else f"{start.isoformat()} to {last.isoformat()}"


def _change_text(row: dict[str, Any], unit: str | None) -> str:
    change = row.get("change")
    if change is None:
        return "-"
    arrow = "up" if change > 0 else ("down" if change < 0 else "unchanged")
    text = f"{arrow} {format_value(abs(change), unit)}"
    if row.get("change_ratio") is not None:
        text += f" ({row['change_ratio']:+.0%})"
    return text


def _pace_text(row: dict[str, Any], unit: str | None) -> str | None:
    """Pace, when the scorecard carries it (a `pace` or `pace_status` column)."""
    for column in ("pace", "pace_status"):
        value = row.get(column)
        if value is not None:
            return value.replace("_", " ") if isinstance(value, str) else format_value(value, unit)
    return None


def note_request(entry: DigestKpi) -> str:
    """Where and what to write for a note on an off-track period."""
    start = entry.row["period_start"]
    return (
        f"kpi_definitions/notes/{start.year}.yml, under notes:\n"
        f"  - kpi: {entry.kpi.id}\n"
        f"    period_start: {start.isoformat()}\n"
        f"    author: {entry.kpi.owner or ''}\n"
        f"    note: <what happened and what is being done>"
    )


def _kpi_lines(entry: DigestKpi) -> list[str]:
    row, unit = entry.row, entry.kpi.unit.value if entry.kpi.unit else None
    status = str(row.get("status") or "no_data").replace("_", " ")
    lines = [
        f"* {entry.kpi.name} [{entry.kpi.id}] - {status}",
        f"  {_period_text(row['period_start'], row['period_end'])}: "
        f"{format_value(row.get('value'), unit)} (target {format_value(row.get('target'), unit)})"
        f", change {_change_text(row, unit)}",
    ]
    pace = _pace_text(row, unit)
    if pace:
        lines.append(f"  pace: {pace}")
    if row.get("note"):
        author = f" ({row['note_author']})" if row.get("note_author") else ""
        lines.append(f"  note: {row['note']}{author}")
    elif entry.needs_note:
        lines.append(
            "  no note yet: please add one to " + note_request(entry).replace("\n", "\n  ")
        )
    return lines


def _alert_lines(digest: Digest) -> list[str]:
    return [f"! {a.headline(digest.names.get(a.kpi_id, a.kpi_id))}" for a in digest.alerts]


def render_text(digest: Digest) -> str:
    head = [digest.subject, ""]
    if digest.alerts:
        head += ["Alerts:", *_alert_lines(digest), ""]
    body: list[str] = []
    for entry in digest.kpis:
        body += [*_kpi_lines(entry), ""]
    if not digest.kpis:
        body.append("No new KPI periods since your last digest.")
    return "\n".join(head + body).rstrip() + "\n"


def _chart_svg(entry: DigestKpi) -> bytes:
    svg = trend_chart(entry.points, entry.kpi.unit.value if entry.kpi.unit else None)
    return svg.replace("<svg ", f"<svg {SVG_NS} ", 1).encode("utf-8")


def render_html(digest: Digest, chart_cids: dict[str, str]) -> str:
    esc = html.escape
    parts = [f"<h2>{esc(digest.subject)}</h2>"]
    if digest.alerts:
        parts.append("<ul class='alerts'>")
        parts += [f"<li><strong>{esc(line[2:])}</strong></li>" for line in _alert_lines(digest)]
        parts.append("</ul>")
    for entry in digest.kpis:
        row, unit = entry.row, entry.kpi.unit.value if entry.kpi.unit else None
        status = str(row.get("status") or "no_data")
        colour = STATUS_COLOURS.get(status, "#6e7781")
        pace = _pace_text(row, unit)
        note = ""
        if row.get("note"):
            author = f" ({esc(row['note_author'])})" if row.get("note_author") else ""
            note = f"<p style='background:#fff8c5'>{esc(row['note'])}{author}</p>"
        elif entry.needs_note:
            note = (
                "<p style='background:#fff8c5'><strong>No note yet.</strong> Please add one to "
                f"<pre>{esc(note_request(entry))}</pre></p>"
            )
        parts.append(
            f"<div class='kpi' data-kpi='{esc(entry.kpi.id)}' style='margin:1em 0'>"
            f"<h3>{esc(entry.kpi.name)} <span style='color:#fff;background:{colour};"
            f"padding:0 .4em;border-radius:4px'>{esc(status.replace('_', ' '))}</span></h3>"
            f"<p>{esc(_period_text(row['period_start'], row['period_end']))}: "
            f"<strong>{esc(format_value(row.get('value'), unit))}</strong>, target "
            f"{esc(format_value(row.get('target'), unit))}, change "
            f"{esc(_change_text(row, unit))}{', pace ' + esc(pace) if pace else ''}</p>"
            f"{note}"
            f"<img src='cid:{chart_cids[entry.kpi.id]}' alt='trend of {esc(entry.kpi.name)}'>"
            "</div>"
        )
    if not digest.kpis:
        parts.append("<p>No new KPI periods since your last digest.</p>")
    return (
        "<!DOCTYPE html><html><head><meta charset='utf-8'></head>"
        f"<body style='font-family:sans-serif'>{''.join(parts)}</body></html>"
    )


def build_email(digest: Digest, sender: str) -> EmailMessage:
    """The digest as a multipart/alternative message with the charts as related inline parts."""
    if digest.recipient.email is None:
        raise ValueError(f"{digest.recipient.key} has no e-mail address in people.yml")
    message = EmailMessage()
    message["Subject"] = digest.subject
    message["From"] = sender
    message["To"] = digest.recipient.email
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or "localhost")
    message.set_content(render_text(digest))
    cids = {e.kpi.id: make_msgid(idstring=e.kpi.id, domain="kpi.chart")[1:-1] for e in digest.kpis}
    message.add_alternative(render_html(digest, cids), subtype="html")
    html_part = message.get_payload()[1]  # type: ignore[index]
    for entry in digest.kpis:
        html_part.add_related(
            _chart_svg(entry),
            maintype="image",
            subtype="svg+xml",
            cid=f"<{cids[entry.kpi.id]}>",
            filename=f"{entry.kpi.id}.svg",
            disposition="inline",
        )
    return message


def webhook_payload(digest: Digest) -> dict[str, Any]:
    """Slack- and Teams-compatible JSON: both accept a plain `text` field."""
    return {"text": render_text(digest)}
