"""Raising alerts and delivering the due digests: by SMTP, to webhooks, or as files (dry run)."""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pipelines.kpis.models import Portfolio
from pipelines.notify.alerting import evaluate_alerts
from pipelines.notify.digest import (
    Digest,
    DigestInputs,
    build_email,
    plan_digests,
    read_inputs,
    webhook_payload,
)
from pipelines.notify.people import Directory, load_people
from pipelines.notify.smtp import DEFAULT_SENDER, SmtpSender, SmtpSettings
from pipelines.notify.state import STATE_FILE_NAME, Alert, NotifyState
from pipelines.notify.webhook import WebhookError, post_json

log = logging.getLogger(__name__)
PostJson = Callable[[str, dict[str, Any]], None]


@dataclass
class DispatchResult:
    """What a digest round did; `delivered` and `written` name recipients, never addresses."""

    alerts: list[Alert] = field(default_factory=list)
    delivered: list[tuple[str, str, list[str]]] = field(default_factory=list)
    written: list[Path] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)


def state_path(settings: Any) -> Path:
    """The notifier's state file in the build-state folder (beside the working database)."""
    from pipelines.engines import Engine

    folder = settings.spark_dir if settings.engine == Engine.spark else settings.work_db_path.parent
    return Path(folder) / STATE_FILE_NAME


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:60]


def _alert_text(alert: Alert, names: dict[str, str], unit_of: Callable[[str], str]) -> str:
    from pipelines.report.scorecard import format_value

    unit = unit_of(alert.kpi_id)
    return (
        f"{alert.headline(names.get(alert.kpi_id, alert.kpi_id))}: value "
        f"{format_value(alert.value, unit)}, target {format_value(alert.target, unit)}."
    )


def dispatch(
    portfolio: Portfolio,
    directory: Directory,
    inputs: DigestInputs,
    state: NotifyState,
    *,
    send: bool,
    out_dir: Path | None = None,
    smtp: SmtpSettings | None = None,
    as_of_day: dt.date | None = None,
    post: PostJson = post_json,
) -> DispatchResult:
    """Raise the alerts the scorecard calls for (webhooks get them at once), then deliver every
    due digest. Only what was delivered is recorded, so a failed delivery is tried again.

    Without `send` (a dry run) the round works on a copy of the state: it shows what a real round
    would deliver, alerts included, and changes nothing.
    """
    if send:
        return _round(portfolio, directory, inputs, state, True, out_dir, smtp, as_of_day, post)
    with tempfile.TemporaryDirectory(prefix="kpi-digest-") as scratch:
        copy = Path(scratch) / STATE_FILE_NAME
        if state.path.exists():
            shutil.copy2(state.path, copy)
        return _round(
            portfolio, directory, inputs, NotifyState(copy), False, out_dir, smtp, as_of_day, post
        )


def _round(
    portfolio: Portfolio,
    directory: Directory,
    inputs: DigestInputs,
    state: NotifyState,
    send: bool,
    out_dir: Path | None,
    smtp: SmtpSettings | None,
    as_of_day: dt.date | None,
    post: PostJson,
) -> DispatchResult:
    result = DispatchResult()
    names = {k.id: k.name for k in portfolio.kpis}
    units = {k.id: (k.unit.value if k.unit else "") for k in portfolio.kpis}
    result.alerts = evaluate_alerts(state, inputs.scorecard)
    for alert in result.alerts:
        kpi = portfolio.kpi(alert.kpi_id)
        for recipient in directory.recipients_for(kpi) if kpi else []:
            if not recipient.webhook or not send:
                continue
            try:
                post(recipient.webhook, {"text": _alert_text(alert, names, units.__getitem__)})
            except WebhookError as exc:
                result.failed.append(f"alert for {alert.kpi_id} to {recipient.key}: {exc}")
                continue
            state.record_alert_delivered(alert.alert_id, recipient.key, "webhook")

    digests = plan_digests(portfolio, directory, inputs, state, as_of_day)
    email_digests = [d for d in digests if d.channel == "email"]
    sender = smtp.sender if smtp else DEFAULT_SENDER
    if out_dir is not None:
        out_dir.mkdir(parents=True, exist_ok=True)
        for digest in digests:
            result.written.append(_write(digest, out_dir, sender))
    if not send:
        return result
    if email_digests and smtp is None:
        result.skipped.extend(
            f"{d.recipient.key}: e-mail not sent, KPI_SMTP_URL is not set" for d in email_digests
        )
    elif email_digests and smtp is not None:
        try:
            with SmtpSender(smtp) as mailer:
                for digest in email_digests:
                    mailer.send(build_email(digest, sender))
                    _record(state, digest, result)
        except OSError as exc:
            result.failed.append(f"e-mail via {smtp.host}:{smtp.port}: {exc}")
    for digest in (d for d in digests if d.channel == "webhook"):
        assert digest.recipient.webhook is not None
        try:
            post(digest.recipient.webhook, webhook_payload(digest))
        except WebhookError as exc:
            result.failed.append(f"digest to {digest.recipient.key} (webhook): {exc}")
            continue
        _record(state, digest, result)
    return result


def _record(state: NotifyState, digest: Digest, result: DispatchResult) -> None:
    state.record_sent(
        digest.recipient.key,
        digest.channel,
        digest.items,
        [a.alert_id for a in digest.alerts],
        digest.subject,
    )
    result.delivered.append((digest.recipient.key, digest.channel, digest.kpi_ids))


def _write(digest: Digest, out_dir: Path, sender: str) -> Path:
    stem = f"{digest.recipient.kind}-{_slug(digest.recipient.name)}"
    if digest.channel == "email":
        path = out_dir / f"{stem}.eml"
        path.write_bytes(build_email(digest, sender).as_bytes())
    else:
        path = out_dir / f"{stem}.webhook.json"
        path.write_text(json.dumps(webhook_payload(digest), indent=2), encoding="utf-8")
    return path


def notify(
    settings: Any,
    *,
    send: bool,
    out_dir: Path | None = None,
    as_of_day: dt.date | None = None,
) -> DispatchResult:
    """Digests and alerts for the built warehouse of `settings` (see `dispatch`)."""
    from pipelines.kpis.loader import load_portfolio

    portfolio = load_portfolio(settings.definitions_dir)
    directory = load_people(settings.definitions_dir, portfolio)
    with settings.built_tables() as con:
        inputs = read_inputs(con)
    return dispatch(
        portfolio,
        directory,
        inputs,
        NotifyState(state_path(settings)),
        send=send,
        out_dir=out_dir,
        smtp=SmtpSettings.from_env(),
        as_of_day=as_of_day,
    )


def notify_warehouse(warehouse: Any) -> DispatchResult:
    """A sending round for the warehouse a Dagster `WarehouseResource` describes."""
    from pipelines.engines import Engine
    from pipelines.settings import Settings

    settings = Settings(
        landing_dir=Path(warehouse.landing_dir),
        raw_dir=Path(warehouse.raw_dir),
        work_db_path=Path(warehouse.work_db_path),
        warehouse_path=Path(warehouse.warehouse_path),
        definitions_dir=Path(warehouse.definitions_dir),
        dagster_home=Path("."),
        reporting_timezone=warehouse.reporting_timezone,
        schedule_time="",
        engine=Engine(warehouse.engine),
        spark_dir=Path(warehouse.spark_dir),
    )
    return notify(settings, send=True)
