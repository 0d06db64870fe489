"""SQL expressions (DuckDB) that read export cells the way the exports write them.

Each helper returns an SQL expression over a cell expression; the native readers compose them into
their column and check lists. Semantics match `text_files.parse_number` and `pii.salted_hash`.
"""

from __future__ import annotations

import hashlib
import re

from pipelines.ingest.native import quote

# Whitespace as Python's str.strip() sees it (ASCII, Unicode separators, the C0 separators).
_SPACE = r"[\s\pZ\x0b\x1c-\x1f\x85]"


def trimmed(cell: str) -> str:
    """The cell without surrounding spaces; null stays null. (Only spaces: a full Unicode strip
    costs more than the rest of the row; personal data gets one before it is hashed.)"""
    return f"trim({cell})"


def text(cell: str) -> str:
    """The trimmed cell, or null when it is empty."""
    value = trimmed(f"coalesce({cell}, '')")
    return f"nullif({value}, '')"


def cleaned_number(cell: str) -> str:
    """The cell without spaces, no-break spaces and a leading < or > (as numbers are written)."""
    return f"ltrim(replace(replace(coalesce({cell}, ''), ' ', ''), chr(160), ''), '<>')"


def valid_number_pattern(decimal: str) -> str:
    """A regular expression for a number written with `decimal` (grouping optional)."""
    group, point = re.escape("," if decimal == "." else "."), re.escape(decimal)
    return rf"^-?(\d{{1,3}}({group}\d{{3}})+|\d+)({point}\d+)?%?$"


def is_number_or_empty(cell: str, decimal: str) -> str:
    cleaned = cleaned_number(cell)
    return (
        f"({cleaned} in ('', '--') or regexp_matches({cleaned}, "
        f"{quote(valid_number_pattern(decimal))}))"
    )


def number(cell: str, decimal: str, *, percent: bool = True) -> str:
    """The cell as a double (null when empty or `--`); `12%` is 0.12 when `percent`."""
    grouping = "," if decimal == "." else "."
    cleaned = cleaned_number(cell)
    value = (
        f"try_cast(replace(replace(rtrim({cleaned}, '%'), '{grouping}', ''), '{decimal}', '.') "
        "as double)"
    )
    if percent:
        value = f"(case when suffix({cleaned}, '%') then {value} / 100 else {value} end)"
    return f"(case when {cleaned} in ('', '--') then null else {value} end)"


def is_scientific(cell: str) -> str:
    """Excel's `1.03006E+13`: the digits are lost."""
    return f"regexp_matches(trim(coalesce({cell}, '')), '^\\d+([.,]\\d+)?[eE]\\+?\\d+$')"


def local_to_instant(naive: str, zone: str) -> str:
    """A wall-clock time in `zone` as an instant (timestamptz). An ambiguous time (the hour that
    repeats when summer time ends) is its first occurrence, as Python's `fold=0` reads it."""
    later = f"timezone({quote(zone)}, {naive})"
    earlier = f"({later} - interval 1 hour)"
    return (
        f"(case when timezone({quote(zone)}, {earlier}) = {naive} then {earlier} else {later} end)"
    )


def in_zone(instant: str, zone: str) -> str:
    """An instant as the naive wall-clock time in `zone`."""
    return f"timezone({quote(zone)}, {instant})"


def _normalised(kind: str, value: str) -> str:
    if kind == "email":
        return f"lower({value})"
    if kind == "phone":
        return f"regexp_replace({value}, '[^0-9+]', '', 'g')"
    if kind in {"name", "street"}:
        return f"regexp_replace(lower({value}), '{_SPACE}+', ' ', 'g')"
    return value


def salted_hash(cell: str, kind: str, salt: str) -> str:
    """HMAC-SHA256 of the normalised value, as hex (equal to `pii.salted_hash`); empty is null."""
    key = salt.encode()
    if len(key) > 64:
        key = hashlib.sha256(key).digest()
    key = key.ljust(64, b"\0")
    inner = bytes(b ^ 0x36 for b in key).hex()
    outer = bytes(b ^ 0x5C for b in key).hex()
    # As str.strip(); an empty value is null, and null stays null through every step below
    # (the value is written once, so it is computed once per row).
    value = f"nullif(regexp_replace({cell}, '^{_SPACE}+|{_SPACE}+$', '', 'g'), '')"
    return (
        f"sha256(unhex('{outer}') || unhex(sha256(unhex('{inner}') || "
        f"encode({_normalised(kind, value)}))))"
    )
