"""The courses' audit events in words: authoring, learning, certificates, assignments, exports.

Registered from ``courses.init_app`` through ``lms.audit``; each loader reads one page's objects
of its table in one query, with the names and links the sentences need.
"""

from flask import Flask, url_for
from flask_babel import format_percent
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from courses.audience.rules import describe_rules
from courses.authoring.versioning import course_titles
from courses.models import Assignment, Attestation, Certificate, Course, Enrolment, Module
from lms.audit.trail import Piece, Ref, add_action_group, add_sentence, add_target
from lms.audit.words import EXPORTS
from lms.database import localized
from lms.i18n import current_locale
from lms.models import User

#: How many characters of a certificate's code the log shows: enough to tell them apart.
CODE_SHOWN = 6

LAYOUT_LABELS = {"single": _l("one language"), "kk-ru": _l("Kazakh and Russian side by side")}


def init_app(app: Flask) -> None:
    """Register the courses' action groups, sentences and target loaders."""
    for target_type, loader in (
        ("course", load_courses),
        ("course_slug", load_course_slugs),
        ("certificate", load_certificates),
        ("enrolment", load_enrolments),
        ("attestation", load_attestations),
        ("assignment", load_assignments),
    ):
        add_target(app, target_type, loader)
    add_action_group(app, "courses", _l("Courses (authoring)"))
    add_action_group(app, "learning", _l("Completions and signatures"))
    add_action_group(app, "certificates", _l("Certificates"))
    add_action_group(app, "assignments", _l("Assignments"))
    for action, template in (
        ("course.create", _l("%(actor)s created the course %(target)s")),
        ("course.draft", _l("%(actor)s started version %(version)s of %(target)s")),
        ("course.publish", _l("%(actor)s published version %(version)s of %(target)s")),
        ("course.archive", _l("%(actor)s archived version %(version)s of %(target)s")),
        ("course.import", _l("%(actor)s imported version %(version)s of %(target)s from a course pack")),
    ):
        add_sentence(app, action, template, "courses")
    add_sentence(
        app,
        "course.attestation_accepted",
        _l("%(person)s signed %(document)s (version %(version)s) in %(target)s"),
        "learning",
    )
    add_sentence(
        app, "course.seminar_attended", _l("%(person)s attended the seminar %(module)s of %(target)s"), "learning"
    )
    add_sentence(app, "course.completed", _l("%(person)s completed %(target)s with %(score)s"), "learning", _score)
    add_sentence(
        app, "certificate.issue", _l("Certificate %(target)s was issued to %(holder)s for %(course)s"), "certificates"
    )
    add_sentence(
        app,
        "certificate.attendance",
        _l("Certificate of attendance %(code)s was issued to %(holder)s for %(event)s"),
        "certificates",
        lambda details: {"event": localized(details.get("event"), current_locale())[0]},
    )
    add_sentence(
        app,
        "certificate.revoke",
        _l("%(actor)s revoked certificate %(target)s of %(holder)s (%(course)s): %(reason)s"),
        "certificates",
    )
    add_sentence(
        app,
        "certificate.reissue",
        _l(
            "%(actor)s re-issued certificate %(target)s (%(course)s) with the name %(new_name)s instead of %(old_name)s"
        ),
        "certificates",
    )
    add_sentence(app, "certificate.layout", _l("%(actor)s set new certificates to %(layout)s"), "certificates", _layout)
    add_sentence(
        app,
        "assignment.create",
        _l("%(actor)s assigned %(target)s to %(audience)s: %(enrolled)s enrolled"),
        "assignments",
    )
    add_sentence(
        app,
        "assignment.end",
        _l(
            "%(actor)s ended the assignment of %(target)s to %(audience)s: %(cancelled)s unstarted enrolments cancelled"
        ),
        "assignments",
    )
    add_sentence(
        app, "courses.progress_export", _l("%(actor)s exported the progress in %(target)s (%(format)s)"), EXPORTS
    )
    add_sentence(
        app,
        "courses.signatures_export",
        _l("%(actor)s exported the signature register of %(course)s (%(format)s)"),
        EXPORTS,
        _document_course,
    )
    add_sentence(
        app,
        "certificate.export",
        _l("%(actor)s asked for a zip of the certificates of %(course)s in %(unit)s"),
        EXPORTS,
        _export_scope,
    )


def _ints(ids: list[str]) -> list[int]:
    return [int(i) for i in ids if str(i).isdigit()]


def _course_piece(slug: str, title: dict | str | None, locale: str) -> Piece:
    """A course by its title in ``locale``, linking to its progress page (every version's people)."""
    text = localized(title, locale)[0] if isinstance(title, dict) else title
    return Piece(text or slug, url_for("courses_office.course_progress", slug=slug))


