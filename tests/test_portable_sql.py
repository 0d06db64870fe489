"""The dbt project runs on DuckDB and Spark: its SQL avoids what only one of them accepts.

The Spark build (tests/test_spark_engine.py) is the real check; this one names the common slips
in seconds: `varchar` without a length (Spark refuses it: use `{{ dbt.type_string() }}`) and
DuckDB's `::` cast syntax (use `cast(x as type)`).
"""

from __future__ import annotations

import re
from pathlib import Path

from pipelines.settings import PROJECT_DIR

DBT_DIR = PROJECT_DIR / "dbt_project"
NOT_PORTABLE = {
    "varchar without a length (Spark refuses it): use {{ dbt.type_string() }}": re.compile(
        r"\bvarchar\b(?!\s*\()", re.IGNORECASE
    ),
    "the :: cast is DuckDB's: use cast(x as type)": re.compile(r"(?<!:)::(?!:)"),
}


def _sql_files() -> list[Path]:
    folders = [DBT_DIR / "models", DBT_DIR / "macros", DBT_DIR / "tests", DBT_DIR / "generated"]
    return sorted(p for folder in folders if folder.exists() for p in folder.rglob("*.sql"))


def _code(line: str) -> str:
    return line.split("--", 1)[0]


def test_the_dbt_sql_has_no_engine_specific_casts():
    found = []
    for path in _sql_files():
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            for why, pattern in NOT_PORTABLE.items():
                if pattern.search(_code(line)):
                    found.append(f"{path.relative_to(PROJECT_DIR)}:{number}: {why}")
    assert found == []


def test_the_check_finds_a_varchar_cast():
    line = "select cast(campaign_id as varchar) as campaign_id, x::int"
    hits = [why for why, pattern in NOT_PORTABLE.items() if pattern.search(_code(line))]
    assert len(hits) == 2
    assert not any(
        p.search(_code("cast(x as {{ dbt.type_string() }}) -- not varchar"))
        for p in NOT_PORTABLE.values()
    )
