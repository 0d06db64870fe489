"""Options for reading landing files, from config/ingestion.yml and environment variables."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from pipelines.settings import PROJECT_DIR, configured_path
from pipelines.yaml_text import safe_load

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


class HubSpotOptions(_Options):
    """Which HubSpot deal stages (labels, any case) mean won and lost, per pipeline label; `*`
    applies to every pipeline not named."""

    won_stages: dict[str, list[str]] = Field(default_factory=lambda: {"*": ["Closed won"]})
    lost_stages: dict[str, list[str]] = Field(default_factory=lambda: {"*": ["Closed lost"]})

    def stages(self, pipeline: str | None, won: bool) -> set[str]:
        table = self.won_stages if won else self.lost_stages
        labels = table.get(pipeline or "", table.get("*", []))
        return {label.strip().casefold() for label in labels}


class CrmOptions(_Options):
    """CRM exports (crm/): their time zone, company currency and how to read their dates."""

    # Time zone of the CRM's export times (HubSpot portal, Salesforce user, Pipedrive company).
    timezone: str = "Europe/Amsterdam"
    # The company currency, for exports whose amounts carry no currency column.
    company_currency: str = "EUR"
    # Salesforce dates follow the exporting user's locale; `auto` decides from the whole file and
    # refuses a file that cannot tell.
    date_order: Literal["auto", "day_first", "month_first"] = "auto"
    hubspot: HubSpotOptions = HubSpotOptions()


class VolumeSettings(_Options):
    """How the volume check of one source judges its latest complete day (see checks/volume.py)."""

    training_days: int = Field(default=28, ge=7, le=366)
    min_training_days: int = Field(default=14, ge=3, le=366)
    sensitivity: float = Field(default=3.0, gt=0, le=10)
    min_expected_rows: float = Field(default=10.0, ge=0)
    min_drop_share: float = Field(default=0.25, ge=0, lt=1)
    min_missing_tail_rows: float = Field(default=20.0, gt=0)
    seasonality: Literal["auto", "day_of_week", "none"] = "auto"
    report_spikes: bool = True

    @model_validator(mode="after")
    def _training_fits(self) -> VolumeSettings:
        if self.min_training_days > self.training_days:
            raise ValueError(
                f"min_training_days ({self.min_training_days}) is larger than training_days "
                f"({self.training_days}): the minimum can never be reached"
            )
        return self


class FreshnessSettings(_Options):
    """When a source counts as stale against its usual delivery cadence (checks/freshness.py)."""

    stale_after_gaps: float = Field(default=2.0, ge=1, le=30)
    min_stale_days: int = Field(default=2, ge=1, le=366)
    default_cadence_days: int = Field(default=1, ge=1, le=366)
    cadence_deliveries: int = Field(default=8, ge=2, le=100)


def _known_sources() -> list[str]:
    """The sources' names (imported when settings are read: the readers import this module)."""
    from pipelines.ingest.sources import SOURCES

    return sorted(SOURCES)


def _source_name(key: str) -> str | None:
    """The source a `sources:` key names: its name, or its landing folder where that differs."""
    from pipelines.ingest.sources import source_by_folder

    source = source_by_folder(key)
    return source.name if source else None


def _merge_per_source(section: str, value: object) -> object:
    """`{defaults: {...}, sources: {name: {...}}}` -> the same, with every source fully merged."""
    if not isinstance(value, dict):
        raise ValueError(f"`{section}:` must be a mapping with `defaults:` and `sources:`")
    unknown = set(value) - {"defaults", "sources"}
    if unknown:
        raise ValueError(
            f"`{section}:` has unknown key(s) {sorted(unknown)}; it takes `defaults:` and "
            "`sources:` (one entry per source)"
        )
    defaults = value.get("defaults") or {}
    sources = value.get("sources") or {}
    if not isinstance(defaults, dict) or not isinstance(sources, dict):
        raise ValueError(f"`{section}.defaults` and `{section}.sources` must be mappings")
    merged: dict[str, dict] = {}
    for key, override in sources.items():
        name = _source_name(str(key))
        if name is None:
            raise ValueError(
                f"`{section}.sources.{key}`: no source of that name; known: "
                f"{', '.join(_known_sources())}"
            )
        if not isinstance(override, dict):
            raise ValueError(f"`{section}.sources.{key}` must be a mapping of settings")
        if name in merged:
            raise ValueError(f"`{section}.sources`: {name} is given twice (by name and folder)")
        merged[name] = {**defaults, **override}
    return {"defaults": defaults, "sources": merged}


