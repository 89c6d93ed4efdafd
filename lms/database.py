"""Database helpers shared by every package: time, translated fields, SQLite pragmas."""

from datetime import UTC, datetime

from sqlalchemy import DateTime, TypeDecorator, event
from sqlalchemy.engine import Engine

from lms.config import LOCALES

#: Content fallback order: a Kazakh reader gets Russian before English, and so on.
FALLBACK = {"kk": ("kk", "ru", "en"), "ru": ("ru", "kk", "en"), "en": ("en", "ru", "kk")}


def utcnow() -> datetime:
    """The current time in UTC, timezone-aware; every stored time is UTC."""
    return datetime.now(UTC)


def as_utc(value: datetime | None) -> datetime | None:
    """SQLite gives back naive datetimes; treat them as the UTC they were stored as."""
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=UTC)


class UTCDateTime(TypeDecorator):
    """A timezone-aware time, stored as UTC on every database.

    PostgreSQL keeps the zone itself; SQLite would store the wall time of whatever zone the value
    had and give it back naive, so a send time typed in Almaty would fire five hours late.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        value = (value if value.tzinfo else value.replace(tzinfo=UTC)).astimezone(UTC)
        return value if dialect.name == "postgresql" else value.replace(tzinfo=None)

    def process_result_value(self, value, dialect):
        return as_utc(value)


def render_migration_type(type_: str, obj, _autogen_context):
    """Migrations spell ``UTCDateTime`` as the plain column type it is stored as."""
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def localized(texts: dict | None, locale: str) -> tuple[str, str | None]:
    """Pick the text of a ``{locale: text}`` field for ``locale``, falling back kk → ru → en.

    Returns the text and the locale it came from (``None`` when there is no text at all), so a
    page can say "shown in Russian, not yet translated".
    """
    texts = texts or {}
    for candidate in FALLBACK.get(locale, LOCALES):
        if texts.get(candidate):
            return texts[candidate], candidate
    return "", None


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, _record):
    """WAL lets the scheduler thread write while pages read; SQLite needs foreign keys turned on."""
    if type(dbapi_connection).__module__.startswith("sqlite3"):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()
