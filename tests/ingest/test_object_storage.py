"""Landing and raw folders given as object-storage URLs (fsspec's in-memory store stands in)."""

from __future__ import annotations

import uuid
from pathlib import Path

import dagster as dg
import duckdb
import fsspec
import pytest

from pipelines.assets.ingestion import ingestion_assets
from pipelines.object_storage import is_url, mirror_down, mirror_up
from pipelines.resources import WarehouseResource
from pipelines.settings import Settings
from tests.conftest import FIXTURES, environment

GOOGLE_ADS = FIXTURES / "landing" / "google_ads"


@pytest.fixture
def bucket() -> str:
    return f"memory://bucket-{uuid.uuid4().hex[:8]}"


def test_urls_are_told_from_paths():
    assert is_url("s3://bucket/landing") and is_url("memory://x") and is_url("gs://b/raw")
    assert not is_url("/data/landing") and not is_url("data/landing") and not is_url("C:/x")


def test_settings_mirror_url_locations_into_the_working_folder(tmp_path, bucket):
    with environment(
        KPI_LANDING_DIR=f"{bucket}/landing/",
        KPI_RAW_DIR=f"{bucket}/raw",
        KPI_WORK_DB_PATH=str(tmp_path / "work" / "w.duckdb"),
        KPI_ALLOW_PATHS_OUTSIDE_PROJECT="1",
        KPI_ENGINE="duckdb",
    ):
        settings = Settings.from_env()
        assert settings.landing_url == f"{bucket}/landing"
        assert settings.landing_dir == tmp_path / "work" / "landing-mirror"
        assert settings.raw_dir == tmp_path / "work" / "raw-mirror"
        # DuckDB reads the local copy of the raw layer ...
        assert settings.export_for_dbt()["KPI_RAW_DIR"] == str(settings.raw_dir)
    with environment(
        KPI_RAW_DIR=f"{bucket}/raw",
        KPI_WORK_DB_PATH=str(tmp_path / "work" / "w.duckdb"),
        KPI_ALLOW_PATHS_OUTSIDE_PROJECT="1",
        KPI_ENGINE="spark",
    ):
        # ... a Spark cluster reads it where it is.
        assert Settings.from_env().export_for_dbt()["KPI_RAW_DIR"] == f"{bucket}/raw"


def test_mirror_down_copies_new_files_only_and_never_touches_the_originals(tmp_path, bucket):
    fs = fsspec.filesystem("memory")
    names = sorted(p.name for p in GOOGLE_ADS.iterdir() if p.is_file())
    for name in names[:2]:
        fs.pipe(f"{bucket}/google_ads/{name}", (GOOGLE_ADS / name).read_bytes())

    first = mirror_down(f"{bucket}/google_ads", tmp_path / "google_ads")
    assert sorted(first.copied) == names[:2]
    for name in names[:2]:
        assert (tmp_path / "google_ads" / name).read_bytes() == (GOOGLE_ADS / name).read_bytes()

    fs.pipe(f"{bucket}/google_ads/{names[2]}", (GOOGLE_ADS / names[2]).read_bytes())
    second = mirror_down(f"{bucket}/google_ads", tmp_path / "google_ads")
    assert second.copied == [names[2]] and second.unchanged == 2
    assert sorted(p.split("/")[-1] for p in fs.find(f"{bucket}/google_ads")) == names[:3]


def test_mirror_down_names_a_missing_location(tmp_path, bucket):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        mirror_down(f"{bucket}/nothing", tmp_path)


def test_mirror_up_copies_new_and_changed_files_and_skips_scratch(tmp_path, bucket):
    local = tmp_path / "raw"
    (local / "orders").mkdir(parents=True)
    (local / "_work" / "ingest-1").mkdir(parents=True)
    (local / "orders" / "a.parquet").write_bytes(b"first")
    (local / "_work" / "ingest-1" / "tmp.parquet").write_bytes(b"scratch")

    assert mirror_up(local, f"{bucket}/raw").copied == ["orders/a.parquet"]
    assert mirror_up(local, f"{bucket}/raw").copied == []

    changed = local / "orders" / "a.parquet"
    changed.write_bytes(b"other")  # same size, new content
    assert mirror_up(local, f"{bucket}/raw").copied == ["orders/a.parquet"]
    fs = fsspec.filesystem("memory")
    assert fs.cat(f"{bucket}/raw/orders/a.parquet") == b"other"
    assert not any("_work" in p for p in fs.find(f"{bucket}/raw"))


