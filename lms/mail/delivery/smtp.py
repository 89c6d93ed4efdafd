"""The SMTP connection of a delivery run, and how it tells the server's state from a message's fault.

A refused connection, a timeout, a dropped connection (``ConnectionLost``: worth one new
connection at once), a ``421`` or a refused ``MAIL FROM`` are the server's state
(``ServerUnavailable``), not the message's. Only a reply to this message's ``RCPT TO`` or ``DATA``
counts against it: a 4xx is ``TemporaryFailure``, a 5xx ``PermanentFailure``.
"""

import re
import smtplib
import socket
import ssl
import struct
import time
from collections.abc import Callable
from urllib.parse import parse_qs, unquote, urlsplit

from lms.mail.delivery.message import Envelope

_DOT_AT_LINE_START = re.compile(rb"(?m)^\.")


class ServerUnavailable(Exception):
    """The server cannot take mail now (refused, timed out, dropped, ``421``): no message's fault."""


class ConnectionLost(ServerUnavailable):
    """The connection broke in the middle of a message: worth one new connection at once."""


class TemporaryFailure(Exception):
    """A 4xx reply to this message's ``RCPT TO`` or ``DATA``: try it again later."""


class PermanentFailure(Exception):
    """A 5xx reply to this message's ``RCPT TO`` or ``DATA``: the server refused it for good."""


def _reply(code: int, message: bytes | str) -> str:
    text = message.decode("utf-8", "replace") if isinstance(message, bytes) else str(message)
    return f"{code} {text}".strip()


def _kernel_timeouts(sock: socket.socket, seconds: float) -> None:
    """Keep the timeout, but let the kernel enforce it on a blocking socket.

    A Python-level socket timeout polls before every read and write; over 20,000 messages of four
    round trips each that is a measurable share of the time. A read or write that times out still
    fails (``OSError``), and the run treats it as an unreachable server.
    """
    whole = int(seconds)
    timeval = struct.pack("ll", whole, int((seconds - whole) * 1_000_000))
    sock.settimeout(None)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVTIMEO, timeval)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDTIMEO, timeval)


def _on_the_wire(data: bytes) -> bytes:
    """The ``DATA`` payload: dot-stuffed, ending with ``CRLF.CRLF`` (as ``smtplib.SMTP.data`` sends it)."""
    data = _DOT_AT_LINE_START.sub(b"..", data)
    if not data.endswith(b"\r\n"):
        data += b"\r\n"
    return data + b".\r\n"


class SmtpTransport:
    """One SMTP connection, opened on first use and reused for every message of a run.

    ``send`` speaks the transaction itself (``MAIL``, ``RCPT``, ``DATA``) with smtplib's
    commands rather than ``sendmail``, for two reasons: it tells a reply about the server
    (``MAIL FROM`` refused, ``421``) from a reply about this recipient, and it lets the caller
    work while the server does (``while_mail``, ``while_data``).
    """

    def __init__(self, url: str, timeout: float = 30.0):
        parts = urlsplit(url)
        if parts.scheme not in ("smtp", "smtps"):
            raise ValueError(f"ADAL_SMTP_URL must start with smtp:// or smtps://, not {parts.scheme}://")
        query = parse_qs(parts.query)
        self.tls = parts.scheme == "smtps"
        self.starttls = query.get("starttls", ["0"])[0].lower() in ("1", "true", "yes")
        self.host = parts.hostname or "localhost"
        self.port = parts.port or (465 if self.tls else 25)
        self.username = unquote(parts.username) if parts.username else None
        self.password = unquote(parts.password) if parts.password else None
        self.timeout = timeout
        self.connection: smtplib.SMTP | None = None

    def open(self) -> None:
        """Connect (if not connected yet); raises ``ServerUnavailable`` with the reason."""
        if self.connection is not None:
            return
        conn = None
        try:
            if self.tls:
                conn = smtplib.SMTP_SSL(
                    self.host, self.port, timeout=self.timeout, context=ssl.create_default_context()
                )
            else:
                conn = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
                if self.starttls:
                    conn.starttls(context=ssl.create_default_context())
            if self.username:
                conn.login(self.username, self.password or "")
            conn.ehlo_or_helo_if_needed()
            _kernel_timeouts(conn.sock, self.timeout)
        except smtplib.SMTPResponseException as error:
            _close(conn)
            raise ServerUnavailable(_reply(error.smtp_code, error.smtp_error)) from error
        except (OSError, smtplib.SMTPException) as error:
            _close(conn)
            raise ServerUnavailable(f"cannot connect to {self.host}:{self.port}: {_why(error)}") from error
        self.connection = conn

    def send(
        self,
        envelope: Envelope,
        while_mail: Callable[[], object] | None = None,
        while_data: Callable[[], object] | None = None,
    ) -> None:
        """Hand one message to the server, or raise one of the failures above.

        ``while_mail`` runs after ``MAIL FROM`` is sent, before its reply is read;
        ``while_data`` after the content is sent, before the server's verdict is read.
        """
        self.open()
        conn = self.connection
        started = time.monotonic()
        try:
            conn.putcmd("mail", f"FROM:{smtplib.quoteaddr(envelope.sender)}")
            if while_mail is not None:
                while_mail()
            code, reply = conn.getreply()
            if code != 250:  # the sender refused: the server's state, whoever the recipient
                self._end_transaction(code)
                raise ServerUnavailable(_reply(code, reply))
            code, reply = conn.rcpt(envelope.recipient)
            if code not in (250, 251):
                self._refused(code, reply)
            conn.putcmd("data")
            code, reply = conn.getreply()
            if code != 354:
                self._refused(code, reply)
            conn.send(_on_the_wire(envelope.data))
            if while_data is not None:
                while_data()
            code, reply = conn.getreply()
            if code != 250:
                self._refused(code, reply)
        except (OSError, smtplib.SMTPServerDisconnected) as error:
            self.close()
            if time.monotonic() - started >= self.timeout:  # a read that timed out reads as a close
                raise ServerUnavailable(f"{self.host}:{self.port} did not answer within {self.timeout:g} s") from error
            raise ConnectionLost(f"connection to {self.host}:{self.port} lost: {_why(error)}") from error

    def _refused(self, code: int, reply: bytes):
        """A reply about this recipient (4xx, 5xx), or the server closing (421)."""
        self._end_transaction(code)
        if code == 421 or code < 400:
            raise ServerUnavailable(_reply(code, reply))
        if code >= 500:
            raise PermanentFailure(_reply(code, reply))
        raise TemporaryFailure(_reply(code, reply))

    def _end_transaction(self, code: int) -> None:
        if code == 421 or code < 400:  # closing, or a reply that makes no sense: start afresh
            self.close()
            return
        try:
            self.connection.rset()
        except (OSError, smtplib.SMTPException):
            self.close()

    def close(self) -> None:
        _close(self.connection)
        self.connection = None


def _close(conn: smtplib.SMTP | None) -> None:
    if conn is None:
        return
    try:
        conn.quit()
    except (OSError, smtplib.SMTPException):
        conn.close()


def _why(error: BaseException) -> str:
    return str(error) or type(error).__name__
