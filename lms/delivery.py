"""Draining the outbox: claim due rows, send each over one SMTP connection, record each outcome at once.

Claims. A run claims a batch of due rows in a transaction (``queued`` and due → ``sending``,
``next_attempt_at`` = the end of the claim). On PostgreSQL concurrent runs claim disjoint rows
(``FOR UPDATE SKIP LOCKED``); on SQLite one lease (``lms.leases``) lets a single process deliver
at a time. Rows a crashed process left ``sending`` go back to the queue once their claim has
expired; the resend keeps the row's ``Message-ID``. With no ``ADAL_SMTP_URL`` the local mailbox
keeps the messages in the database.

At most the message in flight. Each message's outcome (sent, refused, to retry) is committed as
soon as the server has answered, before the next message's content goes out: the outcome of
message N is written while the server reads message N+1's ``MAIL FROM`` (so the commit costs
little time on the wire), and N+1's content follows only once that commit is done. A ``kill -9``
at any instant therefore leaves at most one message accepted by the server and still ``sending``
in the outbox per connection: the one of the transaction in progress, sent again, with its
Message-ID, after its claim expires. A run sends a row only while its own claim on it has a third
of its lease left (it extends the claim before that, and stops if another run took the rows of a
claim it let expire), so a stalled run never sends what another run has taken. The cost, per
message, is one UPDATE, committing itself, on a connection of the run's own, durable against the death
of this process at once: SQLite in WAL with ``synchronous=NORMAL`` and PostgreSQL with
``synchronous_commit=off`` on that connection (no fsync a message; a crash of the database server
itself, not of Adal, may forget the last fraction of a second of marks, and those messages would
go out again). ``python -m bench campaign_delivery`` measures it (``per_message_commit_us``).

Outages are not failures. A refused connection, a timeout, a dropped connection (after one new
connection at once), a ``421`` or a refused ``MAIL FROM`` are the server's state, not the
message's: the claimed rows go back to the queue untouched (no attempt counted) and the whole
outbox waits for the server (``lms.mail_server``: since when, why, when to try again, with a
backoff capped at ``outage_max_seconds``), logged as a WARNING with the reason each time it is
tried, shown to the office as a banner, and said once when the server takes a message again.
Only a reply to this message's ``RCPT TO`` or ``DATA`` counts against it: a 4xx is retried with a
backoff up to ``max_attempts``, a 5xx fails it with the server's reply.

Building. Messages are built by the standard library's ``email`` package. Measured here on a
campaign message (Russian subject and name, 3 kB text and HTML, Python 3.11, an idle machine):
``EmailMessage`` with ``policy.SMTP`` takes about 3.1 ms a message, the ``email.mime`` classes with
the ``compat32`` policy and CRLF line ends about 0.45 ms (0.35 ms with ``_SmtpLines`` below), for
the same message (text and HTML in base64, headers in RFC 2047 ``b`` words, every line under 78
characters); so the ``email.mime`` classes it is. The next message is built while the server
reads the current one (between handing over its content and reading its verdict), in this thread:
measured against a helper thread building ahead (``python -m bench campaign_delivery --quick``, a
quiet machine: 0.72 against 0.59 of the prebuilt baseline), the helper thread lost, each of its
builds holding the GIL while this thread's replies and commits wait for it.
"""

import base64
import functools
import hashlib
import logging
import os
import re
import smtplib
import socket
import ssl
import struct
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email import policy
from email.charset import Charset
from email.header import Header
from email.mime.base import MIMEBase
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.utils import formataddr, formatdate, parseaddr
from urllib.parse import parse_qs, unquote, urlsplit

from flask import Flask, current_app
from sqlalchemy import Connection, bindparam, select, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from lms import mail_server
from lms.database import utcnow
from lms.leases import DEFAULT_LEASE_SECONDS, acquire_lease, holder_name, release_lease
from lms.leases import lease_seconds as configured_lease_seconds
from lms.models import OutboxMessage, OutboxStatus, User

log = logging.getLogger(__name__)

OUTBOX = OutboxMessage.__table__
LEASE_NAME = "outbox"
#: Headers the delivery writes itself; a row's extra headers may not replace them.
OWN_HEADERS = {
    "from",
    "to",
    "cc",
    "bcc",
    "subject",
    "date",
    "message-id",
    "mime-version",
    "content-type",
    "content-transfer-encoding",
    "sender",
    "reply-to",
    "return-path",
}
_HEADER_NAME = re.compile(r"^[!-9;-~]+$")
_LINE_BREAKS = re.compile(r"[\x00-\x1f\x7f\u2028\u2029\x85]+")


