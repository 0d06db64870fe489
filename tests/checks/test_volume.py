"""The volume detector, with expected values computed by hand in the comments."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import pyarrow as pa
import pytest

from pipelines.checks.volume import check_volume, is_partial_day, judge_volume, partial_days
from pipelines.ingest.options import IngestConfigError, VolumeSettings, load_options
from pipelines.ingest.raw_store import write_parquet_atomically

DEFAULTS = VolumeSettings()
TZ = "Europe/Amsterdam"


def _days(first: dt.date, counts: list[int]) -> dict[dt.date, int]:
    return {first + dt.timedelta(days=i): n for i, n in enumerate(counts)}


def test_small_desk_quiet_day_passes_with_defaults():
    # 28 days cycling 2, 5, 7, 3, 6, 4 (a 6-day cycle, no weekday pattern), then a day with 2.
    # Expected: the local level, the mean of the last 7 days of the history (3, 6, 4, 2, 5, 7,
    # 3): 30 / 7 = 4.29 tickets a day.
    history = ([2, 5, 7, 3, 6, 4] * 5)[:28]
    counts = _days(dt.date(2026, 10, 3), [*history, 2])
    outcome = judge_volume(counts, dt.date(2026, 11, 1), DEFAULTS, table="support_tickets")
    assert outcome.passed
    assert outcome.verdict == "not_judged"
    assert outcome.judged_day == dt.date(2026, 10, 31)
    assert outcome.observed == 2
    assert outcome.expected == pytest.approx(30 / 7)
    assert "not judged: expected volume below minimum (10 rows a day)" in outcome.message
    # Even judged (no minimum), 2 is within the count-aware range: the spread is at least
    # sqrt(4.29) = 2.07, so 4.29 - 3 x 2.07 < 0 and the lower bound is 0.
    judged = judge_volume(counts, dt.date(2026, 11, 1), VolumeSettings(min_expected_rows=0))
    assert judged.passed and judged.verdict == "ok"
    assert judged.lower_bound == 0.0


def _sunday_quiet_weeks() -> dict[dt.date, int]:
    # Four weeks from Sunday 2026-11-01: weekdays 196 in even weeks, 204 in odd ones; Saturdays
    # 96/104; Sundays 10/14. Each weekday's mean: 200, Saturday 100, Sunday 12.
    counts = {}
    for offset in range(28):
        day = dt.date(2026, 11, 1) + dt.timedelta(days=offset)
        odd = (offset // 7) % 2 == 1
        if day.weekday() == 6:
            counts[day] = 14 if odd else 10
        elif day.weekday() == 5:
            counts[day] = 104 if odd else 96
        else:
            counts[day] = 204 if odd else 196
    return counts


def test_sunday_quiet_source_on_monday_passes_and_a_half_monday_fails():
    counts = _sunday_quiet_weeks()
    counts[dt.date(2026, 11, 29)] = 12  # Sunday, judged on Monday morning
    outcome = judge_volume(counts, dt.date(2026, 11, 30), DEFAULTS, table="support_tickets")
    # Weekday factors: each day's share of its week's mean, averaged over the 4 weeks (even weeks
    # have a mean of 1086 / 7, odd ones 1138 / 7), normalised to average 1.
    even, odd = 1086 / 7, 1138 / 7
    sunday, weekday, saturday = (
        (10 / even + 14 / odd) / 2,
        (196 / even + 204 / odd) / 2,
        (96 / even + 104 / odd) / 2,
    )
    norm = (sunday + 5 * weekday + saturday) / 7
    f_sun, f_week, f_sat = sunday / norm, weekday / norm, saturday / norm
    # Local level: the last week (an odd one) deseasonalised; expected = level x Sunday factor
    # (12.49: the last week ran 4 % above the one before).
    level = (14 / f_sun + 5 * 204 / f_week + 104 / f_sat) / 7
    assert outcome.seasonal
    assert outcome.expected == pytest.approx(level * f_sun)
    assert 12.4 < outcome.expected < 12.6
    assert outcome.passed and outcome.verdict == "ok"
    assert "x Sunday factor" in outcome.message and "from 4 weeks" in outcome.message

    counts[dt.date(2026, 11, 30)] = 190  # the Monday itself, judged on Tuesday
    monday = judge_volume(counts, dt.date(2026, 12, 1), DEFAULTS)
    # Monday: expected about 200 (level x Monday factor); spread at least sqrt(expected) = 14.2;
    # lower bound min(expected - 3 x 14.2, expected x 0.75) = expected x 0.75, about 150.
    assert monday.passed
    assert 195 < monday.expected < 205
    assert monday.lower_bound == pytest.approx(0.75 * monday.expected)
    counts[dt.date(2026, 11, 30)] = 100  # a Monday with half its usual volume
    half = judge_volume(counts, dt.date(2026, 12, 1), DEFAULTS, table="support_tickets")
    assert not half.passed and half.verdict == "drop"
    assert half.message.startswith("raw.support_tickets: 100 rows on 2026-11-30 (Monday)")
    assert f"expected range at least {half.lower_bound:,.1f}: below it" in half.message


def test_a_day_at_30_percent_of_a_steady_1000_fails():
    counts = _days(dt.date(2026, 10, 1), [1000] * 28 + [300])
    outcome = judge_volume(counts, dt.date(2026, 10, 30), DEFAULTS, table="orders")
    # No spread in the history (a steady count: entities, no Poisson floor); lower bound
    # min(1000 - 3 x 0, 1000 x 0.75) = 750.
    assert not outcome.passed
    assert outcome.expected == 1000
    assert outcome.lower_bound == pytest.approx(750)
    assert outcome.message.startswith("raw.orders: 300 rows on 2026-10-29 (Thursday)")
    assert "expected 1,000.0" in outcome.message
    assert "expected range at least 750.0: below it (30% of expected" in outcome.message
    # 850 is within the range; a spike of 2,000 is reported, never failed.
    counts[dt.date(2026, 10, 29)] = 850
    assert judge_volume(counts, dt.date(2026, 10, 30), DEFAULTS).verdict == "ok"
    counts[dt.date(2026, 10, 29)] = 2000
    spike = judge_volume(counts, dt.date(2026, 10, 30), DEFAULTS)
    assert spike.passed and spike.verdict == "spike"


def test_partial_last_day_passes_with_a_partial_verdict_and_the_day_before_is_judged():
    counts = _days(dt.date(2026, 10, 1), [1000] * 28 + [300])
    partial = frozenset({dt.date(2026, 10, 29)})
    outcome = judge_volume(counts, dt.date(2026, 10, 29), DEFAULTS, partial, table="orders")
    assert outcome.passed
    assert outcome.partial_day == dt.date(2026, 10, 29)
    assert outcome.judged_day == dt.date(2026, 10, 28)
    assert "partial last day 2026-10-29: 300 rows so far" in outcome.message
    # The day before is judged on the 27 days before it (1000 each): within the range.
    assert outcome.verdict == "ok" and outcome.training_days == 27


def test_below_minimum_volume_is_not_judged_unless_the_rows_are_a_steady_list():
    # Events: 3, 5, 7, 5 in turn (mean 5, median 5, median absolute deviation 1): below the
    # minimum of 10 a day, not judged.
    counts = _days(dt.date(2026, 10, 1), [3, 5, 7, 5] * 7 + [1])
    outcome = judge_volume(counts, dt.date(2026, 10, 30), DEFAULTS)
    assert outcome.passed and outcome.verdict == "not_judged"
    assert "not judged: expected volume below minimum" in outcome.message
    # Eight channels a day, every day (no deviation at all): half of them missing is a broken
    # export whatever the number; the lower bound is 8 x 0.75 = 6.
    steady = _days(dt.date(2026, 10, 1), [8] * 28 + [4])
    channels = judge_volume(steady, dt.date(2026, 10, 30), DEFAULTS)
    assert not channels.passed and channels.lower_bound == 6
    assert "rows vary far less than counts of events" in channels.message


def test_short_history_and_the_as_of_date():
    counts = _days(dt.date(2026, 10, 1), [20] * 10 + [1])
    short = judge_volume(counts, dt.date(2026, 10, 30), DEFAULTS)
    assert short.passed and "only 10 days of history (needs 14)" in short.message
    # Days after the as-of date are not seen: as of 2026-10-10 the latest day is the 10th.
    counts = _days(dt.date(2026, 9, 1), [100] * 40 + [10])
    assert not judge_volume(counts, dt.date(2026, 10, 11), DEFAULTS).passed
    earlier = judge_volume(counts, dt.date(2026, 10, 10), DEFAULTS)
    assert earlier.passed and earlier.judged_day == dt.date(2026, 10, 10)


def test_is_partial_day():
    day = dt.date(2026, 10, 29)
    assert is_partial_day(day, dt.datetime(2026, 10, 29, 14, 0))
    assert not is_partial_day(day, dt.datetime(2026, 10, 30, 0, 0))


def _write_orders(raw: Path, counts: dict[dt.date, int], loaded_at: dt.datetime, name: str):
    rows = [
        {
            "created_at": dt.datetime.combine(day, dt.time(8)) + dt.timedelta(seconds=i),
            "_source_file": f"orders/{name}.csv",
            "_loaded_at": loaded_at,
        }
        for day, n in counts.items()
        for i in range(n)
    ]
    write_parquet_atomically(pa.Table.from_pylist(rows), raw / "orders" / f"{name}.parquet")


def test_raw_layer_partial_day_pulled_mid_day_passes_but_a_cut_off_file_fails(tmp_path):
    counts = _days(dt.date(2026, 10, 1), [100] * 28 + [30])
    # Loaded 2026-10-29 11:00 UTC = 12:00 in Amsterdam: pulled before the 29th ended.
    _write_orders(tmp_path, counts, dt.datetime(2026, 10, 29, 11, 0), "midday")
    found = partial_days(tmp_path, "orders", TZ)
    assert [(p.table, p.day, p.rows) for p in found] == [("orders", dt.date(2026, 10, 29), 30)]
    assert found[0].exported_at == dt.datetime(2026, 10, 29, 12, 0)
    outcome = check_volume(tmp_path, "orders", DEFAULTS, dt.date(2026, 10, 29), TZ)
    assert outcome.passed and outcome.partial_day == dt.date(2026, 10, 29)
    assert "partial last day" in outcome.message

    # The same rows in a file pulled the next morning: the 29th ended before the export, so its
    # 30 rows are a cut-off delivery, judged against 100 a day (lower bound min(100, 75) = 75:
    # a steady count, no Poisson floor).
    (tmp_path / "orders" / "midday.parquet").unlink()
    _write_orders(tmp_path, counts, dt.datetime(2026, 10, 30, 5, 0), "next-morning")
    assert partial_days(tmp_path, "orders", TZ) == []
    cut = check_volume(tmp_path, "orders", DEFAULTS, dt.date(2026, 10, 30), TZ)
    assert not cut.passed and cut.verdict == "drop"
    assert cut.lower_bound == pytest.approx(75)


def test_landing_file_time_decides_over_the_load_time(tmp_path):
    landing = tmp_path / "landing"
    (landing / "orders").mkdir(parents=True)
    export = landing / "orders" / "late-load.csv"
    export.write_text("downloaded mid-day, loaded the next morning\n")
    # Downloaded 2026-10-29 09:30 UTC (10:30 local), loaded 2026-10-30 05:00 UTC.
    downloaded = dt.datetime(2026, 10, 29, 9, 30, tzinfo=dt.UTC).timestamp()
    os.utime(export, (downloaded, downloaded))
    raw = tmp_path / "raw"
    _write_orders(
        raw,
        _days(dt.date(2026, 10, 1), [100] * 28 + [30]),
        dt.datetime(2026, 10, 30, 5),
        "late-load",
    )
    found = partial_days(raw, "orders", TZ, landing_dir=landing)
    assert [p.day for p in found] == [dt.date(2026, 10, 29)]
    assert found[0].exported_at == dt.datetime(2026, 10, 29, 10, 30)
    outcome = check_volume(raw, "orders", DEFAULTS, dt.date(2026, 10, 30), TZ, landing)
    assert outcome.passed and "partial last day" in outcome.message


def test_volume_settings_per_source_and_clear_errors(tmp_path):
    config = tmp_path / "ingestion.yml"
    config.write_text(
        "volume:\n  defaults: {sensitivity: 4}\n  sources:\n    shopify: {min_drop_share: 0.3}\n"
    )
    options = load_options(config)
    expected = VolumeSettings(sensitivity=4, min_drop_share=0.3)
    assert options.volume.for_source("shopify") == expected
    assert options.volume.for_source("ga4") == VolumeSettings(sensitivity=4)
    # The landing folder of a source named otherwise names the same source.
    config.write_text("volume:\n  sources:\n    orders: {min_drop_share: 0.3}\n")
    assert load_options(config).volume.for_source("shopify") == VolumeSettings(min_drop_share=0.3)
    config.write_text("volume:\n  sources:\n    linkedin_ads: {sensitivity: 2}\n")
    with pytest.raises(
        IngestConfigError, match=r"ingestion.yml: volume: .*sources.linkedin_ads.*known"
    ):
        load_options(config)
    config.write_text("volume:\n  defaults: {sensitivity: -1}\n")
    with pytest.raises(IngestConfigError, match=r"volume.defaults.sensitivity: .*greater than 0"):
        load_options(config)
    config.write_text("volume_drop_threshold: 0.5\n")
    with pytest.raises(IngestConfigError, match="volume_drop_threshold is no longer used"):
        load_options(config)


def test_known_sources_of_the_settings_are_the_declared_sources():
    from pipelines.ingest.options import _known_sources
    from pipelines.ingest.sources import SOURCES

    assert sorted(SOURCES) == _known_sources()


def test_an_earlier_drop_does_not_widen_the_range_for_the_weeks_after():
    # 28 training days of 1000 but one of 300: with it the mean would be 975 and the spread 132
    # (lower bound 578, so 600 would pass). Left out as a drop itself (300 < 750), the training
    # set is 27 days of 1000: lower bound 750, and 600 fails.
    history = [1000] * 28
    history[10] = 300
    counts = _days(dt.date(2026, 10, 1), [*history, 600])
    outcome = judge_volume(counts, dt.date(2026, 10, 30), DEFAULTS)
    assert not outcome.passed
    assert outcome.expected == 1000 and outcome.training_days == 27
    assert "1 earlier drop(s) left out" in outcome.message


def _orders_through_the_day(day: dt.date, rows: int) -> list[dt.datetime]:
    # 100 orders a day, one every 9.6 minutes from 07:00 (the last at 22:50:24); `rows` of them.
    start = dt.datetime.combine(day, dt.time(7))
    return [start + dt.timedelta(seconds=576 * i) for i in range(rows)]


def _write_timed_orders(raw: Path, days: dict[dt.date, int], loaded_at: dt.datetime) -> None:
    rows = [
        {"created_at": moment, "_source_file": "orders/x.csv", "_loaded_at": loaded_at}
        for day, n in days.items()
        for moment in _orders_through_the_day(day, n)
    ]
    write_parquet_atomically(pa.Table.from_pylist(rows), raw / "orders" / "x.parquet")


def test_a_file_cut_off_mid_way_fails_even_when_the_count_is_within_range(tmp_path):
    loaded = dt.datetime(2026, 10, 30, 5, 0)  # after the 29th ended: the 29th is complete
    counts = _days(dt.date(2026, 10, 1), [100] * 28 + [78])
    _write_timed_orders(tmp_path, counts, loaded)
    outcome = check_volume(tmp_path, "orders", DEFAULTS, dt.date(2026, 10, 30), TZ)
    # 78 rows is within the count range (at least 75), but the 29th's last order is at 19:19:12
    # (the 78th: 07:00 + 77 x 9.6 min) and every earlier day had 22 orders after that time (the
    # default minimum is 20).
    assert not outcome.passed and outcome.verdict == "cut_off"
    assert outcome.details["usual_rows_after_last_row"] == 22
    assert "last row is at 19:19" in outcome.message and "cut off" in outcome.message
    # The complete day: its last order is at 22:50, no earlier day had one later: passes.
    _write_timed_orders(tmp_path, _days(dt.date(2026, 10, 1), [100] * 29), loaded)
    assert check_volume(tmp_path, "orders", DEFAULTS, dt.date(2026, 10, 30), TZ).verdict == "ok"


def test_sparse_rows_have_no_weekday_pattern_and_are_not_judged():
    # One row every 8 days from 2026-09-07 (a weekday moving by one each week) up to 2026-10-25,
    # then one on 2026-11-01 and 2026-11-02 (judged): every weekday's median share of its week is
    # 0, so there is no weekday pattern to measure (and no division by zero). Expected volume =
    # the mean of the last 7 days before the judged day (one row, on 2026-11-01): 1 / 7, below
    # the minimum, not judged.
    counts = {dt.date(2026, 9, 7) + dt.timedelta(days=8 * week): 1 for week in range(7)}
    counts[dt.date(2026, 11, 1)] = 1
    counts[dt.date(2026, 11, 2)] = 1
    outcome = judge_volume(counts, dt.date(2026, 11, 3), DEFAULTS, table="support_tickets")
    assert outcome.passed and outcome.verdict == "not_judged"
    assert not outcome.seasonal
    assert outcome.expected == pytest.approx(1 / 7)
