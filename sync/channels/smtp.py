"""``smtp``: ``notify`` and ``send_email`` through the ``email:`` section's server, with :mod:`smtplib`.

The standard library is enough here (an SMTP client is small and ``smtplib`` has carried STARTTLS, implicit
TLS and AUTH for decades); no dependency is added. One connection per batch; one message per action:
multipart text + HTML (quoted-printable), ``Message-ID`` derived from the action's idempotency key and an
``X-Crm-Sync-Related-Id`` header naming the record. What the server answers decides the result:

- 250 (accepted): delivered, with the Message-ID as the id it created;
- 4xx (greylisting, mailbox busy, too many connections) or a dropped connection: retried with the ledger's
  backoff;
- 5xx (unknown mailbox, policy rejection): dead at once, with the server's reply;
- a refused login: the whole batch is deferred (no attempt counted), and ``crm-sync doctor`` says why.

The guarantee: the write-ahead attempt mark is committed before the message is handed over, and the
ledger records the answer after. A worker killed between the server's acceptance and that commit sends
the message again on its next cycle, with the same Message-ID: mail clients that thread or de-duplicate
by Message-ID show it once, others show two identical messages. SMTP has no way to ask a server
whether it already took a message, so this window cannot be closed from the client.
"""

from __future__ import annotations

import contextlib
import smtplib
import ssl
from collections.abc import Sequence
from email.message import EmailMessage
from email.policy import SMTP as SMTP_POLICY
from email.utils import format_datetime, formataddr

from rules.actions.email import EmailPayload, Notify, SendEmail
from rules.settings import EmailSettings, Settings
from sync.connectors.base import Clock, CrmUnavailable, DeliveryResult, OwedAction
from sync.connectors.checks import CheckResult, Checks

from .base import ChannelSpec

NAME = "smtp"
RELATED_HEADER = "X-Crm-Sync-Related-Id"
KEY_HEADER = "X-Crm-Sync-Key"


def message_id(external_id: str, from_address: str) -> str:
    """A Message-ID that is the same for every attempt of one action."""
    domain = from_address.rsplit("@", 1)[-1] or "crm-sync.invalid"
    return f"<{external_id}@{domain}>"


def _person(name: str | None, address: str) -> str:
    return formataddr((name, address)) if name else address


def build_message(action: OwedAction, settings: EmailSettings, clock: Clock) -> EmailMessage:
    """The MIME message of one owed email: text and HTML alternatives, both quoted-printable."""
    payload = action.payload_as(EmailPayload)
    message = EmailMessage(policy=SMTP_POLICY)
    message["From"] = _person(settings.from_name, settings.from_address)
    message["To"] = _person(payload.to.name, payload.to.email)
    if payload.cc:
        message["Cc"] = ", ".join(_person(p.name, p.email) for p in payload.cc)
    reply_to = payload.sender.email if payload.sender is not None else settings.reply_to
    if reply_to:
        message["Reply-To"] = reply_to
    message["Subject"] = payload.subject
    message["Date"] = format_datetime(clock())
    message["Message-ID"] = message_id(action.external_id, settings.from_address)
    message[RELATED_HEADER] = payload.related_id or action.record_id
    message[KEY_HEADER] = action.external_id
    message.set_content(payload.text or "", cte="quoted-printable")
    if payload.html:
        message.add_alternative(payload.html, subtype="html", cte="quoted-printable")
    return message


def _context(settings: EmailSettings) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=settings.ca_bundle or None)


def connect(settings: EmailSettings) -> smtplib.SMTP:
    """A connection, TLS set up and logged in as the settings say; raises ``smtplib``/``OSError``."""
    timeout = settings.timeout.total.total_seconds()
    client: smtplib.SMTP
    if settings.security == "tls":
        client = smtplib.SMTP_SSL(settings.host, settings.port, timeout=timeout, context=_context(settings))
    else:
        client = smtplib.SMTP(settings.host, settings.port, timeout=timeout)
    try:
        client.ehlo()
        if settings.security == "starttls":
            client.starttls(context=_context(settings))
            client.ehlo()
        if settings.username is not None and settings.password is not None:
            client.login(settings.username, settings.password)
    except BaseException:
        client.close()
        raise
    return client


