"""The case handlers' side: who may read cases, the list with its deadlines, and changes to a case.

Only the case-handler role opens a case: admins, officers and unit heads hold every other power
but not this one (``User.has_role`` lets admins through everything, so it is not used here).
Every read and change lands in the case's history.
"""

from dataclasses import dataclass
from datetime import date, timedelta

from flask import abort, current_app
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload, selectinload

from concerns import crypto
from concerns.history import record_event, today
from concerns.models import Case, CaseMessage, CaseStatus
from concerns.statistics import refresh_statistic
from lms.audit import trail
from lms.models import OrgUnit, Role, User, UserRole


def is_handler(user) -> bool:
    return user.is_authenticated and Role.CASE_HANDLER in user.role_names


def is_custodian(user) -> bool:
    return user.is_authenticated and Role.CUSTODIAN in user.role_names


def handler_case_or_404(session: Session, number: str) -> Case:
    """The case for a handler; 404 for anyone else, the same as for a case that does not exist."""
    if not is_handler(current_user):
        abort(404)
    case = session.scalar(select(Case).where(Case.number == number))
    if case is None:
        abort(404)
    return case


@dataclass(frozen=True)
class Deadlines:
    acknowledge_by: date
    feedback_by: date
    #: The deadline still open that has passed, if any: "acknowledge" or "feedback".
    overdue: str | None


def deadlines(case: Case, on: date | None = None) -> Deadlines:
    """When the case must be acknowledged and the reporter given feedback, and whether that is late."""
    on = on or today()
    config = current_app.config
    acknowledge_by = case.received_on + timedelta(days=config["ADAL_CASE_ACKNOWLEDGE_DAYS"])
    feedback_by = case.received_on + timedelta(days=config["ADAL_CASE_FEEDBACK_DAYS"])
    overdue = None
    if case.status == CaseStatus.NEW and on > acknowledge_by:
        overdue = "acknowledge"
    elif case.status != CaseStatus.CLOSED and case.first_answer_on is None and on > feedback_by:
        overdue = "feedback"
    return Deadlines(acknowledge_by, feedback_by, overdue)


def list_cases(session: Session, status: str | None = None) -> list[tuple[Case, Deadlines]]:
    """The cases, open ones first and oldest first, each with its deadlines."""
    query = (
        select(Case)
        .options(joinedload(Case.unit))
        .order_by(Case.status == CaseStatus.CLOSED, Case.received_on, Case.id)
    )
    if status:
        query = query.where(Case.status == status)
    return [(case, deadlines(case)) for case in session.scalars(query)]


def needing_attention(session: Session, on: date) -> list[Case]:
    """Open cases past a deadline or with an unanswered message from the reporter, not yet reminded today."""
    open_cases = session.scalars(
        select(Case)
        .where(Case.status != CaseStatus.CLOSED, (Case.reminded_on.is_(None)) | (Case.reminded_on < on))
        .options(selectinload(Case.messages))
    )
    return [case for case in open_cases if deadlines(case, on).overdue or _reporter_waiting(case)]


def _reporter_waiting(case: Case) -> bool:
    replies = [m for m in case.messages if not m.internal]
    return bool(replies) and replies[-1].author_id is None


def record_read(session: Session, case: Case, handler: User) -> None:
    record_event(session, case, "read", handler)


def change_status(session: Session, case: Case, handler: User, status: str, outcome: str | None) -> None:
    """Move the case on (``Case.move_to`` refuses illegal moves), recorded and counted."""
    case.move_to(status, today(), outcome or None)
    record_event(session, case, "status", handler, status=case.status, outcome=case.outcome)
    refresh_statistic(session, case)


def set_unit(session: Session, case: Case, handler: User, unit: OrgUnit | None) -> None:
    case.unit_id = unit.id if unit else None
    record_event(session, case, "unit", handler, unit=case.unit_id)
    session.flush()


def write(session: Session, case: Case, handler: User, text: str, internal: bool) -> None:
    """A message to the reporter, or (``internal``) a note for the handlers only."""
    case.messages.append(
        CaseMessage(internal=internal, author_id=handler.id, sent_on=today(), body=crypto.encrypt_text(text))
    )
    if not internal and case.first_answer_on is None:
        case.first_answer_on = today()
    record_event(session, case, "note" if internal else "message", handler)
    session.flush()
    refresh_statistic(session, case)


def handlers(session: Session) -> list[User]:
    """The people who hold the case-handler role."""
    query = select(User).join(UserRole).where(UserRole.role == Role.CASE_HANDLER, User.active).order_by(User.full_name)
    return list(session.scalars(query))


def name_handler(session: Session, person: User, actor: User) -> bool:
    """A handler gives the case-handler role to ``person``; False when they hold it already. Audited."""
    if Role.CASE_HANDLER in person.role_names:
        return False
    person.roles.append(UserRole(role=Role.CASE_HANDLER))
    trail.record(session, "people.role_grant", person, actor=actor, details={"role": Role.CASE_HANDLER})
    session.flush()
    return True


def record_file_read(session: Session, case: Case, handler: User, file) -> None:
    record_event(session, case, "file_read", handler, file=file.id)
