"""``crm-sync sandbox serve``: both emulated CRMs and the chat webhooks on one HTTPS port, and an SMTP
server (STARTTLS, AUTH) on another, until SIGTERM/SIGINT."""

from __future__ import annotations

import argparse
import logging
import shlex
import signal
import sys
import tempfile
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from types import FrameType

from sandbox.app import Sandbox
from sandbox.server import SERVER_FILE, SandboxServer
from sandbox.smtp import SandboxSmtpServer

SAVE_DEBOUNCE_S = 0.25


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="crm-sync sandbox serve",
        description="Serve the Salesforce and HubSpot emulators over HTTPS on one port.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8443, help="port (default 8443; 0 picks a free one)")
    parser.add_argument(
        "--smtp-port", type=int, default=8025, help="SMTP port (default 8025; 0 picks a free one)"
    )
    parser.add_argument("--state-dir", type=Path, help="keep records, emails, request log and certs here")
    parser.add_argument("--latency-ms", type=float, default=0, help="delay added to every CRM API request")
    parser.add_argument(
        "--demo",
        action="store_true",
        help="seed the demo data set into an empty sandbox (a saved state is kept as it is)",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log every request to stderr")
    return parser


#: The chat rooms the sandbox's webhooks stand for (the shipped config posts to these).
CHAT_ROOMS = (("slack", "cs-alerts"), ("teams", "cs-alerts"))


#: How many ``export`` lines ``serve`` prints: the CRMs' six, the SMTP server's five, one per chat room.
EXPORT_COUNT = 6 + 5 + len(CHAT_ROOMS)


def channel_env(base_url: str, smtp_env: dict[str, str]) -> dict[str, str]:
    """The variables of the ``email:`` and ``chat:`` sections, printed after the CRMs' six."""
    chat = {
        f"{service.upper()}_{room.upper().replace('-', '_')}_WEBHOOK_URL": f"{base_url}/chat/{service}/{room}"
        for service, room in CHAT_ROOMS
    }
    return {**smtp_env, **chat}


def export_lines(env: dict[str, str]) -> list[str]:
    """``export NAME=VALUE`` lines, values shell-quoted."""
    return [f"export {name}={shlex.quote(value)}" for name, value in env.items()]


def main(argv: Sequence[str] | None = None, *, sandbox_factory: Callable[..., Sandbox] = Sandbox) -> int:
    """Run the sandbox server; prints the ``export`` lines first (the CRMs' six, then the SMTP server's
    and the chat webhooks'), returns the exit code.

    ``sandbox_factory`` is called with ``state_dir``, ``latency_ms`` and ``save_debounce_s`` (a test seam).
    """
    args_list = list(sys.argv[1:] if argv is None else argv)
    if args_list[:1] == ["serve"]:
        args_list = args_list[1:]
    args = build_parser().parse_args(args_list)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING, stream=sys.stderr)

    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGTERM, signal.SIGINT)}
    temp = None if args.state_dir else tempfile.TemporaryDirectory(prefix="crm-sync-sandbox-")
    try:
        state_dir: Path | None = args.state_dir.resolve() if args.state_dir else None
        tls_dir = state_dir / "tls" if state_dir else Path(temp.name if temp else ".")
        try:
            sandbox = sandbox_factory(
                state_dir=state_dir, latency_ms=args.latency_ms, save_debounce_s=SAVE_DEBOUNCE_S
            )
        except RuntimeError as exc:
            print(f"crm-sync sandbox serve: {exc}", file=sys.stderr)
            return 1
        try:
            if args.demo:
                _seed_demo(sandbox)
            return _serve(sandbox, args, tls_dir, stop)
        finally:
            sandbox.close()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        if temp is not None:
            temp.cleanup()


def _seed_demo(sandbox: Sandbox) -> None:
    """Seed the demo data set, dated by the sandbox's clock, unless a saved state was loaded.

    The summary goes to stderr: stdout carries only the ``export`` lines."""
    if sandbox.loaded_state:
        print(
            f"crm-sync sandbox serve: --demo: kept the saved state in {sandbox.state_file}; "
            "the demo data set is seeded only into an empty sandbox",
            file=sys.stderr,
        )
        return
    from sandbox.demo_data import seed_demo

    summary = seed_demo(sandbox, sandbox.clock())
    sandbox.save()
    print("\n".join(["crm-sync sandbox serve: seeded the demo data set.", *summary.lines()]), file=sys.stderr)
    sys.stderr.flush()


def _serve(sandbox: Sandbox, args: argparse.Namespace, tls_dir: Path, stop: threading.Event) -> int:
    try:
        server = SandboxServer(sandbox, args.host, args.port, tls_dir, verbose=args.verbose)
    except OSError as exc:
        print(f"crm-sync sandbox serve: cannot listen on {args.host}:{args.port}: {exc}", file=sys.stderr)
        return 2
    try:
        smtp = SandboxSmtpServer(sandbox, args.host, args.smtp_port, tls_dir / SERVER_FILE)
        smtp.start()
    except (OSError, RuntimeError) as exc:
        server.stop()
        print(
            f"crm-sync sandbox serve: cannot serve SMTP on {args.host}:{args.smtp_port}: {exc}",
            file=sys.stderr,
        )
        return 2
    with server:
        env = {**sandbox.client_env(server.url, server.ca_bundle), **channel_env(server.url, smtp.env())}
        for line in export_lines(env):
            print(line)
        sys.stdout.flush()
        try:
            while not stop.wait(0.5):
                pass
        finally:
            smtp.stop()
    return 0
