"""No personal data leaves the raw layer as plain text: every column of every table is scanned."""

from __future__ import annotations

import re

import duckdb
import pytest

pytestmark = pytest.mark.slow

EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[a-z]{2,}", re.IGNORECASE)
PHONE = re.compile(r"^\+?[\d\s()-]{9,}$")
IP = re.compile(r"^\d{1,3}(\.\d{1,3}){3}$")
FIXTURE_NAMES = ("Ria", "Rob", "Roos", "Olaf Kok", "Anna de Vries")


def _text_values(path, schemas: set[str] | None):
    with duckdb.connect(str(path), read_only=True) as con:
        columns = con.execute(
            "select table_schema, table_name, column_name from information_schema.columns "
            "where data_type = 'VARCHAR'"
        ).fetchall()
        for schema, table, column in columns:
            if schemas is not None and schema not in schemas:
                continue
            values = con.execute(
                f'select distinct "{column}" from "{schema}"."{table}" where "{column}" is not null'
            ).fetchall()
            for (value,) in values:
                yield f"{schema}.{table}.{column}", value


def _leaks(path, schemas):
    leaks = []
    for where, value in _text_values(path, schemas):
        if EMAIL.search(value) or PHONE.match(value) or IP.match(value):
            leaks.append((where, value))
        if any(name in value for name in FIXTURE_NAMES):
            leaks.append((where, value))
    return leaks


def test_no_plain_personal_data_in_the_published_file(fixture_run):
    assert _leaks(fixture_run.warehouse_path, None) == []


def test_no_plain_personal_data_in_staging_intermediate_or_marts(fixture_run):
    work = fixture_run.settings.work_db_path
    assert _leaks(work, {"staging", "intermediate", "marts", "kpis"}) == []
    # the raw layer does hold them, so the scan itself is able to find them
    assert any("email" in where for where, _ in _leaks(work, {"raw"}))


def test_the_salt_is_never_written(fixture_run):
    salt = b"fixture-salt-not-secret"
    assert salt not in fixture_run.warehouse_path.read_bytes()
    assert salt not in fixture_run.settings.work_db_path.read_bytes()
    for parquet in fixture_run.settings.raw_dir.rglob("*.parquet"):
        assert salt not in parquet.read_bytes()


def test_no_address_from_people_yml_reaches_the_published_file(fixture_run):
    from pipelines.notify.people import addresses, load_people

    directory = load_people(fixture_run.settings.definitions_dir)
    found = addresses(directory)
    assert found, "people.yml lists addresses, so the scan can find them"
    published = fixture_run.warehouse_path.read_bytes()
    values = [value for _, value in _text_values(fixture_run.warehouse_path, None)]
    for address in found:
        assert address.encode() not in published
        assert not any(address in value for value in values)
