"""SurveyMonkey-style exports with two header rows (NPS and CSAT questions).

Row 1 holds the metadata columns and the question texts, row 2 `Response`, `Open-Ended Response`
or an option text under each question. Which question is NPS and which is CSAT is configured by
text match (config/ingestion.yml), never hard-coded: question texts are free text in any language.

Python reads the two header rows; DuckDB types and checks the answers (any file size, bounded
memory).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path

from pipelines.ingest import sql_values as v
from pipelines.ingest.columns import Between, Cell, DeclaredChecks, RawColumn, RawTable
from pipelines.ingest.errors import FileRefused
from pipelines.ingest.native import Check, Column
from pipelines.ingest.native_csv import UNSAVED, CsvFile, TableSpec, path_or_bytes, read_table
from pipelines.ingest.options import IngestOptions, SurveyOptions, require_salt
from pipelines.ingest.parsed import Lineage, ParsedFile
from pipelines.ingest.source import Source
from pipelines.ingest.text_files import head_text

TABLE = "survey_responses"
RAW_TABLE = RawTable(
    TABLE,
    (
        RawColumn("respondent_id", "str", nullable=False),
        RawColumn("collector_id", "str"),
        RawColumn("started_at", "timestamp"),
        RawColumn("ended_at", "timestamp"),
        RawColumn("ip_address", "str", pii="ip"),
        RawColumn("email", "str", pii="email"),
        RawColumn("first_name", "str", pii="name"),
        RawColumn("last_name", "str", pii="name"),
        RawColumn("custom_data", "str"),
        RawColumn("nps_question", "str"),
        RawColumn("nps_score", "int", rules=(Between(0, 10, "NPS answer is a whole number 0-10"),)),
        RawColumn("csat_question", "str"),
        RawColumn("csat_answer", "str"),
        RawColumn("csat_score", "int", rules=(Between(1, 5, "CSAT answer between 1 and 5"),)),
    ),
    unique=("respondent_id",),
    entity="responses",
    description="One row per response; NPS and CSAT questions found by configured text.",
    day="cast(ended_at as date)",
)
SCHEMA = RAW_TABLE.arrow_schema
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


def parse(
    data: bytes | Path,
    file: str,
    options: SurveyOptions,
    reporting_timezone: str,
    *,
    workdir: Path | None = None,
    lineage: Lineage = UNSAVED,
    salt: str | None = None,
) -> ParsedFile:
    """Read an export given as a path (rows staged as Parquet in `workdir`, personal data hashed
    with `salt`) or as bytes (rows returned as a table, personal data as is)."""

    def read(path: Path, scratch: Path, salt: str | None) -> ParsedFile:
        return _parse_path(path, file, options, reporting_timezone, scratch, lineage, salt)

    return path_or_bytes(data, workdir, read, {TABLE: SCHEMA}, salt)


def _header_rows(text: str) -> tuple[list[str], list[str], int]:
    """The two header rows and the number of physical lines they take."""
    reader = csv.reader(io.StringIO(text, newline=""))
    rows = [row for _, row in zip(range(2), reader, strict=False)]
    first, second = [*rows, [], []][:2]
    return first, second, reader.line_num


def _parse_path(
    path: Path,
    file: str,
    options: SurveyOptions,
    reporting_timezone: str,
    workdir: Path,
    lineage: Lineage,
    salt: str | None,
) -> ParsedFile:
    text, encoding = head_text(path, file)
    first, second, header_lines = _header_rows(text)
    if not second:
        raise FileRefused(file, "expected two header rows (questions, then answer types)")
    header = [h.strip().lstrip("\ufeff") for h in first]
    subheader = [h.strip() for h in second]
    if "respondent id" not in {h.lower() for h in header}:
        raise FileRefused(file, "not a survey export: no 'Respondent ID' column", line=1)
    if not any(s in {"Response", "Open-Ended Response"} for s in subheader):
        raise FileRefused(
            file, "the second header row (Response / Open-Ended Response) is missing", line=2
        )
    metadata = {METADATA[h.lower()]: i for i, h in enumerate(header) if h.lower() in METADATA}
    nps = _find_question(header, options.nps_question, "NPS", file)
    csat = _find_question(header, options.csat_question, "CSAT", file)
    width = max(len(header), len(subheader))
    csv_file = CsvFile(path, encoding, ",", header_lines, width, records_before=2)
    columns, checks, windows = _columns_and_checks(
        header, metadata, nps, csat, options, reporting_timezone
    )
    table = TableSpec(
        TABLE,
        SCHEMA,
        RAW_TABLE.pii,
        columns,
        checks,
        windows=windows,
        date_column="ended_at",
        what="a survey export",
    )
    parsed, _ = read_table(csv_file, table, name=file, workdir=workdir, lineage=lineage, salt=salt)
    return parsed


def _columns_and_checks(
    header: list[str],
    metadata: dict[str, int],
    nps: int,
    csat: int,
    options: SurveyOptions,
    reporting_timezone: str,
):
    def cell(position: int | None) -> str:
        return f"c{position}" if position is not None else "cast(null as varchar)"

    def raw(position: int | None) -> str:
        return f"trim(coalesce({cell(position)}, ''))"

    respondent = raw(metadata.get("respondent_id"))
    labels = {k.lower(): n for k, n in options.csat_labels.items()}
    label_score = (
        "case lower("
        + raw(csat)
        + ") "
        + " ".join(f"when {v.quote(k)} then {n}" for k, n in labels.items())
        + " end"
        if labels
        else "cast(null as integer)"
    )
    csat_score = (
        f"case when regexp_matches({raw(csat)}, '^\\d+$') then try_cast({raw(csat)} as bigint) "
        f"else {label_score} end"
    )
    example = dt.datetime(2026, 9, 2, 14, 51, 35).strftime(options.date_format)
    respondent_label = (
        header[metadata["respondent_id"]] if "respondent_id" in metadata else "Respondent ID"
    )
    nps_score = f"try_cast(nullif({raw(nps)}, '') as bigint)"
    csat_value = f"case when {raw(csat)} <> '' then {csat_score} end"
    declared = DeclaredChecks(
        RAW_TABLE,
        {
            "respondent_id": Cell(f"nullif({respondent}, '')", respondent_label, respondent),
            # As a double: a number too large for an integer still breaks the range.
            "nps_score": Cell(f"try_cast(nullif({raw(nps)}, '') as double)", header[nps], raw(nps)),
            "csat_score": Cell(csat_value, header[csat], raw(csat)),
        },
    )
    checks = [
        Check(
            f"not regexp_matches({respondent}, '^\\d+$')",
            respondent_label,
            "a whole number (an Excel re-save may have turned it into scientific notation)",
            respondent,
        ),
        *declared.presence("respondent_id"),
    ]
    times = {}
    for column in ("started_at", "ended_at"):
        position = metadata.get(column)  # the metadata columns are optional
        naive = f"try_strptime({raw(position)}, {v.quote(options.date_format)})"
        times[column] = v.in_zone(v.local_to_instant(naive, options.timezone), reporting_timezone)
        if position is not None:
            checks.append(
                Check(
                    f"{raw(position)} <> '' and {naive} is null",
                    header[position],
                    f"date like {example}",
                    raw(position),
                )
            )
            checks.append(
                Check(  # exports never hold the future (a day's tolerance for time zones)
                    f"cast({times[column]} as date) > current_date + 1",
                    header[position],
                    "date is not in the future",
                    raw(position),
                )
            )
    checks += [
        Check(
            f"{raw(nps)} <> '' and not regexp_matches({raw(nps)}, '^\\d+$')",
            header[nps],
            "NPS answer is a whole number 0-10",
            raw(nps),
        ),
        *declared.rules("nps_score"),
        Check(
            f"{raw(csat)} <> '' and ({csat_score}) is null",
            header[csat],
            "a CSAT answer 1-5 or a label configured in surveys.csat_labels",
            raw(csat),
        ),
        *declared.rules("csat_score"),
        *declared.rest(),
        Check(
            "_respondent_seen > 1",
            respondent_label,
            "unique in the file (an earlier row has the same respondent)",
            respondent,
        ),
    ]
    windows = (
        [("_respondent_seen", f"row_number() over (partition by {respondent} order by _rn)")],
    )
    columns = [
        *(
            Column(name, "varchar", v.text(cell(metadata.get(name))))
            for name in ("respondent_id", "collector_id", "ip_address", "email")
        ),
        *(
            Column(name, "varchar", v.text(cell(metadata.get(name))))
            for name in ("first_name", "last_name", "custom_data")
        ),
        Column("started_at", "timestamp", times["started_at"]),
        Column("ended_at", "timestamp", times["ended_at"]),
        Column("nps_question", "varchar", v.quote(header[nps])),
        Column("nps_score", "bigint", nps_score),
        Column("csat_question", "varchar", v.quote(header[csat])),
        Column("csat_answer", "varchar", f"nullif({raw(csat)}, '')"),
        Column("csat_score", "bigint", csat_value),
    ]
    return columns, checks, windows


def read(path: Path, lineage: Lineage, options: IngestOptions, workdir: Path) -> ParsedFile:
    return _parse_path(
        path,
        lineage.source_file,
        options.surveys,
        options.reporting_timezone,
        workdir,
        lineage,
        require_salt(options),
    )


SOURCE = Source(
    name="surveymonkey",
    landing_folder="surveys",
    label="survey",
    description="SurveyMonkey-style NPS and CSAT survey exports.",
    tables=(RAW_TABLE,),
    coverage=TABLE,
    read=read,
)