def _reply(code: int, text: bytes | str) -> str:
    return f"{code} {text.decode(errors='replace') if isinstance(text, bytes) else text}".strip()


def result_of(key: str, error: Exception) -> DeliveryResult:
    """What an SMTP failure means for one message: 5xx dead with the reply, 4xx and the rest retried."""
    code: int | None = None
    reply = str(error)
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        code, text = next(iter(error.recipients.values()), (None, b""))
        reply = _reply(code or 0, text)
    elif isinstance(error, smtplib.SMTPResponseException):
        code, reply = error.smtp_code, _reply(error.smtp_code, error.smtp_error)
    if code is not None and 500 <= code < 600:
        return DeliveryResult.failed(key, f"the SMTP server rejected the email: {reply}", retryable=False)
    if code is not None:
        return DeliveryResult.failed(key, f"the SMTP server deferred the email: {reply}")
    return DeliveryResult.failed(key, f"SMTP: {type(error).__name__}: {reply}")


class SmtpOutlet:
    """Sends owed emails through one SMTP server."""

    name = NAME

    def __init__(self, settings: EmailSettings, clock: Clock) -> None:
        self.settings = settings
        self.clock = clock

    def deliver(self, actions: Sequence[OwedAction]) -> list[DeliveryResult]:
        if not actions:
            return []
        try:
            client = connect(self.settings)
        except smtplib.SMTPAuthenticationError as exc:
            reply = _reply(exc.smtp_code, exc.smtp_error)
            raise CrmUnavailable(f"the SMTP server refused the login: {reply}") from exc
        except (smtplib.SMTPException, OSError) as exc:
            return [result_of(a.key, exc) for a in actions]
        results: list[DeliveryResult] = []
        try:
            for index, action in enumerate(actions):
                try:
                    message = build_message(action, self.settings, self.clock)
                    client.send_message(message)
                except (TimeoutError, smtplib.SMTPServerDisconnected, ConnectionError) as exc:
                    # The connection is gone: this message's fate is unknown, the rest were not sent.
                    results.extend(result_of(a.key, exc) for a in actions[index:])
                    break
                except (smtplib.SMTPException, OSError, ValueError, TypeError) as exc:
                    results.append(result_of(action.key, exc))
                    if isinstance(exc, smtplib.SMTPResponseException):
                        _reset(client)
                    continue
                results.append(DeliveryResult.delivered(action.key, str(message["Message-ID"])))
        finally:
            _quit(client)
        return results

    def close(self) -> None:
        pass


def _reset(client: smtplib.SMTP) -> None:
    with contextlib.suppress(smtplib.SMTPException, OSError):
        client.rset()


def _quit(client: smtplib.SMTP) -> None:
    try:
        client.quit()
    except (smtplib.SMTPException, OSError):
        client.close()


def checks(settings: Settings) -> list[CheckResult]:
    """``crm-sync doctor``: the server answers, TLS is set up and the login is accepted."""
    out = Checks(NAME)
    email = settings.email
    if email is None:
        return []
    where = f"{email.host}:{email.port}"
    try:
        client = connect(email)
    except smtplib.SMTPAuthenticationError as exc:
        out.block(
            "login",
            f"{where} refused the login of {email.username}: {_reply(exc.smtp_code, exc.smtp_error)}",
            "set the right email.username and email.password (or password_file)",
        )
        return out.results
    except smtplib.SMTPNotSupportedError as exc:
        out.block("tls", f"{where}: {exc}", "set email.security to what the server offers (starttls, tls)")
        return out.results
    except (smtplib.SMTPException, OSError) as exc:
        out.block(
            "connect",
            f"cannot reach the SMTP server {where}: {type(exc).__name__}: {exc}",
            "check email.host, email.port, email.security and the firewall",
        )
        return out.results
    _quit(client)
    login = f", logged in as {email.username}" if email.username else ", no login"
    out.ok("server", f"{where} answers ({email.security}{login})")
    return out.results


def _build(settings: Settings, clock: Clock) -> SmtpOutlet:
    assert settings.email is not None
    return SmtpOutlet(settings.email, clock)


SPEC = ChannelSpec(
    name=NAME,
    kinds=frozenset({Notify.name, SendEmail.name}),
    configured=lambda settings: settings.email is not None,
    build=_build,
    checks=checks,
)
