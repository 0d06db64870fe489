"""Search Console: bulk export (CSV and Parquet), API export and the UI zip, English and Dutch."""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from pipelines.ingest import search_console as sc
from pipelines.ingest.errors import FileRefused
from pipelines.ingest.parsed import Lineage

FIXTURES = Path(__file__).parent.parent / "fixtures"
LINEAGE = Lineage("search_console/x", "hash", "load", dt.datetime(2026, 10, 1, 6, 0))


def _staged_rows(parsed) -> list[dict]:
    return pq.read_table(parsed.staged[sc.QUERY_DAYS]).to_pylist()


def test_bulk_export_csv(tmp_path):
    parsed = sc.parse(FIXTURES / "search_console" / "bulk_export.csv", LINEAGE, tmp_path)
    rows = _staged_rows(parsed)
    assert parsed.rows_read == parsed.rows_loaded == 4
    assert (parsed.first_date, parsed.last_date) == (dt.date(2026, 9, 1), dt.date(2026, 9, 2))
    first = rows[0]
    assert first["query"] == "tuinset" and first["impressions"] == 100 and first["clicks"] == 5
    # zero-based sum_top_position 150 over 100 impressions: 1-based position sum 250 (avg 2.5)
    assert first["position_sum"] == pytest.approx(250.0)
    assert rows[2]["query"] is None and rows[2]["is_anonymized_query"] is True
    assert rows[3]["search_type"] == "image" and rows[3]["device"] == "TABLET"
    assert [r["_row_number"] for r in rows] == [2, 3, 4, 5]
    assert {r["_source_file"] for r in rows} == {"search_console/x"}
    # the weighted average over both tuinset rows: (250 + 75) / 150
    tuinset = [r for r in rows if r["query"] == "tuinset"]
    average = sum(r["position_sum"] for r in tuinset) / sum(r["impressions"] for r in tuinset)
    assert average == pytest.approx((150 + 100 + 25 + 50) / 150)


def test_bulk_export_parquet(tmp_path):
    source = tmp_path / "searchdata_site_impression.parquet"
    pq.write_table(
        pa.table(
            {
                "data_date": [dt.date(2026, 9, 1), dt.date(2026, 9, 1)],
                "site_url": ["sc-domain:example.com"] * 2,
                "query": ["tuinset", ""],
                "is_anonymized_query": [False, True],
                "country": ["nld", "nld"],
                "search_type": ["WEB", "WEB"],
                "device": ["MOBILE", "MOBILE"],
                "impressions": [40, 3],
                "clicks": [4, 0],
                "sum_top_position": [20.0, 9.0],
            }
        ),
        source,
    )
    parsed = sc.parse(source, LINEAGE, tmp_path / "work")
    rows = _staged_rows(parsed)
    assert parsed.rows_loaded == 2
    assert rows[0]["position_sum"] == pytest.approx(60.0)
    assert rows[1]["query"] is None


def test_api_export_weights_position_by_impressions(tmp_path):
    parsed = sc.parse(FIXTURES / "search_console" / "api_export.csv", LINEAGE, tmp_path)
    rows = _staged_rows(parsed)
    assert parsed.rows_read == 3 and parsed.rows_loaded == 2
    assert rows[0]["position_sum"] == pytest.approx(250.0)
    assert rows[1]["query"] == "loungebank, waterdicht"
    assert rows[1]["position_sum"] == pytest.approx(490.0)
    assert rows[1]["page"] == "https://example.com/lounge"
    rejected = parsed.rejected[0]
    assert (rejected.line, rejected.column, rejected.check, rejected.value) == (
        4,
        "position",
        "position >= 1",
        "0",
    )


def _zip(entries: dict[str, str], bom: bool = False) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, text in entries.items():
            archive.writestr(name, (b"\xef\xbb\xbf" if bom else b"") + text.encode())
    return buffer.getvalue()


def test_ui_zip_english_with_relative_period(tmp_path):
    path = FIXTURES / "shared_samples" / "gsc_performance_export_en.zip"
    parsed = sc.parse(path, LINEAGE, tmp_path)
    sites = parsed.tables[sc.SITE_DAYS].to_pylist()
    queries = parsed.tables[sc.PERIOD_QUERIES].to_pylist()
    assert len(sites) == 28 and len(queries) == 25
    assert sites[0] == {
        "date_day": dt.date(2026, 9, 30),
        "search_type": "web",
        "clicks": 445,
        "impressions": 13093,
        "position": pytest.approx(14.43),
        "_row_number": 2,
    }
    assert queries[0]["query"] == "voorbeeld webshop"
    assert queries[0]["period_label"] == "Last 28 days"
    assert queries[0]["is_relative_period"] is True and queries[0]["period_start"] is None
    assert queries[23]["query"] == "loungebank, waterdicht"


