"""What a certificate looks like: its words in one or two languages, its QR code, its PDF.

Rendering is apart from issuing because three things render the same page: a completion's
certificate, a re-issue for a corrected name, and a certificate of attendance (``attendance``).
The office's choice of layout is kept here too: it is what the next render reads.
"""

from dataclasses import dataclass
from datetime import datetime

import segno
from flask import current_app
from flask_babel import force_locale, format_date
from flask_babel import gettext as _
from markupsafe import Markup
from sqlalchemy.orm import Session

from courses.models import CertificateError, Course
from lms.audit import trail
from lms.database import localized
from lms.models import Setting
from lms.office_settings import office_contacts
from lms.pdf import render_pdf

LAYOUTS = ("single", "kk-ru")
LAYOUT_SETTING = "certificate_layout"
QR_MASK = 2


def layout_setting(session: Session) -> str:
    """The layout the office chose for new certificates: one language or bilingual kk/ru."""
    row = session.get(Setting, LAYOUT_SETTING)
    return row.value if row is not None and row.value in LAYOUTS else "single"


def save_layout_setting(session: Session, layout: str) -> None:
    if layout not in LAYOUTS:
        raise CertificateError(layout)
    row = session.get(Setting, LAYOUT_SETTING)
    if row is None:
        session.add(Setting(key=LAYOUT_SETTING, value=layout))
    else:
        row.value = layout
    trail.record(session, "certificate.layout", details={"layout": layout})


def verify_url(code: str) -> str:
    return f"{current_app.config['ADAL_BASE_URL']}/verify/{code}"


@dataclass
class CertificateFacts:
    """What a certificate page shows, independent of whether the row exists yet."""

    code: str
    holder_name: str
    score: int | None
    locale: str
    layout: str
    issued_at: datetime
    expires_at: datetime | None


def _texts(lang: str, facts: CertificateFacts, course: Course, contacts: dict) -> dict:
    """The words of one language's block of the certificate, translated and formatted."""
    with force_locale(lang):
        return {
            "lang": lang,
            "university": localized(contacts.get("university"), lang)[0],
            "issuer": _("Compliance service"),
            "heading": _("Certificate"),
            "certifies": _("This is to certify that"),
            "completed": _("has completed the course"),
            "course": (localized(course.title, lang)[0] or course.slug) if course is not None else "",
            "score_label": _("Score"),
            "issued_label": _("Issued"),
            "expires_label": _("Valid until"),
            "issued": format_date(facts.issued_at, "long"),
            "expires": format_date(facts.expires_at, "long") if facts.expires_at else None,
            "officer_label": _("Compliance officer"),
            "officer": localized(contacts.get("officer"), lang)[0],
            "verify_label": _("Check this certificate at"),
            "code_label": _("Code"),
        }


def render_certificate_html(
    session: Session, facts: CertificateFacts, course: Course | None, attended: dict | None = None
) -> str:
    """The certificate's HTML from ``templates/pdf/certificate.html`` (the office may restyle it).

    ``attended`` (``{"title": {locale: …}, "text": {locale: …}}``) makes it a certificate of attendance.
    """
    contacts = office_contacts(session)
    langs = ["kk", "ru"] if facts.layout == "kk-ru" else [facts.locale]
    blocks = [_texts(lang, facts, course, contacts) for lang in langs]
    if attended is not None:
        for block in blocks:
            block.update(_attendance_words(block["lang"], attended))
    url = verify_url(facts.code)
    # A fixed mask: every mask is valid, and choosing the "best" of eight costs more than the rest.
    qr = segno.make(url, error="m", mask=QR_MASK).svg_inline(scale=3, border=0, omitsize=True)
    # The Jinja environment directly, not render_template: no request-bound context processors.
    return current_app.jinja_env.get_template("pdf/certificate.html").render(
        blocks=blocks,
        facts=facts,
        verify_url=url,
        qr_svg=Markup(qr),  # noqa: S704 (segno's own SVG of our URL, no user text)
        contacts=contacts,
    )


def render_certificate_pdf(
    session: Session, facts: CertificateFacts, course: Course | None, attended: dict | None = None
) -> bytes:
    return render_pdf(render_certificate_html(session, facts, course, attended))


def _attendance_words(lang: str, attended: dict) -> dict:
    """A certificate of attendance says "has attended" the event, with the event's own text under it."""
    with force_locale(lang):
        return {
            "completed": _("has attended"),
            "course": localized(attended["title"], lang)[0],
            "text": localized(attended.get("text"), lang)[0],
        }
