"""The `kpi-warehouse` command: lint, generate, run, scorecard, report, validate, digest and
demo-data."""

from __future__ import annotations

import argparse
import atexit
import contextlib
import datetime as dt
import logging
import os
import sys
import time
from pathlib import Path

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from pipelines.engines import Engine, EngineError
from pipelines.settings import PROJECT_DIR, Settings, SettingsError

console = Console()
if not console.is_terminal:
    console = Console(width=160)
err = Console(stderr=True)
if not err.is_terminal:
    err = Console(stderr=True, width=160)


def _display_path(path: str) -> str:
    try:
        return str(Path(path).resolve().relative_to(Path.cwd()))
    except ValueError:
        return path


def cmd_lint(args: argparse.Namespace) -> int:
    from pipelines.kpis.facts import load_fact_catalog
    from pipelines.kpis.lint import exit_code, findings_as_json, lint_portfolio
    from pipelines.kpis.loader import DefinitionError, load_portfolio

    definitions = (
        Path(args.definitions) if args.definitions else Settings.from_env().definitions_dir
    )
    try:
        portfolio = load_portfolio(definitions)
    except DefinitionError as exc:
        if args.format == "json":
            import json

            problems = [
                {
                    "severity": "error",
                    "rule": "definition.invalid",
                    "file": p.file,
                    "field": p.field,
                    "message": p.message,
                }
                for p in exc.problems
            ]
            print(
                json.dumps({"errors": len(problems), "warnings": 0, "findings": problems}, indent=2)
            )
        else:
            for problem in exc.problems:
                err.print(
                    f"[red]error[/red] {_display_path(problem.file)}: "
                    f"{problem.field + ': ' if problem.field else ''}{problem.message}",
                    highlight=False,
                )
        return 2
    people_problems = _people_problems(definitions, portfolio)
    if people_problems and args.format == "json":
        import json

        problems = [
            {
                "severity": "error",
                "rule": "people.invalid",
                "file": p.file,
                "field": p.field,
                "message": p.message,
            }
            for p in people_problems
        ]
        print(json.dumps({"errors": len(problems), "warnings": 0, "findings": problems}, indent=2))
        return 2
    if people_problems:
        for problem in people_problems:
            err.print(
                f"[red]error[/red] {_display_path(problem.file)}: {problem.field}: "
                f"{problem.message}",
                highlight=False,
            )
        return 2
    findings = lint_portfolio(portfolio, load_fact_catalog(), today=_as_of_date(args.as_of))
    if args.format == "json":
        print(findings_as_json(findings))
    else:
        for finding in findings:
            colour = "red" if finding.severity.value == "error" else "yellow"
            console.print(
                f"[{colour}]{finding.severity.value}[/{colour}] {_display_path(finding.file)} "
                f"[bold]{finding.rule}[/bold]: {finding.message}\n    fix: {finding.fix}",
                highlight=False,
            )
        errors = sum(f.severity.value == "error" for f in findings)
        console.print(
            f"{len(portfolio.kpis)} KPIs, {len(portfolio.goals)} goals: "
            f"{errors} error(s), {len(findings) - errors} warning(s)."
        )
    return exit_code(findings, strict=args.strict)


def _as_of_date(value: str | None) -> dt.date | None:
    """--as-of as a date (a time part is ignored); None means today."""
    if not value:
        return None
    try:
        return dt.datetime.fromisoformat(value.strip()).date()
    except ValueError:
        raise SettingsError(f"--as-of {value!r}: expected YYYY-MM-DD") from None


def _people_problems(definitions: Path, portfolio) -> list:
    """people.yml's problems (its names must match the KPIs' owners and teams)."""
    from pipelines.kpis.loader import DefinitionError
    from pipelines.notify.people import load_people

    try:
        load_people(definitions, portfolio)
    except DefinitionError as exc:
        return exc.problems
    return []


