"""Configuration from ``ADAL_*`` environment variables, with defaults that need nothing installed."""

import os
import secrets
import zoneinfo
from datetime import timedelta
from pathlib import Path

LOCALES = ("kk", "ru", "en")
#: Seconds a lease lasts without renewal when ``ADAL_LEASE_SECONDS`` is unset.
DEFAULT_LEASE_SECONDS = 20.0
DEFAULT_LOCALE = "kk"


def use_shipped_time_zones() -> None:
    """Compute every time with the ``tzdata`` package's database, never the operating system's.

    ``zoneinfo`` reads the system's files first (``/usr/share/zoneinfo``, or ``PYTHONTZPATH``)
    and the ``tzdata`` package only when a zone is missing there; a server whose system data
    predates 2024 would still put Almaty at UTC+6 and send "10:00" an hour early. An empty search
    path leaves ``tzdata`` (pinned in requirements.txt, updated with them) as the only source for
    every ``ZoneInfo`` in the process (APScheduler's and Babel's too; Flask-Babel's pytz ships its
    own data). Zones loaded before are dropped from the cache.
    """
    zoneinfo.reset_tzpath([])
    zoneinfo.ZoneInfo.clear_cache()


def _secret_key(instance_path: Path, name: str = "secret_key") -> str:
    """Read a secret key from ``instance/<name>``, creating it once on first start.

    Several gunicorn workers start at once: each writes its candidate to a private file made 0600
    from the start, and ``os.link`` publishes it whole only where no key is yet, so every worker
    reads the one key that won, and no moment shows a key to other users of the machine.
    """
    path = instance_path / name
    if not path.exists():
        instance_path.mkdir(parents=True, exist_ok=True)
        candidate = instance_path / f".{name}.{os.getpid()}.{secrets.token_hex(4)}"
        descriptor = os.open(candidate, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(descriptor, "w") as file:
                file.write(secrets.token_hex(32))
            os.link(candidate, path)
        except FileExistsError:
            pass  # another worker's key won
        finally:
            candidate.unlink()
    return path.read_text().strip()


def _key_file(path: str | None) -> str:
    """The keys kept in ``path`` (one setting's worth, commas or lines), or ``""`` when unset."""
    if not path:
        return ""
    return ",".join(Path(path).read_text().split())


def load_config(instance_path: str, overrides: dict | None = None) -> dict:
    """Build the app config: defaults, then ``ADAL_*`` variables, then explicit overrides."""
    instance = Path(instance_path)
    instance.mkdir(parents=True, exist_ok=True)
    env = os.environ
    overrides = overrides or {}
    database_url = overrides.get("SQLALCHEMY_DATABASE_URI") or env.get(
        "ADAL_DATABASE_URL", f"sqlite:///{instance / 'adal.sqlite3'}"
    )
    secret = overrides.get("SECRET_KEY") or env.get("ADAL_SECRET_KEY") or _secret_key(instance)
    #: Encrypts the authenticator secrets: kept outside the database, so a dump alone reveals none.
    totp_key = overrides.get("ADAL_TOTP_KEY") or env.get("ADAL_TOTP_KEY") or _secret_key(instance, "totp_key")
    #: Encrypts reported concerns (``concerns``): comma-separated, the first encrypts, all decrypt.
    cases_key = (
        overrides.get("ADAL_CASES_KEY")
        or env.get("ADAL_CASES_KEY")
        or _key_file(env.get("ADAL_CASES_KEY_FILE"))
        or _secret_key(instance, "cases_key")
    )
    base_url = env.get("ADAL_BASE_URL", "http://127.0.0.1:5000")
    config = {
        "SECRET_KEY": secret,
        "ADAL_TOTP_KEY": totp_key,
        "ADAL_CASES_KEY": cases_key,
        # -- concerns (issue 13): deadlines of a case and how long a closed one is kept
        #: Days within which a new case must be acknowledged, and within which the reporter gets feedback.
        "ADAL_CASE_ACKNOWLEDGE_DAYS": int(env.get("ADAL_CASE_ACKNOWLEDGE_DAYS", "7")),
        "ADAL_CASE_FEEDBACK_DAYS": int(env.get("ADAL_CASE_FEEDBACK_DAYS", "90")),
        #: Days a closed case is kept before retention deletes it (its statistics stay).
        "ADAL_CASE_RETENTION_DAYS": int(env.get("ADAL_CASE_RETENTION_DAYS", "1825")),
        #: Tries at a case's receipt code: per case number, and for everyone together.
        "ADAL_RECEIPT_LIMIT": env.get("ADAL_RECEIPT_LIMIT", "5 per minute;20 per hour"),
        "ADAL_RECEIPT_GLOBAL_LIMIT": env.get("ADAL_RECEIPT_GLOBAL_LIMIT", "60 per minute"),
        #: New reports for everyone together (no address is kept to count per person).
        "ADAL_REPORT_LIMIT": env.get("ADAL_REPORT_LIMIT", "100 per hour"),
        "SQLALCHEMY_DATABASE_URI": database_url,
        "SQLALCHEMY_ENGINE_OPTIONS": _engine_options(database_url),
        "ADAL_BASE_URL": base_url.rstrip("/"),
        "ADAL_SMTP_URL": env.get("ADAL_SMTP_URL", ""),
        "ADAL_MAIL_FROM": env.get("ADAL_MAIL_FROM", "Adal <compliance@metu.kz>"),
        "ADAL_MAIL_RATE": float(env.get("ADAL_MAIL_RATE", "0")),  # messages a second, 0 = no cap
        # -- delivering the outbox (``lms.mail.delivery``); empty values mean the default
        #: Messages one delivery run claims at a time.
        "ADAL_MAIL_BATCH": int(env.get("ADAL_MAIL_BATCH") or "100"),
        #: Seconds a claim holds its messages unrenewed before they are a crashed run's (None: ADAL_LEASE_SECONDS).
        "ADAL_MAIL_LEASE_SECONDS": _optional_float(env.get("ADAL_MAIL_LEASE_SECONDS")),
        #: Seconds of the first wait after a temporary refusal (4xx) or an outage; doubles each time.
        "ADAL_MAIL_RETRY_SECONDS": float(env.get("ADAL_MAIL_RETRY_SECONDS") or "60"),
        #: Temporary refusals of one message before it is marked failed.
        "ADAL_MAIL_MAX_ATTEMPTS": int(env.get("ADAL_MAIL_MAX_ATTEMPTS") or "10"),
        #: Socket timeout of the SMTP connection, in seconds.
        "ADAL_MAIL_TIMEOUT": float(env.get("ADAL_MAIL_TIMEOUT") or "30"),
        #: The longest wait, in seconds, between two tries of an unreachable mail server.
        "ADAL_MAIL_OUTAGE_MAX_SECONDS": float(env.get("ADAL_MAIL_OUTAGE_MAX_SECONDS") or "300"),
        #: Seconds a scheduler's (or, on SQLite, a sender's) lease lasts without renewal (``lms.leases``).
        "ADAL_LEASE_SECONDS": float(env.get("ADAL_LEASE_SECONDS") or DEFAULT_LEASE_SECONDS),
        # -- the nightly backup (``lms.backup``)
        #: The folder of the nightly backups (empty: no nightly backup).
        "ADAL_BACKUP_DIR": env.get("ADAL_BACKUP_DIR", ""),
        #: How many nightly backups to keep, newest first.
        "ADAL_BACKUP_KEEP": int(env.get("ADAL_BACKUP_KEEP") or "7"),
        #: The local time (ADAL_TIMEZONE) after which each day's backup is made.
        "ADAL_BACKUP_AT": env.get("ADAL_BACKUP_AT") or "02:00",
        "ADAL_TIMEZONE": env.get("ADAL_TIMEZONE", "Asia/Almaty"),
        #: Campaign e-mails wait out the night and holidays, and non-mandatory ones a weekly cap.
        "ADAL_QUIET_HOURS": env.get("ADAL_QUIET_HOURS", "21:00-08:00"),
        "ADAL_HOLIDAYS": env.get("ADAL_HOLIDAYS", ""),
        "ADAL_WEEKLY_CAP": int(env.get("ADAL_WEEKLY_CAP", "2")),
        "ADAL_LOGIN_LIMIT": env.get("ADAL_LOGIN_LIMIT", "10 per minute"),
        "ADAL_VERIFY_LIMIT": env.get("ADAL_VERIFY_LIMIT", "30 per minute"),
        #: Anyone with a role must sign in with a second factor (``lms.two_factor``); off only in tests.
        "ADAL_TWO_FACTOR_REQUIRED": env.get("ADAL_TWO_FACTOR_REQUIRED", "1") != "0",
        #: Tries at the sign-in code, per address and per person: a code has a million values.
        "ADAL_TWO_FACTOR_LIMIT": env.get("ADAL_TWO_FACTOR_LIMIT", "5 per minute;30 per hour"),
        #: Reverse proxies in front of the app whose X-Forwarded-For/-Proto/-Host to believe (0: none).
        "ADAL_PROXY_HOPS": int(env.get("ADAL_PROXY_HOPS", "0")),
        #: A bearer token that opens /metrics to a scraper on another machine (empty: loopback only).
        "ADAL_METRICS_TOKEN": env.get("ADAL_METRICS_TOKEN", ""),
        "ADAL_RESET_MAX_AGE": int(env.get("ADAL_RESET_MAX_AGE", str(2 * 3600))),
        "ADAL_INVITE_MAX_AGE": int(env.get("ADAL_INVITE_MAX_AGE", str(14 * 24 * 3600))),
        "ADAL_STORAGE_PATH": env.get("ADAL_STORAGE_PATH", str(instance / "storage")),
        "RATELIMIT_STORAGE_URI": env.get("ADAL_REDIS_URL", "memory://"),
        "RATELIMIT_HEADERS_ENABLED": True,
        "BABEL_DEFAULT_LOCALE": DEFAULT_LOCALE,
        "BABEL_DEFAULT_TIMEZONE": env.get("ADAL_TIMEZONE", "Asia/Almaty"),
        "BOOTSTRAP_SERVE_LOCAL": True,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": base_url.startswith("https://"),
        #: Sign-ins end after this long without a request: anyone with a role (the office) ...
        "ADAL_IDLE_MINUTES_OFFICE": int(env.get("ADAL_IDLE_MINUTES_OFFICE", "30")),
        #: ... and learners (a working day at a shared computer).
        "ADAL_IDLE_MINUTES_LEARNER": int(env.get("ADAL_IDLE_MINUTES_LEARNER", "480")),
        #: The longest any sign-in lasts however active, except a learner's remembered one (a working day).
        "ADAL_SESSION_MAX_HOURS": int(env.get("ADAL_SESSION_MAX_HOURS", "12")),
        #: How long "remember me" keeps a learner signed in (the office stays within the limits above).
        "ADAL_REMEMBER_DAYS": int(env.get("ADAL_REMEMBER_DAYS", "30")),
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_SECURE": base_url.startswith("https://"),
        "MAX_CONTENT_LENGTH": 32 * 1024 * 1024,
        # -- the public page (issue 13)
        #: Transparency figures hide every group smaller than this (a count of 3 shows "fewer than 5").
        "ADAL_PUBLIC_MIN_GROUP": int(env.get("ADAL_PUBLIC_MIN_GROUP", "5")),
        #: The largest PDF of a regulatory document the office may upload, per language, in MB.
        "ADAL_DOCUMENT_MAX_MB": int(env.get("ADAL_DOCUMENT_MAX_MB", "10")),
        "WTF_CSRF_TIME_LIMIT": None,
    }
    config.update(overrides)
    config["SQLALCHEMY_ENGINE_OPTIONS"] = _engine_options(config["SQLALCHEMY_DATABASE_URI"])
    config["REMEMBER_COOKIE_DURATION"] = timedelta(days=config["ADAL_REMEMBER_DAYS"])
    return config


def _optional_float(value: str | None) -> float | None:
    """A number of an optional setting; None when unset or empty (another setting then decides)."""
    return float(value) if value else None


def _engine_options(url: str) -> dict:
    if url.startswith("sqlite"):
        # Several processes and threads share the file: a write waits for the lock up to 15 s
        # (the busy timeout), well under gunicorn's 30 s worker timeout.
        return {"connect_args": {"timeout": 15, "check_same_thread": False}}
    return {"pool_pre_ping": True}
