"""The ``crm-sync`` command line.

Exit codes: 0 the cycle completed (some actions may be retrying: ``status`` shows them), 1 the cycle
failed (``migrate --check``: migrations are pending), 2 invalid config or usage, 75 another instance
holds the lock, 78 the database was migrated by a newer crm-sync.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from rules.model import RuleSet
from rules.planner import PlannedAction
from rules.source import ConfigErrors
from sync.connectors.registry import ConnectorUnavailable, load_config
from sync.engine import FirstRunRefused
from sync.inspect.common import InspectError
from sync.lock import LockHeld
from sync.ops.logs import configure_logging, set_redactor
from sync.status import add_processes, collect_status
from sync.store.database import DatabaseNewer
from sync.wiring import open_database, open_store, open_worker, system_clock

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_LOCKED, EXIT_NEWER = 0, 1, 2, 75, 78

log = logging.getLogger("crm-sync")


def _parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "-c",
        "--config",
        type=Path,
        default=argparse.SUPPRESS,
        help="the configuration file (default ./config.yaml)",
    )
    common.add_argument("-v", "--verbose", action="count", default=argparse.SUPPRESS, help="more log output")
    common.add_argument(
        "--log-format",
        choices=["auto", "text", "json"],
        default=argparse.SUPPRESS,
        help="log lines as text or JSON (default: monitoring.log_format; auto: text on a terminal)",
    )
    parser = argparse.ArgumentParser(
        prog="crm-sync",
        parents=[common],
        description="Service-recovery automation for Salesforce and HubSpot, driven by YAML rules.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    validate = sub.add_parser("validate", parents=[common], help="check the configuration; print every error")
    validate.add_argument(
        "--offline",
        action="store_true",
        help="check everything that needs no secret, CRM or database (for a rules repository's CI)",
    )
    run = sub.add_parser("run", parents=[common], help="run the worker")
    run.add_argument("--once", action="store_true", required=True, help="run one cycle and exit")
    run.add_argument("--dry-run", action="store_true", help="print the planned actions; write nothing")
    run.add_argument("--now", help="the rules' clock, ISO 8601 (polling always follows the CRM's clock)")
    backfill_help = "on a stream's first poll, process the records already there (else set its since)"
    run.add_argument("--backfill", action="store_true", help=backfill_help)
    daemon = sub.add_parser(
        "daemon", parents=[common], help="run cycles on the configured schedule until stopped"
    )
    daemon.add_argument("--backfill", action="store_true", help=backfill_help)
    status = sub.add_parser(
        "status", parents=[common], help="cursors, runs, timers, failing actions, rejections"
    )
    status.add_argument("--json", action="store_true", help="machine-readable output")
    migrate = sub.add_parser("migrate", parents=[common], help="bring the database schema up to date")
    migrate.add_argument(
        "--check", action="store_true", help="change nothing; exit 1 when migrations are pending"
    )
    retry = sub.add_parser("retry", parents=[common], help="re-queue retrying actions now")
    retry.add_argument("--dead", action="store_true", help="also re-queue dead actions")
    report = sub.add_parser("report", parents=[common], help="reports from the stored records")
    report.add_argument(
        "kind",
        choices=["sli", "loop", "sla", "nps"],
        help="sli: the SLI dashboard; loop: detractor follow-up; sla: timed steps' compliance; nps: the score",
    )
    report.add_argument("--week", help="an ISO week, e.g. 2026-W48 (in the config's time zone)")
    report.add_argument("--since", help="first day (YYYY-MM-DD, in the config's time zone) or date-time")
    report.add_argument("--until", help="last day, inclusive (or a date-time, exclusive)")
    report.add_argument(
        "--by",
        choices=["region", "office", "referral_account", "owner", "company", "survey"],
        help="sli: region|office|referral_account; loop: owner|company; nps: company|survey",
    )
    report.add_argument("--region", help="sli: only this region")
    report.add_argument("--office", help="sli: only this office")
    report.add_argument(
        "--period", choices=["day", "week", "month", "year", "all"], default="month", help="nps rows"
    )
    report.add_argument("--stream", help="the stream read (default salesforce.sli for sli, else hubspot.nps)")
    report.add_argument("--now", help="the report's clock, ISO 8601 (default: now)")
    output = report.add_mutually_exclusive_group()
    output.add_argument("--json", action="store_true", help="machine-readable output")
    output.add_argument("--csv", action="store_true", help="every table as CSV")
    output.add_argument("--html", type=Path, metavar="FILE", help="write a self-contained page with charts")
    now_help = "the time conditions are evaluated at, ISO 8601 (default: now)"
    explain = sub.add_parser(
        "explain", parents=[common], help="a record's timeline, rule outcomes and actions, and why"
    )
    explain.add_argument("target", metavar="STREAM:RECORD_ID", help="e.g. salesforce.sli:a0X5e000001AbCdEAF")
    explain.add_argument("--now", help=now_help)
    explain.add_argument("--json", action="store_true", help="machine-readable output")
    plan = sub.add_parser(
        "plan", parents=[common], help="what is due in the next days; what another config would change"
    )
    plan.add_argument("--days", type=int, default=7, help="how many days ahead (default 7)")
    plan.add_argument(
        "--compare", type=Path, metavar="OTHER.yaml", help="what OTHER.yaml would change against -c's rules"
    )
    plan.add_argument("--now", help=now_help)
    plan.add_argument("--json", action="store_true", help="machine-readable output")
    doctor = sub.add_parser(
        "doctor", parents=[common], help="preflight: check the CRMs have everything the config needs"
    )
    doctor.add_argument("--json", action="store_true", help="machine-readable output")
    sandbox = sub.add_parser("sandbox", help="local Salesforce and HubSpot emulators")
    sandbox.add_argument(
        "sandbox_args", nargs=argparse.REMAINDER, help="serve [--host H] [--port P] [--demo] ..."
    )
    return parser


def _parse_now(text: str, zone: ZoneInfo) -> datetime:
    value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return value if value.tzinfo else value.replace(tzinfo=zone)


def _print_planned(actions: Sequence[PlannedAction]) -> None:
    for action in actions:
        print(f"PLAN {action.kind}: {action.payload.summary()[:140]}  [{action.key}]")


def _cmd_validate(config: Path, offline: bool) -> int:
    ruleset = load_config(config, offline=offline)
    streams = ", ".join(s.name for s in ruleset.active_streams) or "none"
    print(f"{config}: OK: {len(ruleset.rules)} rules, {len(ruleset.roles)} roles, streams: {streams}")
    for line in _channels(ruleset):
        print(line)
    if offline:
        print("(offline: environment variables and secret files were not read; the store was not opened)")
        return EXIT_OK
    for line in _rule_changes(ruleset):
        print(line)
    return EXIT_OK


def _channels(ruleset: RuleSet) -> list[str]:
    """Where each rule's emails and notices go (``channel``, or its default for the CRM)."""
    lines = []
    for rule in ruleset.rules:
        routes = []
        for spec in rule.actions:
            if not spec.kind.channels:
                continue
            compiled = spec.compiled
            room = getattr(compiled, "room", None)
            where = f"{spec.target} #{room}" if room else spec.target
            if getattr(compiled, "log_in", None):
                where += f", logged in {compiled.log_in}"
            routes.append(f"{spec.id} by {where}")
        if routes:
            lines.append(f"  {rule.id}: {'; '.join(routes)}")
    return lines


