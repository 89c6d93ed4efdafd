"""Writing courses in the browser: courses, modules in order, per-locale texts, quiz settings, question banks.

Every change here is to a draft (views get the draft through ``versioning.draft_for_editing``);
functions flush, the view commits. Questions are checked by the same rules as course packs.
"""

from __future__ import annotations

import re

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from courses.models import Course, CourseStatus, Module, ModuleKind, Question
from courses.packs.checker import KEY_RE, SLUG_RE
from courses.packs.importing import latest_version, store_files
from courses.packs.validating import check_question
from lms.config import LOCALES
from lms.i18n import gettext_if_request as _

#: Settings a new module starts with, so that it is valid as soon as it has texts.
DEFAULT_SETTINGS = {
    ModuleKind.LESSON: {},
    ModuleKind.QUIZ: {"grading": "highest", "show_answers": "always"},
    ModuleKind.ATTESTATION: {"document_version": "1"},
    ModuleKind.SEMINAR: {},
}


#: Cyrillic, with the Kazakh letters, in Latin: keys made from a question's text stay readable.
_LATIN = str.maketrans(
    dict(
        zip(
            "абвгдеёжзийклмнопрстуфхцчшщъыьэюяәғқңөұүһі",
            "a b v g d e yo zh z i y k l m n o p r s t u f kh ts ch sh shch  y  e yu ya a g q n o u u h i".split(" "),
            strict=True,
        )
    )
)
#: How many words of a question's text go into a key made from it.
KEY_WORDS = 5


class AuthoringError(ValueError):
    """A change the author asked for that cannot be made (the message says why)."""


def missing_locales(texts: dict | None) -> list[str]:
    """The languages a translatable text lacks, for the "missing translation" markers."""
    return [locale for locale in LOCALES if not (texts or {}).get(locale, "").strip()]


def texts_from(data: dict, name: str) -> dict:
    """``{locale: text}`` from form data named ``<name>_kk``, ``<name>_ru``, ``<name>_en`` (blanks left out)."""
    result = {}
    for locale in LOCALES:
        value = (data.get(f"{name}_{locale}") or "").replace("\r\n", "\n")
        if value.strip():
            result[locale] = value
    return result


def courses_query():
    """The newest version of every course, for the authoring list (one query a page)."""
    newest = select(Course.slug, func.max(Course.version).label("version")).group_by(Course.slug).subquery()
    return (
        select(Course)
        .join(newest, (Course.slug == newest.c.slug) & (Course.version == newest.c.version))
        .options(selectinload(Course.modules))
        .order_by(Course.slug)
    )


def versions_of(session: Session, slug: str) -> list[Course]:
    return list(session.scalars(select(Course).where(Course.slug == slug).order_by(Course.version.desc())))


def create_course(session: Session, slug: str, settings: dict) -> Course:
    """Start a new course as draft version 1."""
    if not SLUG_RE.match(slug or ""):
        raise AuthoringError(_("The slug must be lower-case letters, digits and hyphens."))
    if latest_version(session, slug):
        raise AuthoringError(_("A course with this slug exists already."))
    course = Course(slug=slug, version=1, status=CourseStatus.DRAFT)
    update_course(course, settings)
    session.add(course)
    session.flush()
    store_files(course, {})
    return course


def update_course(course: Course, settings: dict) -> None:
    """Set a draft's titles, description and grading settings."""
    _require_draft(course)
    course.title = settings["title"]
    course.description = settings["description"]
    course.default_locale = settings["default_locale"]
    course.audience_hint = settings["audience"]
    course.pass_mark = settings["pass_mark"]
    course.validity_months = settings.get("validity_months")
    course.remedial_after_failures = settings.get("remedial_after_failures")


def add_module(session: Session, course: Course, key: str, kind: str, title: dict) -> Module:
    """Append a module to a draft."""
    _require_draft(course)
    if not KEY_RE.match(key or ""):
        raise AuthoringError(_("The key must be lower-case letters, digits and hyphens."))
    if any(m.key == key for m in course.modules):
        raise AuthoringError(_("This course already has a module with this key."))
    module = Module(
        key=key,
        kind=kind,
        title=title,
        body={},
        settings=dict(DEFAULT_SETTINGS[ModuleKind(kind)]),
        position=len(course.modules),
    )
    course.modules.append(module)
    session.flush()
    return module


def update_module(module: Module, title: dict, body: dict, required: bool, settings: dict) -> None:
    """Save a module's texts and, for quizzes, attestations and seminars, its settings."""
    _require_draft(module.course)
    module.title = title
    module.required = required
    if module.kind == ModuleKind.QUIZ:
        lessons = {m.key for m in module.course.modules if m.kind == ModuleKind.LESSON}
        if settings.get("remedial_module") and settings["remedial_module"] not in lessons:
            raise AuthoringError(_("The module to re-read must be a lesson of this course."))
        module.settings = {k: v for k, v in settings.items() if v not in (None, "")}
    else:
        module.body = body
        if module.kind in (ModuleKind.ATTESTATION, ModuleKind.SEMINAR):
            module.settings = {k: v for k, v in settings.items() if v not in (None, "")}


