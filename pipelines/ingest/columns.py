"""The columns of a raw table, declared once: type, nullability, row rules and personal-data kind.

Each reader declares its raw tables with `RawTable`/`RawColumn`. From that one declaration come
the pyarrow schema the reader writes (`RawTable.arrow_schema`), the row checks it makes at
ingestion (`DeclaredChecks` in SQL, `first_broken_rule` in Python: a row that breaks a rule is
quarantined with its file, line, column and rule) and the pandera schema of the blocking raw check
(`pipelines.checks.raw_schemas`). The pandera check can then only fail for reasons of the whole
table (keys, types), never because one row slipped past ingestion.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Literal

import pyarrow as pa

from pipelines.ingest.native import Check, quote

ColumnType = Literal["int", "float", "str", "date", "timestamp", "bool"]
PiiKind = Literal["email", "name", "phone", "street", "ip"]

ARROW_TYPES: dict[str, pa.DataType] = {
    "int": pa.int64(),
    "float": pa.float64(),
    "str": pa.string(),
    "date": pa.date32(),
    "timestamp": pa.timestamp("us"),
    "bool": pa.bool_(),
}


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(float(value))


@dataclass(frozen=True)
class AtLeast:
    """The value is at least `bound`."""

    bound: float
    text: str | None = None  # the rule as the quarantine names it (default "<name> >= <bound>")

    @property
    def kind(self) -> str:
        return f">= {_number(self.bound)}"

    def describe(self, name: str) -> str:
        return self.text or f"{name} >= {_number(self.bound)}"

    def broken_sql(self, value: str) -> str:
        return f"({value}) < {_number(self.bound)}"

    def holds(self, value: object) -> bool:
        return value >= self.bound  # type: ignore[operator]


@dataclass(frozen=True)
class Between:
    """The value lies in [low, high]."""

    low: float
    high: float
    text: str | None = None

    @property
    def kind(self) -> str:
        return f"between {_number(self.low)} and {_number(self.high)}"

    def describe(self, name: str) -> str:
        return self.text or f"{name} between {_number(self.low)} and {_number(self.high)}"

    def broken_sql(self, value: str) -> str:
        return f"({value}) not between {_number(self.low)} and {_number(self.high)}"

    def holds(self, value: object) -> bool:
        return self.low <= value <= self.high  # type: ignore[operator]


@dataclass(frozen=True)
class OneOf:
    """The value is one of `values`."""

    values: tuple[str, ...]
    text: str | None = None

    @property
    def kind(self) -> str:
        return "one of"

    def describe(self, name: str) -> str:
        return self.text or f"{name} is one of {', '.join(self.values)}"

    def broken_sql(self, value: str) -> str:
        return f"({value}) not in ({', '.join(quote(v) for v in self.values)})"

    def holds(self, value: object) -> bool:
        return value in self.values


Rule = AtLeast | Between | OneOf


@dataclass(frozen=True)
class RawColumn:
    """One column of a raw table.

    `computed` columns are set by the reader itself (a line's number within its order, the export
    kind), not read from a cell: their rules hold by construction and are not checked per row.
    """

    name: str
    type: ColumnType
    nullable: bool = True
    rules: tuple[Rule, ...] = ()
    pii: PiiKind | None = None
    missing: str | None = None  # the rule a missing value breaks (default "<name> is present")
    computed: bool = False
    description: str = ""  # shown in the dbt sources (docs)

    @property
    def checked(self) -> bool:
        """Whether ingestion checks this column row by row."""
        return not self.computed and (not self.nullable or bool(self.rules))


@dataclass(frozen=True)
class RawTable:
    """A raw table: its columns in the order the reader writes them, its natural key within one
    delivered file (checked on the whole table by pandera), and what the checks and dbt need.

    `entity` is the table's name within its dbt source (`source('<source>', '<entity>')`).
    `day` is the SQL expression (over the raw columns, local reporting time) of the day a row
    belongs to: the volume check counts rows per such day when `volume_checked`, and source
    coverage takes its first and last day. `row_time` is the column holding each row's time, for
    tables whose files can be cut off mid-way (the volume check looks for an empty end of day).
    """

    name: str
    columns: tuple[RawColumn, ...]
    unique: tuple[str, ...] = ()
    entity: str = ""
    description: str = ""
    day: str | None = None
    volume_checked: bool = False
    row_time: str | None = None

    def column(self, name: str) -> RawColumn:
        for column in self.columns:
            if column.name == name:
                return column
        raise KeyError(f"{self.name} has no column {name}")

    @property
    def arrow_schema(self) -> pa.Schema:
        """The columns the reader writes, then the row's line (`_row_number`)."""
        fields = [(c.name, ARROW_TYPES[c.type]) for c in self.columns]
        return pa.schema([*fields, ("_row_number", pa.int64())])

    @property
    def pii(self) -> dict[str, str]:
        return {c.name: c.pii for c in self.columns if c.pii}


