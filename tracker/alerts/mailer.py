"""Hand one message to the configured SMTP server; every failure is one sentence.

A message counts as delivered only when the server has answered 250 to its
DATA: anything short of that (refused connection, timeout, failed login,
a 4xx or 5xx reply, a connection dropped mid-DATA, no STARTTLS when it is
required) raises DeliveryError and the caller keeps the alert's cursor.
"""

from __future__ import annotations

import smtplib
import socket
import ssl
from email.message import EmailMessage

from tracker.errors import TrackerError
from tracker.settings import SmtpConfig


class DeliveryError(TrackerError):
    """The SMTP server did not accept a message."""


def send(server: SmtpConfig, message: EmailMessage) -> dict[str, str]:
    """Send `message`; returns the recipients the server refused while it
    accepted the others ({} when all were accepted)."""
    where = f"{server.host}:{server.port}"
    try:
        client = _connect(server)
    except (OSError, smtplib.SMTPException) as exc:
        raise DeliveryError(f"cannot reach the mail server {where} ({_reason(exc, server)}).") from None
    try:
        if server.starttls:
            client.ehlo()
            if not client.has_extn("starttls"):
                raise DeliveryError(f"the mail server {where} does not offer STARTTLS, which smtp: starttls: "
                                    f"true requires; nothing was sent unencrypted.")
            client.starttls(context=ssl.create_default_context())
            client.ehlo()
        if server.username:
            client.login(server.username, server.password or "")
        refused = client.send_message(message)
    except DeliveryError:
        client.close()
        raise
    except smtplib.SMTPAuthenticationError as exc:
        client.close()
        raise DeliveryError(f"the mail server {where} refused the login of '{server.username}' "
                            f"({_reply(exc.smtp_code, exc.smtp_error)}).") from None
    except (OSError, smtplib.SMTPException) as exc:
        client.close()
        raise DeliveryError(f"the mail server {where} did not accept the message ({_reason(exc, server)}).") \
            from None
    try:
        client.quit()       # the message is accepted; a failed goodbye changes nothing
    except (OSError, smtplib.SMTPException):
        client.close()
    return {rcpt: _reply(code, text) for rcpt, (code, text) in refused.items()}


def _connect(server: SmtpConfig) -> smtplib.SMTP:
    if server.ssl:
        return smtplib.SMTP_SSL(server.host, server.port, timeout=server.timeout,
                                context=ssl.create_default_context())
    return smtplib.SMTP(server.host, server.port, timeout=server.timeout)


def _reply(code: int, text: bytes | str) -> str:
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    return f"{code} {' '.join(str(text).split())}".strip()


def _reason(exc: BaseException, server: SmtpConfig) -> str:
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        first = next(iter(exc.recipients.items()), None)
        return f"every recipient was refused: {first[0]}: {_reply(*first[1])}" if first else "recipients refused"
    if isinstance(exc, smtplib.SMTPResponseException):
        return f"it answered {_reply(exc.smtp_code, exc.smtp_error)}"
    if isinstance(exc, smtplib.SMTPServerDisconnected):
        if "timed out" in str(exc):     # smtplib reports a read timeout as a disconnection
            return f"no answer within {server.timeout:g} s"
        return "the connection was closed before the server accepted the message"
    if isinstance(exc, (socket.timeout, TimeoutError)):
        return f"no answer within {server.timeout:g} s"
    if isinstance(exc, ConnectionRefusedError):
        return "the connection was refused"
    if isinstance(exc, ssl.SSLError):
        return f"TLS failed: {exc.reason or exc}"
    if isinstance(exc, socket.gaierror):
        return "the host name cannot be resolved"
    if isinstance(exc, OSError):
        return exc.strerror or str(exc) or type(exc).__name__
    return str(exc) or type(exc).__name__
