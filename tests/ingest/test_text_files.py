"""Locale detection per file and number parsing."""

from __future__ import annotations

import pytest

from pipelines.ingest.text_files import detect_decimal_separator, parse_number


@pytest.mark.parametrize(
    ("values", "default", "expected"),
    [
        (["1,234.56", "12"], ",", "."),
        (["1.234,56", "12"], ".", ","),
        (["0,35", "11,81%"], ".", ","),
        (["0.35"], ",", "."),
        (["1,234", "5"], ".", "."),  # ambiguous: the header language decides
        (["1,234", "5"], ",", ","),
    ],
)
def test_decimal_separator_is_decided_per_file(values, default, expected):
    assert detect_decimal_separator(values, default) == expected


def test_contradicting_number_formats_refuse_the_file():
    with pytest.raises(ValueError, match="both"):
        detect_decimal_separator(["1,234.56", "0,35"], ".")


@pytest.mark.parametrize(
    ("raw", "decimal", "expected"),
    [
        ("1,234.56", ".", 1234.56),
        ("1.234,56", ",", 1234.56),
        ("1 234,56", ",", 1234.56),
        ("11.81%", ".", 0.1181),
        ("11,81%", ",", 0.1181),
        ("< 10%", ".", 0.10),
        ("--", ".", None),
        ("", ",", None),
        ("-3", ".", -3.0),
    ],
)
def test_parse_number(raw, decimal, expected):
    result = parse_number(raw, decimal)
    assert result == (None if expected is None else pytest.approx(expected))


@pytest.mark.parametrize(
    ("raw", "decimal", "reason"),
    [
        ("1.03006E+13", ".", "scientific notation"),
        ("12,34.5", ".", "not a number in this file's format"),
        ("abc", ".", "not a number"),
    ],
)
def test_parse_number_refuses_garbage(raw, decimal, reason):
    with pytest.raises(ValueError, match=reason):
        parse_number(raw, decimal)
