"""Course versions: publish freezes one, editing a frozen one starts the next draft, archive retires it.

Learners are enrolled on a ``Course`` row (one version), so a new version never changes what
a person in progress sees; new enrolments take the latest published version.
"""

import shutil

from sqlalchemy import select
from sqlalchemy.orm import Session

from courses.authoring.publish_check import publish_problems
from courses.models import Course, CourseStatus, Module, Question, VersionError
from courses.packs.importing import latest_version, store_files
from courses.packs.stored import files_dir
from lms.database import localized
from lms.i18n import gettext_if_request as _


def course_titles(session: Session, locale: str, slugs=None) -> dict[str, str]:
    """Each course's title as its newest version gives it, by slug, for pickers and lists (one query).

    Every course when ``slugs`` is ``None``; the slug stands in for a title missing in ``locale``.
    """
    query = select(Course.slug, Course.title).order_by(Course.slug, Course.version)
    if slugs is not None:
        query = query.where(Course.slug.in_(set(slugs)))
    return {slug: localized(title, locale)[0] or slug for slug, title in session.execute(query)}


def publish(session: Session, course: Course) -> Course:
    """Freeze a draft whose content passes the pack's checks (``Course.publish`` refuses anything but a draft)."""
    if course.status == CourseStatus.DRAFT and (problems := publish_problems(course)):
        raise VersionError(
            _("The course cannot be published yet: %(problems)s", problems="; ".join(str(p) for p in problems))
        )
    course.publish()
    session.flush()
    return course


def archive(session: Session, course: Course) -> Course:
    """Retire a version (``Course.archive``) and write it."""
    course.archive()
    session.flush()
    return course


def current_published(session: Session, slug: str) -> Course | None:
    """The version new learners of ``slug`` are enrolled on."""
    return session.scalars(
        select(Course)
        .where(Course.slug == slug, Course.status == CourseStatus.PUBLISHED)
        .order_by(Course.version.desc())
        .limit(1)
    ).first()


def open_draft(session: Session, slug: str) -> Course | None:
    """The draft of ``slug`` being edited, if there is one."""
    return session.scalars(
        select(Course).where(Course.slug == slug, Course.status == CourseStatus.DRAFT).order_by(Course.version.desc())
    ).first()


def draft_for_editing(session: Session, course: Course) -> Course:
    """The version to edit instead of ``course``: itself if a draft, else a (new) draft copy."""
    if course.status == CourseStatus.DRAFT:
        return course
    existing = open_draft(session, course.slug)
    if existing is not None:
        return existing
    return new_draft_version(session, course)


def new_draft_version(session: Session, source: Course) -> Course:
    """Copy ``source`` with its modules, questions and files as the next version, a draft."""
    copy = Course(
        slug=source.slug,
        version=latest_version(session, source.slug) + 1,
        status=CourseStatus.DRAFT,
        default_locale=source.default_locale,
        title=dict(source.title),
        description=dict(source.description or {}),
        pass_mark=source.pass_mark,
        validity_months=source.validity_months,
        remedial_after_failures=source.remedial_after_failures,
        audience_hint=source.audience_hint,
    )
    for module in source.modules:
        copy.modules.append(
            Module(
                key=module.key,
                position=module.position,
                kind=module.kind,
                title=dict(module.title),
                body=dict(module.body or {}),
                required=module.required,
                settings=_deep(module.settings or {}),
                questions=[
                    Question(
                        key=q.key,
                        pool=q.pool,
                        position=q.position,
                        kind=q.kind,
                        text=dict(q.text),
                        options=_deep(q.options or []),
                        answer=_deep(q.answer),
                        explanation=dict(q.explanation),
                        points=q.points,
                    )
                    for q in module.questions
                ],
            )
        )
    session.add(copy)
    session.flush()
    store_files(copy, {})
    if files_dir(source).exists():
        shutil.copytree(files_dir(source), files_dir(copy))
    return copy


def _deep(value):
    """A copy of JSON data that shares no list or dict with the original (frozen versions stay frozen)."""
    if isinstance(value, dict):
        return {k: _deep(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_deep(v) for v in value]
    return value