@dataclass(frozen=True)
class DeliverySettings:
    """How delivery behaves; read from the app config (``ADAL_*``), falling back to the environment."""

    smtp_url: str = ""
    mail_from: str = "Adal <compliance@metu.kz>"
    rate: float = 0.0  #: messages a second, 0 = as fast as the server takes them
    batch_size: int = 100
    #: a claim (and the SQLite lease) not renewed for this long is a crashed run's: queue it again
    lease_seconds: float = DEFAULT_LEASE_SECONDS
    retry_seconds: float = 60.0  #: first backoff after a 4xx (and after an outage); doubles each time
    max_attempts: int = 10  #: 4xx replies to a message before it fails
    timeout: float = 30.0  #: socket timeout of the SMTP connection
    #: the longest wait between two tries of an unreachable server
    outage_max_seconds: float = 300.0

    @classmethod
    def from_config(cls, config) -> "DeliverySettings":
        def get(key, default, kind):
            value = config.get(key, os.environ.get(key))
            return default if value in (None, "") else kind(value)

        return cls(
            smtp_url=config.get("ADAL_SMTP_URL", ""),
            mail_from=config.get("ADAL_MAIL_FROM", cls.mail_from),
            rate=get("ADAL_MAIL_RATE", cls.rate, float),
            batch_size=get("ADAL_MAIL_BATCH", cls.batch_size, int),
            lease_seconds=get("ADAL_MAIL_LEASE_SECONDS", configured_lease_seconds(config), float),
            retry_seconds=get("ADAL_MAIL_RETRY_SECONDS", cls.retry_seconds, float),
            max_attempts=get("ADAL_MAIL_MAX_ATTEMPTS", cls.max_attempts, int),
            timeout=get("ADAL_MAIL_TIMEOUT", cls.timeout, float),
            outage_max_seconds=get("ADAL_MAIL_OUTAGE_MAX_SECONDS", cls.outage_max_seconds, float),
        )


@dataclass
class DeliveryReport:
    """What one run did."""

    sent: int = 0
    #: Messages a 4xx reply sent back to the queue (an attempt counted).
    retried: int = 0
    failed: int = 0
    recovered: int = 0
    #: Messages put back to wait for an unreachable server (no attempt counted).
    deferred: int = 0
    #: True when another process held the SQLite lease, so this run did nothing.
    skipped: bool = False
    #: True when the run did not try: the server was unreachable and its next try is not due yet.
    waiting: bool = False
    #: Why the server could not be reached in this run, if it could not.
    server_error: str | None = None
    errors: list[str] = field(default_factory=list)


# --- building messages ---------------------------------------------------------------------


class _SmtpLines(policy.Compat32):
    """compat32 (the policy of the ``email.mime`` classes) with CRLF line ends, as SMTP wants them.

    compat32 folds every header through ``email.header.Header``; a short ASCII value comes out of
    it unchanged, so such a value is written as it is (the same bytes, a fifth of the time of
    building a message saved). Longer or encoded values are folded by ``Header`` as usual.
    """

    def fold_binary(self, name, value):
        if value.__class__ is str and value.isascii() and len(name) + len(value) < 77 and value.isprintable():
            return f"{name}: {value}{self.linesep}".encode("ascii")
        return super().fold_binary(name, value)


SMTP_LINES = _SmtpLines(linesep="\r\n")
_UTF8 = Charset("utf-8")
_DOT_AT_LINE_START = re.compile(rb"(?m)^\.")


def clean_header_value(value: str) -> str:
    """One line: CR, LF and other control characters become a space, so no value adds a header."""
    return " ".join(_LINE_BREAKS.sub(" ", value or "").split())


def header_value(value: str, name: str) -> "str | Header":
    """A header value on one logical line; non-ASCII text becomes RFC 2047 words."""
    value = clean_header_value(value)
    return value if value.isascii() else _encoded_words(value, name)


def _encoded_words(text: str, name: str) -> "str | Header":
    """Text that fits one encoded word is one (``Charset.header_encode``, what ``Header`` would write
    for it); longer text is a ``Header``, which splits it into words of whole characters (slowly)."""
    if len(text.encode("utf-8")) <= 45:  # base64 of 45 bytes: 60 characters, a word of 72
        return _UTF8.header_encode(text)
    return Header(text, "utf-8", header_name=name)


