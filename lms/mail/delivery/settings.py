"""How a delivery run behaves (``DeliverySettings``) and what it did (``DeliveryReport``)."""

from dataclasses import dataclass, field

from lms.config import DEFAULT_LEASE_SECONDS
from lms.leases import lease_seconds as configured_lease_seconds


@dataclass(frozen=True)
class DeliverySettings:
    """How delivery behaves: the ``ADAL_MAIL_*`` settings ``lms.config`` reads, or these defaults."""

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
        """The settings of an app's config; a setting unset or empty there keeps its default."""

        def get(key, default, kind):
            value = config.get(key)
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