@dataclass(frozen=True)
class Cell:
    """Where a reader finds a raw column's value in a row: `value` (SQL over the parsed row, null
    when missing), the export `column` the quarantine names, the `shown` SQL text it records, and
    the `name` its rules are described with (default: the export column)."""

    value: str
    column: str
    shown: str
    name: str | None = None
    # Set when the reader's own checks, made before, already reject every row that would break
    # this column's declared rules (say how): no SQL is added for them. The tests break each rule
    # in a real export all the same (tests/ingest/test_declared_rules.py).
    implied_by: str | None = None


@dataclass
class DeclaredChecks:
    """The SQL row checks of one raw table, from its declaration.

    The reader says where each checked column's value is (`cells`), asks for a column's checks
    where they belong among its own format checks (`presence`, `rules`, `of`), and ends with
    `rest()`, which returns the checks of every column not asked for yet: no declared rule is left
    out whatever the reader asks for.
    """

    table: RawTable
    cells: Mapping[str, Cell]
    _done: set[str] = field(default_factory=set)

    def __post_init__(self) -> None:
        missing = [c.name for c in self.table.columns if c.checked and c.name not in self.cells]
        if missing:
            raise ValueError(
                f"{self.table.name}: the reader gives no value to check for {', '.join(missing)}"
            )

    def presence(self, name: str) -> list[Check]:
        column = self.table.column(name)
        self._done.add(f"{name}:presence")
        if column.nullable or column.computed or self.cells[name].implied_by:
            return []
        cell = self.cells[name]
        rule = column.missing or f"{cell.name or cell.column} is present"
        return [Check(f"({cell.value}) is null", cell.column, rule, cell.shown)]

    def rules(self, name: str) -> list[Check]:
        column = self.table.column(name)
        self._done.add(f"{name}:rules")
        if column.computed or not column.rules or self.cells[name].implied_by:
            return []
        cell = self.cells[name]
        named = cell.name or cell.column
        return [
            Check(rule.broken_sql(cell.value), cell.column, rule.describe(named), cell.shown)
            for rule in column.rules
        ]

    def of(self, name: str) -> list[Check]:
        return self.presence(name) + self.rules(name)

    def rest(self) -> list[Check]:
        checks: list[Check] = []
        for column in self.table.columns:
            if f"{column.name}:presence" not in self._done:
                checks += self.presence(column.name)
            if f"{column.name}:rules" not in self._done:
                checks += self.rules(column.name)
        return checks


def first_broken_rule(column: RawColumn, value: object, name: str | None = None) -> str | None:
    """The rule of `column` that `value` breaks (described with `name`), or None: for readers that
    check rows in Python."""
    if column.computed:
        return None
    if value is None:
        return None if column.nullable else (column.missing or f"{name or column.name} is present")
    for rule in column.rules:
        if not rule.holds(value):
            return rule.describe(name or column.name)
    return None


def checked_rules(tables: Iterable[RawTable]) -> list[tuple[str, str, str]]:
    """(table, column, rule) of every row-level rule ingestion checks: "present" for a column that
    may not be empty, else the rule's kind (">= 0", "between 0 and 10", "one of")."""
    found = []
    for table in tables:
        for column in table.columns:
            if not column.checked:
                continue
            if not column.nullable:
                found.append((table.name, column.name, "present"))
            for rule in column.rules:
                found.append((table.name, column.name, rule.kind))
    return found