def _person_piece(user_id: int, name: str) -> Piece:
    return Piece(name, url_for("people.person", user_id=user_id))


def load_courses(session: Session, ids: list[str], locale: str) -> dict[str, dict[str, Piece]]:
    """Course versions by id: the version's title linking to the course's progress page."""
    rows = session.execute(select(Course.id, Course.slug, Course.title).where(Course.id.in_(_ints(ids))))
    return {str(row.id): {"target": _course_piece(row.slug, row.title, locale)} for row in rows}


def load_course_slugs(session: Session, slugs: list[str], locale: str) -> dict[str, dict[str, Piece]]:
    """Courses named by slug in details: the newest version's title (one query)."""
    titles = course_titles(session, locale, slugs)
    return {slug: {"target": _course_piece(slug, title, locale)} for slug, title in titles.items()}


def load_certificates(session: Session, ids: list[str], locale: str) -> dict[str, dict[str, Piece]]:
    """Certificates by id: the start of the code linking to the office's page, the holder, the course."""
    rows = session.execute(
        select(
            Certificate.id,
            Certificate.code,
            Certificate.short_code,
            Certificate.holder_name,
            Certificate.user_id,
            Course.slug,
            Course.title,
        )
        .join(Course, Course.id == Certificate.course_id)
        .where(Certificate.id.in_(_ints(ids)))
    )
    return {
        str(row.id): {
            "target": Piece(
                row.short_code or row.code[:CODE_SHOWN] + "…", url_for("certificates.office_detail", cert_id=row.id)
            ),
            "holder": _person_piece(row.user_id, row.holder_name),
            "course": _course_piece(row.slug, row.title, locale),
        }
        for row in rows
    }


def load_enrolments(session: Session, ids: list[str], locale: str) -> dict[str, dict[str, Piece]]:
    """Enrolments by id: the course linking to the person's progress page, and the person."""
    rows = session.execute(
        select(Enrolment.id, Enrolment.user_id, User.full_name, Course.slug, Course.title)
        .join(User, User.id == Enrolment.user_id)
        .join(Course, Course.id == Enrolment.course_id)
        .where(Enrolment.id.in_(_ints(ids)))
    )
    return {str(row.id): _progress_names(row, locale) for row in rows}


def load_attestations(session: Session, ids: list[str], locale: str) -> dict[str, dict[str, Piece]]:
    """Signatures by id: the course and the signed document, the person who signed."""
    rows = session.execute(
        select(
            Attestation.id, Attestation.user_id, User.full_name, Course.slug, Course.title, Module.title.label("doc")
        )
        .join(User, User.id == Attestation.user_id)
        .join(Module, Module.id == Attestation.module_id)
        .join(Course, Course.id == Module.course_id)
        .where(Attestation.id.in_(_ints(ids)))
    )
    return {
        str(row.id): {**_progress_names(row, locale), "document": Piece(localized(row.doc, locale)[0] or "—")}
        for row in rows
    }


def _progress_names(row, locale: str) -> dict[str, Piece]:
    course = _course_piece(row.slug, row.title, locale)
    return {
        "target": Piece(course.text, url_for("courses_office.person_progress", user_id=row.user_id)),
        "person": _person_piece(row.user_id, row.full_name),
    }


def load_assignments(session: Session, ids: list[str], locale: str) -> dict[str, dict[str, Piece]]:
    """Assignments by id: the course linking to the assignments list, the audience in words.

    One query for the assignments, one for the titles, one for the unit names the audiences use.
    """
    rows = session.execute(
        select(Assignment.id, Assignment.course_slug, Assignment.audience).where(Assignment.id.in_(_ints(ids)))
    ).all()
    titles = course_titles(session, locale, [row.course_slug for row in rows])
    audiences = describe_rules([row.audience for row in rows], locale, session)
    link = url_for("courses_office.assignments")
    return {
        str(row.id): {
            "target": Piece(titles.get(row.course_slug, row.course_slug), link),
            "audience": Piece(audience),
        }
        for row, audience in zip(rows, audiences, strict=True)
    }


def _score(details: dict) -> dict:
    score = details.get("score")
    return {"score": format_percent(score / 100) if isinstance(score, int | float) else None}


def _layout(details: dict) -> dict:
    layout = details.get("layout")
    return {"layout": LAYOUT_LABELS.get(layout, layout)}


def _document_course(details: dict) -> dict:
    slug = str(details.get("document") or "").partition(":")[0]
    return {"course": Ref("course_slug", slug or None)}


def _export_scope(details: dict) -> dict:
    course, unit = details.get("course"), details.get("unit")
    return {
        "course": Ref("course_slug", course) if course else _l("every course"),
        "unit": Ref("org_unit", unit) if unit else _l("the whole university"),
    }
