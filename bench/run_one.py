"""One scenario (or setup step) in this process, its results written as JSON.

    python -m bench.run_one NAME --db URL [--scale N] [--tracked N] --out FILE

The sandbox host's address and CA come from the environment (``HUBSPOT_BASE_URL``,
``CRM_SYNC_CA_BUNDLE``, and the rest of what ``bench.host`` prints), as for the worker itself.
"""

from __future__ import annotations

import argparse
import json
import logging
from collections.abc import Callable
from pathlib import Path

from bench.result import Result
from bench.scenarios import Context, backfill, burst, evaluation, idle, tracked

SCENARIOS: dict[str, Callable[[Context], list[Result]]] = {
    "burst": burst.run,
    "idle-after-burst": idle.after_burst,
    "idle-tracked": idle.over_tracked,
    "backfill": backfill.run,
    "evaluation": evaluation.run,
}
SETUPS: dict[str, Callable[[Context], None]] = {"idle-tracked-setup": tracked.setup}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.run_one")
    parser.add_argument("name", choices=sorted([*SCENARIOS, *SETUPS]))
    parser.add_argument("--db", default="-", help="the store's URL (- for none)")
    parser.add_argument("--scale", type=int, default=1)
    parser.add_argument("--tracked", type=int, default=100_000)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    ctx = Context(args.db, args.scale, args.tracked)
    if args.name in SETUPS:
        SETUPS[args.name](ctx)
        results: list[Result] = []
    else:
        results = SCENARIOS[args.name](ctx)
    text = json.dumps([r.as_json() for r in results], indent=1)
    if args.out:
        args.out.write_text(text)
    else:
        print(text)


if __name__ == "__main__":
    main()
