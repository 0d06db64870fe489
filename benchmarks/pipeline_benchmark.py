"""The pipeline against the limit: what DuckDB needs to read the files and compute the KPIs.

    .venv/bin/python -m benchmarks.pipeline_benchmark --scale small|year|large|history [--repeat 3]

For a demo landing folder at the named scale (generated once, cached in the work folder) it times,
over several runs, and reports medians of:

1. reference: benchmarks/reference_kpis.py, every KPI straight from the files in one DuckDB
   connection (the limit);
2. full: `kpi-warehouse run` from an empty warehouse over the history (ends 2026-09-30);
3. nightly, Google Ads and Search Console: the next run after one new day (2026-10-01) of those
   two sources only was added (the night issue 20 measured), from a copy of the full build;
4. nightly: the next run after one new day of every source (its CRM snapshots included) was added
   to the landing folder, from the full build itself;
5. no new files: the run after that, with nothing new;
6. nothing new, next day: a run as of the day after, still with no new file.

Each figure comes with its ratio to the reference, rows/s (landing rows read by the full build)
and peak memory (RSS of the whole process tree). The KPI values of the reference and the full
build are compared as a sanity check. Each run's stages (its run-summary.json, see
pipelines/stage_timings.py) are printed as one table of medians per kind of run and kept under
`stages` in the results: benchmarks/results/pipeline-<scale>.json.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import psutil

from benchmarks.ingest_benchmark import plain_copy_seconds
from benchmarks.measure import Measurement, measure_command
from pipelines.demo.landing import write_demo_landing

RESULTS = Path(__file__).parent / "results"
HISTORY_END = dt.date(2026, 9, 30)
NEW_DAY = HISTORY_END + dt.timedelta(days=1)
# Search Console query-day rows per day and scale unit of the demo generator (about 300).
SCALES = {
    # name: (days of history, scale): `year` is ~5 M Search Console rows, ~500 k Google Ads rows,
    # ~800 k order lines, ~100 k tickets, ~20 k survey answers; `large` about five times that in
    # one year (five times the rows per day, so its new day too is five times the year's);
    # `history` five years at the year's rows per day (the new day equals the year's), its CRM
    # exported monthly in its last year only (see write_demo_landing).
    "small": (30, 45.7),
    "year": (365, 45.7),
    "large": (365, 228.5),
    "history": (5 * 365, 45.7),
}
CRM_SNAPSHOTS_FROM = {"history": HISTORY_END - dt.timedelta(days=365)}
# The night issue 20 measured: one new day of Google Ads and Search Console only.
ADS_AND_SEARCH = ("google_ads", "search_console")
# Files a run rewrites in place (DuckDB, Dagster's SQLite) are copied when a warehouse is saved;
# the raw layer's Parquet and the JSON state are only ever replaced whole, so they are linked.
LINKED_SUFFIXES = (".parquet", ".json")


def prepare_landing(work: Path, scale_name: str) -> tuple[Path, list[Path]]:
    """The history landing folder (cached) and the files of the one new day."""
    days, scale = SCALES[scale_name]
    cache = work / f"landing-{scale_name}"
    if not (cache / ".complete").exists():
        shutil.rmtree(cache, ignore_errors=True)
        started = time.perf_counter()
        write_demo_landing(
            cache,
            end=NEW_DAY,
            days=days + 1,
            scale=scale,
            seed=7,
            crm_snapshots_from=CRM_SNAPSHOTS_FROM.get(scale_name),
        )
        (cache / ".complete").write_text("")
        print(f"generated the {scale_name} landing folder in {time.perf_counter() - started:.0f}s")
    new_day = sorted(
        p for p in cache.rglob("*") if p.is_file() and NEW_DAY.strftime("%Y-%m") in p.name
    )
    return cache, new_day


def landing_copy(cache: Path, new_day: list[Path], target: Path) -> None:
    """Hard links of the history (instant, read-only use); the new day's files are left out."""
    skipped = set(new_day)
    for path in cache.rglob("*"):
        if path.is_file() and path not in skipped and path.name != ".complete":
            destination = target / path.relative_to(cache)
            destination.parent.mkdir(parents=True, exist_ok=True)
            os.link(path, destination)


def add_files(cache: Path, files: list[Path], landing: Path) -> None:
    for path in files:
        destination = landing / path.relative_to(cache)
        destination.parent.mkdir(parents=True, exist_ok=True)
        os.link(path, destination)


def _link_or_copy(source: str, destination: str) -> None:
    if source.endswith(LINKED_SUFFIXES):
        os.link(source, destination)
    else:
        shutil.copy2(source, destination)


