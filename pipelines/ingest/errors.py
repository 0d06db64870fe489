"""Errors and rejections raised while reading landing files."""

from __future__ import annotations

from dataclasses import dataclass


class FileRefused(Exception):
    """A landing file that cannot be loaded at all; nothing of it is loaded.

    The message names the file and, where it applies, the line and column, and says what to do.
    """

    def __init__(
        self, file: str, reason: str, *, line: int | None = None, column: str | None = None
    ):
        self.file = file
        self.reason = reason
        self.line = line
        self.column = column
        where = file
        if line is not None:
            where += f", line {line}"
        if column is not None:
            where += f", column '{column}'"
        super().__init__(f"{where}: {reason}")


@dataclass(frozen=True)
class RejectedRow:
    """One data row that failed a check; it goes to raw.rejected_rows instead of the raw table."""

    line: int
    column: str
    check: str
    value: str
    original: str


class CellRejected(Exception):
    """One cell failed a check while a row was read; the row goes to the quarantine."""

    def __init__(self, column: str, check: str, value: str):
        super().__init__(check)
        self.column, self.check, self.value = column, check, value