def _mailbox(name: str, address: str, header: str) -> "str | Header":
    """``Name <address>``: an ASCII name quoted where needed, any other in RFC 2047 words."""
    name = clean_header_value(name)
    if name.isascii():
        return formataddr((name, address))
    words = _encoded_words(name, header)
    if isinstance(words, str):
        return f"{words} <{address}>"
    words.append(f" <{address}>", "us-ascii")
    return words


@functools.lru_cache(maxsize=16)
def _sender(mail_from: str) -> "tuple[str, str | Header]":
    """The envelope sender and the ``From`` header of ``ADAL_MAIL_FROM`` (the same for every message)."""
    name, address = parseaddr(clean_header_value(mail_from))
    return address, _mailbox(name, address, "From")


@dataclass(frozen=True)
class Envelope:
    sender: str
    recipient: str
    #: The message as RFC 5322 bytes with CRLF line ends (what ``smtplib.sendmail`` takes).
    data: bytes


class InvalidMessage(ValueError):
    """The row cannot become a valid e-mail (e.g. a broken address); sending it is pointless."""


def build_message(
    *,
    mail_from: str,
    to_addr: str,
    to_name: str | None,
    subject: str,
    body_text: str,
    body_html: str | None,
    message_id: str,
    headers: dict | None = None,
    attachments: list[dict] | None = None,
) -> Envelope:
    """One multipart (text + HTML) message, built by ``email.mime``, ready for SMTP.

    Every header value is cleaned to one line first (``clean_header_value``), so no subject,
    name or extra header can add a header; extra headers may not replace the ones written here.
    Bodies are base64 and headers folded, so every line stays under 78 characters and servers
    that refuse long lines take the message.
    """
    sender, from_header = _sender(mail_from)
    recipient = to_addr.strip()
    if clean_header_value(recipient) != recipient or recipient.count("@") != 1 or any(c in recipient for c in "<>, "):
        raise InvalidMessage(f"invalid recipient address: {to_addr!r}")
    text = MIMEText(body_text, "plain", "utf-8")
    if body_html is None:
        message = text
    else:
        html = MIMEText(body_html, "html", "utf-8")
        del text["MIME-Version"], html["MIME-Version"]  # once, on the whole message
        boundary = "=_adal_" + hashlib.sha1(message_id.encode(), usedforsecurity=False).hexdigest()[:24]
        message = MIMEMultipart("alternative", boundary=boundary, _subparts=(text, html))
    if attachments:
        message = _with_attachments(message, attachments, message_id)
    message["From"] = from_header
    message["To"] = _mailbox(to_name or "", recipient, "To")
    message["Subject"] = header_value(subject, "Subject")
    message["Date"] = formatdate(usegmt=True)
    message["Message-ID"] = clean_header_value(message_id)
    for key, value in (headers or {}).items():
        if not _HEADER_NAME.match(key) or key.lower() in OWN_HEADERS:
            log.warning("outbox header %r dropped", key)
            continue
        message[key] = header_value(str(value), key)
    return Envelope(sender, recipient, message.as_bytes(policy=SMTP_LINES))


def _with_attachments(body, attachments: list[dict], message_id: str) -> MIMEMultipart:
    """The body followed by the attached files (base64), e.g. a calendar invitation."""
    del body["MIME-Version"]
    boundary = "=_adal_files_" + hashlib.sha1(message_id.encode(), usedforsecurity=False).hexdigest()[:24]
    mixed = MIMEMultipart("mixed", boundary=boundary, _subparts=(body,))
    for attachment in attachments:
        maintype, _, subtype = attachment["content_type"].partition("/")
        subtype, *params = (part.strip() for part in subtype.split(";"))
        part = MIMEBase(maintype, subtype, **dict(param.split("=", 1) for param in params if "=" in param))
        part.set_payload(base64.encodebytes(base64.b64decode(attachment["data"])).decode("ascii"))
        part["Content-Transfer-Encoding"] = "base64"
        part.add_header("Content-Disposition", "attachment", filename=clean_header_value(attachment["filename"]))
        del part["MIME-Version"]
        mixed.attach(part)
    return mixed