def save_warehouse(root: Path, saved: Path) -> None:
    """A copy of a warehouse folder (raw layer, working and published files, Dagster's storage)
    to put back in its place later, so the runs' paths stay the same. The landing folder is not
    copied: a new link to a landing file changes its inode's change time, and ingestion would
    then hash the file again (pipelines/ingest/hash_cache.py)."""
    shutil.rmtree(saved, ignore_errors=True)
    saved.mkdir(parents=True)
    for entry in root.iterdir():
        if entry.name != "landing":
            shutil.copytree(entry, saved / entry.name, copy_function=_link_or_copy)


def restore_warehouse(saved: Path, root: Path, added: list[Path]) -> None:
    """Put a saved warehouse back and take the landing files added since out again."""
    for entry in root.iterdir():
        if entry.name != "landing":
            shutil.rmtree(entry)
    for entry in saved.iterdir():
        entry.rename(root / entry.name)
    saved.rmdir()
    for path in added:
        path.unlink()


def environment(root: Path, landing: Path) -> dict[str, str]:
    return {
        **os.environ,
        "KPI_ENGINE": "duckdb",
        "KPI_LANDING_DIR": str(landing),
        "KPI_RAW_DIR": str(root / "raw"),
        "KPI_WORK_DB_PATH": str(root / "work" / "kpi_work.duckdb"),
        "KPI_WAREHOUSE_PATH": str(root / "published" / "kpi.duckdb"),
        "KPI_ALLOW_PATHS_OUTSIDE_PROJECT": "1",
        "DAGSTER_HOME": str(root / "dagster_home"),
        "KPI_PII_SALT": "benchmark-salt",
    }


def run(env: dict[str, str], as_of: dt.date, stages: list[dict[str, float]]) -> Measurement:
    """One `kpi-warehouse run`; its stages (from its run-summary.json) are appended to `stages`."""
    command = [sys.executable, "-m", "pipelines.cli", "run", "--as-of", as_of.isoformat()]
    measurement = measure_command([*command, "--quiet"], env=env)
    summary = Path(env["KPI_WORK_DB_PATH"]).parent / "logs" / "run-summary.json"
    timings = json.loads(summary.read_text(encoding="utf-8"))["timings"]
    stages.append({**timings["stages"], "unaccounted": timings["unaccounted_seconds"]})
    return measurement


def median_stages(runs: list[dict[str, float]]) -> dict[str, float]:
    """The median of each stage over the runs (a stage missing from a run counts as 0 s)."""
    names = list(dict.fromkeys(name for stages in runs for name in stages))
    return {
        name: round(statistics.median(stages.get(name, 0.0) for stages in runs), 2)
        for name in names
    }


def stage_table(stages: dict[str, dict[str, float]]) -> str:
    """One line per stage, one column per kind of run (medians, seconds)."""
    kinds = list(stages)
    names = list(dict.fromkeys(name for per_kind in stages.values() for name in per_kind))
    lines = [f"  {'stage':40}" + "".join(f"{kind:>22}" for kind in kinds)]
    for name in names:
        cells = "".join(f"{stages[kind].get(name, 0.0):>21.2f}s" for kind in kinds)
        lines.append(f"  {name:40}{cells}")
    totals = "".join(f"{sum(stages[kind].values()):>21.2f}s" for kind in kinds)
    lines.append(f"  {'sum of the medians':40}{totals}")
    return "\n".join(lines)


def rows_read(raw: Path) -> int:
    pattern = str(raw / "load_log" / "*.parquet")
    return int(duckdb.sql(f"select sum(rows_read) from read_parquet('{pattern}')").fetchone()[0])


def compare_with_reference(reference: list, warehouse: Path) -> dict[str, int]:
    """Complete periods where both have a value: equal within 1e-9 relative? The KPIs the
    reference does not compute at all are named and counted."""
    expected = {(kpi, period): value for kpi, period, value in reference}
    with duckdb.connect(str(warehouse), read_only=True) as con:
        built = con.execute(
            "select kpi_id, cast(period_start as varchar), value from marts.fct_kpi_values "
            "where is_complete and value is not null"
        ).fetchall()
    computed = {kpi for kpi, _ in expected}
    not_in_reference = sorted({kpi for kpi, _, _ in built} - computed)
    if not_in_reference:
        print(f"  not computed by the reference: {', '.join(not_in_reference)}")
    compared = mismatched = 0
    for kpi, period, value in built:
        other = expected.get((kpi, period))
        if other is None:
            continue
        compared += 1
        if not math.isclose(value, other, rel_tol=1e-9, abs_tol=1e-9):
            mismatched += 1
            if mismatched <= 5:
                print(f"  differs: {kpi} {period}: pipeline {value} reference {other}")
    return {
        "compared": compared,
        "mismatched": mismatched,
        "not_in_reference": len(not_in_reference),
    }


