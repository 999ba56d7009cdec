"""``python -m sandbox serve [...]``."""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if args[:1] != ["serve"]:
        print(
            "usage: python -m sandbox serve [--host H] [--port P] [--state-dir DIR] [--latency-ms N]",
            file=sys.stderr,
        )
        return 2
    from sandbox.serve import main as serve_main

    return serve_main(args[1:])


if __name__ == "__main__":
    sys.exit(main())
