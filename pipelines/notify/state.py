"""What has been sent and alerted: a small SQLite file in the build-state folder.

It is the notifier's memory across runs, reruns and backfills: which KPI periods each recipient
already received (per channel), the alert state of each KPI, the alerts raised and where each was
delivered. The published file never holds it (it names recipients).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import sqlite3
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

STATE_FILE_NAME = "notify_state.sqlite"

SCHEMA = """
create table if not exists sent_items (
    recipient text not null,
    channel text not null,
    kpi_id text not null,
    review_period_start text not null,
    sent_at text not null,
    primary key (recipient, channel, kpi_id, review_period_start)
);
create table if not exists sent_digests (
    recipient text not null,
    channel text not null,
    items text not null,
    subject text not null,
    sent_at text not null,
    primary key (recipient, channel, items)
);
create table if not exists alert_state (
    kpi_id text primary key,
    state text not null check (state in ('alerting', 'clear')),
    period_start text not null,
    status text not null,
    changed_at text not null
);
create table if not exists alerts (
    alert_id integer primary key autoincrement,
    kpi_id text not null,
    kind text not null check (kind in ('off_track', 'held', 'back_on_track')),
    period_start text not null,
    status text not null,
    value real,
    target real,
    raised_at text not null
);
create table if not exists alert_deliveries (
    alert_id integer not null references alerts (alert_id),
    recipient text not null,
    channel text not null,
    delivered_at text not null,
    primary key (alert_id, recipient, channel)
);
"""


@dataclass(frozen=True)
class Alert:
    alert_id: int
    kpi_id: str
    kind: str
    period_start: dt.date
    status: str
    value: float | None
    target: float | None

    def headline(self, kpi_name: str) -> str:
        period = self.period_start.isoformat()
        if self.kind == "back_on_track":
            return f"{kpi_name} is back on track ({period})"
        if self.kind == "held":
            return f"{kpi_name} is held: its value for {period} is not published as final"
        return f"{kpi_name} went off track ({period})"


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


class NotifyState:
    """The sent-digest log and alert state; every method commits before it returns."""

    def __init__(self, path: Path):
        self.path = path

    @contextlib.contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        con = sqlite3.connect(self.path, timeout=30)
        try:
            con.executescript(SCHEMA)
            with con:
                yield con
        finally:
            con.close()

    # --- digests ---------------------------------------------------------------------------

    def sent_items(self, recipient: str, channel: str) -> set[tuple[str, dt.date]]:
        with self._connect() as con:
            rows = con.execute(
                "select kpi_id, review_period_start from sent_items "
                "where recipient = ? and channel = ?",
                (recipient, channel),
            ).fetchall()
        return {(kpi_id, dt.date.fromisoformat(start)) for kpi_id, start in rows}

    def record_sent(
        self,
        recipient: str,
        channel: str,
        items: Iterable[tuple[str, dt.date]],
        alert_ids: Iterable[int],
        subject: str,
    ) -> None:
        items = sorted(items)
        sent_at = _now()
        key = ",".join(f"{kpi_id}@{start.isoformat()}" for kpi_id, start in items)
        with self._connect() as con:
            con.execute(
                "insert or ignore into sent_digests values (?, ?, ?, ?, ?)",
                (recipient, channel, key, subject, sent_at),
            )
            con.executemany(
                "insert or ignore into sent_items values (?, ?, ?, ?, ?)",
                [(recipient, channel, k, s.isoformat(), sent_at) for k, s in items],
            )
            con.executemany(
                "insert or ignore into alert_deliveries values (?, ?, ?, ?)",
                [(a, recipient, channel, sent_at) for a in alert_ids],
            )

    def sent_digest_count(self) -> int:
        with self._connect() as con:
            return int(con.execute("select count(*) from sent_digests").fetchone()[0])

    # --- alerts ----------------------------------------------------------------------------

    def alert_states(self) -> dict[str, tuple[str, dt.date]]:
        with self._connect() as con:
            rows = con.execute("select kpi_id, state, period_start from alert_state").fetchall()
        return {k: (state, dt.date.fromisoformat(start)) for k, state, start in rows}

    def set_state(self, kpi_id: str, state: str, period_start: dt.date, status: str) -> None:
        with self._connect() as con:
            con.execute(
                "insert into alert_state values (?, ?, ?, ?, ?) on conflict (kpi_id) do update "
                "set state = excluded.state, period_start = excluded.period_start, "
                "status = excluded.status, changed_at = excluded.changed_at",
                (kpi_id, state, period_start.isoformat(), status, _now()),
            )

    def raise_alert(
        self,
        kpi_id: str,
        kind: str,
        period_start: dt.date,
        status: str,
        value: float | None,
        target: float | None,
    ) -> Alert:
        """Record an alert and the KPI's new state in one transaction."""
        new_state = "clear" if kind == "back_on_track" else "alerting"
        with self._connect() as con:
            cursor = con.execute(
                "insert into alerts (kpi_id, kind, period_start, status, value, target, "
                "raised_at) values (?, ?, ?, ?, ?, ?, ?)",
                (kpi_id, kind, period_start.isoformat(), status, value, target, _now()),
            )
            con.execute(
                "insert into alert_state values (?, ?, ?, ?, ?) on conflict (kpi_id) do update "
                "set state = excluded.state, period_start = excluded.period_start, "
                "status = excluded.status, changed_at = excluded.changed_at",
                (kpi_id, new_state, period_start.isoformat(), status, _now()),
            )
            alert_id = int(cursor.lastrowid or 0)
        return Alert(alert_id, kpi_id, kind, period_start, status, value, target)

    def alerts(self) -> list[Alert]:
        with self._connect() as con:
            rows = con.execute(
                "select alert_id, kpi_id, kind, period_start, status, value, target "
                "from alerts order by alert_id"
            ).fetchall()
        return [_alert(row) for row in rows]

    def undelivered_alerts(self, recipient: str, channel: str, kpi_ids: set[str]) -> list[Alert]:
        with self._connect() as con:
            rows = con.execute(
                "select alert_id, kpi_id, kind, period_start, status, value, target from alerts "
                "where alert_id not in (select alert_id from alert_deliveries "
                "where recipient = ? and channel = ?) order by alert_id",
                (recipient, channel),
            ).fetchall()
        return [_alert(row) for row in rows if row[1] in kpi_ids]

    def record_alert_delivered(self, alert_id: int, recipient: str, channel: str) -> None:
        with self._connect() as con:
            con.execute(
                "insert or ignore into alert_deliveries values (?, ?, ?, ?)",
                (alert_id, recipient, channel, _now()),
            )


def _alert(row: tuple) -> Alert:
    alert_id, kpi_id, kind, start, status, value, target = row
    return Alert(alert_id, kpi_id, kind, dt.date.fromisoformat(start), status, value, target)
