"""The demo's regulatory document: the code of ethics the bundled course asks learners to accept,
published as the office would, a PDF per language rendered from the course's own text."""

from datetime import date
from pathlib import Path

from flask import current_app
from markupsafe import escape
from sqlalchemy import select
from sqlalchemy.orm import Session

from courses.contact_placeholders import with_office_contacts
from courses.content import render_markdown
from lms.config import LOCALES
from lms.database import utcnow
from lms.pdf import render_pdf
from public_page.documents import add_version, create_document
from public_page.models import RegulatoryDocument

PACK = Path(__file__).resolve().parent.parent / "courses" / "bundled" / "code-of-ethics"
TITLE = {
    "kk": "Университеттің әдеп кодексі",
    "ru": "Кодекс этики университета",
    "en": "The university's code of ethics",
}
SUMMARY = {
    "kk": "Қызметкерлер мен студенттерден күтілетін мінез-құлық: адалдық, сыйлықтар, мүдделер қақтығысы, хабарлау.",
    "ru": "Какого поведения университет ждёт от сотрудников и студентов: честность, подарки, конфликт интересов, "
    "сообщения.",
    "en": "The conduct the university expects of staff and students: honesty, gifts, conflicts of interest, reporting.",
}


def seed_demo_documents(session: Session) -> None:
    """The code of ethics, approved on 1 September of last year (once: an existing document stays)."""
    if session.scalar(select(RegulatoryDocument.id).limit(1)) is not None:
        return
    document = create_document(session, "code-of-ethics")
    add_version(
        session,
        document,
        number="1",
        approved_on=date(utcnow().year - 1, 9, 1),
        title=TITLE,
        summary=SUMMARY,
        files={locale: _code_pdf(locale) for locale in LOCALES},
        storage=current_app.config["ADAL_STORAGE_PATH"],
        uploader=None,
    )


def _code_pdf(locale: str) -> bytes:
    text = with_office_contacts((PACK / f"code-acceptance.{locale}.md").read_text(encoding="utf-8"), locale)
    return render_pdf(
        f'<html lang="{locale}"><head><meta charset="utf-8">'
        '<style>body { font-family: "DejaVu Sans"; font-size: 11pt }</style></head>'
        f"<body><h1>{escape(TITLE[locale])}</h1>{render_markdown(text)}</body></html>"
    )
