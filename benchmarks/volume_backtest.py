"""Backtest of the volume and freshness checks, night by night over a year of demo history.

    .venv/bin/python -m benchmarks.volume_backtest [--days 365] [--seed 7]   (make bench-checks)

Daily row counts per raw table come from the demo generator's own logic (pipelines/demo:
`google_ads.campaign_days`, `shop.order_count`, `shop.ticket_count`, `search_console.query_count`,
one GA4 row per channel and day) at two scales: a small shop (`small`, scale 0.3: about 9 orders
and 2 tickets a day, 9 campaigns, 90 Search Console queries) and the `year` benchmark scale (45.7).

Each night the source delivers a file: usually pulled at 05:00, on one night in three by hand
between 09:00 and 18:00. It holds every complete day (re-delivered, so the latest delivery of a day
is complete) and the part of the current day before the pull (orders are placed 07:00-23:00,
tickets around the clock; the daily reports show today's campaigns, channels and queries already).
The night's checks then run exactly as the Dagster checks do: `judge_volume` on the counts, with
the days whose latest export was pulled before they ended (`is_partial_day`) as partial, and
`judge_freshness` on the last data day of each delivery, both with the default settings.

The clean run counts false alarms (a failed volume check or a stale warning). The faulted run
injects, per source, one fault every 28 nights, the kinds in turn:
* `drop_30`: yesterday's delivery holds 30 % of the day's rows (left so: never re-delivered);
* `silent_3`: no delivery for 3 nights (caught when freshness warns on one of them);
* `cut_off`: the night's file is cut off mid-way (30-70 % of yesterday's rows, nothing of today);
  the next night's file is complete again;
* `half_monday`: a Monday with half its usual rows, judged on Tuesday.
The faulted year is replayed four times with the faults shifted by a week each time (about 12
faults of each kind per source). A fault is caught when the check it concerns alarms on the night
it is visible.
"""

from __future__ import annotations

import argparse
import bisect
import datetime as dt
import random
import time
from collections import Counter
from dataclasses import dataclass, field

from pipelines.checks.freshness import judge_freshness
from pipelines.checks.volume import (
    DATE_EXPRESSIONS,
    TailEvidence,
    is_partial_day,
    judge_volume,
    judged_day,
)
from pipelines.demo import google_ads, search_console, shop
from pipelines.ingest.options import FreshnessSettings, VolumeSettings

SCALES = {"small": 0.3, "year": 45.7}  # `year` as in benchmarks/pipeline_benchmark.py
TABLES = tuple(DATE_EXPRESSIONS)  # the volume-checked raw tables, from the source declarations
FAULTS = ("drop_30", "silent_3", "cut_off", "half_monday")
FIRST_FAULT_NIGHT = 35
FAULT_EVERY = 28
SHIFTS = (0, 7, 14, 21)  # four faulted replays of the year: about 12 faults of each kind


def _seconds(moment: dt.datetime) -> int:
    return moment.hour * 3600 + moment.minute * 60 + moment.second


def _timed(dates: list[dt.date], scale: float, rng: random.Random, count, moment):
    return [sorted(_seconds(moment(d, rng)) for _ in range(count(d, scale, rng))) for d in dates]


def true_rows(
    start: dt.date, days: int, scale: float, seed: int
) -> tuple[dict[str, list[int]], dict[str, list[list[int]]]]:
    """Rows per day and raw table, and for orders and tickets each row's time of day (seconds),
    from the demo generator's logic."""
    per_day: Counter[dt.date] = Counter()
    for values in google_ads.campaign_days(start, days, scale, random.Random(f"ads-{seed}")):
        per_day[values[0]] += 1
    dates = [start + dt.timedelta(days=i) for i in range(days)]
    times = {
        "orders": _timed(
            dates, scale, random.Random(f"orders-{seed}"), shop.order_count, shop.order_moment
        ),
        "support_tickets": _timed(
            dates, scale, random.Random(f"tickets-{seed}"), shop.ticket_count, shop.ticket_moment
        ),
    }
    counts = {
        "google_ads_campaign_days": [per_day[d] for d in dates],
        "search_console_query_days": [search_console.query_count(scale)] * days,
        "ga4_channel_days": [len(shop.CHANNELS)] * days,
        **{table: [len(day) for day in rows] for table, rows in times.items()},
    }
    return counts, times


