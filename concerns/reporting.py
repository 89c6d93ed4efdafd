"""The reporter's side: filing a report, and coming back with the receipt to read and answer.

Nothing here knows who is asking: no person, address or time finer than the day reaches these
functions, and they write none (the views make sure of the rest, see ``concerns.views``).
"""

from dataclasses import dataclass

from sqlalchemy.orm import Session

from concerns import crypto, receipts
from concerns.attachments import CleanFile
from concerns.history import record_event, today
from concerns.models import Case, CaseFile, CaseIdentity, CaseMessage, Category
from concerns.statistics import refresh_statistic


@dataclass(frozen=True)
class Report:
    """What the form asked; ``name`` and ``contact`` empty for an anonymous report."""

    category: str
    what: str
    where: str = ""
    when: str = ""
    who: str = ""
    name: str = ""
    contact: str = ""

    @property
    def anonymous(self) -> bool:
        return not (self.name or self.contact)


@dataclass(frozen=True)
class Receipt:
    """What the reporter is shown once: the number to type and the code to prove it is theirs."""

    number: str
    code: str
    received_on: object


def file_report(session: Session, report: Report, files: list[CleanFile]) -> Receipt:
    """Store a new case, encrypted, with its files and (kept apart) the identity given; returns the receipt."""
    code, receipt_hash = receipts.new_receipt()
    fields = {"what": report.what, "where": report.where, "when": report.when, "who": report.who}
    case = Case(
        number=receipts.new_case_number(session),
        receipt_hash=receipt_hash,
        category=Category(report.category),
        anonymous=report.anonymous,
        received_on=today(),
        report=crypto.encrypt_json(fields),
    )
    session.add(case)
    session.flush()
    if not report.anonymous:
        session.add(
            CaseIdentity(case_id=case.id, data=crypto.encrypt_json({"name": report.name, "contact": report.contact}))
        )
    add_files(session, case, files)
    record_event(session, case, "filed", files=len(files))
    refresh_statistic(session, case)
    return Receipt(case.number, code, case.received_on)


def add_files(session: Session, case: Case, files: list[CleanFile]) -> None:
    """Attach the reporter's (already cleaned) files to ``case``, encrypted."""
    for file in files:
        case.files.append(
            CaseFile(
                added_on=today(),
                name=crypto.encrypt_text(file.name),
                content_type=file.content_type,
                size=len(file.data),
                data=crypto.encrypt_bytes(file.data),
            )
        )
    session.flush()


def report_fields(case: Case) -> dict:
    """The report's text, decrypted: what, where, when, who."""
    return crypto.decrypt_json(case.report)


@dataclass(frozen=True)
class ShownMessage:
    id: int
    from_reporter: bool
    internal: bool
    author_name: str | None
    sent_on: object
    body: str


def thread(case: Case, internal: bool) -> list[ShownMessage]:
    """The messages with the reporter (``internal=False``) or the handlers' notes (``True``), decrypted."""
    return [
        ShownMessage(
            m.id,
            m.author_id is None,
            m.internal,
            m.author.full_name if m.author else None,
            m.sent_on,
            crypto.decrypt_text(m.body),
        )
        for m in case.messages
        if m.internal == internal
    ]


@dataclass(frozen=True)
class ShownFile:
    id: int
    name: str
    content_type: str
    size: int
    added_on: object


def file_list(case: Case) -> list[ShownFile]:
    """The case's files with their names decrypted (their contents stay encrypted until downloaded)."""
    return [ShownFile(f.id, crypto.decrypt_text(f.name), f.content_type, f.size, f.added_on) for f in case.files]


def reporter_visit(session: Session, case: Case) -> None:
    """The reporter opened their case: in the history, to the day."""
    record_event(session, case, "reporter_read")


def reporter_answer(session: Session, case: Case, text: str, files: list[CleanFile]) -> None:
    """The reporter writes to the office, maybe with more files."""
    if text.strip():
        case.messages.append(
            CaseMessage(internal=False, author_id=None, sent_on=today(), body=crypto.encrypt_text(text))
        )
    add_files(session, case, files)
    record_event(session, case, "reporter_message", files=len(files))
    session.flush()
