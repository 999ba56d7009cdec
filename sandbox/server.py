"""Serve a ``Sandbox`` over HTTPS (``ThreadingHTTPServer`` + ``ssl``, certificates from trustme)."""

from __future__ import annotations

import contextlib
import ipaddress
import logging
import os
import socket
import socketserver
import ssl
import tempfile
import threading
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from sandbox.app import Sandbox
from sandbox.core import SandboxRequest, wire_headers
from sandbox.faults import is_drop

log = logging.getLogger(__name__)

DEFAULT_IDENTITIES = ("127.0.0.1", "localhost", "::1")
CA_FILE = "ca.pem"
CA_KEY_FILE = "ca-key.pem"
SERVER_FILE = "server.pem"  # private key + certificate chain
MIN_VALIDITY = timedelta(days=1)
MAX_BODY = 64 * 1024 * 1024


def _identities(host: str) -> tuple[str, ...]:
    extra = () if host in ("", "0.0.0.0", "::") or host in DEFAULT_IDENTITIES else (host,)
    return DEFAULT_IDENTITIES + extra


def _existing_cert_ok(tls_dir: Path, identities: tuple[str, ...]) -> bool:
    """True when tls_dir holds a CA and a server cert it issued, valid a while more, naming identities."""
    from cryptography import x509

    try:
        ca = x509.load_pem_x509_certificate((tls_dir / CA_FILE).read_bytes())
        leaf = x509.load_pem_x509_certificates((tls_dir / SERVER_FILE).read_bytes())[0]
        leaf.verify_directly_issued_by(ca)
        ssl.create_default_context(ssl.Purpose.CLIENT_AUTH).load_cert_chain(tls_dir / SERVER_FILE)
    except Exception:  # missing, unreadable, mismatched or foreign files: issue new ones
        return False
    soon = datetime.now(UTC) + MIN_VALIDITY
    if ca.not_valid_after_utc < soon or leaf.not_valid_after_utc < soon:
        return False
    try:
        san = leaf.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return False
    names = set(san.get_values_for_type(x509.DNSName))
    names |= {str(ip) for ip in san.get_values_for_type(x509.IPAddress)}
    return all(_normal(i) in names for i in identities)


def _normal(identity: str) -> str:
    try:
        return str(ipaddress.ip_address(identity))
    except ValueError:
        return identity


def ensure_certificates(tls_dir: str | os.PathLike[str], host: str = "127.0.0.1") -> Path:
    """Make (or reuse) a CA and a server certificate in ``tls_dir``; returns the path of ``ca.pem``."""
    import trustme

    directory = Path(tls_dir)
    directory.mkdir(parents=True, exist_ok=True)
    identities = _identities(host)
    if _existing_cert_ok(directory, identities):
        return directory / CA_FILE
    ca: trustme.CA | None = None
    with contextlib.suppress(Exception):
        ca = trustme.CA.from_pem((directory / CA_FILE).read_bytes(), (directory / CA_KEY_FILE).read_bytes())
    if ca is None:
        ca = trustme.CA(organization_name="crm-sync sandbox")
        _write_private(directory / CA_KEY_FILE, ca.private_key_pem.bytes())
        (directory / CA_FILE).write_bytes(ca.cert_pem.bytes())
    leaf = ca.issue_cert(*identities)
    _write_private(directory / SERVER_FILE, leaf.private_key_and_cert_chain_pem.bytes())
    return directory / CA_FILE


def _write_private(path: Path, data: bytes) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
    os.replace(tmp, path)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go in separate writes: no 40 ms delayed-ACK stalls
    server_version = "crm-sync-sandbox"
    sys_version = ""
    timeout = 60  # idle keep-alive connections are closed after this
    server: _HTTPSServer

    def _serve(self) -> None:
        try:
            body = self._read_body()
        except ValueError as exc:
            self.send_error(400, str(exc))
            return
        target = "https://sandbox" + self.path if self.path.startswith("/") else self.path
        request = SandboxRequest.from_url(self.command, target, dict(self.headers.items()), body)
        response = self.server.sandbox.dispatch(request)
        if is_drop(response):
            self.close_connection = True
            with contextlib.suppress(OSError):
                self.connection.shutdown(socket.SHUT_RDWR)
            return
        payload = response.encoded()
        # The Date header comes from the sandbox's (injectable) clock, like every other timestamp.
        self.log_request(response.status)
        self.send_response_only(response.status)
        self.send_header("Server", self.version_string())
        for name, value in wire_headers(response):
            if name.lower() not in ("content-length", "transfer-encoding", "connection"):
                self.send_header(name, value)
        self.send_header("Content-Length", str(0 if self.command == "HEAD" else len(payload)))
        self.end_headers()
        if self.command != "HEAD" and payload:
            self.wfile.write(payload)

    def _read_body(self) -> bytes:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            chunks: list[bytes] = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline().strip():
                        pass
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        if length < 0 or length > MAX_BODY:
            raise ValueError("bad Content-Length")
        return self.rfile.read(length) if length else b""

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = _serve

    def log_message(self, format: str, *args: Any) -> None:
        if self.server.verbose:
            super().log_message(format, *args)