def test_ui_zip_dutch_chart_in_subfolder_with_explicit_period(tmp_path):
    data = _zip(
        {
            "export/Chart.csv": "Datum,Klikken,Vertoningen,CTR,Positie\n"
            '2026-09-02,10,200,"5,0%","3,5"\n',
            "export/Queries.csv": "Populairste zoekopdrachten,Klikken,Vertoningen,CTR,Positie\n"
            'tuinset,8,100,"8%","2,25"\n',
            "export/Filters.csv": "Filter,Value\nZoektype,Web\nDatum,2026-09-01 - 2026-09-28\n",
        },
        bom=True,
    )
    path = tmp_path / "Prestaties.zip"
    path.write_bytes(data)
    parsed = sc.parse(path, LINEAGE, tmp_path / "work")
    assert parsed.tables[sc.SITE_DAYS].to_pylist()[0]["position"] == pytest.approx(3.5)
    query = parsed.tables[sc.PERIOD_QUERIES].to_pylist()[0]
    assert query["position"] == pytest.approx(2.25)
    assert (query["period_start"], query["period_end"]) == (
        dt.date(2026, 9, 1),
        dt.date(2026, 9, 28),
    )
    assert query["is_relative_period"] is False


def test_junk_zip_and_unknown_csv_are_refused(tmp_path):
    junk = tmp_path / "export.zip"
    junk.write_bytes(b"PK\x03\x04this is not really a zip")
    with pytest.raises(FileRefused, match="not a readable zip archive"):
        sc.parse(junk, LINEAGE, tmp_path)
    other = tmp_path / "other.csv"
    other.write_text("a,b\n1,2\n")
    with pytest.raises(FileRefused, match="not a Search Console export"):
        sc.parse(other, LINEAGE, tmp_path)


def test_a_large_bulk_export_keeps_every_line_number_when_read_in_parallel(tmp_path):
    """Each row's impressions are its own line number, so any row numbered out of file order
    (the file is read in parallel chunks) shows up as a mismatch."""
    lines = 500_000
    bad = {7, 250_001, lines}
    header = (
        "data_date,site_url,query,is_anonymized_query,country,search_type,device,"
        "impressions,clicks,sum_top_position\n"
    )
    body = "".join(
        f"2026-09-01,sc-domain:example.com,query number {n},false,nld,WEB,MOBILE,"
        f"{'x' if n in bad else n},0,{n}.0\n"
        for n in range(2, lines + 1)
    )
    source = tmp_path / "searchdata_site_impression.csv"
    source.write_text(header + body)
    assert source.stat().st_size > 40_000_000  # several of DuckDB's read buffers

    parsed = sc.parse(source, LINEAGE, tmp_path / "work")

    table = pq.read_table(parsed.staged[sc.QUERY_DAYS], columns=["impressions", "_row_number"])
    assert table.num_rows == parsed.rows_loaded == lines - 1 - len(bad)
    assert table.column("impressions").to_pylist() == table.column("_row_number").to_pylist()
    assert [(r.line, r.column, r.value) for r in parsed.rejected] == [
        (n, "impressions", "x") for n in sorted(bad)
    ]


def test_invalid_text_far_into_a_bulk_export_is_refused_with_its_line(tmp_path):
    # The first 64 KiB decide the encoding; a bad byte after them is found by DuckDB.
    header = (
        "data_date,site_url,query,is_anonymized_query,country,search_type,device,impressions,"
        "clicks,sum_top_position\n"
    )
    good = "2026-09-01,sc-domain:example.com,q,false,nld,WEB,MOBILE,10,1,5\n"
    source = tmp_path / "searchdata_site_impression.csv"
    source.write_bytes(
        (header + good * 3000).encode()
        + b"2026-09-01,sc-domain:example.com,q\xff,false,nld,WEB,MOBILE,10,1,5\n"
    )
    with pytest.raises(FileRefused) as refused:
        sc.parse(source, LINEAGE, tmp_path / "work")
    assert str(refused.value) == (
        "search_console/x, line 3002: not valid UTF-8 text; save the export as UTF-8 "
        "(or UTF-16) CSV"
    )
