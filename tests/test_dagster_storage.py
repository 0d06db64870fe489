"""The shipped dagster.yaml's event log keeps its connections open and loses no event."""

from __future__ import annotations

import shutil
from pathlib import Path

import dagster as dg
import pytest

from pipelines.dagster_storage import OPEN_RUN_FILES, PooledSqliteEventLogStorage
from pipelines.settings import PROJECT_DIR
from tests.conftest import environment


@dg.asset
def numbers() -> dg.MaterializeResult:
    return dg.MaterializeResult(metadata={"rows": 3})


@dg.asset_check(asset=numbers)
def numbers_are_three() -> dg.AssetCheckResult:
    return dg.AssetCheckResult(passed=True)


JOB = dg.define_asset_job("numbers_job", selection=[numbers]).resolve(
    asset_graph=dg.Definitions(assets=[numbers], asset_checks=[numbers_are_three])
    .get_repository_def()
    .asset_graph
)


@pytest.fixture
def dagster_home(tmp_path: Path) -> Path:
    home = tmp_path / "dagster_home"
    home.mkdir()
    shutil.copy(PROJECT_DIR / "dagster.yaml", home / "dagster.yaml")
    return home


def test_runs_and_their_events_are_kept_by_the_pooled_storage(dagster_home: Path) -> None:
    runs = 2 * OPEN_RUN_FILES  # more runs than engines are kept open
    with environment(DAGSTER_HOME=str(dagster_home)):
        with dg.DagsterInstance.get() as instance:
            assert isinstance(instance.event_log_storage, PooledSqliteEventLogStorage)
            run_ids = []
            for _ in range(runs):
                result = JOB.execute_in_process(instance=instance)
                assert result.success
                run_ids.append(result.run_id)
            assert len(instance.event_log_storage._engines) <= OPEN_RUN_FILES + 1
        # A new instance (another process) reads every run's events and the asset's latest
        # materialisation from the files.
        with dg.DagsterInstance.get() as reader:
            for run_id in run_ids:
                kinds = {entry.dagster_event_type for entry in reader.all_logs(run_id)}
                assert dg.DagsterEventType.ASSET_MATERIALIZATION in kinds
                assert dg.DagsterEventType.RUN_SUCCESS in kinds
            latest = reader.get_latest_materialization_event(dg.AssetKey("numbers"))
            assert latest is not None and latest.run_id == run_ids[-1]
            check = reader.event_log_storage.get_latest_asset_check_execution_by_key(
                [dg.AssetCheckKey(dg.AssetKey("numbers"), "numbers_are_three")]
            )
            assert check, "the check's evaluation is in the index"
            assert len(reader.get_runs()) == runs


def test_a_deleted_run_leaves_no_open_file_behind(dagster_home: Path) -> None:
    with environment(DAGSTER_HOME=str(dagster_home)), dg.DagsterInstance.get() as instance:
        result = JOB.execute_in_process(instance=instance)
        instance.delete_run(result.run_id)
        assert instance.get_run_by_id(result.run_id) is None
        assert not instance.all_logs(result.run_id)
        assert JOB.execute_in_process(instance=instance).success
