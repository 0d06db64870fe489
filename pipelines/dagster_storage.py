"""Dagster's SQLite storage with the event log's connections kept open.

Dagster's own SQLite event log opens a new engine and connection for every event it stores and
closes it afterwards; closing the last connection of a WAL database checkpoints it, and every
commit syncs the disk. A run of this project stores a few hundred events (about 150 planned
materialisations alone), so on a busy disk the instance cost more than the work of a run with
nothing new. This storage keeps one engine per database file (the index and the last few runs'
files) and commits with `synchronous=NORMAL`, WAL's usual setting: a commit survives a crash of
the process, only a power cut can lose the last few events (a run is then retried or shown as
failed, as after any crash). Runs, schedules and everything else are Dagster's own SQLite storage.

Enabled in `dagster.yaml`:

    storage:
      custom:
        module: pipelines.dagster_storage
        class: PooledSqliteStorage
        config:
          base_dir: {env: DAGSTER_HOME}   # Dagster's own folders: history/, schedules/
"""

from __future__ import annotations

import os
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import sqlalchemy as db
from dagster._core.storage.event_log.sqlite.sqlite_event_log import SqliteEventLogStorage
from dagster._core.storage.sqlite import create_db_conn_string
from dagster._core.storage.sqlite_storage import DagsterSqliteStorage, _event_logs_directory
from dagster._serdes import ConfigurableClassData
from sqlalchemy.engine import Connection, Engine

SQLITE_BUSY_TIMEOUT_SECONDS = 30
# Engines kept open besides the index's: the runs being written and read right now.
OPEN_RUN_FILES = 8


def _set_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


class PooledSqliteEventLogStorage(SqliteEventLogStorage):
    """SqliteEventLogStorage with one pooled engine per shard (see the module docstring)."""

    def __init__(self, base_dir: str, inst_data: ConfigurableClassData | None = None):
        self._engines: OrderedDict[str, Engine] = OrderedDict()
        super().__init__(base_dir, inst_data=inst_data)

    def _engine(self, shard: str) -> Engine:
        engine = self._engines.get(shard)
        if engine is not None:
            self._engines.move_to_end(shard)
            return engine
        engine = db.create_engine(
            create_db_conn_string(self._base_dir, shard),
            connect_args={"timeout": SQLITE_BUSY_TIMEOUT_SECONDS, "check_same_thread": False},
        )
        db.event.listen(engine, "connect", _set_pragmas)
        if shard not in self._initialized_dbs:
            self._initdb(engine)
            self._initialized_dbs.add(shard)
        self._engines[shard] = engine
        while len(self._engines) > OPEN_RUN_FILES + 1:
            oldest = next(s for s in self._engines if s != "index")
            self._engines.pop(oldest).dispose()
        return engine

    @contextmanager
    def _connect(self, shard: str) -> Iterator[Connection]:
        with self._db_lock:
            engine = self._engine(shard)
            with engine.connect() as conn, conn.begin():
                yield conn

    def _dispose_engines(self) -> None:
        with self._db_lock:
            while self._engines:
                self._engines.popitem()[1].dispose()

    def delete_events(self, run_id: str) -> None:
        self._dispose_engines()
        super().delete_events(run_id)

    def wipe(self) -> None:
        self._dispose_engines()
        super().wipe()

    def dispose(self) -> None:
        self._dispose_engines()
        super().dispose()


class PooledSqliteStorage(DagsterSqliteStorage):
    """Dagster's SQLite storage (runs, schedules) with the pooled event log, in the folders
    Dagster's default storage uses (`<base_dir>/history`, `<base_dir>/schedules`): a Dagster
    home keeps its runs when it switches to this storage."""

    def __init__(self, base_dir: str, inst_data: ConfigurableClassData | None = None):
        super().__init__(base_dir, inst_data=inst_data)
        self._event_log_storage = PooledSqliteEventLogStorage(_event_logs_directory(base_dir))

    @classmethod
    def from_config_value(  # type: ignore[override]
        cls, inst_data: ConfigurableClassData, config_value: dict[str, Any]
    ) -> PooledSqliteStorage:
        base_dir = str(config_value["base_dir"])
        os.makedirs(base_dir, exist_ok=True)
        return cls(base_dir, inst_data=inst_data)
