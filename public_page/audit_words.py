"""The public page's audit events in words: method texts edited, documents and versions uploaded, figures switched."""

from flask import Flask, url_for
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from lms.audit.trail import Piece, add_action_group, add_sentence, add_target
from public_page.models import RegulatoryDocument


def init_app(app: Flask) -> None:
    add_target(app, "regulatory_document", load_documents)
    add_action_group(app, "public", _l("Public page"))
    for action, template in (
        ("public.method", _l("%(actor)s edited the text of the method %(method)s on the public page")),
        ("public.document", _l("%(actor)s added the regulatory document %(target)s")),
        ("public.version", _l("%(actor)s uploaded version %(number)s of the regulatory document %(target)s")),
        ("public.figures_on", _l("%(actor)s turned the transparency figures on")),
        ("public.figures_off", _l("%(actor)s turned the transparency figures off")),
    ):
        add_sentence(app, action, template, "public")


def load_documents(session: Session, ids: list[str], locale: str) -> dict[str, dict[str, Piece]]:
    """Documents by id: their key, linking to their public page (one query)."""
    wanted = [int(i) for i in ids if str(i).isdigit()]
    rows = session.execute(
        select(RegulatoryDocument.id, RegulatoryDocument.key).where(RegulatoryDocument.id.in_(wanted))
    )
    return {str(row.id): {"target": Piece(row.key, url_for("public.document", document_key=row.key))} for row in rows}
