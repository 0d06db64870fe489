"""validate lists off-track periods still without an owner's note some days after they ended."""

from __future__ import annotations

import datetime as dt

import duckdb

from pipelines.validation.missing_notes import missing_notes, missing_notes_text

D = dt.date


def _warehouse():
    con = duckdb.connect()
    con.execute("create schema marts")
    con.execute(
        "create table marts.fct_kpi_values (kpi_id varchar, period_start date, period_end date, "
        "status varchar, is_complete boolean)"
    )
    con.execute("create table marts.dim_kpi (kpi_id varchar, owner varchar)")
    con.execute(
        "create table marts.fct_kpi_notes (kpi_id varchar, period_start date, note varchar)"
    )
    con.executemany(
        "insert into marts.fct_kpi_values values (?, ?, ?, ?, ?)",
        [
            ("sea_roas", D(2026, 9, 14), D(2026, 9, 21), "off_track", True),  # ended 14 days ago
            ("sea_roas", D(2026, 9, 21), D(2026, 9, 28), "off_track", True),  # ended 7 days ago
            ("sea_roas", D(2026, 9, 28), D(2026, 10, 5), "off_track", True),  # ended today
            ("cs_csat", D(2026, 8, 1), D(2026, 9, 1), "off_track", True),  # has a note
            ("cs_nps", D(2026, 7, 1), D(2026, 10, 1), "on_track", True),
            ("cro_conversions", D(2026, 9, 7), D(2026, 9, 14), "off_track", False),  # incomplete
        ],
    )
    con.executemany(
        "insert into marts.dim_kpi values (?, ?)",
        [("sea_roas", "Lotte Jansen (SEA lead)"), ("cs_csat", "Noor"), ("cs_nps", "Noor")],
    )
    con.execute("insert into marts.fct_kpi_notes values ('cs_csat', '2026-08-01', 'Explained.')")
    return con


def test_off_track_periods_without_a_note_after_the_grace_days_are_listed():
    with _warehouse() as con:
        listed = missing_notes(con, D(2026, 10, 5), after_days=7)
        # 09-14 ended 14 days before, 09-21 exactly 7; 09-28 only today; cs_csat has its note.
        assert [(n.kpi_id, n.period_start, n.days_waiting) for n in listed] == [
            ("sea_roas", D(2026, 9, 14), 14),
            ("sea_roas", D(2026, 9, 21), 7),
        ]
        assert listed[0].owner == "Lotte Jansen (SEA lead)"
        assert listed[0].notes_file == "kpi_definitions/notes/2026.yml"
        assert missing_notes(con, D(2026, 10, 5), after_days=10)[0].period_start == D(2026, 9, 14)
        assert len(missing_notes(con, D(2026, 10, 5), after_days=10)) == 1
        assert missing_notes(con, D(2026, 10, 5), after_days=7, kpi_ids=["cs_csat"]) == []
        text = missing_notes_text(listed, 7)
        assert "      - kpi: sea_roas\n        period_start: 2026-09-14" in text
        assert "sea_roas 2026-09-14 to 2026-09-20" in text