def cmd_generate(args: argparse.Namespace) -> int:
    from pipelines.dbt_manifest import left_out_definitions, prepare

    settings = Settings.from_env()
    project = prepare(settings, force=args.force, strict=args.strict)
    console.print(f"dbt models generated and manifest ready: {project.manifest_path}")
    left_out = left_out_definitions(settings.engine)
    for item in left_out:
        err.print(f"[yellow]left out[/yellow] {item.summary()}", highlight=False)
    return EXIT_HELD if left_out else 0


def cmd_docs(args: argparse.Namespace) -> int:
    from pipelines.dbt_manifest import dbt_cli, prepare
    from pipelines.report.table_reference import render_table_reference

    settings = Settings.from_env()
    project = prepare(settings)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(render_table_reference(project.manifest_path), encoding="utf-8")
    console.print(f"table reference written to {out}")
    if args.site:
        if not settings.work_db_path.exists():
            err.print(
                "[red]the docs site needs a built warehouse: run `kpi-warehouse run` first[/red]"
            )
            return 2
        dbt_cli(project).cli(["docs", "generate"], target_path=project.target_path).wait()
        console.print(f"dbt docs site: {project.project_dir / project.target_path / 'index.html'}")
    return 0


def _ensure_dagster_home(settings: Settings) -> None:
    os.environ["DAGSTER_HOME"] = str(settings.dagster_home)
    settings.dagster_home.mkdir(parents=True, exist_ok=True)
    config = settings.dagster_home / "dagster.yaml"
    if not config.exists():
        source = PROJECT_DIR / "dagster.yaml"
        config.write_text(source.read_text(encoding="utf-8"), encoding="utf-8")


# Exit codes of `kpi-warehouse run`.
EXIT_OK = 0
EXIT_FAILED = 1
EXIT_REFUSED = 2  # bad arguments, settings or (with --strict) definitions: nothing was run
EXIT_HELD = 3  # the run completed, but some KPIs are held by a failed check or left out


