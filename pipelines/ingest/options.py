"""Options for reading landing files, from config/ingestion.yml and environment variables."""

from __future__ import annotations

import os
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field

from pipelines.settings import PROJECT_DIR, configured_path

DEFAULT_CONFIG = PROJECT_DIR / "config" / "ingestion.yml"
DEMO_SALT = "kpi-warehouse-demo-salt"


class _Options(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SupportTicketOptions(_Options):
    account_timezone: str = "Europe/Amsterdam"


class SurveyOptions(_Options):
    timezone: str = "Europe/Amsterdam"
    date_format: str = "%m/%d/%Y %I:%M:%S %p"
    nps_question: list[str] = Field(default_factory=lambda: ["recommend"])
    csat_question: list[str] = Field(default_factory=lambda: ["satisfied"])
    csat_labels: dict[str, int] = Field(default_factory=dict)


class IngestOptions(_Options):
    reporting_timezone: str = "Europe/Amsterdam"
    support_tickets: SupportTicketOptions = SupportTicketOptions()
    surveys: SurveyOptions = SurveyOptions()
    reject_threshold: float = Field(default=0.05, ge=0, le=1)
    volume_drop_threshold: float = Field(default=0.5, gt=0, le=1)
    pii_salt: str | None = None


class MissingSaltError(RuntimeError):
    """Personal data cannot be hashed without a salt."""


def load_options(
    path: Path | None = None, *, reporting_timezone: str | None = None
) -> IngestOptions:
    path = path or configured_path("KPI_INGESTION_CONFIG", DEFAULT_CONFIG)
    data = (yaml.safe_load(path.read_text(encoding="utf-8")) or {}) if path.exists() else {}
    salt = os.environ.get("KPI_PII_SALT") or (
        DEMO_SALT if os.environ.get("KPI_DEMO_MODE") == "1" else None
    )
    data["pii_salt"] = salt
    data["reporting_timezone"] = reporting_timezone or os.environ.get(
        "KPI_REPORTING_TIMEZONE", "Europe/Amsterdam"
    )
    return IngestOptions.model_validate(data)


def require_salt(options: IngestOptions) -> str:
    if not options.pii_salt:
        raise MissingSaltError(
            "KPI_PII_SALT is not set: personal data (e-mails, names, phones, IP addresses) is "
            "stored only as a salted hash outside raw. Set KPI_PII_SALT to a long random secret "
            "and keep it stable (changing it breaks repeat-customer matching); for the demo data "
            "set KPI_DEMO_MODE=1 instead."
        )
    return options.pii_salt
