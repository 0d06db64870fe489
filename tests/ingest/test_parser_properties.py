"""Property-based: generated CSV files never crash a parser with anything but a clear refusal, and
every row read is either loaded or rejected."""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipelines.ingest import ga4, google_ads, search_console, shopify, surveys, zendesk
from pipelines.ingest.errors import FileRefused
from pipelines.ingest.options import SurveyOptions
from pipelines.ingest.parsed import Lineage

HEADERS = {
    "google_ads": ["Day", "Campaign", "Campaign ID", "Cost", "Conversions", "Conv. value", "Impr."],
    "search_console": ["data_date", "query", "impressions", "clicks", "sum_top_position"],
    "ga4": ["Session default channel group", "Date", "Sessions", "Key events"],
    "shopify": ["Name", "Email", "Financial Status", "Created at", "Total", "Lineitem quantity"],
    "zendesk": ["Id", "Status", "Created at", "First reply time in minutes"],
}
CELLS = st.one_of(
    st.sampled_from(
        [
            "",
            "--",
            "0",
            "-1",
            "1,234.56",
            "1.234,56",
            "12%",
            "2026-09-01",
            "20260901",
            "1.03006E+13",
            "paid",
            "Solved",
            "Organic Search",
            '"',
            "\n",
        ]
    ),
    st.text(max_size=12),
)


def _csv(header: list[str], rows: list[list[str]], delimiter: str) -> bytes:
    def quote(cell: str) -> str:
        return '"' + cell.replace('"', '""') + '"' if any(c in cell for c in '",\n;\t') else cell

    lines = [delimiter.join(quote(c) for c in header)]
    lines += [delimiter.join(quote(c) for c in row) for row in rows]
    return ("\n".join(lines) + "\n").encode()


def _check(parse, data: bytes) -> None:
    try:
        parsed = parse(data)
    except FileRefused as exc:
        assert str(exc)
        return
    assert parsed.rows_read == parsed.rows_loaded + len(parsed.rejected)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    source=st.sampled_from(sorted(HEADERS)),
    rows=st.lists(st.lists(CELLS, min_size=0, max_size=8), max_size=6),
    delimiter=st.sampled_from([",", ";", "\t"]),
    junk=st.binary(max_size=40),
    with_junk=st.booleans(),
)
def test_generated_files_never_crash_any_parser(source, rows, delimiter, junk, with_junk):
    data = _csv(HEADERS[source], rows, delimiter)
    if with_junk:
        data = junk + data
    options = SurveyOptions()
    parsers = {
        "google_ads": lambda d: google_ads.parse(d, "x.csv"),
        "ga4": lambda d: ga4.parse(d, "x.csv"),
        "shopify": lambda d: shopify.parse(d, "x.csv", "Europe/Amsterdam"),
        "zendesk": lambda d: zendesk.parse(d, "x.csv", "Europe/Amsterdam", "Europe/Amsterdam"),
        "surveys": lambda d: surveys.parse(d, "x.csv", options, "Europe/Amsterdam"),
    }

    def read_search_console(d: bytes):
        with tempfile.TemporaryDirectory() as directory:
            path = Path(directory) / "export.csv"
            path.write_bytes(d)
            lineage = Lineage("x.csv", "h", "l", dt.datetime(2026, 1, 1))
            return search_console.parse(path, lineage, Path(directory) / "work")

    parsers["search_console"] = read_search_console
    _check(parsers[source], data)
    if source != "search_console":
        _check(parsers["surveys"], data)