def cmd_run(args: argparse.Namespace) -> int:
    from pipelines.stage_timings import StageClock, process_started_at

    clock = StageClock()
    process_start = process_started_at()
    clock.add("startup/imports", time.time() - process_start)
    with clock.stage("startup/imports"):
        from pipelines.assets.ingestion import parse_rebuild_window

    try:
        parse_rebuild_window(args.rebuild_from or "", args.rebuild_to or "")
    except ValueError as exc:
        err.print(f"[red]--rebuild-from/--rebuild-to: {exc}; nothing was run[/red]")
        return 2
    settings = Settings.from_env()
    _ensure_dagster_home(settings)
    with clock.stage("startup/imports"):
        from dagster import DagsterInstance

        from pipelines.dbt_manifest import left_out_definitions, prepare
        from pipelines.definitions import build_definitions

    # With --strict, refuses (exit 2) on any definition with errors.
    with clock.stage("startup/dbt_manifest"):
        prepare(settings, strict=args.strict)
    from pipelines.landing_origin import LandingFolderChanged, check_landing_origin

    try:
        check_landing_origin(settings.raw_dir, settings.landing_url or settings.landing_dir)
    except LandingFolderChanged as exc:
        err.print(f"[red]{exc}[/red]\nNothing was run.", highlight=False)
        return EXIT_REFUSED

    with clock.stage("startup/definitions"):
        defs = build_definitions(settings)
        job = defs.resolve_implicit_global_asset_job_def()
    run_config = {
        "ops": {
            "raw__run_context": {
                "config": {
                    "as_of": args.as_of or "",
                    "rebuild_from": args.rebuild_from or "",
                    "rebuild_to": args.rebuild_to or "",
                }
            }
        },
        "loggers": {"console": {"config": {"log_level": "INFO"}}},
    }
    from pipelines.run_recovery import release_dead_runs, run_tags

    # dbt's line per model and test goes to a file (the run summary below counts them); the
    # ingestion and check messages stay on the terminal. --verbose shows dbt's lines too.
    dbt_log = settings.work_db_path.parent / "logs" / "dbt-output.log"
    dbt_log.parent.mkdir(parents=True, exist_ok=True)
    started = time.time()
    with DagsterInstance.get() as instance, contextlib.ExitStack() as quiet_dbt:
        for run_id in release_dead_runs(instance):
            err.print(f"[yellow]an interrupted run ({run_id[:8]}) was cleaned up[/yellow]")
        if not args.verbose:
            sink = quiet_dbt.enter_context(dbt_log.open("w", encoding="utf-8"))
            quiet_dbt.enter_context(contextlib.redirect_stdout(sink))
        tags = run_tags()
        if args.full_checks:
            from pipelines.checks.raw_checks import FULL_CHECKS_TAG

            tags[FULL_CHECKS_TAG] = "true"
        result = job.execute_in_process(
            instance=instance, run_config=run_config, raise_on_error=False, tags=tags
        )
        timings = run_timings(instance, result, clock, started, process_start)
    summary_path = write_run_summary(settings, result, timings)
    console.print(run_summary(result))
    if args.verbose:
        console.print(timings_table(timings))
    console.print(f"run summary: {summary_path}", highlight=False, soft_wrap=True)
    if not args.verbose:
        console.print(f"dbt's output: {dbt_log}", highlight=False, soft_wrap=True)
    held = held_assets(result)
    left_out = left_out_definitions(settings.engine)
    if held or left_out:
        console.print(held_summary(held, left_out, failed_check_reasons(result)), highlight=False)
    if not result.success:
        err.print("[red bold]The run failed.[/red bold]")
        for event in result.all_events:
            if event.event_type_value in ("STEP_FAILURE", "ASSET_CHECK_EVALUATION"):
                data = event.event_specific_data
                passed = getattr(data, "passed", False)
                if not passed:
                    err.print(f"- {event.message}", highlight=False)
        return 1
    if not args.quiet:
        code = cmd_scorecard(argparse.Namespace(format="table"))
        if settings.engine == Engine.spark:
            where = (
                f"Built on Spark: databases marts and bi in the Spark catalogue, tables under "
                f"{settings.spark_dir / 'tables'}. "
            )
        else:
            where = (
                f"Published read-only for analysts and dashboards: {settings.warehouse_path} "
                "(views bi.kpi_scorecard, bi.kpi_history, bi.about). "
            )
        console.print(
            where + "HTML report: kpi-warehouse report --out report.html", highlight=False
        )
        if code:
            return code
    return EXIT_HELD if held or left_out else EXIT_OK


def run_timings(instance, result, clock, started: float, process_start: float) -> dict:
    """The run's stages (pipelines/stage_timings.py): the fixed cost measured here, Dagster's
    time up to the first step, each step, and the dbt step's own parts."""
    from pipelines.stage_timings import dbt_step_stages, run_stages, step_spans, summary

    spans = step_spans(instance, result.run_id)
    fixed = dict(clock.seconds)
    if spans:
        fixed["startup/dagster_run"] = max(min(s.started for s in spans) - started, 0.0)
    stages = run_stages(spans, dbt_step_stages(result.all_events), fixed)
    ended = max([s.finished for s in spans] + [started])
    return summary(stages, ended - process_start)


def write_run_summary(settings: Settings, result, timings: dict) -> Path:
    """`run-summary.json` beside dbt's log: the run, whether it succeeded, and its timings."""
    import json

    path = settings.work_db_path.parent / "logs" / "run-summary.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = {"run_id": result.run_id, "success": result.success, "timings": timings}
    path.write_text(json.dumps(payload, indent=2), encoding="utf-8")
    return path


def timings_table(timings: dict) -> Table:
    """Wall time per stage, in run order, with the total and what no stage accounts for."""
    table = Table(title="Time per stage", header_style="bold")
    table.add_column("stage")
    table.add_column("seconds", justify="right")
    for name, seconds in timings["stages"].items():
        table.add_row(name, f"{seconds:.2f}")
    table.add_row("unaccounted", f"{timings['unaccounted_seconds']:.2f}")
    table.add_row("[bold]total[/bold]", f"[bold]{timings['total_seconds']:.2f}[/bold]")
    return table


