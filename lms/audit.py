"""The audit log: record events, query them, export them."""

from collections.abc import Iterator

from flask import g, has_request_context, request
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import Session

from lms.models import AuditEvent


def unrecorded() -> bool:
    """True inside a blueprint that must leave no trace of who asked (the anonymous channel)."""
    return has_request_context() and g.get("adal_unrecorded", False)


def record(
    session: Session,
    action: str,
    target=None,
    *,
    actor=None,
    details: dict | None = None,
) -> AuditEvent | None:
    """Add an audit event for ``action`` on ``target`` by ``actor`` (default: the current user).

    The event joins the caller's transaction, so it is kept exactly when the change is.
    """
    if unrecorded():
        return None
    if actor is None and has_request_context() and current_user.is_authenticated:
        actor = current_user
    target = getattr(target, "_get_current_object", lambda: target)()  # unwrap current_user
    event = AuditEvent(
        action=action,
        actor_id=actor.id if actor is not None else None,
        target_type=type(target).__tablename__ if target is not None else None,
        target_id=str(target.id) if target is not None else None,
        details=details or {},
        ip=request.remote_addr if has_request_context() else None,
    )
    session.add(event)
    return event


def events_query(action: str | None = None, actor_id: int | None = None, since=None, until=None):
    """The select for the audit page and export, newest first, filtered as asked."""
    query = select(AuditEvent).order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
    if action:
        query = query.where(AuditEvent.action.startswith(action))
    if actor_id:
        query = query.where(AuditEvent.actor_id == actor_id)
    if since:
        query = query.where(AuditEvent.at >= since)
    if until:
        query = query.where(AuditEvent.at < until)
    return query


AUDIT_COLUMNS = ["time_utc", "actor_id", "action", "target_type", "target_id", "details", "ip"]


def export_records(session: Session, query) -> Iterator[list]:
    """The events of ``query`` as export rows, a thousand per fetch."""
    for event in session.scalars(query.execution_options(yield_per=1000)):
        yield [
            event.at.isoformat(),
            event.actor_id or "",
            event.action,
            event.target_type or "",
            event.target_id or "",
            _flat(event.details),
            event.ip or "",
        ]


def _flat(details: dict) -> str:
    return "; ".join(f"{k}={v}" for k, v in sorted((details or {}).items()))