def median(measurements: list[Measurement]) -> dict[str, float]:
    return {
        "seconds": round(statistics.median(m.seconds for m in measurements), 2),
        "peak_rss_mb": round(max(m.peak_rss_mb for m in measurements)),
    }


def landing_plain_copy_seconds(landing: Path, scratch: Path) -> float:
    """Seconds DuckDB takes to copy every CSV and Parquet file of the landing folder to Parquet
    with no check at all (benchmarks/ingest_benchmark.py): what ingestion is compared with."""
    seconds = 0.0
    for folder in sorted(p for p in landing.rglob("*") if p.is_dir()):
        shutil.rmtree(scratch, ignore_errors=True)
        scratch.mkdir(parents=True)
        seconds += plain_copy_seconds(folder, scratch)
    shutil.rmtree(scratch, ignore_errors=True)
    return seconds


def ingestion_seconds(stages: dict[str, float]) -> float:
    """Ingestion with every check: the ingestion steps and the raw tables' checks of a run."""
    return sum(
        seconds
        for name, seconds in stages.items()
        if name.startswith(("ingestion/", "raw_checks/"))
    )


def targets(result: dict, year: dict | None) -> list[dict]:
    """Issue 20's targets against this sitting's figures: name, figure, limit, met. The `large`
    nightly run is compared with the `year` results file when there is one (its commit named)."""
    figures = result["figures"]
    full = figures["full"]["seconds"]
    nightly = figures["nightly_one_new_day"]["seconds"]
    ads_night = figures.get("nightly_ads_and_search", {}).get("seconds")
    peak = max(figure["peak_rss_mb"] for name, figure in figures.items() if name != "reference")
    checked = [
        ("nightly run (every source's day), share of the full build", nightly / full, 0.15,
         "{:.1%}", "{:.0%}"),
        ("run with nothing new, seconds", figures["no_new_files"]["seconds"], 5.0, "{:.1f}", "{}"),
        ("full build, times the reference", figures["full"]["ratio_to_reference"], 8.0,
         "{:.1f}x", "{}x"),
        ("peak memory, MB", peak, 2000, "{:.0f}", "{}"),
    ]  # fmt: skip
    if ads_night:
        checked.insert(
            0,
            ("nightly run (Google Ads and Search Console), share of the full build",
             ads_night / full, 0.15, "{:.1%}", "{:.0%}"),
        )  # fmt: skip
    copy = result.get("plain_copy_seconds")
    if copy:
        ingestion = ingestion_seconds(result["stages"]["full"])
        checked.append(
            ("ingestion with every check, times a plain copy", ingestion / copy, 2.5,
             "{:.1f}x", "{}x")
        )  # fmt: skip
    if result["scale"] == "history" and year:
        year_nightly = year["figures"]["nightly_one_new_day"]["seconds"]
        checked.append(
            (f"nightly run, times the year's ({year['git_commit']})", nightly / year_nightly, 1.3,
             "{:.2f}x", "{}x")
        )  # fmt: skip
        year_ads = year["figures"].get("nightly_ads_and_search", {}).get("seconds")
        if ads_night and year_ads:
            checked.append(
                (f"nightly run (Google Ads and Search Console), times the year's "
                 f"({year['git_commit']})", ads_night / year_ads, 1.3, "{:.2f}x", "{}x")
            )  # fmt: skip
    return [
        {
            "target": name,
            "figure": round(figure, 3),
            "limit": limit,
            "met": figure <= limit,
            "text": f"{shown.format(figure)} (at most {bound.format(limit)})",
        }
        for name, figure, limit, shown, bound in checked
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scale", choices=sorted(SCALES), default="small")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--workdir", default=str(RESULTS.parent / "work"))
    args = parser.parse_args()
    work = Path(args.workdir)
    work.mkdir(parents=True, exist_ok=True)
    cache, new_day = prepare_landing(work, args.scale)

    reference_landing = work / "reference-landing"
    shutil.rmtree(reference_landing, ignore_errors=True)
    landing_copy(cache, new_day, reference_landing)
    reference_out = work / "reference-values.json"
    reference_command = [
        sys.executable, "-m", "benchmarks.reference_kpis", "--landing", str(reference_landing),
        "--as-of", NEW_DAY.isoformat(), "--out", str(reference_out),
    ]  # fmt: skip
    reference = [measure_command(reference_command) for _ in range(args.repeat)]
    plain_copy = landing_plain_copy_seconds(reference_landing, work / "plain-copy")
    shutil.rmtree(reference_landing, ignore_errors=True)

    full, ads_night, nightly, idle, next_day = [], [], [], [], []
    stages: dict[str, list[dict[str, float]]] = {
        "full": [],
        "nightly_ads_search": [],
        "nightly": [],
        "no_new_files": [],
        "next_day": [],
    }
    ads_files = [p for p in new_day if p.relative_to(cache).parts[0] in ADS_AND_SEARCH]
    rows = 0
    sanity: dict[str, int] = {}
    for attempt in range(args.repeat):
        root = work / f"run-{attempt}"
        shutil.rmtree(root, ignore_errors=True)
        landing = root / "landing"
        landing_copy(cache, new_day, landing)
        env = environment(root, landing)
        full.append(run(env, NEW_DAY, stages["full"]))
        if attempt == 0:
            rows = rows_read(root / "raw")
            sanity = compare_with_reference(
                json.loads(reference_out.read_text(encoding="utf-8")),
                root / "published" / "kpi.duckdb",
            )
        saved = work / f"run-{attempt}-saved"
        save_warehouse(root, saved)
        add_files(cache, ads_files, landing)
        ads_night.append(run(env, NEW_DAY + dt.timedelta(days=1), stages["nightly_ads_search"]))
        restore_warehouse(saved, root, [landing / p.relative_to(cache) for p in ads_files])
        add_files(cache, new_day, landing)
        nightly.append(run(env, NEW_DAY + dt.timedelta(days=1), stages["nightly"]))
        idle.append(run(env, NEW_DAY + dt.timedelta(days=1), stages["no_new_files"]))
        if "dbt/models" in stages["no_new_files"][-1]:
            print(
                "  the run with no new files ran dbt: its inputs were not those of the last build"
            )
        next_day.append(run(env, NEW_DAY + dt.timedelta(days=2), stages["next_day"]))
        shutil.rmtree(root, ignore_errors=True)
        print(
            f"run {attempt + 1}: full {full[-1].seconds:.1f}s, nightly (Google Ads and Search "
            f"Console) {ads_night[-1].seconds:.1f}s, nightly {nightly[-1].seconds:.1f}s, "
            f"no new files {idle[-1].seconds:.1f}s, nothing new next day "
            f"{next_day[-1].seconds:.1f}s"
        )

    figures = {
        "reference": median(reference),
        "full": median(full),
        "nightly_ads_and_search": median(ads_night),
        "nightly_one_new_day": median(nightly),
        "no_new_files": median(idle),
        "nothing_new_next_day": median(next_day),
    }
    limit = figures["reference"]["seconds"]
    for figure in figures.values():
        figure["ratio_to_reference"] = round(figure["seconds"] / limit, 1)
    for night in ("nightly_ads_and_search", "nightly_one_new_day"):
        figures[night]["share_of_full"] = round(
            figures[night]["seconds"] / figures["full"]["seconds"], 3
        )
    result = {
        "scale": args.scale,
        "days": SCALES[args.scale][0],
        "landing_rows": rows,
        "full_rows_per_second": round(rows / figures["full"]["seconds"]),
        "repeat": args.repeat,
        "figures": figures,
        "reference_check": sanity,
        "plain_copy_seconds": round(plain_copy, 2),
        # Median seconds per stage of each kind of run (pipelines/stage_timings.py).
        "stages": {kind: median_stages(runs) for kind, runs in stages.items()},
        "git_commit": subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True
        ).stdout.strip(),
        "machine": f"{platform.machine()}, {psutil.cpu_count()} cores, "
        f"{psutil.virtual_memory().total / 2**30:.0f} GiB",
    }
    print(f"\n{args.scale}: {rows:,} landing rows, medians of {args.repeat} run(s)")
    for name, figure in figures.items():
        print(
            f"  {name:24} {figure['seconds']:8.1f}s  x{figure['ratio_to_reference']:<6} "
            f"peak {figure['peak_rss_mb']:6.0f} MB"
        )
    print(f"  full build: {result['full_rows_per_second']:,} rows/s")
    print(f"\nper stage (medians of {args.repeat} run(s)):")
    print(stage_table(result["stages"]))
    print(
        f"  reference check: {sanity['compared']} KPI values compared, "
        f"{sanity['mismatched']} differ"
    )
    year_file = RESULTS / "pipeline-year.json"
    year = json.loads(year_file.read_text(encoding="utf-8")) if year_file.exists() else None
    result["targets"] = targets(result, year)
    print("\ntargets (issue 20):")
    for target in result["targets"]:
        verdict = "met" if target["met"] else "NOT met"
        print(f"  {target['target']:66} {target['text']:>26}  {verdict}")
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"pipeline-{args.scale}.json").write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
