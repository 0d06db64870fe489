"""SurveyMonkey-style exports with two header rows (NPS and CSAT questions).

Row 1 holds the metadata columns and the question texts, row 2 `Response`, `Open-Ended Response`
or an option text under each question. Which question is NPS and which is CSAT is configured by
text match (config/ingestion.yml), never hard-coded: question texts are free text in any language.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pyarrow as pa

from pipelines.ingest.errors import CellRejected, FileRefused, RejectedRow
from pipelines.ingest.options import SurveyOptions
from pipelines.ingest.parsed import ParsedFile
from pipelines.ingest.text_files import decode, physical_line_numbers, split_rows

SOURCE = "surveys"
TABLE = "survey_responses"
SCHEMA = pa.schema(
    [
        ("respondent_id", pa.string()),
        ("collector_id", pa.string()),
        ("started_at", pa.timestamp("us")),
        ("ended_at", pa.timestamp("us")),
        ("ip_address", pa.string()),
        ("email", pa.string()),
        ("first_name", pa.string()),
        ("last_name", pa.string()),
        ("custom_data", pa.string()),
        ("nps_question", pa.string()),
        ("nps_score", pa.int64()),
        ("csat_question", pa.string()),
        ("csat_answer", pa.string()),
        ("csat_score", pa.int64()),
        ("_row_number", pa.int64()),
    ]
)
PII = {TABLE: {"ip_address": "ip", "email": "email", "first_name": "name", "last_name": "name"}}
METADATA = {
    "respondent id": "respondent_id",
    "collector id": "collector_id",
    "start date": "started_at",
    "end date": "ended_at",
    "ip address": "ip_address",
    "email address": "email",
    "first name": "first_name",
    "last name": "last_name",
    "custom data 1": "custom_data",
}


def _find_question(header: list[str], patterns: list[str], what: str, file: str) -> int:
    matches = [
        i
        for i, text in enumerate(header)
        if text
        and text.lower() not in METADATA
        and any(p.lower() in text.lower() for p in patterns)
    ]
    if not matches:
        raise FileRefused(
            file,
            f"no {what} question found: no column header contains any of {patterns}. Set "
            f"surveys.{what.lower()}_question in config/ingestion.yml to a text of the question.",
            line=1,
        )
    if len(matches) > 1:
        names = "; ".join(header[i] for i in matches)
        raise FileRefused(
            file,
            f"{len(matches)} columns match the {what} question ({names}); make the "
            f"configured text more specific",
            line=1,
        )
    return matches[0]


def parse(data: bytes, file: str, options: SurveyOptions, reporting_timezone: str) -> ParsedFile:
    survey_zone, reporting_zone = ZoneInfo(options.timezone), ZoneInfo(reporting_timezone)
    text = decode(data, file)
    rows = split_rows(text, ",")
    lines = physical_line_numbers(text, ",")
    if len(rows) < 2:
        raise FileRefused(file, "expected two header rows (questions, then answer types)")
    header = [h.strip().lstrip("\ufeff") for h in rows[0]]
    subheader = [h.strip() for h in rows[1]]
    if "respondent id" not in {h.lower() for h in header}:
        raise FileRefused(file, "not a survey export: no 'Respondent ID' column", line=1)
    if not any(s in {"Response", "Open-Ended Response"} for s in subheader):
        raise FileRefused(
            file, "the second header row (Response / Open-Ended Response) is missing", line=2
        )
    metadata = {METADATA[h.lower()]: i for i, h in enumerate(header) if h.lower() in METADATA}
    nps = _find_question(header, options.nps_question, "NPS", file)
    csat = _find_question(header, options.csat_question, "CSAT", file)
    labels = {k.lower(): v for k, v in options.csat_labels.items()}

    values: dict[str, list] = {f.name: [] for f in SCHEMA}
    rejected: list[RejectedRow] = []
    seen: dict[str, int] = {}
    read = 0
    for i, row in enumerate(rows[2:], start=2):
        if not any(c.strip() for c in row):
            continue
        read += 1
        line = lines[i]

        def cell(position: int | None, row: list[str] = row) -> str:
            return row[position].strip() if position is not None and position < len(row) else ""

        try:
            record = {name: cell(position) or None for name, position in metadata.items()}
            respondent = record.get("respondent_id") or ""
            if not respondent.isdigit():
                raise CellRejected(
                    "Respondent ID",
                    "a whole number (an Excel re-save may have turned it into scientific notation)",
                    respondent,
                )
            if respondent in seen:
                raise CellRejected(
                    "Respondent ID",
                    f"unique in the file (also on line {seen[respondent]})",
                    respondent,
                )
            for column in ("started_at", "ended_at"):
                raw = record.get(column)
                if raw:
                    try:
                        local = dt.datetime.strptime(raw, options.date_format)
                    except ValueError:
                        raise CellRejected(
                            header[metadata[column]],
                            f"date like "
                            f"{dt.datetime(2026, 9, 2, 14, 51, 35).strftime(options.date_format)}",
                            raw,
                        ) from None
                    record[column] = (
                        local.replace(tzinfo=survey_zone).astimezone(reporting_zone)
                    ).replace(tzinfo=None)
            raw_nps = cell(nps)
            score = None
            if raw_nps:
                if not raw_nps.isdigit() or not 0 <= int(raw_nps) <= 10:
                    raise CellRejected(header[nps], "NPS answer is a whole number 0-10", raw_nps)
                score = int(raw_nps)
            raw_csat = cell(csat)
            csat_score = None
            if raw_csat:
                if raw_csat.isdigit():
                    csat_score = int(raw_csat)
                elif raw_csat.lower() in labels:
                    csat_score = labels[raw_csat.lower()]
                else:
                    raise CellRejected(
                        header[csat],
                        "a CSAT answer 1-5 or a label configured in surveys.csat_labels",
                        raw_csat,
                    )
                if not 1 <= csat_score <= 5:
                    raise CellRejected(header[csat], "CSAT answer between 1 and 5", raw_csat)
        except CellRejected as exc:
            rejected.append(RejectedRow(line, exc.column, exc.check, exc.value, ",".join(row)))
            continue
        seen[respondent] = line
        record.update(
            nps_question=header[nps],
            nps_score=score,
            csat_question=header[csat],
            csat_answer=raw_csat or None,
            csat_score=csat_score,
            _row_number=line,
        )
        for name in values:
            values[name].append(record.get(name))
    table = pa.table(values, schema=SCHEMA)
    days = [d.date() for d in values["ended_at"] if d is not None]
    return ParsedFile(
        rows_read=read,
        rows_loaded=table.num_rows,
        tables={TABLE: table},
        rejected=rejected,
        first_date=min(days) if days else None,
        last_date=max(days) if days else None,
    )
