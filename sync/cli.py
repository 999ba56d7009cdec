"""The ``crm-sync`` command line.

Exit codes: 0 the cycle completed (some actions may be retrying: ``status`` shows them), 1 the cycle
failed, 2 invalid config or usage, 75 another instance holds the lock.
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
from sync.status import collect_status, format_status
from sync.wiring import open_store, open_worker, system_clock

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_LOCKED = 0, 1, 2, 75

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
    retry = sub.add_parser("retry", parents=[common], help="re-queue retrying actions now")
    retry.add_argument("--dead", action="store_true", help="also re-queue dead actions")
    report = sub.add_parser("report", parents=[common], help="reports from the stored records")
    report.add_argument("kind", choices=["nps"], help="nps: % promoters minus % detractors")
    report.add_argument("--since", help="first day (YYYY-MM-DD, in the config's time zone) or date-time")
    report.add_argument("--until", help="last day, inclusive (or a date-time, exclusive)")
    report.add_argument("--by", choices=["company", "survey"], help="one row per company or survey")
    report.add_argument("--period", choices=["day", "week", "month", "year", "all"], default="month")
    report.add_argument(
        "--stream", default="hubspot.nps", help="the stream of NPS responses (default hubspot.nps)"
    )
    report.add_argument("--json", action="store_true", help="machine-readable output")
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
    sandbox.add_argument("sandbox_args", nargs=argparse.REMAINDER, help="serve [--host H] [--port P] [--demo] ...")
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
        report = worker.engine.run_cycle(deliver=not args.dry_run, mode="dry-run" if args.dry_run else "once")
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
    ruleset = load_config(config)
    store = open_store(ruleset)
    try:
        with store.transaction() as tx:
            status = collect_status(tx)
    finally:
        store.close()
    print(json.dumps(status, indent=2, default=str) if as_json else format_status(status))
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
    from sync.reports import format_report, nps_report, parse_day

    ruleset = load_config(config)
    if args.stream not in ruleset.streams:
        print(
            f"crm-sync: unknown stream {args.stream!r} (known: {', '.join(ruleset.streams)})", file=sys.stderr
        )
        return EXIT_USAGE
    try:
        since = parse_day(args.since, ruleset.timezone) if args.since else None
        until = parse_day(args.until, ruleset.timezone, end=True) if args.until else None
    except ValueError as exc:
        print(f"crm-sync: {exc}", file=sys.stderr)
        return EXIT_USAGE
    store = open_store(ruleset)
    try:
        with store.transaction() as tx:
            records = tx.records.live(args.stream)
    finally:
        store.close()
    rows = nps_report(
        records, since=since, until=until, period=args.period, by=args.by, zone=ruleset.timezone
    )
    print(json.dumps([r.as_dict() for r in rows], indent=2) if args.json else format_report(rows))
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
    logging.basicConfig(
        level=logging.WARNING - 10 * min(verbosity, 2),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
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

            return run_daemon(config, backfill=args.backfill)
        if args.command == "status":
            return _cmd_status(config, args.json)
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
