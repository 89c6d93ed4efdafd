"""A reporter's identity behind two people: a handler asks with a reason, a custodian (someone else) decides.

Until a request is approved the handler sees only that an identity exists. Requests, decisions
and every showing are in the case's history and the audit log (the reason stays encrypted).
"""

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from concerns import crypto
from concerns.history import record_event
from concerns.models import Case, CaseIdentity, IdentityRequest
from lms.audit import trail
from lms.database import utcnow
from lms.models import User


class RequestRefused(Exception):
    """``reason``: "no_identity", "pending" (one already waits), "own" (a custodian deciding their own)
    or "decided"."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def has_identity(session: Session, case: Case) -> bool:
    return session.scalar(select(CaseIdentity.id).where(CaseIdentity.case_id == case.id)) is not None


def request_identity(session: Session, case: Case, handler: User, reason: str) -> IdentityRequest:
    """A handler asks to see who reported ``case``, saying why."""
    if not has_identity(session, case):
        raise RequestRefused("no_identity")
    if _request_of(session, case, handler, approved=None) is not None:
        raise RequestRefused("pending")
    request = IdentityRequest(case_id=case.id, requested_by_id=handler.id, reason=crypto.encrypt_text(reason))
    session.add(request)
    session.flush()
    record_event(session, case, "identity_requested", handler, request=request.id)
    trail.record(session, "concerns.identity_request", request, actor=handler)
    return request


def decide(session: Session, request: IdentityRequest, custodian: User, approve: bool) -> None:
    """A custodian approves or refuses; never their own request, never twice."""
    if request.requested_by_id == custodian.id:
        raise RequestRefused("own")
    if request.approved is not None:
        raise RequestRefused("decided")
    request.approved = approve
    request.decided_by_id = custodian.id
    request.decided_at = utcnow()
    action = "identity_approved" if approve else "identity_refused"
    record_event(session, request.case, action, custodian, request=request.id)
    trail.record(session, f"concerns.{action}", request, actor=custodian)
    session.flush()


def pending_requests(session: Session) -> list[IdentityRequest]:
    """Requests waiting for a custodian, oldest first."""
    query = (
        select(IdentityRequest)
        .where(IdentityRequest.approved.is_(None))
        .options(joinedload(IdentityRequest.case), joinedload(IdentityRequest.requested_by))
        .order_by(IdentityRequest.id)
    )
    return list(session.scalars(query))


def reason_of(request: IdentityRequest) -> str:
    return crypto.decrypt_text(request.reason)


def requests_of_case(session: Session, case: Case) -> list[IdentityRequest]:
    query = select(IdentityRequest).where(IdentityRequest.case_id == case.id).order_by(IdentityRequest.id)
    return list(session.scalars(query))


def revealed_identity(session: Session, case: Case, handler: User) -> dict | None:
    """The identity, when a custodian approved this handler's request; each showing recorded."""
    if _request_of(session, case, handler, approved=True) is None:
        return None
    row = session.scalar(select(CaseIdentity).where(CaseIdentity.case_id == case.id))
    if row is None:
        return None
    record_event(session, case, "identity_shown", handler)
    trail.record(session, "concerns.identity_shown", case, actor=handler)
    return crypto.decrypt_json(row.data)


def _request_of(session: Session, case: Case, handler: User, approved: bool | None) -> IdentityRequest | None:
    condition = IdentityRequest.approved.is_(None) if approved is None else IdentityRequest.approved.is_(approved)
    query = select(IdentityRequest).where(
        IdentityRequest.case_id == case.id, IdentityRequest.requested_by_id == handler.id, condition
    )
    return session.scalars(query).first()