def held_assets(result) -> dict[str, str]:
    """Assets a failed check kept from being built in this run, with the reason."""
    held: dict[str, str] = {}
    for event in result.all_events:
        if event.event_type_value != "ASSET_OBSERVATION":
            continue
        observation = event.event_specific_data.asset_observation
        reason = observation.metadata.get("held_because")
        if reason is not None:
            held[observation.asset_key.to_user_string()] = str(getattr(reason, "value", reason))
    return held


def failed_check_reasons(result) -> list[str]:
    """What each failed blocking check found, in its own words (its first paragraph)."""
    from dagster import AssetCheckSeverity

    reasons = []
    for event in result.all_events:
        if event.event_type_value != "ASSET_CHECK_EVALUATION":
            continue
        evaluation = event.event_specific_data
        if evaluation.passed or evaluation.severity == AssetCheckSeverity.WARN:
            continue
        text = (evaluation.description or "").split("\n")[0].strip()
        reasons.append(text or f"{evaluation.asset_key.to_user_string()}: {evaluation.check_name}")
    return reasons


def held_summary(held: dict[str, str], left_out, reasons: list[str] | None = None) -> str:
    """What the run held and left out, and why: KPIs first (with what the failed checks found),
    then the other models."""
    lines = []
    kpis = {k: r for k, r in held.items() if k.startswith("kpis/kpi_")}
    if kpis:
        lines.append(
            f"{len(kpis)} KPI(s) held at their last good values (the others were built and "
            "published):"
        )
        lines += [f"  {key.removeprefix('kpis/kpi_')}: {reason}" for key, reason in kpis.items()]
        lines += [f"  why: {reason}" for reason in reasons or []]
    others = sorted(k for k in held if k not in kpis)
    if others:
        lines.append(f"also not rebuilt: {', '.join(others)}")
    if left_out:
        lines.append(
            f"{len(left_out)} KPI definition(s) left out (fix them; `kpi-warehouse lint`):"
        )
        lines += [f"  {item.summary()}" for item in left_out]
    lines.append(f"exit code {EXIT_HELD}: completed, some KPIs held or left out")
    return "\n".join(lines)


def run_summary(result) -> Table:
    """What the run did, per source and per layer: files and rows, models, checks, publication."""
    from dagster import AssetCheckSeverity

    from pipelines.alerts import FRESHNESS_CHECK

    table = Table(title="Run summary", header_style="bold")
    for column in ("step", "result"):
        table.add_column(column)
    sources: dict[str, str] = {}
    layers: dict[str, int] = {}
    checks_failed = checks_passed = checks_warned = 0
    stale: list[str] = []
    unread: set[str] = set()  # landing files no reader reads (each raw table of a source says so)
    for event in result.all_events:
        if event.event_type_value == "ASSET_MATERIALIZATION":
            key = event.asset_key.path
            metadata = {
                k: getattr(v, "value", v)
                for k, v in event.event_specific_data.materialization.metadata.items()
            }
            not_read = str(metadata.get("files_not_read") or "none")
            unread.update(line[2:] for line in not_read.splitlines() if line.startswith("- "))
            if key[0] == "raw" and "files_loaded" in metadata:
                step = event.step_key or key[-1]
                sources[step] = (
                    f"{metadata['files_loaded']} new file(s), "
                    f"{metadata['files_skipped_already_loaded']} already loaded, "
                    f"{metadata['files_refused']} refused; {metadata['rows_loaded']:,} rows "
                    f"loaded, {metadata['rows_rejected']:,} rejected"
                )
            elif key[0] == "raw":
                layers["as-of time recorded"] = 1
            elif key[0] == "published":
                layers["published tables"] = len(metadata.get("tables") or {})
            else:
                layers[f"{key[0]} models built"] = layers.get(f"{key[0]} models built", 0) + 1
        elif event.event_type_value == "ASSET_CHECK_EVALUATION":
            evaluation = event.event_specific_data
            if evaluation.passed:
                checks_passed += 1
            elif evaluation.severity == AssetCheckSeverity.WARN:
                checks_warned += (
                    1  # warnings (stale source, refused file, KPI off target) hold nothing
                )
                if evaluation.check_name == FRESHNESS_CHECK:
                    stale.append(evaluation.description or "")
            else:
                checks_failed += 1
    for step, text in sorted(sources.items()):
        table.add_row(step, text)
    if unread:
        table.add_row("[yellow]files not read[/yellow]", escape("\n".join(sorted(unread))))
    for layer, count in layers.items():
        table.add_row(layer, str(count))
    if result.success and not any(layer.endswith("models built") for layer in layers):
        table.add_row("dbt", "up to date: nothing new since the last complete build")
    colour = "red" if checks_failed else "yellow" if checks_warned else "green"
    table.add_row(
        "checks",
        f"[{colour}]{checks_passed} passed, {checks_failed} failed, {checks_warned} "
        f"warning(s)[/{colour}]",
    )
    for message in stale:
        table.add_row("stale source", escape(message))
    return table