def test_ingestion_asset_reads_landing_from_and_writes_raw_to_object_storage(tmp_path, bucket):
    fs = fsspec.filesystem("memory")
    files = sorted(p for p in GOOGLE_ADS.iterdir() if p.is_file())
    for path in files:
        fs.pipe(f"{bucket}/landing/google_ads/{path.name}", path.read_bytes())
    warehouse = WarehouseResource(
        landing_dir=str(tmp_path / "landing-mirror"),
        raw_dir=str(tmp_path / "raw-mirror"),
        work_db_path=str(tmp_path / "w.duckdb"),
        warehouse_path=str(tmp_path / "k.duckdb"),
        definitions_dir=str(tmp_path),
        landing_url=f"{bucket}/landing",
        raw_url=f"{bucket}/raw",
    )
    asset = next(a for a in ingestion_assets if a.op.name == "ingest_google_ads")
    with environment(KPI_PII_SALT="object-storage-test"):
        result = dg.materialize([asset], resources={"warehouse": warehouse})
    assert result.success

    remote = sorted(fs.find(f"{bucket}/raw/google_ads_campaign_days"))
    local = sorted(Path(tmp_path / "raw-mirror" / "google_ads_campaign_days").glob("*.parquet"))
    assert len(remote) == len(local) >= 2  # the empty-schema file and at least one load
    copy = tmp_path / "from-bucket"
    copy.mkdir()
    for path in remote:
        fs.get_file(path, str(copy / path.split("/")[-1]))
    pattern = str(copy / "*.parquet")
    expected = str(tmp_path / "raw-mirror" / "google_ads_campaign_days" / "*.parquet")
    count = "select count(*), sum(cost) from read_parquet('{}', union_by_name = true)"
    assert (
        duckdb.sql(count.format(pattern)).fetchone()
        == duckdb.sql(count.format(expected)).fetchone()
    )
    assert duckdb.sql(count.format(pattern)).fetchone()[0] > 0
    # The landing originals are untouched.
    for path in files:
        assert fs.cat(f"{bucket}/landing/google_ads/{path.name}") == path.read_bytes()


def test_the_landing_sensor_watches_the_remote_folders(tmp_path, bucket):
    from pipelines.schedules import build_ingestion_schedule
    from pipelines.sensors import build_landing_sensor

    fs = fsspec.filesystem("memory")
    warehouse = WarehouseResource(
        landing_dir=str(tmp_path / "landing-mirror"),
        raw_dir=str(tmp_path / "raw-mirror"),
        work_db_path=str(tmp_path / "w.duckdb"),
        warehouse_path=str(tmp_path / "k.duckdb"),
        definitions_dir=str(tmp_path),
        landing_url=f"{bucket}/landing",
    )
    job, _ = build_ingestion_schedule(timezone="UTC")
    sensor = build_landing_sensor(job)

    def evaluate(cursor):
        context = dg.build_sensor_context(cursor=cursor, resources={"warehouse": warehouse})
        return sensor.evaluate_tick(context)

    first = GOOGLE_ADS / sorted(p.name for p in GOOGLE_ADS.iterdir())[0]
    fs.pipe(f"{bucket}/landing/google_ads/{first.name}", first.read_bytes())
    tick = evaluate(None)
    assert len(tick.run_requests) == 1
    assert not evaluate(tick.cursor).run_requests  # nothing new
    fs.pipe(f"{bucket}/landing/orders/new.csv", b"Name,Email\n")
    assert len(evaluate(tick.cursor).run_requests) == 1