def _rule_changes(ruleset: RuleSet) -> list[str]:
    """What this configuration would change for the armed timers in the store (read only)."""
    try:
        store = open_store(ruleset, dry_run=True)
    except Exception as exc:  # validation needs no database: say why the count is missing, go on
        return [f"(armed timers not checked: the store cannot be opened: {type(exc).__name__}: {exc})"]
    try:
        with store.transaction() as tx:
            return [change.describe() for change in tx.rule_changes.compare(ruleset)]
    finally:
        store.close()


def _cmd_run(config: Path, args: argparse.Namespace) -> int:
    from sync.daemon import redactor_for
    from sync.ops.cycle import ObservedCycles
    from sync.ops.progress import polling_progress

    ruleset = load_config(config)
    rules_now = None
    if args.now:
        try:
            rules_now = _parse_now(args.now, ruleset.timezone)
        except ValueError:
            print(f"crm-sync: --now {args.now!r} is not an ISO 8601 date-time", file=sys.stderr)
            return EXIT_USAGE
    with open_worker(
        config,
        dry_run=args.dry_run,
        rules_now=rules_now,
        ruleset=ruleset,
        backfill=args.backfill,
    ) as worker:
        set_redactor(redactor_for(ruleset))
        cycles = ObservedCycles(worker.engine)
        with polling_progress(worker.engine):
            report = cycles.run(deliver=not args.dry_run, mode="dry-run" if args.dry_run else "once")
    if args.dry_run:
        _print_planned(report.planned)
    summary = report.summary()
    print(
        f"cycle {'ok' if report.ok else 'FAILED'}: polled {summary['polled'] or 0}, planned {summary['planned']}, "
        f"decisions {summary['decisions'] or {}}, delivery {report.delivery.summary() if not args.dry_run else 'skipped (dry run)'}"
    )
    for error in report.errors:
        print(f"error: {error}", file=sys.stderr)
    return EXIT_OK if report.ok else EXIT_FAILED


