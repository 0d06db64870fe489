"""kpi_definitions/people.yml: where each KPI owner and team wants their digests and alerts.

The file is read with the same safe loader as the KPI files (size and depth limited, problems
named by file and field). Its addresses are used to deliver messages only; nothing in it is
written to the warehouse.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from pipelines.kpis.loader import (
    DefinitionError,
    DefinitionProblem,
    _problems_from_validation,
    read_yaml,
)
from pipelines.kpis.models import KpiDefinition, Portfolio

PEOPLE_FILE_NAME = "people.yml"
EMAIL = re.compile(r"^[^@\s<>,;\"']+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$")
ENV_NAME = re.compile(r"^[A-Z_][A-Z0-9_]*$")


class _Contact(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: Annotated[str, Field(min_length=2, max_length=120)]
    email: str | None = None
    webhook: str | None = Field(
        default=None, description="Slack or Teams incoming-webhook URL (https)."
    )
    webhook_env: str | None = Field(
        default=None, description="Name of an environment variable holding the webhook URL."
    )

    @field_validator("email")
    @classmethod
    def _email(cls, value: str | None) -> str | None:
        if value is not None and not EMAIL.match(value):
            raise ValueError(f"'{value}' is not an e-mail address (name@example.com)")
        return value

    @field_validator("webhook")
    @classmethod
    def _webhook(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("https://", "http://")):
            raise ValueError("a webhook is an http(s) URL; keep secret URLs in webhook_env")
        return value

    @field_validator("webhook_env")
    @classmethod
    def _webhook_env(cls, value: str | None) -> str | None:
        if value is not None and not ENV_NAME.match(value):
            raise ValueError("expected an environment variable name such as KPI_WEBHOOK_SEA")
        return value

    @model_validator(mode="after")
    def _somewhere(self) -> _Contact:
        if not (self.email or self.webhook or self.webhook_env):
            raise ValueError("give an email, a webhook or a webhook_env")
        if self.webhook and self.webhook_env:
            raise ValueError("give either webhook or webhook_env, not both")
        return self


class Person(_Contact):
    """A KPI owner; `name` is written exactly as in the KPI files' `owner:` (or `person:`)."""


class Team(_Contact):
    """A team channel; `name` is written exactly as in the KPI files' `team:`."""


class PeopleFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    people: list[Person] = Field(default_factory=list)
    teams: list[Team] = Field(default_factory=list)


@dataclass(frozen=True)
class Recipient:
    """One digest recipient: a person or a team channel, with its resolved addresses."""

    kind: str  # "person" or "team"
    name: str
    email: str | None
    webhook: str | None

    @property
    def key(self) -> str:
        """Stable identity in the sent-digest log and alert state (never an address)."""
        return f"{self.kind}:{self.name}"


@dataclass(frozen=True)
class Directory:
    """Everyone in people.yml, by name."""

    people: dict[str, Person]
    teams: dict[str, Team]
    source: str

    def recipients_for(self, kpi: KpiDefinition) -> list[Recipient]:
        """The KPI's owner (by owner, else person) and its team channel, where listed."""
        found: list[Recipient] = []
        for name in dict.fromkeys(n for n in (kpi.owner, kpi.person) if n):
            person = self.people.get(name)
            if person is not None:
                found.append(_recipient("person", person))
                break
        if kpi.team and kpi.team in self.teams:
            found.append(_recipient("team", self.teams[kpi.team]))
        return found

    def owner_of(self, kpi: KpiDefinition) -> Recipient | None:
        return next((r for r in self.recipients_for(kpi) if r.kind == "person"), None)


def _recipient(kind: str, contact: _Contact) -> Recipient:
    webhook = contact.webhook
    if contact.webhook_env:
        webhook = os.environ.get(contact.webhook_env, "").strip() or None
    return Recipient(kind=kind, name=contact.name, email=contact.email, webhook=webhook)


def load_people(definitions_dir: Path, portfolio: Portfolio | None = None) -> Directory:
    """people.yml of the definitions folder (an empty directory when there is none).

    With `portfolio`, names that no KPI uses are refused too, so a typo in a name is found
    instead of silently sending nothing.
    """
    path = definitions_dir / PEOPLE_FILE_NAME
    if not path.exists():
        return Directory(people={}, teams={}, source=str(path))
    data = read_yaml(path)
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise DefinitionError(
            [DefinitionProblem(str(path), "", "expected a mapping with 'people' and 'teams'")]
        )
    try:
        document = PeopleFile.model_validate(data)
    except ValidationError as exc:
        raise DefinitionError(_problems_from_validation(path, exc)) from exc
    problems: list[DefinitionProblem] = []
    owners = {n for k in (portfolio.kpis if portfolio else []) for n in (k.owner, k.person) if n}
    teams = {k.team for k in (portfolio.kpis if portfolio else []) if k.team}
    people: dict[str, Person] = {}
    for index, person in enumerate(document.people):
        if person.name in people:
            problems.append(DefinitionProblem(str(path), f"people[{index}].name", "listed twice"))
        elif portfolio is not None and person.name not in owners:
            problems.append(
                DefinitionProblem(
                    str(path),
                    f"people[{index}].name",
                    f"'{person.name}' owns no KPI; write the name exactly as in a KPI's "
                    "owner: or person:",
                )
            )
        people[person.name] = person
    team_map: dict[str, Team] = {}
    for index, team in enumerate(document.teams):
        if team.name in team_map:
            problems.append(DefinitionProblem(str(path), f"teams[{index}].name", "listed twice"))
        elif portfolio is not None and team.name not in teams:
            problems.append(
                DefinitionProblem(
                    str(path),
                    f"teams[{index}].name",
                    f"no KPI has team '{team.name}'; write it exactly as in a KPI's team:",
                )
            )
        team_map[team.name] = team
    if problems:
        raise DefinitionError(problems)
    return Directory(people=people, teams=team_map, source=str(path))


def addresses(directory: Directory) -> list[str]:
    """Every address in the file (for tests that check none of them is published)."""
    found: list[str] = []
    for contact in [*directory.people.values(), *directory.teams.values()]:
        found.extend(a for a in (contact.email, contact.webhook) if a)
    return found
