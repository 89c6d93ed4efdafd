"""The office's dashboard: completion at a glance, drill-downs by unit and course, completion reports.

It reads courses, campaigns and people, and writes nothing but audit events of its downloads.
"""

from flask import Flask
from flask_babel import lazy_gettext as _l


def init_app(app: Flask) -> None:
    """Register the dashboard pages, its menu entry, and make it the office's landing page."""
    from dashboard import views
    from lms.audit.trail import add_sentence
    from lms.audit.words import EXPORTS
    from lms.navigation import add_landing_page, add_nav_item
    from lms.permissions import OFFICE_ROLES

    app.register_blueprint(views.bp)
    add_sentence(app, "dashboard.report", _l("%(actor)s downloaded the completion report (%(format)s)"), EXPORTS)
    add_sentence(
        app, "dashboard.people_export", _l("%(actor)s exported the completion report's people (%(format)s)"), EXPORTS
    )
    add_nav_item(app, "dashboard.index", _l("Dashboard"), roles=OFFICE_ROLES, section="office")
    add_landing_page(app, "dashboard.index", roles=OFFICE_ROLES)
