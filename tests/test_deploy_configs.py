"""The shipped Dagster instance files are valid instance configuration."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from dagster._config import validate_config
from dagster._core.instance.config import dagster_instance_config_schema

from pipelines.settings import PROJECT_DIR

CONFIGS = [
    PROJECT_DIR / "dagster.yaml",
    PROJECT_DIR / "deploy" / "dagster.postgres.yaml",
    PROJECT_DIR / "deploy" / "dagster.k8s.yaml",
]


@pytest.mark.parametrize("path", CONFIGS, ids=lambda p: p.name)
def test_instance_config_is_valid(path: Path):
    config = yaml.safe_load(path.read_text(encoding="utf-8"))
    result = validate_config(dagster_instance_config_schema(), config)
    assert result.success, [error.message for error in result.errors or []]
    # Every file keeps the warehouse writers serialised.
    assert config["concurrency"]["pools"]["default_limit"] == 1


def test_team_configs_store_runs_in_postgres():
    for path in CONFIGS[1:]:
        config = yaml.safe_load(path.read_text(encoding="utf-8"))
        assert set(config["storage"]) == {"postgres"}, path.name
        assert config["storage"]["postgres"]["postgres_db"]["password"] == {
            "env": "DAGSTER_PG_PASSWORD"
        }