def message_for_row(mail_from: str, row) -> Envelope:
    """The message of an outbox row as loaded for delivery (``_load``: with the person's name)."""
    return build_message(
        mail_from=mail_from,
        to_addr=row.to_addr,
        to_name=row.full_name,
        subject=row.subject,
        body_text=row.body_text,
        body_html=row.body_html,
        message_id=row.message_id,
        headers=row.headers,
        attachments=row.attachments,
    )


# --- transports ----------------------------------------------------------------------------


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


# --- claiming rows -------------------------------------------------------------------------


def recover_abandoned(session: Session, now: datetime) -> int:
    """Queue again the rows a crashed run left ``sending`` after their claim expired."""
    return session.execute(
        update(OUTBOX)
        .where(OUTBOX.c.status == OutboxStatus.SENDING, OUTBOX.c.next_attempt_at <= now)
        .values(status=OutboxStatus.QUEUED)
    ).rowcount


def _due(now: datetime):
    return (OUTBOX.c.status == OutboxStatus.QUEUED) & (OUTBOX.c.next_attempt_at <= now)


def claim_due(session: Session, limit: int, now: datetime, lease_until: datetime) -> list[int]:
    """Mark up to ``limit`` due rows ``sending`` until ``lease_until`` for this run; return their ids.

    A claim counts no attempt: only the server's reply to the message does.
    """
    due = select(OUTBOX.c.id).where(_due(now)).order_by(OUTBOX.c.next_attempt_at, OUTBOX.c.id).limit(limit)
    if session.get_bind().dialect.name == "postgresql":
        due = due.with_for_update(skip_locked=True)
    claimed = session.execute(
        update(OUTBOX)
        .where(OUTBOX.c.id.in_(due.scalar_subquery()))
        .values(status=OutboxStatus.SENDING, next_attempt_at=lease_until)
        .returning(OUTBOX.c.id)
    )
    return sorted(claimed.scalars())


def _load(session: Session, ids: Sequence[int]):
    return session.execute(
        select(
            OUTBOX.c.id,
            OUTBOX.c.message_id,
            OUTBOX.c.to_addr,
            OUTBOX.c.subject,
            OUTBOX.c.body_text,
            OUTBOX.c.body_html,
            OUTBOX.c.headers,
            OUTBOX.c.attachments,
            OUTBOX.c.attempts,
            User.full_name,
        )
        .outerjoin(User, User.id == OUTBOX.c.user_id)
        .where(OUTBOX.c.id.in_(ids))
        .order_by(OUTBOX.c.id)
    ).all()


# --- recording outcomes --------------------------------------------------------------------

# One statement each, compiled once: they run once a message.
_MARK_SENT = (
    update(OUTBOX)
    .where(OUTBOX.c.id == bindparam("row_id"))
    .values(status=OutboxStatus.SENT, sent_at=bindparam("at"), attempts=OUTBOX.c.attempts + 1, last_error=None)
)
_MARK_RETRY = (
    update(OUTBOX)
    .where(OUTBOX.c.id == bindparam("row_id"))
    .values(
        status=OutboxStatus.QUEUED,
        attempts=OUTBOX.c.attempts + 1,
        next_attempt_at=bindparam("at"),
        last_error=bindparam("reason"),
    )
)
_MARK_FAILED = (
    update(OUTBOX)
    .where(OUTBOX.c.id == bindparam("row_id"))
    .values(status=OutboxStatus.FAILED, attempts=OUTBOX.c.attempts + 1, last_error=bindparam("reason"))
)


