"""Publishing into a copy of the previous file: the result always holds exactly the working
database's marts and bi views, whatever changed between two publishes.

Each case builds a small working database by hand, publishes it, changes it the way a later run
would (rows of new runs, rows deleted, a column added, a table gone) and publishes again. The
published tables are compared with the working database's own rows, and what was rewritten with
what the case changed.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from pipelines.publish.warehouse_file import STORAGE_VERSION, publish

DAYS = 30
ROWS_PER_DAY = 100
GROUPS = {"marts.fct_daily": ["day_number"]}  # the daily fact is rebuilt by day


def _work(path: Path, rows_per_day: int = ROWS_PER_DAY) -> Path:
    """A working database: a daily fact with lineage (days 1-30, 100 rows a day, all written by
    run r1), a dimension without lineage, a table outside the published schemas and a bi view."""
    with duckdb.connect(str(path)) as con:
        con.execute("create schema marts; create schema bi; create schema staging")
        con.execute(
            "create table marts.fct_daily as select day_number, row_number, "
            "day_number * 1000 + row_number as value, 'r1' as built_by_run "
            f"from range(1, {DAYS + 1}) d(day_number), range({rows_per_day}) r(row_number)"
        )
        con.execute("create table marts.dim_thing as select 1 as id, 'one' as name")
        con.execute("create table staging.not_published as select 1 as x")
        con.execute(
            "create view bi.daily_totals as select day_number, sum(value) as total "
            "from marts.fct_daily group by day_number"
        )
    return path


def _rows(database: Path, table: str) -> list[tuple]:
    with duckdb.connect(str(database), read_only=True) as con:
        return sorted(con.execute(f"select * from {table}").fetchall())


def _same_as_work(work: Path, published: Path) -> None:
    with duckdb.connect(str(work), read_only=True) as con:
        tables = con.execute(
            "select schema_name || '.' || table_name from duckdb_tables() "
            "where schema_name in ('marts', 'bi') order by 1"
        ).fetchall()
    with duckdb.connect(str(published), read_only=True) as con:
        published_tables = con.execute(
            "select schema_name || '.' || table_name from duckdb_tables() order by 1"
        ).fetchall()
        totals = sorted(con.execute("select * from bi.daily_totals").fetchall())
    assert published_tables == tables
    for (table,) in tables:
        assert _rows(published, table) == _rows(work, table), table
    assert totals == _rows(work, "bi.daily_totals")


def _nightly(work: Path, run: str, days: list[int], rows_per_day: int = ROWS_PER_DAY) -> None:
    """What a run does to the daily fact: the days it rebuilds deleted, then written by it (each
    value changed, so a row kept by mistake would show)."""
    with duckdb.connect(str(work)) as con:
        con.execute("delete from marts.fct_daily where list_contains(?, day_number)", [days])
        con.execute(
            "insert into marts.fct_daily select day_number, row_number, "
            "day_number * 1000 + row_number + 7 as value, ? as built_by_run "
            f"from unnest(?) d(day_number), range({rows_per_day}) r(row_number)",
            [run, days],
        )


@pytest.fixture
def published_once(tmp_path: Path) -> tuple[Path, Path]:
    work = _work(tmp_path / "work.duckdb")
    target = tmp_path / "published" / "kpi.duckdb"
    first = publish(work, target, groups=GROUPS)
    assert first.mode == "full"
    assert first.tables == {
        "marts.dim_thing": 1,
        "marts.fct_daily": DAYS * ROWS_PER_DAY,
    }
    return work, target


def test_a_nightly_run_replaces_the_rows_of_the_runs_that_changed(published_once) -> None:
    work, target = published_once
    _nightly(work, "r2", [29, 30, 31])  # two days rebuilt, one new
    result = publish(work, target, groups=GROUPS)
    assert result.mode == "incremental"
    # r1's days 29 and 30 are gone (deleted from the copy), r2's three days are new (inserted)
    assert result.rows_replaced == {"marts.fct_daily": 3 * ROWS_PER_DAY}
    assert result.rewritten == ["marts.dim_thing"]  # no lineage: written whole
    _same_as_work(work, target)

    _nightly(work, "r3", [31, 32])  # r2's day 31 rebuilt, day 32 new
    result = publish(work, target, groups=GROUPS)
    assert result.rows_replaced == {"marts.fct_daily": 2 * ROWS_PER_DAY}
    _same_as_work(work, target)


def test_without_rebuild_units_a_table_is_compared_by_run(published_once) -> None:
    work, target = published_once
    _nightly(work, "r2", [31])  # r1 unchanged: only r2's rows are new
    assert publish(work, target).rows_replaced == {"marts.fct_daily": ROWS_PER_DAY}
    _same_as_work(work, target)
    _nightly(work, "r3", [30, 32])  # r1 lost a day: all its rows are replaced, most of the table
    assert "marts.fct_daily" in publish(work, target).rewritten
    _same_as_work(work, target)


def test_rows_only_deleted_are_deleted_from_the_published_file(published_once) -> None:
    work, target = published_once
    with duckdb.connect(str(work)) as con:
        con.execute("delete from marts.fct_daily where day_number = 5 and row_number < 10")
    result = publish(work, target, groups=GROUPS)
    assert result.rows_replaced == {"marts.fct_daily": ROWS_PER_DAY - 10}  # day 5's other rows
    _same_as_work(work, target)


def test_nothing_changed_leaves_the_table_as_it_was(published_once) -> None:
    work, target = published_once
    result = publish(work, target, groups=GROUPS)
    assert result.unchanged == ["marts.fct_daily"]
    assert result.rows_replaced == {}
    _same_as_work(work, target)


def test_rows_without_lineage_are_replaced_once_they_get_it(tmp_path: Path) -> None:
    work = _work(tmp_path / "work.duckdb")
    with duckdb.connect(str(work)) as con:
        con.execute("update marts.fct_daily set built_by_run = null where day_number <= 2")
    target = tmp_path / "kpi.duckdb"
    publish(work, target, groups=GROUPS)
    with duckdb.connect(str(work)) as con:
        con.execute("update marts.fct_daily set built_by_run = 'r9', value = -value "
                    "where built_by_run is null")  # fmt: skip
    result = publish(work, target, groups=GROUPS)
    assert result.rows_replaced == {"marts.fct_daily": 2 * ROWS_PER_DAY}
    _same_as_work(work, target)


def test_a_table_whose_runs_mostly_changed_is_written_whole(published_once) -> None:
    work, target = published_once
    _nightly(work, "r2", list(range(1, 17)))  # 16 of 30 days
    result = publish(work, target, groups=GROUPS)
    assert "marts.fct_daily" in result.rewritten
    assert result.rows_replaced == {}
    _same_as_work(work, target)


def test_new_columns_new_tables_and_dropped_tables_follow_the_working_database(
    published_once,
) -> None:
    work, target = published_once
    with duckdb.connect(str(work)) as con:
        con.execute("alter table marts.fct_daily add column note varchar default 'n'")
        con.execute("create table marts.fct_new as select 42 as answer, 'r2' as built_by_run")
        con.execute("drop table marts.dim_thing")
    result = publish(work, target, groups=GROUPS)
    assert sorted(result.rewritten) == ["marts.fct_daily", "marts.fct_new"]
    _same_as_work(work, target)


def test_an_unreadable_previous_file_gives_a_full_publish(published_once) -> None:
    work, target = published_once
    target.write_bytes(b"not a database")
    _nightly(work, "r2", [31])
    result = publish(work, target, groups=GROUPS)
    assert result.mode == "full"
    _same_as_work(work, target)


def test_full_writes_every_table_into_a_new_file_in_the_old_storage_format(
    published_once,
) -> None:
    work, target = published_once
    _nightly(work, "r2", [31])
    result = publish(work, target, full=True, groups=GROUPS)
    assert result.mode == "full"
    assert sorted(result.rewritten) == ["marts.dim_thing", "marts.fct_daily"]
    _same_as_work(work, target)
    with duckdb.connect(str(target), read_only=True) as con:
        tags = con.execute("select tags from duckdb_databases() where database_name = 'kpi'")
        assert tags.fetchone()[0]["storage_version"].startswith(STORAGE_VERSION)


def test_a_month_of_nightly_publishes_keeps_the_file_within_bounds(tmp_path: Path) -> None:
    """Deleted rows leave space in a DuckDB file that later writes do not all reuse: a month of
    nights, each replacing its last two days, must not grow the file past 2.5 times what a full
    publish of the same rows writes (about 2.2 times here, the same after four months), and the
    weekly full publish gives the space back."""
    rows_per_day = 5000
    work = _work(tmp_path / "work.duckdb", rows_per_day)
    target = tmp_path / "kpi.duckdb"
    publish(work, target, groups=GROUPS)
    for night in range(30):
        day = DAYS + night + 1
        _nightly(work, f"n{night}", [day - 1, day], rows_per_day)
        assert publish(work, target, groups=GROUPS).rows_replaced == {
            "marts.fct_daily": 2 * rows_per_day
        }
    _same_as_work(work, target)
    fresh = tmp_path / "fresh.duckdb"
    publish(work, fresh, groups=GROUPS)
    assert target.stat().st_size <= 2.5 * fresh.stat().st_size
    publish(work, target, full=True, groups=GROUPS)
    assert target.stat().st_size <= 1.05 * fresh.stat().st_size
    _same_as_work(work, target)