def _validation(con, settings: Settings) -> dict | None:
    """Each KPI's validation verdicts for the scorecard and report (None, said, if they fail)."""
    from pipelines.kpis.loader import load_portfolio
    from pipelines.validation.warehouse import validate_portfolio

    try:
        portfolio = load_portfolio(settings.definitions_dir)
        results = validate_portfolio(con, portfolio, raw_dir=settings.raw_dir)
    except Exception as exc:  # the scorecard and report still show without the validation
        err.print(f"[yellow]validation not shown: {type(exc).__name__}: {exc}[/yellow]")
        return None
    return {result.kpi_id: result for result in results}


def _kpi_filter(args: argparse.Namespace):
    from pipelines.report.filters import KpiFilter

    return KpiFilter(
        level=getattr(args, "level", None),
        team=getattr(args, "team", None),
        owner=getattr(args, "owner", None),
        goal=getattr(args, "goal", None),
    )


def cmd_scorecard(args: argparse.Namespace) -> int:
    from pipelines.report.filters import keep_kpis, kpi_ownership, matching_kpi_ids
    from pipelines.report.scorecard import (
        compact_scorecard,
        scorecard_csv,
        scorecard_json,
        scorecard_rows,
    )
    from pipelines.validation.output import with_validation

    settings = Settings.from_env()
    kpi_filter = _kpi_filter(args)
    try:
        with settings.built_tables() as con:
            rows = scorecard_rows(con)
            validation = _validation(con, settings)
            if validation is not None:
                rows = with_validation(rows, validation)
            ownership = kpi_ownership(con)
    except FileNotFoundError as exc:
        err.print(f"[red]{exc}[/red]")
        return 2
    if not kpi_filter.is_empty:
        rows = keep_kpis(rows, matching_kpi_ids(ownership, kpi_filter))
        if not rows:
            err.print(f"[yellow]no KPI matches {kpi_filter.describe()}[/yellow]")
            return 1
    if args.format == "json":
        print(scorecard_json(rows))
    elif args.format == "csv":
        print(scorecard_csv(rows), end="")
    else:
        title = "KPI scorecard" + (f" ({kpi_filter.describe()})" if not kpi_filter.is_empty else "")
        teams = {kpi_id: kpi.get("team") for kpi_id, kpi in ownership.items()}
        console.print(compact_scorecard(rows, teams, width=console.width, title=title))
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    from pipelines.report.filters import kpi_ownership, matching_kpi_ids
    from pipelines.report.html_report import filter_report_data, report_data, write_report

    settings = Settings.from_env()
    kpi_filter = _kpi_filter(args)
    try:
        with settings.built_tables() as con:
            data = report_data(con)
            data["validation"] = _validation(con, settings)
            ownership = kpi_ownership(con)
    except FileNotFoundError as exc:
        err.print(f"[red]{exc}[/red]")
        return 2
    if not kpi_filter.is_empty:
        kpi_ids = matching_kpi_ids(ownership, kpi_filter)
        if not kpi_ids:
            err.print(f"[yellow]no KPI matches {kpi_filter.describe()}[/yellow]")
            return 1
        data = filter_report_data(data, kpi_ids, kpi_filter.describe())
    out = write_report(data, Path(args.out))
    console.print(f"report written to {out}")
    return 0


