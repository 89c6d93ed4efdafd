"""Draining the outbox: claim due rows, send them over one SMTP connection, record what happened.

A run claims a batch of due rows in a transaction (``queued`` and due → ``sending``, attempts + 1,
``next_attempt_at`` = the end of the claim's lease), sends them, then marks them ``sent``, back to
``queued`` with a backoff (4xx replies, lost connections) or ``failed`` (5xx replies). On
PostgreSQL concurrent runs claim disjoint rows (``FOR UPDATE SKIP LOCKED``); on SQLite one
``SchedulerLease`` row lets a single process deliver at a time. Rows a crashed process left
``sending`` go back to the queue once their lease has expired; the resend keeps the row's
``Message-ID``. With no ``ADAL_SMTP_URL`` the local mailbox keeps the messages in the database.
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
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.header import Header
from email.utils import formataddr, formatdate, parseaddr
from functools import partial
from urllib.parse import parse_qs, unquote, urlsplit

from flask import Flask, current_app
from sqlalchemy import select, update
from sqlalchemy.orm import Session

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
    retry_seconds: float = 60.0  #: first backoff after a 4xx or lost connection; doubles each attempt
    max_attempts: int = 10
    timeout: float = 30.0  #: socket timeout of the SMTP connection

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
        )


@dataclass
class DeliveryReport:
    """What one run did."""

    sent: int = 0
    retried: int = 0
    failed: int = 0
    recovered: int = 0
    #: True when another process held the SQLite lease, so this run did nothing.
    skipped: bool = False
    errors: list[str] = field(default_factory=list)


# --- building messages ---------------------------------------------------------------------


def clean_header_value(value: str) -> str:
    """One line: CR, LF and other control characters become a space, so no value adds a header."""
    return " ".join(_LINE_BREAKS.sub(" ", value or "").split())


def _encoded(value: str, name: str) -> str:
    """A header value in ASCII: RFC 2047 words for Cyrillic, folded lines for long values."""
    value = clean_header_value(value)
    if not value.isascii():
        return _encoded_words(value)
    if len(name) + 2 + len(value) <= 78:
        return value
    return Header(value, "us-ascii", header_name=name).encode(splitchars=" ,;", linesep="\r\n")


def _encoded_words(value: str) -> str:
    """RFC 2047 base64 words of whole characters, one a line, each line under 78 characters.

    The same output as ``email.header.Header(value, "utf-8").encode()``, ten times faster.
    """
    data = value.encode("utf-8")
    words = []
    while data:
        cut = min(len(data), 42)  # 56 base64 characters: a word of 68, a line of 77 at most
        while cut < len(data) and data[cut] & 0xC0 == 0x80:  # never split a character
            cut -= 1
        words.append(f"=?utf-8?b?{base64.b64encode(data[:cut]).decode('ascii')}?=")
        data = data[cut:]
    return "\r\n ".join(words)


def _mailbox(name: str, address: str) -> str:
    """``Name <address>``: an ASCII name quoted where needed, any other encoded and folded."""
    name = clean_header_value(name)
    if name.isascii():
        return formataddr((name, address))
    return f"{_encoded_words(name)} <{address}>"


@functools.lru_cache(maxsize=16)
def _sender(mail_from: str) -> tuple[str, str]:
    """The envelope sender and the ``From`` header of ``ADAL_MAIL_FROM`` (the same for every message)."""
    name, address = parseaddr(clean_header_value(mail_from))
    return address, _mailbox(name, address)


def _base64_lines(text: str) -> bytes:
    return base64.encodebytes(text.encode("utf-8")).replace(b"\n", b"\r\n")


@dataclass(frozen=True)
class Envelope:
    sender: str
    recipient: str
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
) -> Envelope:
    """Serialize one multipart (text + HTML) message, ready for SMTP.

    Every line is CRLF-terminated and at most 78 characters (bodies in base64, headers folded
    and RFC 2047-encoded), so servers that refuse long lines take it. The email package's
    ``EmailMessage`` does the same at about ten times the cost per message.
    """
    sender, from_header = _sender(mail_from)
    recipient = to_addr.strip()
    if clean_header_value(recipient) != recipient or recipient.count("@") != 1 or any(c in recipient for c in "<>, "):
        raise InvalidMessage(f"invalid recipient address: {to_addr!r}")
    lines = [
        f"From: {from_header}",
        f"To: {_mailbox(to_name or '', recipient)}",
        f"Subject: {_encoded(subject, 'Subject')}",
        f"Date: {formatdate(usegmt=True)}",
        f"Message-ID: {clean_header_value(message_id)}",
        "MIME-Version: 1.0",
    ]
    for key, value in (headers or {}).items():
        if not _HEADER_NAME.match(key) or key.lower() in OWN_HEADERS:
            log.warning("outbox header %r dropped", key)
            continue
        lines.append(f"{key}: {_encoded(str(value), key)}")
    text_part = b'Content-Type: text/plain; charset="utf-8"\r\nContent-Transfer-Encoding: base64\r\n\r\n'
    text_part += _base64_lines(body_text)
    if body_html is None:
        head = "\r\n".join(lines).encode("ascii")
        return Envelope(sender, recipient, head + b"\r\n" + text_part)
    boundary = "=_adal_" + hashlib.sha1(message_id.encode(), usedforsecurity=False).hexdigest()[:24]
    lines.append(f'Content-Type: multipart/alternative;\r\n boundary="{boundary}"')
    html_part = b'Content-Type: text/html; charset="utf-8"\r\nContent-Transfer-Encoding: base64\r\n\r\n'
    html_part += _base64_lines(body_html)
    mark = f"--{boundary}\r\n".encode()
    data = b"".join(
        [
            "\r\n".join(lines).encode("ascii"),
            b"\r\n\r\nThis is a multipart message in MIME format.\r\n\r\n",
            mark,
            text_part,
            b"\r\n",
            mark,
            html_part,
            f"\r\n--{boundary}--\r\n".encode(),
        ]
    )
    return Envelope(sender, recipient, data)


# --- transports ----------------------------------------------------------------------------


class TemporaryFailure(Exception):
    """Try this message again later (a 4xx reply)."""


class ConnectionTrouble(TemporaryFailure):
    """The connection is gone or refused (421, network error): stop this run, retry later."""


class PermanentFailure(Exception):
    """The server refused this message for good (a 5xx reply)."""


def _reply(code: int, message: bytes | str) -> str:
    text = message.decode("utf-8", "replace") if isinstance(message, bytes) else str(message)
    return f"{code} {text}".strip()


def _kernel_timeouts(sock: socket.socket, seconds: float) -> None:
    """Keep the timeout, but let the kernel enforce it on a blocking socket.

    A Python-level socket timeout polls before every read and write; over 20,000 messages of four
    round trips each that is a measurable share of the time. A read or write that times out still
    fails (``OSError``), and the run treats it as a lost connection.
    """
    whole = int(seconds)
    timeval = struct.pack("ll", whole, int((seconds - whole) * 1_000_000))
    sock.settimeout(None)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVTIMEO, timeval)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDTIMEO, timeval)


class SmtpTransport:
    """One SMTP connection, opened on first use and reused for every message of a run."""

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

    def _connect(self) -> smtplib.SMTP:
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
            _kernel_timeouts(conn.sock, self.timeout)
        except smtplib.SMTPResponseException as error:
            raise ConnectionTrouble(_reply(error.smtp_code, error.smtp_error)) from error
        except (OSError, smtplib.SMTPException) as error:
            raise ConnectionTrouble(f"cannot connect to {self.host}:{self.port}: {error}") from error
        return conn

    def send(self, envelope: Envelope) -> None:
        """Hand one message to the server, or raise one of the failures above."""
        if self.connection is None:
            self.connection = self._connect()
        try:
            self.connection.sendmail(envelope.sender, [envelope.recipient], envelope.data)
        except smtplib.SMTPRecipientsRefused as error:
            code, message = next(iter(error.recipients.values()))
            self._raise_for(code, _reply(code, message))
        except (smtplib.SMTPSenderRefused, smtplib.SMTPDataError) as error:
            self._raise_for(error.smtp_code, _reply(error.smtp_code, error.smtp_error))
        except (OSError, smtplib.SMTPException) as error:
            self.close()
            raise ConnectionTrouble(f"connection lost: {error}") from error

    def _raise_for(self, code: int, reply: str):
        if code >= 500:
            raise PermanentFailure(reply)
        if code == 421 or code < 400:
            self.close()
            raise ConnectionTrouble(reply)
        raise TemporaryFailure(reply)

    def close(self) -> None:
        if self.connection is not None:
            try:
                self.connection.quit()
            except (OSError, smtplib.SMTPException):
                self.connection.close()
            self.connection = None


# --- claiming rows -------------------------------------------------------------------------


def recover_abandoned(session: Session, now: datetime) -> int:
    """Queue again the rows a crashed run left ``sending`` after their claim expired."""
    return session.execute(
        update(OUTBOX)
        .where(OUTBOX.c.status == OutboxStatus.SENDING, OUTBOX.c.next_attempt_at <= now)
        .values(status=OutboxStatus.QUEUED)
    ).rowcount


def claim_due(session: Session, limit: int, now: datetime, lease_until: datetime) -> list[int]:
    """Mark up to ``limit`` due rows ``sending`` for this run and return their ids."""
    due = (
        select(OUTBOX.c.id)
        .where(OUTBOX.c.status == OutboxStatus.QUEUED, OUTBOX.c.next_attempt_at <= now)
        .order_by(OUTBOX.c.next_attempt_at, OUTBOX.c.id)
        .limit(limit)
    )
    if session.get_bind().dialect.name == "postgresql":
        due = due.with_for_update(skip_locked=True)
    claimed = session.execute(
        update(OUTBOX)
        .where(OUTBOX.c.id.in_(due.scalar_subquery()))
        .values(status=OutboxStatus.SENDING, attempts=OUTBOX.c.attempts + 1, next_attempt_at=lease_until)
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
            OUTBOX.c.attempts,
            User.full_name,
        )
        .outerjoin(User, User.id == OUTBOX.c.user_id)
        .where(OUTBOX.c.id.in_(ids))
        .order_by(OUTBOX.c.id)
    ).all()


# --- the run -------------------------------------------------------------------------------


class _Batch:
    """Outcomes of a claimed batch, written in a few statements."""

    def __init__(self, session: Session, settings: DeliverySettings, report: DeliveryReport, holder: str | None):
        self.session = session
        self.settings = settings
        self.report = report
        self.holder = holder  #: the SQLite lease holder, renewed at each checkpoint
        self.sent: list[int] = []

    def mark_sent(self, row_id: int) -> None:
        self.sent.append(row_id)

    def retry(self, row, reason: str) -> None:
        """Back to the queue with an exponential backoff, or failed after too many attempts."""
        if row.attempts >= self.settings.max_attempts:
            self.fail(row.id, f"gave up after {row.attempts} attempts: {reason}")
            return
        delay = min(self.settings.retry_seconds * 2 ** (row.attempts - 1), 6 * 3600)
        self.session.execute(
            update(OUTBOX)
            .where(OUTBOX.c.id == row.id)
            .values(
                status=OutboxStatus.QUEUED,
                next_attempt_at=utcnow() + timedelta(seconds=delay),
                last_error=reason[:2000],
            )
        )
        self.report.retried += 1

    def fail(self, row_id: int, reason: str) -> None:
        self.session.execute(
            update(OUTBOX).where(OUTBOX.c.id == row_id).values(status=OutboxStatus.FAILED, last_error=reason[:2000])
        )
        self.report.failed += 1

    def checkpoint(self, unsent_ids: Sequence[int] = ()) -> None:
        """Write the sent ones, extend the claim on the rest (and the lease), commit."""
        now = utcnow()
        if self.sent:
            self.session.execute(
                update(OUTBOX)
                .where(OUTBOX.c.id.in_(self.sent))
                .values(status=OutboxStatus.SENT, sent_at=now, last_error=None)
            )
            self.report.sent += len(self.sent)
            self.sent = []
        lease_until = now + timedelta(seconds=self.settings.lease_seconds)
        if unsent_ids:
            self.session.execute(
                update(OUTBOX)
                .where(OUTBOX.c.id.in_(unsent_ids), OUTBOX.c.status == OutboxStatus.SENDING)
                .values(next_attempt_at=lease_until)
            )
        if self.holder:
            acquire_lease(self.session, LEASE_NAME, self.holder, self.settings.lease_seconds, now)
        self.session.commit()


def deliver_outbox(session: Session, settings: DeliverySettings, max_messages: int | None = None) -> DeliveryReport:
    """Send every due message now (or up to ``max_messages``); commits as it goes."""
    report = DeliveryReport()
    transport = SmtpTransport(settings.smtp_url, settings.timeout) if settings.smtp_url else None
    holder = holder_name() if session.get_bind().dialect.name == "sqlite" else None
    if holder and not acquire_lease(session, LEASE_NAME, holder, settings.lease_seconds):
        report.skipped = True
        return report
    pacer = _Pacer(settings.rate)
    started = utcnow()  # rows put back for a retry during this run wait for the next one
    try:
        report.recovered = recover_abandoned(session, started)
        session.commit()
        batch_size = settings.batch_size
        if settings.rate:  # a claim must be sent well within its lease
            batch_size = max(1, min(batch_size, int(settings.rate * settings.lease_seconds / 3)))
        while (left := _left(report, max_messages)) > 0:
            lease_until = utcnow() + timedelta(seconds=settings.lease_seconds)
            ids = claim_due(session, min(batch_size, left), started, lease_until)
            session.commit()
            if not ids:
                break
            batch = _Batch(session, settings, report, holder)
            if transport is None:  # local mailbox: the row itself is the delivered message
                batch.sent = ids
                batch.checkpoint()
                continue
            if not _send_batch(batch, transport, pacer, ids):
                break
    finally:
        if transport is not None:
            transport.close()
        if holder:
            session.rollback()
            release_lease(session, LEASE_NAME, holder)
    if report.sent or report.failed or report.retried or report.recovered:
        log.info(
            "outbox: %d sent, %d to retry, %d failed, %d recovered",
            report.sent,
            report.retried,
            report.failed,
            report.recovered,
        )
    return report


def _left(report: DeliveryReport, max_messages: int | None) -> float:
    done = report.sent + report.failed + report.retried
    return float("inf") if max_messages is None else max_messages - done


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
    )


def _build(settings: DeliverySettings, row) -> "Envelope | InvalidMessage":
    try:
        return message_for_row(settings.mail_from, row)
    except InvalidMessage as error:
        return error


def _send_batch(batch: _Batch, transport: SmtpTransport, pacer: "_Pacer", ids: Sequence[int]) -> bool:
    """Send one claimed batch; False when the connection failed and the run should stop.

    One helper thread serializes the next messages while this one waits for the server's
    replies, so building a message costs no time on the wire.
    """
    settings = batch.settings
    rows = _load(batch.session, ids)
    checkpoint_every = settings.lease_seconds / 3
    last_checkpoint = time.monotonic()
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="adal-build") as builder:
        envelopes = builder.map(partial(_build, settings), rows)
        for index, (row, envelope) in enumerate(zip(rows, envelopes, strict=True)):
            try:
                if isinstance(envelope, InvalidMessage):
                    raise envelope
                pacer.wait()
                transport.send(envelope)
                batch.mark_sent(row.id)
            except InvalidMessage as error:
                batch.fail(row.id, str(error))
            except PermanentFailure as error:
                batch.fail(row.id, str(error))
            except ConnectionTrouble as error:
                for pending in rows[index:]:
                    batch.retry(pending, str(error))
                batch.report.errors.append(str(error))
                batch.checkpoint()
                return False
            except TemporaryFailure as error:
                batch.retry(row, str(error))
            if time.monotonic() - last_checkpoint > checkpoint_every:
                batch.checkpoint([r.id for r in rows[index + 1 :]])
                last_checkpoint = time.monotonic()
    batch.checkpoint()
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
