"""Salted hashes of personal data; plain values never leave the raw layer."""

from __future__ import annotations

import hashlib
import hmac
import re

import pyarrow as pa

_NON_DIGITS = re.compile(r"[^0-9+]")


def normalise(kind: str, value: str) -> str:
    value = value.strip()
    if kind == "email":
        return value.lower()
    if kind == "phone":
        return _NON_DIGITS.sub("", value)
    if kind in {"name", "street"}:
        return " ".join(value.lower().split())
    return value


def salted_hash(kind: str, value: str | None, salt: str) -> str | None:
    """HMAC-SHA256 of the normalised value; None and empty values stay None."""
    if value is None or not value.strip():
        return None
    digest = hmac.new(salt.encode(), normalise(kind, value).encode(), hashlib.sha256)
    return digest.hexdigest()


def add_hash_columns(table: pa.Table, columns: dict[str, str], salt: str) -> pa.Table:
    """Append `<column>_hash` for each PII column (column -> kind)."""
    for column, kind in columns.items():
        values = table.column(column).to_pylist()
        hashed = pa.array([salted_hash(kind, v, salt) for v in values], pa.string())
        table = table.append_column(f"{column}_hash", hashed)
    return table