class _HTTPSServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], sandbox: Sandbox, context: ssl.SSLContext, verbose: bool):
        self.address_family = socket.AF_INET6 if ":" in address[0] else socket.AF_INET
        self.sandbox = sandbox
        self.context = context
        self.verbose = verbose
        self.connections: set[socket.socket] = set()
        self.connections_lock = threading.Lock()
        self.accepted = 0
        super().__init__(address, _Handler)

    def server_bind(self) -> None:
        """Bind without HTTPServer's reverse-DNS lookup of the host (slow on some machines)."""
        socketserver.TCPServer.server_bind(self)
        self.server_name = str(self.server_address[0])
        self.server_port = int(self.server_address[1])

    def finish_request(self, request: Any, client_address: Any) -> None:
        """TLS handshake in the worker thread, then serve the connection."""
        with self.connections_lock:
            self.connections.add(request)
            self.accepted += 1
        try:
            request.settimeout(_Handler.timeout)
            tls = self.context.wrap_socket(request, server_side=True)
        except (OSError, ssl.SSLError) as exc:
            log.debug("TLS handshake with %s failed: %s", client_address, exc)
            return
        finally:
            with self.connections_lock:
                self.connections.discard(request)
        with self.connections_lock:
            self.connections.add(tls)
        try:
            super().finish_request(tls, client_address)
        finally:
            with self.connections_lock:
                self.connections.discard(tls)
            with contextlib.suppress(OSError):
                tls.close()

    def handle_error(self, request: Any, client_address: Any) -> None:
        log.debug("error serving %s", client_address, exc_info=True)

    def close_connections(self) -> None:
        with self.connections_lock:
            open_now = list(self.connections)
        for conn in open_now:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)


class SandboxServer:
    """HTTPS server for one ``Sandbox``: ``start()`` in a background thread, ``stop()``, ``url``.

    Certificates live in ``tls_dir`` (``ca.pem`` is the bundle clients verify against); they are
    reused when present and still valid, so a persisted state dir keeps its CA. Without ``tls_dir``
    a temporary directory is used and removed by ``stop()``.
    """

    def __init__(
        self,
        sandbox: Sandbox,
        host: str = "127.0.0.1",
        port: int = 0,
        tls_dir: str | os.PathLike[str] | None = None,
        *,
        verbose: bool = False,
    ) -> None:
        self._temp_tls = (
            tempfile.TemporaryDirectory(prefix="crm-sync-sandbox-tls-") if tls_dir is None else None
        )
        self.sandbox = sandbox
        self.host = host
        self.tls_dir = Path(self._temp_tls.name if self._temp_tls else str(tls_dir))
        self.ca_bundle = ensure_certificates(self.tls_dir, host).resolve()
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(self.tls_dir / SERVER_FILE)
        self._httpd = _HTTPSServer((host, port), sandbox, context, verbose)
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        return int(self._httpd.server_address[1])

    @property
    def connections_accepted(self) -> int:
        """TCP connections accepted so far (keep-alive reuse keeps this low)."""
        return self._httpd.accepted

    @property
    def url(self) -> str:
        """``https://HOST:PORT`` (127.0.0.1 for a wildcard bind; IPv6 in brackets)."""
        host = {"": "127.0.0.1", "0.0.0.0": "127.0.0.1", "::": "::1"}.get(self.host, self.host)
        if ":" in host:
            host = f"[{host}]"
        return f"https://{host}:{self.port}"

    def start(self) -> SandboxServer:
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._httpd.serve_forever,
                kwargs={"poll_interval": 0.1},
                name="sandbox-https",
                daemon=True,
            )
            self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving, close open keep-alive connections and the listening socket."""
        if self._thread is not None:
            self._httpd.shutdown()
            self._thread.join()
            self._thread = None
        self._httpd.close_connections()
        self._httpd.server_close()
        if self._temp_tls is not None:
            self._temp_tls.cleanup()

    def __enter__(self) -> SandboxServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