class _Run:
    """The outcomes of one run, written and committed message by message.

    Outcomes go through a connection of their own (``writer``): a Core statement and a commit on a
    plain connection cost a third of the same through the ORM session, and they run once a message.
    Everything else (claims, extensions, the server's state) goes through ``session``, committed at
    once, so on SQLite the two never wait for each other's write lock.
    """

    def __init__(self, session: Session, settings: DeliverySettings, report: DeliveryReport, holder: str | None):
        self.session = session
        self.writer: Connection | None = None
        self.settings = settings
        self.report = report
        self.holder = holder  #: the SQLite lease holder, renewed with the claims
        self.pending: list[tuple] = []  #: outcomes decided, not yet written
        #: The outage recorded before this run, until the server takes a message (or has none to take).
        self.outage: mail_server.ServerState | None = None

    def answered(self) -> None:
        """The server answered about a message: an outage recorded before is over (said once). Commits."""
        if self.outage is None:
            return
        outage, self.outage = self.outage, None
        self.commit()
        mail_server.record_answer(self.session)
        self.session.commit()
        log.info(
            "outbox: the mail server answers again after %s unreachable (last: %s); %d messages wait",
            _duration(utcnow() - outage.down_since),
            outage.reason,
            mail_server.waiting_messages(self.session),
        )
        self.session.commit()

    def sent(self, row) -> None:
        self.pending.append((_MARK_SENT, {"row_id": row.id, "at": utcnow()}))
        self.report.sent += 1

    def refused_for_now(self, row, reason: str) -> None:
        """A 4xx for this message: back to the queue with a backoff, or failed after too many."""
        attempts = row.attempts + 1
        if attempts >= self.settings.max_attempts:
            self.failed(row, f"gave up after {attempts} attempts: {reason}")
            return
        delay = min(self.settings.retry_seconds * 2 ** (attempts - 1), 6 * 3600)
        at = utcnow() + timedelta(seconds=delay)
        self.pending.append((_MARK_RETRY, {"row_id": row.id, "at": at, "reason": reason[:2000]}))
        self.report.retried += 1

    def failed(self, row, reason: str) -> None:
        self.pending.append((_MARK_FAILED, {"row_id": row.id, "reason": reason[:2000]}))
        self.report.failed += 1

    def commit(self) -> None:
        """Write the outcomes decided so far, each committed as it is written."""
        if not self.pending:
            return
        if self.writer is None:
            # Each UPDATE its own transaction: one round trip a message, no BEGIN nor COMMIT besides.
            self.writer = self.session.get_bind().connect().execution_options(isolation_level="AUTOCOMMIT")
            if self.writer.dialect.name == "postgresql":
                # As SQLite's synchronous=NORMAL: a commit returns before its WAL flush. Safe when this
                # process dies (the server has the commit); a crash of the database server itself may
                # lose the last fraction of a second of marks, and those messages go out again.
                self.writer.exec_driver_sql("SET synchronous_commit TO off")
        for statement, values in self.pending:
            self.writer.execute(statement, values)
        self.pending = []

    def close(self) -> None:
        """Write what is still pending (a run cut short by an error keeps its outcomes), then let go."""
        try:
            self.commit()
        except SQLAlchemyError:
            log.exception("outbox: %d outcomes not written; those messages will be sent again", len(self.pending))
        self.pending = []
        if self.writer is not None:
            try:
                if self.writer.dialect.name == "postgresql":
                    self.writer.exec_driver_sql("RESET synchronous_commit")  # the pool's next user
            finally:
                self.writer.close()
                self.writer = None

    def extend(self, ids: Sequence[int], claim_until: datetime) -> datetime | None:
        """Keep the claim on the rows not sent yet (and the SQLite lease) a lease longer; commits.

        Returns the claim's new end, or None when some of the rows are no longer this run's
        (the run stalled past its claim and another run took them): then it must stop.
        """
        self.commit()
        now = utcnow()
        until = now + timedelta(seconds=self.settings.lease_seconds)
        kept = self.session.execute(
            update(OUTBOX)
            .where(
                OUTBOX.c.id.in_(ids),
                OUTBOX.c.status == OutboxStatus.SENDING,
                OUTBOX.c.next_attempt_at == claim_until,
            )
            .values(next_attempt_at=until)
        ).rowcount
        if self.holder:
            acquire_lease(self.session, LEASE_NAME, self.holder, self.settings.lease_seconds, now)
        self.session.commit()
        if kept != len(ids):
            log.warning("outbox: this run's claim expired and another run took its messages; stopping")
            return None
        return until

    def wait_for_server(self, ids: Sequence[int], claim_until: datetime, reason: str) -> None:
        """The server is unreachable: these rows go back to the queue as they were, the outbox waits. Commits."""
        self.commit()
        state = mail_server.record_outage(
            self.session, reason, utcnow(), self.settings.retry_seconds, self.settings.outage_max_seconds
        )
        if ids:
            self.report.deferred += self.session.execute(
                update(OUTBOX)
                .where(
                    OUTBOX.c.id.in_(ids),
                    OUTBOX.c.status == OutboxStatus.SENDING,
                    OUTBOX.c.next_attempt_at == claim_until,
                )
                .values(status=OutboxStatus.QUEUED, next_attempt_at=state.retry_at, last_error=reason[:2000])
            ).rowcount
        self.session.commit()
        self.report.server_error = reason
        self.report.errors.append(reason)
        log.warning(
            "outbox: the mail server is unreachable since %s (%s); %d messages wait; next try at %s",
            state.down_since.strftime("%Y-%m-%d %H:%M:%S UTC"),
            reason,
            mail_server.waiting_messages(self.session),
            state.retry_at.strftime("%H:%M:%S UTC"),
        )
        self.session.commit()


