"""ECB euro reference rates: unpivoted to one row per day and currency, N/A never a zero."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from pipelines.ingest import fx_rates
from pipelines.ingest.errors import FileRefused, RejectedRow
from pipelines.ingest.options import IngestOptions
from pipelines.ingest.parsed import Lineage, ParsedFile

FIXTURES = Path(__file__).parent.parent / "fixtures" / "fx_rates"
SHARED_SAMPLES = Path(__file__).parent.parent / "fixtures" / "shared_samples"
OPTIONS = IngestOptions()
LOADED_AT = dt.datetime(2026, 11, 21, 7, 0)


def _read(path: Path, workdir: Path) -> ParsedFile:
    lineage = Lineage(f"fx_rates/{path.name}", "hash", "load", LOADED_AT)
    return fx_rates.read(path, lineage, OPTIONS, workdir)


def _rows(parsed: ParsedFile) -> list[tuple]:
    rows = pq.read_table(parsed.staged[fx_rates.TABLE]).to_pylist()
    return [
        (r["rate_date"], r["currency_code"], r["units_per_euro"], r["_row_number"]) for r in rows
    ]


def test_na_gives_no_row_and_trailing_commas_are_not_a_column(tmp_path):
    parsed = _read(FIXTURES / "eurofxref_hist_na_trailing_commas.csv", tmp_path)
    d20, d19, d18, d17 = (dt.date(2026, 11, day) for day in (20, 19, 18, 17))
    assert _rows(parsed) == [
        (d20, "CHF", 0.9312, 2),
        (d20, "GBP", 0.8391, 2),
        (d20, "JPY", 162.41, 2),
        (d20, "USD", 1.0532, 2),
        (d19, "CHF", 0.9330, 3),  # a line without the trailing comma
        (d19, "GBP", 0.8402, 3),
        (d19, "USD", 1.0561, 3),  # JPY N/A: no row
        (d18, "CHF", 0.9301, 4),
        (d18, "GBP", 0.8388, 4),  # USD and JPY N/A: no rows
        (d17, "CHF", 0.9288, 5),
        (d17, "GBP", 0.8375, 5),
        (d17, "JPY", 161.95, 5),
        (d17, "USD", 1.0490, 5),
    ]
    assert (parsed.rows_read, parsed.rows_loaded) == (4, 4)  # days
    assert parsed.rejected == []
    assert (parsed.first_date, parsed.last_date) == (d17, d20)


def test_bad_days_are_quarantined_with_line_column_and_rule(tmp_path):
    parsed = _read(FIXTURES / "eurofxref_bad_rows.csv", tmp_path)
    assert parsed.rejected == [
        RejectedRow(3, "USD", "rate is above zero (at least 0.0001)", "0", "2026-11-19,0,162.87,"),
        RejectedRow(4, "USD", "rate is a number or N/A", "1.05a", "2026-11-18,1.05a,162.10,"),
        RejectedRow(
            5, "Date", "date is a real calendar day", "2026-11-31", "2026-11-31,1.0500,162.00,"
        ),
        # An empty cell is not N/A: nobody can tell whether the rate is missing or lost.
        RejectedRow(6, "USD", "rate is a number or N/A", "", "2026-11-17,,161.95,"),
        RejectedRow(7, "Date", "one row per date", "2026-11-20", "2026-11-20,1.0532,162.41,"),
    ]
    assert _rows(parsed) == [
        (dt.date(2026, 11, 20), "JPY", 162.41, 2),
        (dt.date(2026, 11, 20), "USD", 1.0532, 2),
        (dt.date(2026, 11, 16), "JPY", 161.80, 8),
        (dt.date(2026, 11, 16), "USD", 1.0480, 8),
    ]
    assert (parsed.rows_read, parsed.rows_loaded) == (7, 2)


def test_a_file_that_is_not_the_rates_file_is_refused(tmp_path):
    path = tmp_path / "rates.csv"
    path.write_text("Day,Dollar\n2026-11-20,1.05\n", encoding="utf-8")
    with pytest.raises(FileRefused, match="Date,USD,JPY"):
        _read(path, tmp_path / "work")
    path.write_text("Date,USD,Dollar\n2026-11-20,1.05,1.05\n", encoding="utf-8")
    with pytest.raises(FileRefused, match="three-letter currency codes; found 'Dollar'"):
        _read(path, tmp_path / "work")


def test_shared_sample_loads_with_na_as_missing(tmp_path):
    parsed = _read(SHARED_SAMPLES / "ecb_eurofxref_hist.csv", tmp_path)
    rows = _rows(parsed)
    assert len(rows) == 11  # 3 days x 4 currencies, less the one N/A
    assert (dt.date(2026, 11, 18), "USD") not in {(r[0], r[1]) for r in rows}
    assert (dt.date(2026, 11, 18), "JPY", 162.10, 4) in rows
    assert all(r[2] > 0 for r in rows)
    assert (parsed.rows_read, parsed.rows_loaded) == (3, 3)


def test_schema_and_key():
    assert fx_rates.SCHEMA.names == ["rate_date", "currency_code", "units_per_euro", "_row_number"]
    assert fx_rates.RAW_TABLE.unique == ("rate_date", "currency_code")
