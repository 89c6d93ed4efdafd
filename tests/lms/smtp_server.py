"""A real SMTP server for tests (aiosmtpd in a thread) that records what it receives.

It can be told to answer ``421`` to the next N messages (a server in trouble), ``550`` for some
addresses (a mailbox that does not exist), and to take its time over each message.
"""

import asyncio
import email
import socket
import threading
from dataclasses import dataclass, field
from email import policy

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Received:
    sender: str
    recipients: list[str]
    data: bytes

    @property
    def message(self) -> email.message.EmailMessage:
        return email.message_from_bytes(self.data, policy=policy.default)


@dataclass
class SmtpBehaviour:
    #: Answer ``421`` to this many more ``MAIL FROM`` commands.
    tempfail_next: int = 0
    #: Addresses answered ``550`` at ``RCPT TO``.
    reject: set[str] = field(default_factory=set)
    #: Addresses answered ``450`` at ``RCPT TO`` (greylisted: try later).
    defer: set[str] = field(default_factory=set)
    #: Seconds spent on each message before accepting it.
    delay: float = 0.0


class _Handler:
    def __init__(self, server: "SmtpServer"):
        self.server = server

    async def handle_MAIL(self, smtp, session, envelope, address, mail_options):
        with self.server.lock:
            if self.server.behaviour.tempfail_next > 0:
                self.server.behaviour.tempfail_next -= 1
                self.server.tempfailed += 1
                return "421 4.3.2 Service not available, try again later"
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_RCPT(self, smtp, session, envelope, address, rcpt_options):
        if address in self.server.behaviour.reject:
            return f"550 5.1.1 <{address}>: mailbox unavailable"
        if address in self.server.behaviour.defer:
            return f"450 4.2.1 <{address}>: greylisted, try later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, smtp, session, envelope):
        if self.server.behaviour.delay:
            await asyncio.sleep(self.server.behaviour.delay)
        with self.server.lock:
            self.server.received.append(Received(envelope.mail_from, list(envelope.rcpt_tos), envelope.content))
        return "250 2.0.0 OK"


class SmtpServer:
    """Start with ``start()``; ``url`` is what ``ADAL_SMTP_URL`` should say."""

    def __init__(self, behaviour: SmtpBehaviour | None = None, users: dict[str, str] | None = None):
        self.behaviour = behaviour or SmtpBehaviour()
        self.users = users
        self.received: list[Received] = []
        self.tempfailed = 0
        self.lock = threading.Lock()
        self.port = free_port()
        auth = {"authenticator": self._authenticate, "auth_require_tls": False} if users else {}
        self.controller = Controller(_Handler(self), hostname="127.0.0.1", port=self.port, **auth)

    def _authenticate(self, server, session, envelope, mechanism, auth_data):
        """Plain-text AUTH against ``users`` (no TLS here: a loopback test server)."""
        ok = isinstance(auth_data, LoginPassword) and self.users.get(auth_data.login.decode()) == (
            auth_data.password.decode()
        )
        return AuthResult(success=ok)

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    def start(self) -> "SmtpServer":
        self.controller.start()
        return self

    def stop(self) -> None:
        """Stop the server (if it was started) and close the event loop its controller made."""
        if self.controller._thread is not None:
            self.controller.stop()
        if not self.controller.loop.is_closed():
            self.controller.loop.close()

    def messages(self) -> list[email.message.EmailMessage]:
        with self.lock:
            return [r.message for r in self.received]
