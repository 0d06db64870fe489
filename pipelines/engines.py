"""The engine that builds the dbt project: DuckDB (one machine, the default) or Spark.

Ingestion is the same for both (it writes the engine-neutral Parquet raw layer); only dbt's target
and where the built tables are read from differ. On DuckDB, readers open the published file; on
Spark (local mode), the tables are Parquet folders under KPI_SPARK_DIR/tables, which an in-memory
DuckDB connection reads for the scorecard and the report.
"""

from __future__ import annotations

import contextlib
import enum
import os
import re
from collections.abc import Iterator
from pathlib import Path

import duckdb


class Engine(enum.StrEnum):
    duckdb = "duckdb"
    spark = "spark"


class EngineError(ValueError):
    """KPI_ENGINE names an engine this project does not support."""


def engine_from_env() -> Engine:
    raw = os.environ.get("KPI_ENGINE", "").strip().lower() or Engine.duckdb.value
    try:
        return Engine(raw)
    except ValueError:
        choices = ", ".join(e.value for e in Engine)
        raise EngineError(
            f"KPI_ENGINE={raw!r} is not supported; choose one of: {choices}"
        ) from None


SPARK_TABLE_COMMENT = "table built by Spark"
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def spark_table_folders(tables_dir: Path) -> dict[tuple[str, str], Path]:
    """(schema, table) -> Parquet folder, for every table Spark wrote under its warehouse dir."""
    found: dict[tuple[str, str], Path] = {}
    for schema_dir in sorted(tables_dir.glob("*.db")):
        schema = schema_dir.name.removesuffix(".db")
        for table_dir in sorted(p for p in schema_dir.iterdir() if p.is_dir()):
            readable = _NAME.match(schema) and _NAME.match(table_dir.name)
            if readable and any(table_dir.glob("*.parquet")):
                found[(schema, table_dir.name)] = table_dir
    return found


@contextlib.contextmanager
def spark_tables_connection(tables_dir: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """An in-memory DuckDB connection with a view per table of a local Spark build."""
    folders = spark_table_folders(tables_dir)
    if not folders:
        raise FileNotFoundError(
            f"no tables built by Spark under {tables_dir}; run `kpi-warehouse run` first"
        )
    con = duckdb.connect()
    try:
        for schema in sorted({schema for schema, _ in folders}):
            con.execute(f'create schema "{schema}"')
        for (schema, table), folder in folders.items():
            pattern = str(folder / "*.parquet").replace("'", "''")
            name = f'"{schema}"."{table}"'
            con.execute(f"create view {name} as select * from read_parquet('{pattern}')")
            con.execute(f"comment on view {name} is '{SPARK_TABLE_COMMENT}'")
        yield con
    finally:
        con.close()


@contextlib.contextmanager
def built_tables(
    engine: Engine, *, warehouse_path: Path, spark_dir: Path
) -> Iterator[duckdb.DuckDBPyConnection]:
    """Read-only access to the KPI marts of whichever engine built them."""
    if engine == Engine.spark:
        with spark_tables_connection(spark_dir / "tables") as con:
            yield con
        return
    if not warehouse_path.exists():
        raise FileNotFoundError(
            f"no published warehouse at {warehouse_path}; run `kpi-warehouse run` first"
        )
    with duckdb.connect(str(warehouse_path), read_only=True) as con:
        yield con
