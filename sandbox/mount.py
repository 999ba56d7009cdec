"""Mount a ``Sandbox`` into ``responses`` so requests-based code (simple-salesforce, OAuth) hits it.

Requests to ``base_url`` and to any ``https://<name>.salesforce.com`` (simple-salesforce's login
URLs, ``https://{domain}.salesforce.com/services/oauth2/token``) are answered by
``sandbox.dispatch``. hubspot-api-client speaks urllib3, which ``responses`` cannot see: use the
HTTPS server for it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlsplit

import requests
import responses

from sandbox.app import Sandbox
from sandbox.core import SandboxRequest, wire_headers
from sandbox.faults import is_drop

DEFAULT_BASE_URL = "https://sandbox.crm-sync.test"
SALESFORCE_HOSTS = r"https://[A-Za-z0-9.-]+\.salesforce\.com(?::\d+)?"
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS")


def url_pattern(base_url: str, extra_hosts: Sequence[str] = (SALESFORCE_HOSTS,)) -> re.Pattern[str]:
    """Regex matching URLs under ``base_url`` or any of ``extra_hosts`` (regexes of scheme+host)."""
    hosts = [re.escape(base_url.rstrip("/")), *extra_hosts]
    return re.compile(rf"^(?:{'|'.join(hosts)})(?:[/?#].*)?$")


def _body(request: requests.PreparedRequest) -> bytes:
    body: Any = request.body
    if body is None:
        return b""
    if isinstance(body, str):
        return body.encode()
    if isinstance(body, bytes):
        return body
    if hasattr(body, "read"):
        data = body.read()
        return data.encode() if isinstance(data, str) else bytes(data)
    return b"".join(c.encode() if isinstance(c, str) else bytes(c) for c in body)


def to_sandbox_request(request: requests.PreparedRequest) -> SandboxRequest:
    """A ``SandboxRequest`` for a prepared request, with a Host header taken from its URL."""
    url = str(request.url)
    headers = {k: str(v) for k, v in request.headers.items()}
    headers.setdefault("Host", urlsplit(url).netloc)
    return SandboxRequest.from_url(str(request.method or "GET"), url, headers, _body(request))


def callback_for(sandbox: Sandbox) -> Any:
    """A ``responses`` callback answering from ``sandbox``; a dropped connection raises ConnectionError."""

    def callback(request: requests.PreparedRequest) -> Any:
        response = sandbox.dispatch(to_sandbox_request(request))
        if is_drop(response):
            return requests.exceptions.ConnectionError(
                f"sandbox dropped the connection: {request.method} {request.url}", request=request
            )
        return response.status, wire_headers(response), response.encoded()

    return callback


def mount(
    sandbox: Sandbox,
    rsps: responses.RequestsMock,
    base_url: str = DEFAULT_BASE_URL,
    *,
    extra_hosts: Sequence[str] = (SALESFORCE_HOSTS,),
) -> re.Pattern[str]:
    """Register callbacks for every method on ``base_url`` (and ``extra_hosts``); returns the regex."""
    pattern = url_pattern(base_url, extra_hosts)
    callback = callback_for(sandbox)
    for method in METHODS:
        rsps.add_callback(method, pattern, callback=callback, content_type=None)
    return pattern


@contextmanager
def mounted(
    sandbox: Sandbox | None = None,
    base_url: str = DEFAULT_BASE_URL,
    *,
    extra_hosts: Sequence[str] = (SALESFORCE_HOSTS,),
) -> Iterator[tuple[Sandbox, responses.RequestsMock]]:
    """Activate a ``RequestsMock`` with the sandbox mounted; yields ``(sandbox, rsps)``."""
    box = sandbox if sandbox is not None else Sandbox()
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        mount(box, rsps, base_url, extra_hosts=extra_hosts)
        yield box, rsps
