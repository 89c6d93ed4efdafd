"""Learning: courses, modules, quizzes, enrolments, progress, attestations, certificates."""

from flask import Flask
from flask_babel import lazy_gettext as _l


def init_app(app: Flask) -> None:
    """Register the courses pages, commands, scheduled jobs, signal receivers and demo data."""
    from courses import audit_words, models  # noqa: F401 (tables must be known to Alembic)
    from courses import cli as courses_cli
    from courses.authoring import views as authoring_views
    from courses.certificates import exports as certificate_exports
    from courses.certificates import issuing as certificates
    from courses.certificates import views as certificate_views
    from courses.demo import history
    from courses.learning import views as learner_views
    from courses.office import enrolment
    from courses.office import views as office_views
    from courses.packs import importing as pack_importing
    from courses.signatures import views as signature_views
    from lms.demo.university import add_demo_seeder
    from lms.models import Role
    from lms.navigation import add_landing_page, add_nav_item

    app.register_blueprint(learner_views.bp)
    add_nav_item(app, "courses.my_learning", _l("My learning"))  # first in the menu
    add_landing_page(app, "courses.my_learning")
    enrolment.init_app(app)
    office_views.init_app(app)
    signature_views.init_app(app)
    certificates.init_app(app)
    certificate_exports.init_app(app)
    certificate_views.init_app(app)
    app.register_blueprint(authoring_views.bp)
    add_nav_item(app, "authoring.index", _l("Courses (authoring)"), roles=(Role.AUTHOR,), section="office")
    courses_cli.init_app(app)
    audit_words.init_app(app)
    add_demo_seeder(pack_importing.seed_bundled_packs)
    add_demo_seeder(enrolment.seed_demo_assignments)  # after the packs: assigns them
    add_demo_seeder(history.seed_demo_progress)  # after the assignments: months of their history
