"""Helpers for the text exports people download: encodings, delimiters and number locales."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from pipelines.ingest.errors import FileRefused

NULL_MARKERS = {"", "--", " --"}


def decode(data: bytes, file: str) -> str:
    """Decode UTF-8 (with or without BOM) and UTF-16 with BOM; refuse anything else clearly."""
    if not data:
        raise FileRefused(file, "the file is empty (0 bytes); download the export again")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise FileRefused(file, f"broken UTF-16 text at byte {exc.start}") from exc
    if data.startswith(b"PK\x03\x04"):
        raise FileRefused(
            file, "this is a zip archive, not a CSV file; unzip it or use its source folder"
        )
    if b"\x00" in data[:4096]:
        raise FileRefused(file, "this looks like a binary file, not a CSV export")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise FileRefused(
            file,
            f"not UTF-8 or UTF-16 text (byte 0x{data[exc.start]:02x} at offset {exc.start}); "
            "save the export as UTF-8 CSV",
            line=line,
        ) from exc


def head_text(path: Path, file: str) -> tuple[str, str]:
    """The first 64 KiB of an export as text (whole lines), and its encoding for DuckDB."""
    with path.open("rb") as handle:
        head = handle.read(65536)
    encoding = "utf-16" if head.startswith((b"\xff\xfe", b"\xfe\xff")) else "utf-8"
    if encoding == "utf-16":
        head = head[: len(head) - len(head) % 2]
    elif len(head) == 65536:
        head = head[: head.rfind(b"\n") + 1] or head
    return decode(head, file), encoding


def unused_column_warnings(header: Sequence[str], known: frozenset[str]) -> list[str]:
    """A warning for each column the export layout does not have (schema drift): it is ignored."""
    return [
        f"column '{name}' is not part of the export layout and was ignored"
        for name in header
        if name and name not in known
    ]


def split_rows(text: str, delimiter: str) -> list[list[str]]:
    """Parse CSV text into rows of cells; quotes may hold delimiters and line breaks."""
    return list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))


def physical_line_numbers(text: str, delimiter: str) -> list[int]:
    """The 1-based line on which each CSV record starts (records may span lines)."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    starts: list[int] = []
    previous_end = 0
    for _ in reader:
        starts.append(previous_end + 1)
        previous_end = reader.line_num
    return starts


@dataclass(frozen=True)
class HeaderMatch:
    delimiter: str
    index: int
    cells: list[str]


def find_header(
    text: str,
    is_header: callable,
    *,
    candidates: Sequence[str] = ("\t", ";", ","),
    max_lines: int = 30,
) -> HeaderMatch | None:
    """Find the header line by its columns (not by line number), trying each delimiter."""
    head = "\n".join(text.splitlines()[:max_lines])
    for delimiter in candidates:
        for index, cells in enumerate(split_rows(head, delimiter)):
            cleaned = [c.strip().lstrip("\ufeff") for c in cells]
            if is_header(cleaned):
                return HeaderMatch(delimiter=delimiter, index=index, cells=cleaned)
    return None


_DOT_DECIMAL = re.compile(r"^-?\d+\.(\d{1,2}|\d{4,})%?$")
_COMMA_DECIMAL = re.compile(r"^-?\d+,(\d{1,2}|\d{4,})%?$")
_BOTH_DOT_LAST = re.compile(r"^-?\d{1,3}(,\d{3})+\.\d+%?$")
_BOTH_COMMA_LAST = re.compile(r"^-?\d{1,3}(\.\d{3})+,\d+%?$")


def detect_decimal_separator(values: Iterable[str], default: str) -> str:
    """Decide the decimal separator of a whole file from its numeric cells (never per cell).

    Unambiguous evidence: '1,234.56' or '0.35' mean '.', '1.234,56' or '0,35' mean ','. Values
    like '1,234' or '1.234' are ambiguous and only count when nothing else decides; then the
    header language (`default`) decides. Contradicting evidence refuses the file.
    """
    dot = comma = 0
    for raw in values:
        value = raw.strip().replace(" ", "").replace("\u00a0", "").lstrip("<>")
        if _BOTH_DOT_LAST.match(value) or _DOT_DECIMAL.match(value):
            dot += 1
        elif _BOTH_COMMA_LAST.match(value) or _COMMA_DECIMAL.match(value):
            comma += 1
    if dot and comma:
        raise ValueError(
            f"numbers use both '.' ({dot} cells) and ',' ({comma} cells) as decimal separator"
        )
    if dot:
        return "."
    if comma:
        return ","
    return default


def latest_allowed_day() -> dt.date:
    """Rows dated after tomorrow are refused: exports never hold the future (time zones aside)."""
    return dt.date.today() + dt.timedelta(days=1)


def parse_number(raw: str, decimal: str) -> float | None:
    """Parse a localised number; `--` and empty cells are null. Raises ValueError otherwise."""
    value = raw.strip().replace("\u00a0", "").replace(" ", "")
    if value in NULL_MARKERS:
        return None
    percent = value.endswith("%")
    value = value.rstrip("%").lstrip("<>").strip()
    grouping = "," if decimal == "." else "."
    if grouping in value:
        groups = value.lstrip("-").split(decimal)[0].split(grouping)
        if len(groups) < 2 or any(len(g) != 3 for g in groups[1:]) or not groups[0]:
            raise ValueError(
                f"'{raw}' is not a number in this file's format (1{grouping}234{decimal}5)"
            )
        value = value.replace(grouping, "")
    value = value.replace(decimal, ".")
    if not re.fullmatch(r"-?\d+(\.\d+)?", value):
        if re.fullmatch(r"-?\d+(\.\d+)?[eE][+-]?\d+", value):
            raise ValueError(f"'{raw}' is in scientific notation (an Excel re-save); export again")
        raise ValueError(f"'{raw}' is not a number")
    number = float(value)
    return number / 100 if percent else number