def _cmd_status(config: Path, as_json: bool) -> int:
    from sync.lock import lock_holders
    from sync.ops.status_view import print_status

    ruleset = load_config(config)
    store = open_store(ruleset)
    try:
        with store.transaction() as tx:
            status = collect_status(tx)
        status = add_processes(status, lock_holders(store.database), str(config))
    finally:
        store.close()
    if as_json:
        print(json.dumps(status, indent=2, default=str))
    else:
        print_status(status, system_clock())
    return EXIT_OK


def _cmd_migrate(config: Path, check: bool) -> int:
    """Apply the pending migrations (or, ``--check``, say whether any are pending)."""
    from sync.store.database import DatabaseNewer, migrate, schema_state

    ruleset = load_config(config)
    database = open_database(ruleset)
    try:
        state = schema_state(database)
        print(state.describe())
        if state.newer:
            raise DatabaseNewer(state.describe())
        if check or not state.pending:
            return EXIT_FAILED if state.pending else EXIT_OK
        migrate(database)
        print(f"migrated to {', '.join(schema_state(database).current)}")
    finally:
        database.dispose()
    return EXIT_OK


def _cmd_retry(config: Path, dead: bool) -> int:
    ruleset = load_config(config)
    store = open_store(ruleset)
    try:
        with store.transaction() as tx:
            count = tx.ledger.requeue(system_clock(), include_dead=dead)
    finally:
        store.close()
    print(f"re-queued {count} action(s); the next cycle delivers them")
    return EXIT_OK


def _cmd_report(config: Path, args: argparse.Namespace) -> int:
    from sync.reports.build import NPS_STREAM, SLI_STREAM, ReportRequest, build_report
    from sync.reports.nps import parse_day
    from sync.reports.render import as_csv, as_json, as_text
    from sync.reports.window import between, iso_week

    ruleset = load_config(config)
    zone = ruleset.timezone
    sli_stream = args.stream if args.stream and args.kind == "sli" else SLI_STREAM
    nps_stream = args.stream if args.stream and args.kind in ("loop", "nps") else NPS_STREAM
    needed = {"sli": [sli_stream], "loop": [nps_stream], "nps": [nps_stream], "sla": [sli_stream, nps_stream]}
    for stream in needed[args.kind]:
        if stream not in ruleset.streams:
            known = ", ".join(ruleset.streams)
            print(
                f"crm-sync: unknown stream {stream!r} (known: {known}); name it with --stream",
                file=sys.stderr,
            )
            return EXIT_USAGE
    try:
        now = _parse_now(args.now, zone) if args.now else system_clock()
        window = None
        if args.week:
            if args.since or args.until:
                raise ValueError("give --week or --since/--until, not both")
            window = iso_week(args.week, zone)
        elif args.since or args.until:
            since = parse_day(args.since, zone) if args.since else datetime(1970, 1, 1, tzinfo=zone)
            until = parse_day(args.until, zone, end=True) if args.until else now
            if until <= since:
                raise ValueError("--until is not after --since")
            window = between(since, until, zone)
        request = ReportRequest(
            args.kind, window, args.by, args.region, args.office, args.period, sli_stream, nps_stream
        )
        request.check()
    except ValueError as exc:
        print(f"crm-sync: report: {exc}", file=sys.stderr)
        return EXIT_USAGE
    store = open_store(ruleset)
    try:
        with store.transaction() as tx:
            report = build_report(tx, request, now, zone)
    finally:
        store.close()
    if args.html:
        from sync.reports.html import as_html

        args.html.write_text(as_html(report), encoding="utf-8")
        print(f"wrote {args.html}")
    elif args.json:
        print(as_json(report), end="\n")
    elif args.csv:
        print(as_csv(report), end="")
    else:
        print(as_text(report), end="")
    return EXIT_OK