def delete_module(session: Session, module: Module) -> None:
    course = module.course
    _require_draft(course)
    course.modules.remove(module)
    for position, item in enumerate(course.modules):
        item.position = position
    session.flush()


def reorder_modules(course: Course, order: list[int], move: str | None = None) -> None:
    """Put a draft's modules in ``order`` (module ids), after moving one up or down if asked.

    ``move`` is ``"<id>:up"`` or ``"<id>:down"`` (the buttons); ``order`` alone comes from dragging.
    """
    _require_draft(course)
    by_id = {m.id: m for m in course.modules}
    if sorted(order) != sorted(by_id):
        raise AuthoringError(_("The list of modules changed meanwhile; please try again."))
    if move:
        module_id, _sep, direction = move.partition(":")
        if not module_id.isdigit() or int(module_id) not in by_id or direction not in ("up", "down"):
            raise AuthoringError(_("Unknown move."))
        index = order.index(int(module_id))
        other = index - 1 if direction == "up" else index + 1
        if 0 <= other < len(order):
            order[index], order[other] = order[other], order[index]
    for position, module_id in enumerate(order):
        by_id[module_id].position = position
    course.modules.sort(key=lambda m: m.position)


def pool_summary(module: Module) -> list[dict]:
    """Each pool of a quiz: how many questions it holds, how many the quiz draws, and if that is too few."""
    sizes: dict[str, int] = {}
    for question in module.questions:
        sizes[question.pool] = sizes.get(question.pool, 0) + 1
    draws = {p["pool"]: p["draw"] for p in (module.settings or {}).get("pools", [])}
    return [
        {
            "pool": pool,
            "size": sizes.get(pool, 0),
            "draw": draws.get(pool),
            "short": sizes.get(pool, 0) < draws.get(pool, 0),
        }
        for pool in sorted(set(sizes) | set(draws))
    ]


def save_question(session: Session, module: Module, entry: dict, question: Question | None = None) -> Question:
    """Add or change a question of a draft's quiz after checking it by the pack rules."""
    _require_draft(module.course)
    if module.kind != ModuleKind.QUIZ:
        raise AuthoringError(_("Only a quiz has questions."))
    data, errors = check_question(entry, module.course.default_locale)
    errors += key_problems(module, entry.get("key"), question)
    if errors:
        raise AuthoringError("; ".join(errors))
    if question is None:
        question = Question(position=len(module.questions))
        module.questions.append(question)
    for field in ("key", "pool", "kind", "text", "options", "answer", "explanation", "points"):
        setattr(question, field, data[field])
    session.flush()
    return question


def delete_question(session: Session, question: Question) -> None:
    module = question.module
    _require_draft(module.course)
    module.questions.remove(question)
    for position, item in enumerate(module.questions):
        item.position = position
    session.flush()


def question_key(module: Module, text: dict, question: Question | None = None) -> str:
    """A key for a question the author left without one: the first words of its text, unique in the course.

    An existing question keeps its key, so statistics and exported packs go on naming it the same.
    """
    if question is not None and question.key:
        return question.key
    taken = {q.key for m in module.course.modules for q in m.questions}
    return key_from_text(text, module.course.default_locale, taken, "question")


def module_key(course: Course, title: dict) -> str:
    """A key for a new module the author left without one: the first words of its title."""
    return key_from_text(title, course.default_locale, {m.key for m in course.modules}, "module")


def key_from_text(texts: dict, main_locale: str, taken: set[str], fallback: str) -> str:
    """The first words of a text in Latin letters, joined by hyphens, made unique among ``taken``."""
    main = texts.get(main_locale) or next(iter(texts.values()), "")
    words = re.findall(r"[a-z0-9]+", main.lower().translate(_LATIN))
    base = "-".join(words[:KEY_WORDS])[:60].strip("-") or fallback
    key, number = base, 2
    while key in taken:
        key, number = f"{base}-{number}", number + 1
    return key


def key_problems(module: Module, key: str, question: Question | None = None) -> list[str]:
    """Why ``key`` cannot name this question: another question of the quiz has it already."""
    if any(q.key == key and q is not question for q in module.questions):
        return [_("Another question of this quiz has the key “%(key)s”: choose another or leave it empty.", key=key)]
    return []


def last_pool(module: Module) -> str:
    """The pool a new question starts in: that of the quiz's last question, else "main"."""
    return module.questions[-1].pool if module.questions else "main"


def _require_draft(course: Course) -> None:
    if course.status != CourseStatus.DRAFT:
        raise AuthoringError(_("A published version is frozen; edit its new draft instead."))