def cmd_validate(args: argparse.Namespace) -> int:
    import json

    from pipelines.kpis.facts import load_fact_catalog
    from pipelines.kpis.usable import usable_portfolio
    from pipelines.validation.missing_notes import missing_notes, missing_notes_text
    from pipelines.validation.output import exit_code, validation_json, validation_text
    from pipelines.validation.warehouse import validate_portfolio, warehouse_as_of

    settings = Settings.from_env()
    # The KPIs the warehouse builds: a definition with errors is left out of it (see lint).
    portfolio = usable_portfolio(settings.definitions_dir, load_fact_catalog()).portfolio
    if args.kpi and not all(portfolio.kpi(kpi_id) for kpi_id in args.kpi):
        unknown = [kpi_id for kpi_id in args.kpi if not portfolio.kpi(kpi_id)]
        err.print(f"[red]unknown KPI(s): {', '.join(unknown)}[/red]")
        return 2
    try:
        as_of = dt.date.fromisoformat(args.as_of) if args.as_of else None
    except ValueError:
        err.print(f"[red]--as-of: {args.as_of!r} is not a date (YYYY-MM-DD)[/red]")
        return 2
    try:
        with settings.built_tables() as con:
            as_of = as_of or warehouse_as_of(con) or dt.date.today()
            results = validate_portfolio(
                con,
                portfolio,
                raw_dir=settings.raw_dir,
                as_of=as_of,
                recent_periods=args.periods,
                kpi_ids=args.kpi,
                min_history=args.min_history,
            )
            unexplained = missing_notes(con, as_of, args.note_after_days, args.kpi)
    except FileNotFoundError as exc:
        err.print(f"[red]{exc}[/red]")
        return 2
    if args.format == "json":
        payload = json.loads(validation_json(results, as_of))
        payload["missing_notes"] = [note.as_json() for note in unexplained]
        print(json.dumps(payload, indent=2))
    else:
        console.print(validation_text(results, as_of), highlight=False)
        console.print(missing_notes_text(unexplained, args.note_after_days), highlight=False)
    code = exit_code(results, strict=args.strict)
    return 1 if args.strict and unexplained else code


def cmd_digest(args: argparse.Namespace) -> int:
    from pipelines.notify.dispatch import notify
    from pipelines.notify.smtp import SmtpSettingsError

    if not args.send and not args.out:
        err.print("[red]give --send to deliver the digests or --out DIR for a dry run[/red]")
        return 2
    try:
        as_of = dt.date.fromisoformat(args.as_of) if args.as_of else None
    except ValueError:
        err.print(f"[red]--as-of {args.as_of!r}: expected a date (YYYY-MM-DD)[/red]")
        return 2
    try:
        result = notify(
            Settings.from_env(),
            send=args.send,
            out_dir=Path(args.out) if args.out else None,
            as_of_day=as_of,
        )
    except FileNotFoundError as exc:
        err.print(f"[red]{exc}[/red]")
        return 2
    except SmtpSettingsError as exc:
        err.print(f"[red]{exc}[/red]", highlight=False)
        return 2
    for alert in result.alerts:
        console.print(f"alert: {alert.kpi_id} {alert.kind} ({alert.period_start})")
    for recipient, channel, kpi_ids in result.delivered:
        console.print(f"sent to {recipient} by {channel}: {', '.join(kpi_ids)}", highlight=False)
    for path in result.written:
        console.print(f"written: {path}", highlight=False)
    for reason in result.skipped:
        console.print(f"[yellow]skipped: {reason}[/yellow]", highlight=False)
    for reason in result.failed:
        err.print(f"[red]failed: {reason}[/red]", highlight=False)
    if not (result.delivered or result.written or result.skipped or result.failed):
        console.print("no digest is due: every completed period was sent already")
    return 1 if result.failed else 0


