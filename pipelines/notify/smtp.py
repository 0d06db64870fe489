"""Sending e-mail through the server in KPI_SMTP_URL (smtp://host:port or smtps://host:port).

STARTTLS is used whenever the server offers it; credentials come from KPI_SMTP_USER and
KPI_SMTP_PASSWORD, never from files. KPI_SMTP_FROM sets the sender.
"""

from __future__ import annotations

import os
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from urllib.parse import urlsplit

DEFAULT_SENDER = "kpi-warehouse@localhost"


class SmtpSettingsError(ValueError):
    """KPI_SMTP_URL cannot be used."""


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int
    implicit_tls: bool
    user: str | None
    password: str | None
    sender: str

    @classmethod
    def from_env(cls) -> SmtpSettings | None:
        """None when KPI_SMTP_URL is not set."""
        raw = os.environ.get("KPI_SMTP_URL", "").strip()
        if not raw:
            return None
        url = urlsplit(raw)
        if url.scheme not in {"smtp", "smtps"} or not url.hostname:
            raise SmtpSettingsError(
                f"KPI_SMTP_URL={raw!r}: expected smtp://host:port or smtps://host:port"
            )
        if url.username or url.password:
            raise SmtpSettingsError(
                "KPI_SMTP_URL must not hold credentials; set KPI_SMTP_USER and KPI_SMTP_PASSWORD"
            )
        try:
            port = url.port or (465 if url.scheme == "smtps" else 587)
        except ValueError as exc:
            raise SmtpSettingsError(f"KPI_SMTP_URL={raw!r}: {exc}") from exc
        return cls(
            host=url.hostname,
            port=port,
            implicit_tls=url.scheme == "smtps",
            user=os.environ.get("KPI_SMTP_USER") or None,
            password=os.environ.get("KPI_SMTP_PASSWORD") or None,
            sender=os.environ.get("KPI_SMTP_FROM", "").strip() or DEFAULT_SENDER,
        )


class SmtpSender:
    """One connection for a batch of messages."""

    def __init__(self, settings: SmtpSettings, timeout: float = 30):
        self.settings = settings
        self.timeout = timeout
        self._smtp: smtplib.SMTP | None = None

    def __enter__(self) -> SmtpSender:
        s = self.settings
        context = ssl.create_default_context()
        if s.implicit_tls:
            smtp: smtplib.SMTP = smtplib.SMTP_SSL(
                s.host, s.port, timeout=self.timeout, context=context
            )
        else:
            smtp = smtplib.SMTP(s.host, s.port, timeout=self.timeout)
            smtp.ehlo()
            if smtp.has_extn("starttls"):
                smtp.starttls(context=context)
                smtp.ehlo()
        if s.user:
            if not (s.implicit_tls or smtp.has_extn("starttls")) and s.host not in {
                "localhost",
                "127.0.0.1",
            }:
                smtp.quit()
                raise SmtpSettingsError(
                    f"{s.host}:{s.port} offers no TLS; credentials are not sent in clear text"
                )
            try:
                smtp.login(s.user, s.password or "")
            except smtplib.SMTPException:
                smtp.close()
                raise
        self._smtp = smtp
        return self

    def send(self, message: EmailMessage) -> None:
        assert self._smtp is not None, "use SmtpSender as a context manager"
        self._smtp.send_message(message)

    def __exit__(self, *exc: object) -> None:
        if self._smtp is not None:
            try:
                self._smtp.quit()
            except smtplib.SMTPException:
                self._smtp.close()
            self._smtp = None
