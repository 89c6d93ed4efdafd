"""Demo cases: the compliance officer handles reported concerns, the administrator is the custodian,
and one anonymous report waits with a question to its reporter."""

from sqlalchemy import select
from sqlalchemy.orm import Session

from concerns.handling import write
from concerns.models import Case
from concerns.reporting import Report, file_report
from lms.models import Role, User, UserRole

OFFICER = "officer@demo.metu.kz"
CUSTODIAN = "admin@demo.metu.kz"
DEMO_REPORT = Report(
    category="bribery",
    what="Емтихан алдында бір оқытушы «бағаны жақсарту» үшін студенттерден ақша жинап жүр.",
    where="Бас ғимарат, 3-қабат",
    when="Қысқы сессия алдында",
)


def seed_demo_cases(session: Session) -> None:
    """Give the demo officer the case-handler role and the admin the custodian role; file one report."""
    if session.scalar(select(Case.id).limit(1)) is not None:
        return
    people = {u.email: u for u in session.scalars(select(User).where(User.email.in_((OFFICER, CUSTODIAN))))}
    if len(people) < 2:
        return
    people[OFFICER].roles.append(UserRole(role=Role.CASE_HANDLER))
    people[CUSTODIAN].roles.append(UserRole(role=Role.CUSTODIAN))
    session.flush()
    receipt = file_report(session, DEMO_REPORT, [])
    case = session.scalar(select(Case).where(Case.number == receipt.number))
    write(session, case, people[OFFICER], "Қай пән бойынша және қай топта болды?", internal=False)
