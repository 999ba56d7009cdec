"""``python -m bench``: every scenario on each database, each in a fresh process, in one table.

    python -m bench [--scale 1|10] [--db sqlite|postgres|both] [--only NAME[,NAME]] [--json]
                    [--tracked N] [--markdown]

Each scenario gets a fresh sandbox host (``bench.host``, its own process) and a fresh store; the
worker under measurement runs in ``bench.run_one``. ``idle-after-burst`` measures, in a new process,
the store and sandbox the burst left behind (the burst runs first, unreported, when not selected);
``idle-tracked`` fills its store in a setup process first.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench import databases, report
from bench.hosts import ROOT, sandbox_host
from bench.result import Result

NAMES = ("burst", "idle-after-burst", "idle-tracked", "backfill", "evaluation")


def _log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def run_one(name: str, url: str, env: dict[str, str], args: argparse.Namespace) -> list[Result]:
    """Run one scenario (or setup) process; a failure becomes a result saying so."""
    db = "-" if url == "-" else databases.kind_of(url)
    _log(f"  {name} [{db}]...")
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "result.json"
        command = [sys.executable, "-m", "bench.run_one", name, "--db", url, "--scale", str(args.scale)]
        command += ["--tracked", str(args.tracked), "--out", str(out)]
        done = subprocess.run(command, cwd=ROOT, env={**os.environ, **env}, capture_output=True, text=True)
        _log(f"  {name} [{db}] took {time.perf_counter() - started:.0f}s")
        if os.environ.get("BENCH_SQL_SHAPES") and done.stderr:
            _log(done.stderr.rstrip())
        if done.returncode != 0 or not out.exists():
            tail = " | ".join(done.stderr.strip().splitlines()[-3:])
            return [
                Result(scenario=name, db=db, scale=args.scale, notes=[f"FAILED ({done.returncode}): {tail}"])
            ]
        return [Result.from_json(item) for item in json.loads(out.read_text())]


def run_database(kind: str, selected: list[str], args: argparse.Namespace) -> list[Result]:
    """The database-bound scenarios on one kind of database."""
    results: list[Result] = []
    if "burst" in selected or "idle-after-burst" in selected:
        with sandbox_host() as env, databases.temporary(kind) as url:
            burst = run_one("burst", url, env, args)
            results += burst if "burst" in selected else []
            if "idle-after-burst" in selected:
                results += run_one("idle-after-burst", url, env, args)
    if "idle-tracked" in selected:
        with sandbox_host() as env, databases.temporary(kind) as url:
            run_one("idle-tracked-setup", url, env, args)
            results += run_one("idle-tracked", url, env, args)
    if "backfill" in selected:
        with sandbox_host() as env, databases.temporary(kind) as url:
            results += run_one("backfill", url, env, args)
    return results


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=int, choices=(1, 10), default=1)
    parser.add_argument("--db", choices=("sqlite", "postgres", "both"), default="both")
    parser.add_argument("--only", default=",".join(NAMES), help=f"comma-separated, of: {', '.join(NAMES)}")
    parser.add_argument("--tracked", type=int, default=100_000, help="records tracked in idle-tracked")
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    parser.add_argument("--markdown", action="store_true", help="print a Markdown table")
    args = parser.parse_args(argv)
    unknown = set(args.only.split(",")) - set(NAMES)
    if unknown:
        parser.error(f"unknown scenario(s): {', '.join(sorted(unknown))}; choose from {', '.join(NAMES)}")
    return args


def main(argv: list[str] | None = None) -> None:
    args = parse(argv)
    selected = args.only.split(",")
    kinds = ["sqlite", "postgres"] if args.db == "both" else [args.db]
    if "postgres" in kinds and not databases.postgres_available():
        if args.db == "postgres":
            sys.exit(f"PostgreSQL is not reachable at {databases.POSTGRES_URL}")
        _log(f"PostgreSQL is not reachable at {databases.POSTGRES_URL}: SQLite only")
        kinds = ["sqlite"]
    started = time.perf_counter()
    results: list[Result] = []
    for kind in kinds:
        _log(f"{kind}:")
        results += run_database(kind, selected, args)
    if "evaluation" in selected:
        with sandbox_host() as env:
            results += run_one("evaluation", "-", env, args)
    elapsed = time.perf_counter() - started
    if args.json:
        print(json.dumps([r.as_json() for r in results], indent=1))
        return
    title = f"crm-sync benchmarks at {args.scale}x ({elapsed / 60:.1f} min; {report.machine()})"
    report.render(results, title, as_markdown=args.markdown)
