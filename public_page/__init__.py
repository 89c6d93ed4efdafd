"""The office's public face: the anti-corruption page visitors see, regulatory documents with their
versions, and transparency figures. It reads ``concerns`` statistics and ``dashboard`` figures.
"""

from flask import Flask
from flask_babel import lazy_gettext as _l


def init_app(app: Flask) -> None:
    """Register the public pages, the office's editing pages, the visitors' landing page and document links."""
    from lms.demo.university import add_demo_seeder
    from lms.navigation import add_nav_item, set_document_linker, set_visitors_page
    from lms.permissions import OFFICE_ROLES
    from public_page import audit_words, demo, models, office_views, views  # noqa: F401 (models: tables for Alembic)

    app.register_blueprint(views.bp)
    app.register_blueprint(office_views.bp)
    set_visitors_page(app, "public.about")
    set_document_linker(app, views.document_link)
    add_nav_item(app, "public.about", _l("Anti-corruption"))
    add_nav_item(app, "public_office.index", _l("Public page"), OFFICE_ROLES, "office", university_wide=True)
    audit_words.init_app(app)
    add_demo_seeder(demo.seed_demo_documents)
