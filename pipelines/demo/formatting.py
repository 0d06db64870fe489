"""Number and file formatting the way the exporting tools write them."""

from __future__ import annotations

import csv
import io
from pathlib import Path


def format_number(value: float, decimals: int, locale: str, grouping: bool = True) -> str:
    """`1,234.56` (en) or `1.234,56` (nl)."""
    text = f"{value:,.{decimals}f}" if grouping else f"{value:.{decimals}f}"
    if locale == "nl":
        text = text.replace(",", "\0").replace(".", ",").replace("\0", ".")
    return text


def format_percent(value: float, locale: str) -> str:
    return format_number(value * 100, 2, locale, grouping=False) + "%"


def write_csv(
    path: Path,
    preamble: list[str],
    rows: list[list[str]],
    *,
    delimiter: str = ",",
    encoding: str = "utf-8",
    line_terminator: str = "\r\n",
) -> None:
    buffer = io.StringIO()
    for line in preamble:
        buffer.write(line + line_terminator)
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator=line_terminator)
    writer.writerows(rows)
    path.parent.mkdir(parents=True, exist_ok=True)
    text = buffer.getvalue()
    if encoding == "utf-16":
        path.write_bytes(b"\xff\xfe" + text.encode("utf-16-le"))
    else:
        path.write_text(text, encoding=encoding, newline="")
