"""GA4 report CSV downloads split by Date and a session channel group.

The file starts with a `#` comment block (account, property, start and end date), then the header,
sometimes a `Grand total` row, then the data; further `#` blocks after the table end it. Reports
without a Date column cover the whole range and cannot feed daily or weekly KPIs: they are refused
with the fix. Unknown channel names (custom channel groups) are quarantined, not guessed.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pyarrow as pa

from pipelines.ingest.columns import AtLeast, OneOf, RawColumn, RawTable, first_broken_rule
from pipelines.ingest.errors import FileRefused, RejectedRow
from pipelines.ingest.options import IngestOptions
from pipelines.ingest.parsed import Lineage, ParsedFile
from pipelines.ingest.source import Source
from pipelines.ingest.text_files import decode, latest_allowed_day, parse_number, split_rows

# Reports are read whole: one row per day and channel keeps them small (a year is about 1 MB).
MAX_BYTES = 256 * 2**20
TABLE = "ga4_channel_days"
DEFAULT_CHANNELS = {
    "Direct",
    "Organic Search",
    "Paid Search",
    "Organic Social",
    "Paid Social",
    "Email",
    "Affiliates",
    "Referral",
    "Display",
    "Organic Video",
    "Paid Video",
    "Audio",
    "SMS",
    "Mobile Push",
    "Organic Shopping",
    "Paid Shopping",
    "Cross-network",
    "Unassigned",
}
_NON_NEGATIVE = (AtLeast(0),)
RAW_TABLE = RawTable(
    TABLE,
    (
        RawColumn("date_day", "date", nullable=False),
        RawColumn(
            "channel_group",
            "str",
            nullable=False,
            rules=(
                OneOf(tuple(sorted(DEFAULT_CHANNELS)), "one of the GA4 default channel groups"),
            ),
        ),
        RawColumn("channel_dimension", "str"),
        RawColumn("property", "str"),
        RawColumn("sessions", "int", nullable=False, rules=_NON_NEGATIVE),
        RawColumn("engaged_sessions", "int", rules=_NON_NEGATIVE),
        RawColumn("key_events", "float", rules=_NON_NEGATIVE),
        RawColumn("total_revenue", "float", rules=_NON_NEGATIVE),
    ),
    unique=("date_day", "channel_group"),
    entity="channel_days",
    description="One row per day and default channel group.",
    day="date_day",
    volume_checked=True,
)
SCHEMA = RAW_TABLE.arrow_schema
METRICS = {
    "sessions": ("sessions", True),
    "engaged sessions": ("engaged_sessions", True),
    "key events": ("key_events", False),
    "conversions": ("key_events", False),
    "total revenue": ("total_revenue", False),
}
# The other metrics of GA4's acquisition reports: read nothing from them, do not warn about them.
# Any other column is new (schema drift) and is reported.
KNOWN_UNUSED = {
    "engagement rate",
    "average engagement time per session",
    "average engagement time",
    "events per session",
    "event count",
    "session key event rate",
    "session conversion rate",
    "users",
    "total users",
    "active users",
    "new users",
    "returning users",
    "bounce rate",
    "views",
    "views per session",
    "sessions per user",
    "engaged sessions per user",
    "purchase revenue",
    "ecommerce purchases",
}
_CHANNEL_HEADER = re.compile(r"^session (default|primary) channel group", re.IGNORECASE)
_DATE = re.compile(r"^\d{8}$")


def parse(data: bytes, file: str) -> ParsedFile:
    text = decode(data, file)
    lines = text.splitlines()
    comments: dict[str, str] = {}
    index = 0
    while index < len(lines) and (lines[index].startswith("#") or not lines[index].strip()):
        key, _, value = lines[index].lstrip("#").partition(":")
        if value:
            comments[key.strip().lower()] = value.strip()
        index += 1
    if index >= len(lines):
        raise FileRefused(file, "no table found after the '#' comment block")
    header_line = index + 1
    body: list[str] = []
    for line in lines[index:]:
        if line.startswith("#"):
            break  # a further block (chart data, totals) after the table ends it
        body.append(line)
    rows = split_rows("\n".join(body), ",")
    header = [h.strip() for h in rows[0]]
    lower = [h.lower() for h in header]
    channel_index = next((i for i, h in enumerate(header) if _CHANNEL_HEADER.match(h)), None)
    if "date" not in lower:
        raise FileRefused(
            file,
            "this GA4 report has no Date column, so it covers the whole range "
            f"{comments.get('start date', '?')}-{comments.get('end date', '?')} and cannot feed "
            "daily or weekly KPIs. In GA4, open Traffic acquisition, add Date as a secondary "
            "dimension (or use a free-form exploration with Date and Session default channel "
            "group), and download the CSV again.",
            line=header_line,
        )
    if channel_index is None:
        raise FileRefused(
            file,
            "no session channel group column (expected 'Session default channel group' or "
            "'Session primary channel group (Default Channel Group)')",
            line=header_line,
        )
    date_index = lower.index("date")
    metric_index = {METRICS[h][0]: (i, METRICS[h][1]) for i, h in enumerate(lower) if h in METRICS}
    for needed in ("sessions", "key_events"):
        if needed not in metric_index:
            raise FileRefused(
                file, f"required column missing: {needed.replace('_', ' ')}", line=header_line
            )

    warnings = [
        f"column '{header[i]}' is not part of the report layout and was ignored"
        for i, name in enumerate(lower)
        if name
        and i != channel_index
        and name != "date"
        and name not in METRICS
        and name not in KNOWN_UNUSED
    ]
    values: dict[str, list] = {f.name: [] for f in SCHEMA}
    rejected: list[RejectedRow] = []
    summary = read = 0
    seen: dict[tuple[dt.date, str], int] = {}
    for offset, row in enumerate(rows[1:], start=1):
        line = header_line + offset
        if not any(c.strip() for c in row):
            continue
        if row[0].strip().lower() in {"grand total", "totaal", "eindtotaal"}:
            summary += 1
            continue
        read += 1
        original = ",".join(row)
        channel = row[channel_index].strip() if channel_index < len(row) else ""
        raw_day = row[date_index].strip() if date_index < len(row) else ""
        if not _DATE.match(raw_day):
            rejected.append(
                RejectedRow(line, header[date_index], "date is YYYYMMDD", raw_day, original)
            )
            continue
        try:
            day = dt.datetime.strptime(raw_day, "%Y%m%d").date()
        except ValueError:
            rejected.append(
                RejectedRow(line, header[date_index], "a real calendar day", raw_day, original)
            )
            continue
        if day > latest_allowed_day():
            rejected.append(
                RejectedRow(
                    line, header[date_index], "date is not in the future", raw_day, original
                )
            )
            continue
        if (day, channel) in seen:
            rejected.append(
                RejectedRow(
                    line,
                    header[date_index],
                    f"one row per day and channel (also on line {seen[(day, channel)]})",
                    raw_day,
                    original,
                )
            )
            continue
        broken = first_broken_rule(RAW_TABLE.column("channel_group"), channel)
        if broken:
            rejected.append(RejectedRow(line, header[channel_index], broken, channel, original))
            continue
        record: dict[str, object] = {}
        problem = None
        for column, (position, whole) in metric_index.items():
            raw = row[position] if position < len(row) else ""
            try:
                number = parse_number(raw, ".")
            except ValueError as exc:
                problem = (header[position], str(exc), raw)
                break
            broken = first_broken_rule(RAW_TABLE.column(column), number)
            if broken:
                problem = (header[position], broken, raw)
                break
            if whole and number is not None:
                if number != int(number):
                    problem = (header[position], "is a whole number", raw)
                    break
                number = int(number)
            record[column] = number
        if problem:
            rejected.append(RejectedRow(line, problem[0], problem[1], problem[2], original))
            continue
        record.update(
            date_day=day,
            channel_group=channel,
            channel_dimension=header[channel_index],
            property=comments.get("property"),
            _row_number=line,
        )
        left = _broken_declared_rule(record)  # every declared rule, whatever the loop above read
        if left:
            rejected.append(RejectedRow(line, left[0], left[1], str(left[2] or ""), original))
            continue
        seen[(day, channel)] = line
        for name in values:
            values[name].append(record.get(name))
    table = pa.table(values, schema=SCHEMA)
    dates = values["date_day"]
    return ParsedFile(
        rows_read=read,
        rows_loaded=table.num_rows,
        tables={TABLE: table},
        rejected=rejected,
        summary_rows=summary,
        first_date=min(dates) if dates else None,
        last_date=max(dates) if dates else None,
        warnings=warnings,
    )


def _broken_declared_rule(record: dict[str, object]) -> tuple[str, str, object] | None:
    """(column, rule, value) of the first declared rule the typed row breaks, or None."""
    for column in RAW_TABLE.columns:
        if column.checked:
            broken = first_broken_rule(column, record.get(column.name))
            if broken:
                return column.name, broken, record.get(column.name)
    return None


def read(path: Path, lineage: Lineage, options: IngestOptions, workdir: Path) -> ParsedFile:
    """A GA4 report is read whole, in Python, not streamed by DuckDB: a download holds one row
    per day and channel (a year is about 1 MB), split into `#` comment blocks whose headers name
    the channel dimension and the property, with a Grand total row per block; rows are checked
    against the same declared rules (`first_broken_rule`). A file beyond `MAX_BYTES` cannot be a
    report download and is refused before it is read."""
    size = path.stat().st_size
    if size > MAX_BYTES:
        raise FileRefused(
            lineage.source_file,
            f"{size / 2**20:,.0f} MB is far larger than a GA4 report download (one row per day "
            f"and channel: a year is about 1 MB); the limit is {MAX_BYTES // 2**20} MB. "
            "Download the report again, or per month",
        )
    return parse(path.read_bytes(), lineage.source_file)


SOURCE = Source(
    name="ga4",
    label="GA4",
    description="GA4 report downloads split by Date and session channel group.",
    tables=(RAW_TABLE,),
    coverage=TABLE,
    read=read,
)
