"""Row typing and checks shared by the daily campaign reports of the ad platforms.

A reader maps its header to canonical names (`position`: canonical name -> column index) and gets
the DuckDB columns, checks and layers of one campaign-day raw table: the day as `YYYY-MM-DD`,
numbers in the file's format (`-`/`--`/empty as null), whole numbers for counts, the declared
rules of the table, no day in the future and one row per day and campaign.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from pipelines.ingest import sql_values as v
from pipelines.ingest.columns import Cell, DeclaredChecks, RawTable
from pipelines.ingest.native import Check, Column
from pipelines.ingest.native_csv import Layer


@dataclass(frozen=True)
class DayColumns:
    """What a campaign-day table holds, by kind; every name is a column of the raw table."""

    integers: tuple[str, ...]  # counts (impressions, clicks)
    numbers: tuple[str, ...]  # amounts (cost, conversions, conversion value)
    texts: tuple[str, ...]  # read as trimmed text, empty is null
    key: tuple[str, ...]  # one row per these within a file (besides the day)


@dataclass(frozen=True)
class DaySql:
    columns: list[Column]
    checks: list[Check]
    layers: tuple[Layer, ...]
    windows: tuple[Layer, ...]


def _without_dash(cell: str) -> str:
    """`-` (does not apply) as null; other cells as they are."""
    return f"(case when trim(coalesce({cell}, '')) = '-' then null else {cell} end)"


def day_sql(
    table: RawTable,
    kinds: DayColumns,
    position: Mapping[str, int],
    header: Sequence[str],
    *,
    decimal: str = ".",
    constants: Mapping[str, str] | None = None,
    extra_checks: Sequence[Check] = (),
) -> DaySql:
    """Columns, checks and layers for `table` from the cells at `position`. `constants` give SQL
    for columns the file holds outside its rows (a currency read from a column name)."""
    constants = dict(constants or {})
    grouping = "," if decimal == "." else "."

    def cell(name: str) -> str:
        return _without_dash(f"c{position[name]}") if name in position else "cast(null as varchar)"

    def shown(name: str) -> str:
        return f"coalesce(c{position[name]}, '')" if name in position else "''"

    def label(name: str) -> str:
        return header[position[name]] if name in position else name

    numeric = [n for n in (*kinds.numbers, *kinds.integers) if n in position]
    day_raw = f"trim(coalesce(c{position['date_day']}, ''))"
    texts = {n: constants.get(n, v.text(cell(n))) for n in kinds.texts}
    parsed: Layer = [
        ("_day_raw", day_raw),
        ("_day", f"try_cast({day_raw} as date)"),
        *((f"_{n}", e) for n, e in texts.items()),
        *((f"_{n}", v.number(cell(n), decimal, percent=False)) for n in numeric),
        *((f"_bad_{n}", f"not {v.is_number_or_empty(cell(n), decimal)}") for n in numeric),
    ]
    key = ", ".join(["_day", *(f"_{n}" for n in kinds.key)])
    windows: tuple[Layer, ...] = (
        [("_seen", f"row_number() over (partition by {key} order by _rn)")],
    )

    def number(name: str) -> str:
        return f"_{name}" if name in position else "cast(null as double)"

    cells = {
        "date_day": Cell("_day", label("date_day"), "_day_raw"),
        **{n: Cell(f"_{n}", label(n), shown(n)) for n in kinds.texts},
        **{
            n: Cell(number(n), label(n), shown(n), name=n)
            for n in (*kinds.numbers, *kinds.integers)
        },
    }
    declared = DeclaredChecks(table, {n: c for n, c in cells.items() if table.column(n).checked})
    checks = [
        Check(
            "not regexp_matches(_day_raw, '^\\d{4}-\\d{2}-\\d{2}$')",
            label("date_day"),
            "date is YYYY-MM-DD",
            "_day_raw",
        ),
        *declared.presence("date_day"),
        *extra_checks,
    ]
    for name in kinds.texts:
        if table.column(name).checked:
            checks += declared.of(name)
    for name in numeric:
        checks.append(
            Check(
                f"_bad_{name}",
                label(name),
                f"is a number in this file's format (1{grouping}234{decimal}5)",
                shown(name),
            )
        )
        if name in kinds.integers:
            checks.append(
                Check(f"_{name} <> floor(_{name})", label(name), "is a whole number", shown(name))
            )
        checks += declared.rules(name)
    checks += [
        *declared.rest(),
        Check(
            "_day > current_date + 1", label("date_day"), "date is not in the future", "_day_raw"
        ),
        Check("_seen > 1", label("date_day"), "one row per day and campaign", "_day_raw"),
    ]
    types = {"int": "bigint", "float": "double", "str": "varchar", "date": "date"}
    expressions = {
        "date_day": "_day",
        **{n: f"_{n}" for n in kinds.texts},
        **{n: number(n) for n in (*kinds.numbers, *kinds.integers)},
    }
    columns = [Column(c.name, types[c.type], expressions[c.name]) for c in table.columns]
    return DaySql(columns, checks, (parsed,), windows)
