"""Loading kpi_definitions/ safely into typed models, with errors that name file, field and fix."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from pipelines.kpis.models import GoalsFile, KpiDefinition, KpiNote, NotesFile, Portfolio
from pipelines.yaml_text import safe_load

GOALS_FILE_NAME = "goals.yml"
PEOPLE_FILE_NAMES = {"people.yml", "people.yaml"}
NOTES_DIR_NAME = "notes"
MAX_FILE_BYTES = 256 * 1024
MAX_NESTING_DEPTH = 12
COMPUTATION_TYPES = ("sum", "count", "count_distinct", "ratio", "share", "cohort", "growth")


@dataclass(frozen=True)
class DefinitionProblem:
    """One reason a definition file cannot be used."""

    file: str
    field: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}: {self.field}" if self.field else self.file
        return f"{where}: {self.message}"


class DefinitionError(Exception):
    """Raised when kpi_definitions/ holds files that cannot be loaded."""

    def __init__(self, problems: list[DefinitionProblem]):
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


def _depth(value: Any, level: int = 0) -> int:
    if isinstance(value, dict):
        return max((_depth(v, level + 1) for v in value.values()), default=level + 1)
    if isinstance(value, list):
        return max((_depth(v, level + 1) for v in value), default=level + 1)
    return level


def read_yaml(path: Path) -> Any:
    """Parse one YAML file with the safe loader, refusing oversized or deeply nested documents."""
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        raise DefinitionError(
            [
                DefinitionProblem(
                    str(path), "", f"file is {size} bytes; the limit is {MAX_FILE_BYTES}"
                )
            ]
        )
    try:
        data = safe_load(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError as exc:
        raise DefinitionError(
            [DefinitionProblem(str(path), "", f"not UTF-8 text ({exc.reason} at byte {exc.start})")]
        ) from exc
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise DefinitionError(
            [DefinitionProblem(str(path), where, f"invalid YAML: {problem}")]
        ) from exc
    if _depth(data) > MAX_NESTING_DEPTH:
        raise DefinitionError(
            [DefinitionProblem(str(path), "", f"nested deeper than {MAX_NESTING_DEPTH} levels")]
        )
    return data


def _field_path(loc: tuple[int | str, ...]) -> str:
    parts: list[str] = []
    for item in loc:
        if isinstance(item, int):
            parts.append(f"[{item}]")
        else:
            # pydantic adds the chosen union member's tag to the location; it is not a field name.
            if parts and item in COMPUTATION_TYPES:
                continue
            parts.append(("." if parts else "") + item)
    return "".join(parts)


def _problems_from_validation(path: Path, exc: ValidationError) -> list[DefinitionProblem]:
    problems = []
    for error in exc.errors():
        message = error["msg"]
        if error["type"] == "extra_forbidden":
            message = "unknown field (check the spelling; see kpi_definitions/README.md)"
        elif error["type"] == "missing":
            message = "required field is missing"
        elif error["type"] == "union_tag_invalid":
            message = "unknown computation type; expected one of " + ", ".join(COMPUTATION_TYPES)
        elif error["type"] == "string_pattern_mismatch":
            message = (
                "expected a lower-case identifier (letters, digits, '_'; starting with a letter)"
            )
        problems.append(DefinitionProblem(str(path), _field_path(error["loc"]), message))
    return problems


def load_kpi_file(path: Path) -> KpiDefinition:
    data = read_yaml(path)
    if not isinstance(data, dict):
        raise DefinitionError(
            [DefinitionProblem(str(path), "", "expected a mapping of KPI fields")]
        )
    try:
        kpi = KpiDefinition.model_validate(data)
    except ValidationError as exc:
        raise DefinitionError(_problems_from_validation(path, exc)) from exc
    if kpi.id != path.stem:
        raise DefinitionError(
            [
                DefinitionProblem(
                    str(path), "id", f"id '{kpi.id}' must match the file name '{path.stem}'"
                )
            ]
        )
    return kpi


def load_goals_file(path: Path) -> GoalsFile:
    if not path.exists():
        raise DefinitionError(
            [DefinitionProblem(str(path), "", "goals file is missing; define goals and CSFs there")]
        )
    data = read_yaml(path)
    if not isinstance(data, dict):
        raise DefinitionError([DefinitionProblem(str(path), "", "expected a mapping with 'goals'")])
    try:
        return GoalsFile.model_validate(data)
    except ValidationError as exc:
        raise DefinitionError(_problems_from_validation(path, exc)) from exc


def kpi_files(definitions_dir: Path) -> list[Path]:
    return sorted(
        p
        for p in definitions_dir.glob("*.y*ml")
        if p.suffix in {".yml", ".yaml"}
        and p.name not in {GOALS_FILE_NAME, "goals.yaml", *PEOPLE_FILE_NAMES}
    )


def load_portfolio(definitions_dir: Path) -> Portfolio:
    """Load goals.yml and every KPI file; all problems of all files are reported together."""
    problems: list[DefinitionProblem] = []
    goals_file = None
    try:
        goals_file = load_goals_file(definitions_dir / GOALS_FILE_NAME)
    except DefinitionError as exc:
        problems.extend(exc.problems)

    kpis: list[KpiDefinition] = []
    files: dict[str, str] = {}
    for path in kpi_files(definitions_dir):
        try:
            kpi = load_kpi_file(path)
        except DefinitionError as exc:
            problems.extend(exc.problems)
            continue
        if kpi.id in files:
            problems.append(
                DefinitionProblem(
                    str(path), "id", f"id '{kpi.id}' is already used by {files[kpi.id]}"
                )
            )
            continue
        kpis.append(kpi)
        files[kpi.id] = str(path)

    notes, note_files = _load_notes(definitions_dir / NOTES_DIR_NAME, files, problems)
    if problems or goals_file is None:
        raise DefinitionError(problems)
    return Portfolio(
        goals=goals_file.goals,
        limits=goals_file.limits,
        kpis=kpis,
        kpi_files=files,
        goals_file=str(definitions_dir / GOALS_FILE_NAME),
        notes=notes,
        note_files=note_files,
    )


def _load_notes(
    notes_dir: Path, kpi_files_by_id: dict[str, str], problems: list[DefinitionProblem]
) -> tuple[list[KpiNote], dict[int, str]]:
    """Owners' notes: one or more YAML files under notes/, each with a `notes:` list."""
    notes: list[KpiNote] = []
    sources: dict[int, str] = {}
    seen: dict[tuple[str, object], str] = {}
    if not notes_dir.is_dir():
        return notes, sources
    for path in sorted(p for p in notes_dir.glob("*.y*ml") if p.suffix in {".yml", ".yaml"}):
        try:
            data = read_yaml(path)
            document = NotesFile.model_validate(data or {})
        except DefinitionError as exc:
            problems.extend(exc.problems)
            continue
        except ValidationError as exc:
            problems.extend(_problems_from_validation(path, exc))
            continue
        for index, note in enumerate(document.notes):
            field = f"notes[{index}]"
            if note.kpi not in kpi_files_by_id:
                problems.append(
                    DefinitionProblem(str(path), f"{field}.kpi", f"unknown KPI '{note.kpi}'")
                )
                continue
            key = (note.kpi, note.period_start)
            if key in seen:
                problems.append(
                    DefinitionProblem(
                        str(path),
                        field,
                        f"a note for {note.kpi} {note.period_start} already exists in {seen[key]}; "
                        "write one note per KPI and period",
                    )
                )
                continue
            seen[key] = str(path)
            sources[len(notes)] = str(path)
            notes.append(note)
    return notes, sources