class VolumeConfig(_Options):
    defaults: VolumeSettings = VolumeSettings()
    sources: dict[str, VolumeSettings] = Field(default_factory=dict)

    @model_validator(mode="before")
    @classmethod
    def _merge(cls, value: object) -> object:
        return _merge_per_source("volume", value)

    def for_source(self, source: str) -> VolumeSettings:
        return self.sources.get(source, self.defaults)


class FreshnessConfig(_Options):
    defaults: FreshnessSettings = FreshnessSettings()
    sources: dict[str, FreshnessSettings] = Field(default_factory=dict)

    @model_validator(mode="before")
    @classmethod
    def _merge(cls, value: object) -> object:
        return _merge_per_source("freshness", value)

    def for_source(self, source: str) -> FreshnessSettings:
        return self.sources.get(source, self.defaults)


class IngestOptions(_Options):
    reporting_timezone: str = "Europe/Amsterdam"
    support_tickets: SupportTicketOptions = SupportTicketOptions()
    surveys: SurveyOptions = SurveyOptions()
    crm: CrmOptions = CrmOptions()
    reject_threshold: float = Field(default=0.05, ge=0, le=1)
    volume: VolumeConfig = VolumeConfig()
    freshness: FreshnessConfig = FreshnessConfig()
    pii_salt: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _no_fixed_share(cls, value: object) -> object:
        if isinstance(value, dict) and "volume_drop_threshold" in value:
            raise ValueError(
                "volume_drop_threshold is no longer used: the volume check now compares each day "
                "with the source's own history; set `volume: {defaults: {...}, sources: {...}}` "
                "instead (see config/ingestion.yml and the README)"
            )
        return value


class IngestConfigError(ValueError):
    """config/ingestion.yml holds a setting that cannot be used; the message names file and key."""


class MissingSaltError(RuntimeError):
    """Personal data cannot be hashed without a salt."""


# The options last loaded, by the file's text and the settings they depend on: a run asks for
# them in every step (about 40 times); reading the small file is cheap, parsing and validating it
# is not.
_LOADED: dict[tuple[str | None, str | None, str], IngestOptions] = {}


def load_options(
    path: Path | None = None, *, reporting_timezone: str | None = None
) -> IngestOptions:
    path = path or configured_path("KPI_INGESTION_CONFIG", DEFAULT_CONFIG)
    salt = os.environ.get("KPI_PII_SALT") or (
        DEMO_SALT if os.environ.get("KPI_DEMO_MODE") == "1" else None
    )
    timezone = reporting_timezone or os.environ.get("KPI_REPORTING_TIMEZONE", "Europe/Amsterdam")
    text = path.read_text(encoding="utf-8") if path.exists() else None
    key = (text, salt, timezone)
    if key not in _LOADED:
        options = _load_options(path, text, salt, timezone)
        _LOADED.clear()
        _LOADED[key] = options
    return _LOADED[key]  # frozen: callers cannot change what others get


def _load_options(path: Path, text: str | None, salt: str | None, timezone: str) -> IngestOptions:
    data = (safe_load(text) or {}) if text is not None else {}
    data["pii_salt"] = salt
    data["reporting_timezone"] = timezone
    try:
        return IngestOptions.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(part) for part in error['loc']) or '(top level)'}: {error['msg']}"
            for error in exc.errors()
        )
        raise IngestConfigError(f"{path}: {problems}") from None


def require_salt(options: IngestOptions) -> str:
    if not options.pii_salt:
        raise MissingSaltError(
            "KPI_PII_SALT is not set: personal data (e-mails, names, phones, IP addresses) is "
            "stored only as a salted hash outside raw. Set KPI_PII_SALT to a long random secret "
            "and keep it stable (changing it breaks repeat-customer matching); for the demo data "
            "set KPI_DEMO_MODE=1 instead."
        )
    return options.pii_salt