# --- the run -------------------------------------------------------------------------------


def deliver_outbox(session: Session, settings: DeliverySettings, max_messages: int | None = None) -> DeliveryReport:
    """Send every due message now (or up to ``max_messages``); commits as it goes."""
    report = DeliveryReport()
    transport = SmtpTransport(settings.smtp_url, settings.timeout) if settings.smtp_url else None
    holder = holder_name() if session.get_bind().dialect.name == "sqlite" else None
    if holder and not acquire_lease(session, LEASE_NAME, holder, settings.lease_seconds):
        report.skipped = True
        return report
    started = utcnow()  # rows put back for a retry during this run wait for the next one
    run = _Run(session, settings, report, holder)
    try:
        report.recovered = recover_abandoned(session, started)
        session.commit()
        if transport is None:
            _keep_in_mailbox(run, started, max_messages)
        elif _server_answers(run, transport, started):
            _send_due(run, transport, started, max_messages)
    finally:
        run.close()
        if transport is not None:
            transport.close()
        if holder:
            session.rollback()
            release_lease(session, LEASE_NAME, holder)
    if report.sent or report.failed or report.retried or report.recovered:
        log.info(
            "outbox: %d sent, %d to retry, %d failed, %d recovered, %d waiting for the server",
            report.sent,
            report.retried,
            report.failed,
            report.recovered,
            report.deferred,
        )
    return report


def describe_run(session: Session, report: DeliveryReport) -> str:
    """What ``flask outbox deliver --once`` tells the operator: the counts, and while the mail
    server is unreachable, since when, why, how many messages wait and when it is tried again
    (a bare "0 sent" during an outage read as if there were nothing to send)."""
    text = f"{report.sent} sent, {report.retried} to retry, {report.failed} failed."
    state = mail_server.server_state(session)
    if state.down:
        text += (
            f" The mail server has been unreachable since {state.down_since:%Y-%m-%d %H:%M} UTC ({state.reason});"
            f" {mail_server.waiting_messages(session)} messages wait, none counted as failed;"
            f" next try at {state.retry_at:%H:%M:%S} UTC."
        )
    return text


def _server_answers(run: _Run, transport: SmtpTransport, now: datetime) -> bool:
    """Connect before claiming anything; False (and the outage recorded) when the server does not answer.

    While the server is unreachable, runs do not try it before the recorded ``retry_at``; they
    try it then even with nothing due, so the office's banner goes as soon as it answers again.
    """
    session = run.session
    state = mail_server.server_state(session)
    if state.down and state.retry_at and now < state.retry_at:
        run.report.waiting = True
        return False
    if not state.down and session.scalar(select(OUTBOX.c.id).where(_due(now)).limit(1)) is None:
        return False
    try:
        transport.open()
    except ServerUnavailable as error:
        run.wait_for_server((), now, str(error))
        return False
    if state.down:  # over once the server takes a message: it may still answer 421 to each
        run.outage = state
    return True


