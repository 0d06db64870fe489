"""Off-track periods whose owner has not explained them yet, some days after the period ended.

An off-track number should travel with its owner's explanation. `validate` lists every complete
off-track period without a note once more than `after_days` days have passed since it ended, with
the file and the lines to add (the digest asks the owner the same).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import duckdb

DEFAULT_AFTER_DAYS = 7


@dataclass(frozen=True)
class MissingNote:
    kpi_id: str
    period_start: dt.date
    period_end: dt.date  # exclusive
    owner: str | None
    days_waiting: int  # days since the period ended

    @property
    def notes_file(self) -> str:
        return f"kpi_definitions/notes/{self.period_start.year}.yml"

    def lines_to_add(self) -> str:
        return (
            f"  - kpi: {self.kpi_id}\n"
            f"    period_start: {self.period_start.isoformat()}\n"
            "    author: <your name>\n"
            "    note: <what happened, and what is being done about it>\n"
        )

    def as_json(self) -> dict[str, object]:
        return {
            "kpi_id": self.kpi_id,
            "period_start": self.period_start.isoformat(),
            "period_last_day": (self.period_end - dt.timedelta(days=1)).isoformat(),
            "owner": self.owner,
            "days_waiting": self.days_waiting,
            "notes_file": self.notes_file,
        }


def missing_notes(
    con: duckdb.DuckDBPyConnection,
    as_of: dt.date,
    after_days: int = DEFAULT_AFTER_DAYS,
    kpi_ids: list[str] | None = None,
) -> list[MissingNote]:
    """Complete off-track periods with no owner's note, ended more than `after_days` days
    before `as_of`, oldest first."""
    rows = con.execute(
        """
        select v.kpi_id, v.period_start, v.period_end, k.owner
        from marts.fct_kpi_values as v
        left join marts.dim_kpi as k on k.kpi_id = v.kpi_id
        left join marts.fct_kpi_notes as n
            on n.kpi_id = v.kpi_id and n.period_start = v.period_start
        where v.is_complete and v.status = 'off_track' and n.kpi_id is null
            and v.period_end <= ?
        order by v.period_start, v.kpi_id
        """,
        [as_of - dt.timedelta(days=after_days)],
    ).fetchall()
    return [
        MissingNote(kpi_id, start, end, owner, (as_of - end).days)
        for kpi_id, start, end, owner in rows
        if kpi_ids is None or kpi_id in kpi_ids
    ]


def missing_notes_text(notes: list[MissingNote], after_days: int) -> str:
    if not notes:
        return f"\nEvery off-track period older than {after_days} days has its owner's note."
    lines = [
        f"\n[bold]Off track without a note[/bold] for more than {after_days} days "
        f"({len(notes)}); each owner adds the lines shown to the notes file named"
    ]
    for note in notes:
        last = note.period_end - dt.timedelta(days=1)
        lines.append(
            f"  {note.kpi_id} {note.period_start} to {last} (owner {note.owner or 'unknown'}, "
            f"ended {note.days_waiting} days ago); add to {note.notes_file} under `notes:`"
        )
        lines.extend(f"    {line}" for line in note.lines_to_add().splitlines())
    return "\n".join(lines)