def _kept(times: list[int], count: int, share: float, rng: random.Random) -> list[int]:
    """A delivery holding `share` of a day's rows, spread over the day (times, when known)."""
    if not times:
        return [0] * int(count * share)
    return sorted(rng.sample(times, int(len(times) * share)))


@dataclass
class Tally:
    nights: int = 0
    false_alarms: int = 0
    stale_warnings: int = 0
    drop_failures: int = 0
    injected: Counter[str] = field(default_factory=Counter)
    caught: Counter[str] = field(default_factory=Counter)
    not_judged_nights: int = 0
    notes: list[str] = field(default_factory=list)  # false alarms and missed faults, explained


def _tail(
    delivered_times: dict[dt.date, list[int]], day: dt.date | None, volume: VolumeSettings
) -> TailEvidence | None:
    """What `tail_evidence` reads from the raw layer, from the delivered rows' times."""
    if day is None or not delivered_times.get(day):
        return None
    last = delivered_times[day][-1]
    after = {}
    for offset in range(1, volume.training_days + 1):
        earlier = day - dt.timedelta(days=offset)
        if earlier in delivered_times:
            rows = delivered_times[earlier]
            after[earlier] = len(rows) - bisect.bisect_right(rows, last)
    return TailEvidence(dt.time(last // 3600, last // 60 % 60, last % 60), after)


def fault_plan(first_night: int, nights: int, shift: int = 0) -> dict[int, str]:
    """Night index -> fault kind starting that night (the Monday fault moves to a Monday)."""
    plan = {}
    first = first_night + FIRST_FAULT_NIGHT + shift
    for number, night in enumerate(range(first, nights - 3, FAULT_EVERY)):
        plan[night] = FAULTS[number % len(FAULTS)]
    return plan


def backtest(
    table: str,
    counts: list[int],
    times: list[list[int]] | None,
    start: dt.date,
    first_night: int,
    seed: int,
    faults: bool,
    volume: VolumeSettings,
    shift: int = 0,
) -> Tally:
    freshness = FreshnessSettings()
    rng = random.Random(f"pulls-{seed}-{table}")
    tally = Tally()
    delivered: dict[dt.date, int] = {}  # the latest delivery's rows per day
    delivered_times: dict[dt.date, list[int]] = {}  # and their times of day, when known
    partial: set[dt.date] = set()
    deliveries: list[dt.date] = []  # last data day of each delivery
    plan = fault_plan(first_night, len(counts), shift) if faults else {}
    shortened: dict[int, float] = {}  # day index -> share of its rows kept for good
    active: dict[int, str] = {}  # night -> fault visible that night
    for night, kind in plan.items():
        if kind == "drop_30":
            shortened[night - 1] = 0.3
            active[night] = kind
        elif kind == "half_monday":
            monday = night + (7 - (start + dt.timedelta(days=night)).weekday()) % 7
            if monday + 1 < len(counts):
                shortened[monday] = 0.5
                active[monday + 1] = kind
        elif kind in ("silent_3", "cut_off"):
            active[night] = kind
    silent_nights: dict[int, int] = {}  # night -> first night of its silence
    for night, kind in plan.items():
        if kind == "silent_3":
            for k in range(3):
                silent_nights[night + k] = night
    caught_silences: set[int] = set()

    for night in range(1, len(counts)):
        today = start + dt.timedelta(days=night)
        hour = 5.0 if rng.random() < 2 / 3 else rng.uniform(9, 18)
        pulled = dt.datetime.combine(today, dt.time()) + dt.timedelta(hours=hour)
        kind = active.get(night)
        if night in silent_nights:
            pass  # nothing delivered
        elif kind == "cut_off":
            # The file ends mid-way through yesterday: its first 30-70 % rows, nothing after.
            yesterday = today - dt.timedelta(days=1)
            rows = times[night - 1] if times else [0] * counts[night - 1]
            delivered_times[yesterday] = rows[: int(len(rows) * rng.uniform(0.3, 0.7))]
            delivered[yesterday] = len(delivered_times[yesterday])
            partial.discard(yesterday)
            delivered.pop(today, None)
            delivered_times.pop(today, None)
            deliveries.append(yesterday)
        else:
            # Everything up to yesterday, complete (the latest delivery of a day replaces it),
            # and today's rows before the pull.
            for index in range(max(0, night - 3), night + 1):
                day = start + dt.timedelta(days=index)
                rows = times[index] if times else []
                share = shortened.get(index, 1.0)
                kept = _kept(rows, counts[index], share, random.Random(f"{seed}-{index}"))
                if index == night:
                    if times:
                        kept = [t for t in kept if t < hour * 3600]
                    if not kept:
                        break
                    partial.add(day) if is_partial_day(day, pulled) else partial.discard(day)
                else:
                    partial.discard(day)
                delivered_times[day], delivered[day] = kept, len(kept)
            deliveries.append(today if today in delivered else today - dt.timedelta(days=1))
        if night < first_night:
            continue
        tally.nights += 1
        outcome = judge_volume(
            delivered,
            today,
            volume,
            frozenset(partial),
            table,
            _tail(delivered_times, judged_day(delivered, today, partial), volume)
            if times
            else None,
        )
        stale = judge_freshness(deliveries, today, freshness, table)
        if outcome.verdict == "not_judged":
            tally.not_judged_nights += 1
        alarm_volume, alarm_stale = not outcome.passed, not stale.passed
        tally.drop_failures += alarm_volume
        tally.stale_warnings += alarm_stale
        if night in silent_nights:
            if alarm_stale:
                caught_silences.add(silent_nights[night])
            elif night == silent_nights[night] + 2 and silent_nights[night] not in caught_silences:
                tally.notes.append(f"{today} missed silent_3: {stale.message}")
        elif kind in ("drop_30", "cut_off", "half_monday"):
            tally.injected[kind] += 1
            tally.caught[kind] += alarm_volume
            if not alarm_volume:
                tally.notes.append(f"{today} missed {kind}: {outcome.message}")
        elif alarm_volume or alarm_stale:
            tally.false_alarms += 1
            tally.notes.append(
                f"{today} false alarm: {outcome.message if alarm_volume else stale.message}"
            )
    for night, kind in plan.items():
        if kind == "silent_3" and night + 2 < len(counts):
            tally.injected[kind] += 1
            tally.caught[kind] += night in caught_silences
    return tally


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=365, help="nights judged per source")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--verbose", action="store_true", help="explain alarms and misses")
    parser.add_argument("--sensitivity", type=float, help="instead of the default volume setting")
    args = parser.parse_args()
    volume = VolumeSettings(
        **({"sensitivity": args.sensitivity} if args.sensitivity is not None else {})
    )
    warmup = 28  # the training window before the first judged night
    start = dt.date(2025, 12, 1) - dt.timedelta(days=warmup)
    started = time.perf_counter()
    for name, scale in SCALES.items():
        counts, times = true_rows(start, args.days + warmup + 1, scale, args.seed)
        print(f"\n{name} (scale {scale}), {args.days} nights from {start + dt.timedelta(warmup)}")
        header = (
            f"{'raw table':27} {'rows/day':>9} {'not judged':>10} {'false alarms/yr':>15} "
            + " ".join(f"{kind:>11}" for kind in FAULTS)
            + f" {'caught':>8}"
        )
        print(header)
        for table in TABLES:
            timed = times.get(table)
            clean = backtest(table, counts[table], timed, start, warmup, args.seed, False, volume)
            faulted = Tally()
            for shift in SHIFTS:  # the faulted year, replayed with the faults on other nights
                run = backtest(
                    table, counts[table], timed, start, warmup, args.seed, True, volume, shift
                )
                faulted.injected.update(run.injected)
                faulted.caught.update(run.caught)
                faulted.notes.extend(run.notes)
            per_year = clean.false_alarms * 365 / clean.nights
            cells = " ".join(
                f"{faulted.caught[kind]:>5}/{faulted.injected[kind]:<5}" for kind in FAULTS
            )
            injected = sum(faulted.injected.values())
            share = sum(faulted.caught.values()) / injected if injected else 0.0
            mean = sum(counts[table]) / len(counts[table])
            print(
                f"{table:27} {mean:>9,.0f} {clean.not_judged_nights / clean.nights:>10.0%} "
                f"{per_year:>15.1f} {cells} {share:>8.0%}"
            )
            if args.verbose:
                for note in [*clean.notes, *faulted.notes]:
                    print(f"    {note}")
    print(f"\n(volume settings: {volume}; {time.perf_counter() - started:.1f} s)")


if __name__ == "__main__":
    main()