def _duration(delta: timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    return f"{minutes // 60} h {minutes % 60} min" if minutes >= 60 else f"{minutes} min"


def _send_due(run: _Run, transport: SmtpTransport, started: datetime, max_messages: int | None) -> None:
    settings, session = run.settings, run.session
    pacer = _Pacer(settings.rate)
    batch_size = settings.batch_size
    if settings.rate:  # a claim must be sent well within its lease
        batch_size = max(1, min(batch_size, int(settings.rate * settings.lease_seconds / 3)))
    while (left := _left(run.report, max_messages)) > 0:
        claim_until = utcnow() + timedelta(seconds=settings.lease_seconds)
        ids = claim_due(session, min(batch_size, left), started, claim_until)
        session.commit()
        if not ids:
            run.answered()  # nothing (more) to send, and the server let us in
            return
        rows = _load(session, ids)
        session.commit()  # no transaction (nor, on SQLite, write lock) held while the server talks
        if not _send_batch(run, transport, pacer, rows, claim_until):
            return


def _keep_in_mailbox(run: _Run, started: datetime, max_messages: int | None) -> None:
    """The local mailbox: the row itself is the delivered message."""
    session, settings = run.session, run.settings
    while (left := _left(run.report, max_messages)) > 0:
        ids = claim_due(session, min(settings.batch_size, left), started, utcnow())
        if not ids:
            session.commit()
            return
        session.execute(
            update(OUTBOX)
            .where(OUTBOX.c.id.in_(ids))
            .values(status=OutboxStatus.SENT, sent_at=utcnow(), attempts=OUTBOX.c.attempts + 1, last_error=None)
        )
        if run.holder:
            acquire_lease(session, LEASE_NAME, run.holder, settings.lease_seconds)
        session.commit()
        run.report.sent += len(ids)


def _left(report: DeliveryReport, max_messages: int | None) -> float:
    done = report.sent + report.failed + report.retried
    return float("inf") if max_messages is None else max_messages - done


def _build(settings: DeliverySettings, row) -> "Envelope | InvalidMessage":
    """The row's message, or why it cannot be one: a row that cannot be built must not stop the outbox."""
    try:
        return message_for_row(settings.mail_from, row)
    except InvalidMessage as error:
        return error
    except Exception as error:
        log.exception("outbox: message %s cannot be built", row.id)
        return InvalidMessage(f"cannot be built: {error!r}")


def _send_batch(run: _Run, transport: SmtpTransport, pacer: "_Pacer", rows: Sequence, claim_until: datetime) -> bool:
    """Send one claimed batch, each outcome committed before the next message's content goes out.

    False when the run should stop: the server became unreachable, or the claim was lost.
    """
    settings = run.settings
    #: The claim is extended once a third of it is left: no other run can take a row before its end
    #: (``recover_abandoned`` takes expired claims only), so a row whose claim runs a while yet is ours.
    margin = timedelta(seconds=settings.lease_seconds / 3)
    reconnected = False
    built: dict[int, Envelope | InvalidMessage] = {}

    def build(index: int) -> None:
        if index < len(rows) and index not in built:
            built[index] = _build(settings, rows[index])

    index = 0
    while index < len(rows):
        row = rows[index]
        build(index)
        envelope = built.pop(index)
        if isinstance(envelope, InvalidMessage):
            run.failed(row, str(envelope))
            index += 1
            continue
        if pacer.interval:
            run.commit()
            pacer.wait()
        if utcnow() > claim_until - margin:
            claim_until = run.extend([r.id for r in rows[index:]], claim_until)
            if claim_until is None:
                return False
        try:
            # The previous outcome is committed while the server reads MAIL FROM, before this
            # message's content goes out; the next message is built while the server reads this one.
            transport.send(envelope, while_mail=run.commit, while_data=lambda i=index: build(i + 1))
        except PermanentFailure as error:
            run.failed(row, str(error))
            run.answered()
        except TemporaryFailure as error:
            run.refused_for_now(row, str(error))
            run.answered()
        except ConnectionLost as error:
            if not reconnected:  # once a run: a dropped connection may be a fluke; this message again
                reconnected = True
                log.info("outbox: %s; connecting again", error)
                built[index] = envelope
                continue
            run.wait_for_server([r.id for r in rows[index:]], claim_until, str(error))
            return False
        except ServerUnavailable as error:
            run.wait_for_server([r.id for r in rows[index:]], claim_until, str(error))
            return False
        else:
            run.sent(row)
            run.answered()
        index += 1
    run.commit()
    return True


class _Pacer:
    """Spaces sends ``1 / rate`` seconds apart over the whole run (0: no limit)."""

    def __init__(self, rate: float):
        self.interval = 1.0 / rate if rate > 0 else 0.0
        self.next_at = time.monotonic()

    def wait(self) -> None:
        if not self.interval:
            return
        delay = self.next_at - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        self.next_at = max(self.next_at, time.monotonic()) + self.interval


# --- wiring --------------------------------------------------------------------------------


def run_delivery_job() -> DeliveryReport:
    """The scheduler job: drain what is due now."""
    from lms.extensions import db

    return deliver_outbox(db.session, DeliverySettings.from_config(current_app.config))


def init_app(app: Flask) -> None:
    """Drain the outbox every few seconds in the scheduler process."""
    from lms.scheduler import register_job

    register_job(app, "outbox.deliver", run_delivery_job, seconds=5, leader_only=False)
