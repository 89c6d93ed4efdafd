"""The text-free numbers of each case (``CaseStatistic``), which the public transparency figures read.

They are refreshed on every change of a case and stay when retention deletes it.
"""

from sqlalchemy import select
from sqlalchemy.orm import Session

from concerns.models import Case, CaseStatistic


def refresh_statistic(session: Session, case: Case) -> CaseStatistic:
    """Bring ``case``'s statistic row up to date, creating it the first time."""
    row = session.scalar(select(CaseStatistic).where(CaseStatistic.case_id == case.id))
    if row is None:
        row = CaseStatistic(case_id=case.id)
        session.add(row)
    row.received_year = case.received_on.year
    row.category = case.category
    row.outcome = case.outcome
    row.days_to_first_answer = _days(case.received_on, case.first_answer_on)
    row.days_to_close = _days(case.received_on, case.closed_on)
    session.flush()
    return row


def _days(start, end) -> int | None:
    return (end - start).days if end is not None else None