def _cmd_inspect(config: Path, args: argparse.Namespace) -> int:
    """``explain`` and ``plan``: read the store (never written) and the rules; no CRM is called."""
    from sync.inspect import commands

    ruleset = load_config(config)
    try:
        now = _parse_now(args.now, ruleset.timezone) if args.now else system_clock()
    except ValueError:
        raise InspectError(f"--now {args.now!r} is not an ISO 8601 date-time") from None
    if args.command == "explain":
        print(commands.explain(ruleset, args.target, now, args.json))
    else:
        print(commands.plan(ruleset, args.days, args.compare, now, args.json))
    return EXIT_OK


def _cmd_doctor(config: Path, as_json: bool) -> int:
    """Run every adapter's preflight checks against the live CRMs; 1 when any check blocks."""
    from sync.doctor import run_doctor
    from sync.doctor.report import exit_code, format_json, format_lines

    results = run_doctor(load_config(config))
    print(format_json(results) if as_json else format_lines(results))
    return EXIT_FAILED if exit_code(results) else EXIT_OK


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    verbosity = getattr(args, "verbose", 0) or 0
    log_format = getattr(args, "log_format", None)
    configure_logging(log_format or "text", logging.WARNING - 10 * min(verbosity, 2))
    config: Path = getattr(args, "config", Path("config.yaml"))
    try:
        if args.command == "sandbox":
            from sandbox.serve import main as sandbox_main

            rest = list(args.sandbox_args)
            if not rest or rest[0] != "serve":
                print(
                    "usage: crm-sync sandbox serve [--host H] [--port P] [--state-dir DIR] [--latency-ms N] [--demo]"
                )
                return EXIT_USAGE
            return sandbox_main(rest[1:])
        if args.command == "validate":
            return _cmd_validate(config, args.offline)
        if args.command == "run":
            return _cmd_run(config, args)
        if args.command == "daemon":
            from sync.daemon import run_daemon

            return run_daemon(config, backfill=args.backfill, log_format=log_format, verbose=verbosity)
        if args.command == "status":
            return _cmd_status(config, args.json)
        if args.command == "migrate":
            return _cmd_migrate(config, args.check)
        if args.command == "retry":
            return _cmd_retry(config, args.dead)
        if args.command == "report":
            return _cmd_report(config, args)
        if args.command in ("explain", "plan"):
            return _cmd_inspect(config, args)
        if args.command == "doctor":
            return _cmd_doctor(config, args.json)
    except ConfigErrors as exc:
        for error in exc.errors:
            print(error, file=sys.stderr)
        print(f"{len(exc.errors)} error(s) in {config}", file=sys.stderr)
        return EXIT_USAGE
    except InspectError as exc:
        print(f"crm-sync: {args.command}: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except ConnectorUnavailable as exc:
        print(f"crm-sync: {exc}", file=sys.stderr)
        return EXIT_FAILED
    except FirstRunRefused as exc:
        print(f"crm-sync: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except DatabaseNewer as exc:
        print(f"crm-sync: refusing to run: {exc}", file=sys.stderr)
        return EXIT_NEWER
    except LockHeld as exc:
        print(f"crm-sync: {exc}; exiting", file=sys.stderr)
        return EXIT_LOCKED
    except Exception as exc:  # the cycle failed: say so briefly (details at -v), exit 1 for cron
        log.info("unexpected failure", exc_info=True)
        print(
            f"crm-sync: {args.command} failed: {type(exc).__name__}: {exc} (run with -v for details)",
            file=sys.stderr,
        )
        return EXIT_FAILED
    return EXIT_USAGE


if __name__ == "__main__":
    sys.exit(main())