def cmd_demo_data(args: argparse.Namespace) -> int:
    from pipelines.demo.landing import AS_OF_FILE, DEMO_END, demo_as_of, write_demo_landing

    end = dt.date.fromisoformat(args.end) if args.end else DEMO_END
    out = Path(args.out)
    deliveries = "clean" if args.clean else args.deliveries
    written = write_demo_landing(
        out, end=end, days=args.days, scale=args.scale, seed=args.seed, deliveries=deliveries
    )
    out.mkdir(parents=True, exist_ok=True)
    (out / AS_OF_FILE).write_text(demo_as_of(end).isoformat() + "\n", encoding="utf-8")
    console.print(
        f"wrote {len(written)} demo export file(s) to {out} ({args.days} days up to {end}, "
        f"{deliveries} deliveries; run it as of {demo_as_of(end)})"
    )
    return 0


def _add_filter_arguments(parser: argparse.ArgumentParser) -> None:
    views = parser.add_argument_group("views per level (all given must hold; case ignored)")
    views.add_argument("--level", choices=["organisation", "team", "individual"])
    views.add_argument("--team", help="the KPIs of this team (as in the KPI files' team:)")
    views.add_argument("--owner", help="the KPIs whose owner or person contains this name")
    views.add_argument("--goal", help="the KPIs of this goal (id or name)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="kpi-warehouse", description="SMART KPIs from marketing and CRM exports."
    )
    commands = parser.add_subparsers(dest="command", required=True)

    lint = commands.add_parser("lint", help="check the KPI definitions (SMART and portfolio rules)")
    lint.add_argument("--definitions", help="definitions folder (default: KPI_DEFINITIONS_DIR)")
    lint.add_argument("--format", choices=["text", "json"], default="text")
    lint.add_argument("--strict", action="store_true", help="exit 1 when there are warnings")
    lint.add_argument(
        "--as-of", help="judge deadlines against this date (YYYY-MM-DD; default: today)"
    )
    lint.set_defaults(func=cmd_lint)

    generate = commands.add_parser("generate", help="generate KPI dbt models and parse the project")
    generate.add_argument("--force", action="store_true", help="run dbt parse even if unchanged")
    generate.add_argument(
        "--strict", action="store_true", help="refuse when any KPI definition has errors"
    )
    generate.set_defaults(func=cmd_generate)

    run = commands.add_parser("run", help="materialise every asset once, then print the scorecard")
    run.add_argument("--as-of", help="as-of date or time (default: now, reporting time zone)")
    run.add_argument("--quiet", action="store_true", help="do not print the scorecard")
    run.add_argument(
        "--verbose", action="store_true", help="show dbt's line per model and test while it runs"
    )
    run.add_argument(
        "--rebuild-from",
        metavar="YYYY-MM-DD",
        help="backfill: also rebuild the daily facts from this day (with --rebuild-to)",
    )
    run.add_argument("--rebuild-to", metavar="YYYY-MM-DD", help="last day of the backfill")
    run.add_argument(
        "--strict",
        action="store_true",
        help="refuse to start when any KPI definition has errors (default: leave that KPI out)",
    )
    run.add_argument(
        "--full-checks",
        action="store_true",
        help="re-validate every row of the raw tables (default: the files added since the "
        "tables last passed; a new warehouse is always checked in full)",
    )
    run.set_defaults(func=cmd_run)

    docs = commands.add_parser("docs", help="write the table reference (and the dbt docs site)")
    docs.add_argument("--out", default=str(PROJECT_DIR / "docs" / "table-reference.md"))
    docs.add_argument("--site", action="store_true", help="also run `dbt docs generate`")
    docs.set_defaults(func=cmd_docs)

    scorecard = commands.add_parser("scorecard", help="print the KPI scorecard")
    scorecard.add_argument("--format", choices=["table", "json", "csv"], default="table")
    _add_filter_arguments(scorecard)
    scorecard.set_defaults(func=cmd_scorecard)

    report = commands.add_parser("report", help="write a self-contained HTML report")
    report.add_argument("--out", default="report.html")
    _add_filter_arguments(report)
    report.set_defaults(func=cmd_report)

    validate = commands.add_parser(
        "validate", help="is each KPI measurable and achievable in practice, and on pace?"
    )
    validate.add_argument("--format", choices=["text", "json"], default="text")
    validate.add_argument("--kpi", action="append", help="only this KPI (repeatable)")
    validate.add_argument(
        "--strict", action="store_true", help="also exit 1 on warnings and unknown achievability"
    )
    validate.add_argument(
        "--as-of", help="judge as of this day (default: the as-of day of the built warehouse)"
    )
    validate.add_argument(
        "--periods",
        type=int,
        help="recent periods that must be complete (default: 6 weekly/monthly, 4 quarterly)",
    )
    validate.add_argument(
        "--min-history",
        type=int,
        help="complete periods needed before a target is judged (default: as --periods)",
    )
    validate.add_argument(
        "--note-after-days",
        type=int,
        default=7,
        help="list off-track periods still without an owner's note this many days after they "
        "ended (default 7; --strict fails on them)",
    )
    validate.set_defaults(func=cmd_validate)

    digest = commands.add_parser(
        "digest", help="owner and team digests and alerts (people.yml; SMTP or webhooks)"
    )
    digest.add_argument("--send", action="store_true", help="deliver by SMTP and webhooks")
    digest.add_argument("--out", metavar="DIR", help="write the messages as .eml files instead")
    digest.add_argument(
        "--as-of",
        metavar="YYYY-MM-DD",
        help="judge review periods as of this day (default: the warehouse's as-of time)",
    )
    digest.set_defaults(func=cmd_digest)

    demo = commands.add_parser("demo-data", help="write a deterministic demo landing folder")
    demo.add_argument("--out", default=str(Settings.from_env().landing_dir))
    demo.add_argument("--days", type=int, default=200)
    demo.add_argument("--scale", type=float, default=1.0)
    demo.add_argument(
        "--end", help="last day of the data (default: 2026-11-30, the day the shipped notes fit)"
    )
    demo.add_argument(
        "--deliveries",
        choices=["all", "history", "latest"],
        default="all",
        help="all: the history and the last day's cut-off orders export; history or latest: one "
        "of the two (make run loads them in two runs, as a warehouse in use would)",
    )
    demo.add_argument(
        "--clean", action="store_true", help="no delivery problem: the last day's orders complete"
    )
    demo.add_argument("--seed", type=int, default=7)
    demo.set_defaults(func=cmd_demo_data)
    return parser


def main(argv: list[str] | None = None) -> int:
    from pipelines.kpis.loader import DefinitionError

    try:
        args = build_parser().parse_args(argv)
        return int(args.func(args))
    except (EngineError, SettingsError) as exc:
        err.print(f"[red bold]{exc}[/red bold]", highlight=False)
        return 2
    except DefinitionError as exc:
        err.print("[red bold]The KPI definitions have errors; nothing was run.[/red bold]")
        for problem in exc.problems:
            where = f"{problem.field}: " if problem.field else ""
            err.print(f"- {_display_path(problem.file)}: {where}{problem.message}", highlight=False)
        return 2


def entry_point() -> None:
    """The `kpi-warehouse` command: `main`, then the exit without Python's teardown.

    Tearing down the interpreter (freeing every module's objects: Dagster's, dbt's, the
    definitions) takes over a second after a run, longer than many a nightly step. The exit
    handlers still run and the output is flushed; only the freeing of memory the process is about
    to give back is skipped."""
    code = main()
    with contextlib.suppress(Exception):
        sys.stdout.flush()
        sys.stderr.flush()
    atexit._run_exitfuncs()
    logging.shutdown()
    os._exit(code)


if __name__ == "__main__":
    entry_point()
