"""Builders for learning tests: a published course with lessons, a quiz and an attestation, and enrolments.

Other test modules import these; keep the signatures stable.
"""

import itertools

from sqlalchemy.orm import Session

from courses.models import Course, CourseStatus, Enrolment, Module, ModuleKind, Question, QuizAttempt
from courses.questions import field_name
from lms.database import utcnow
from lms.models import User

_seq = itertools.count(1)
KINDS = ("single", "multiple", "truefalse", "ordering", "matching")


def _tr(text: str) -> dict:
    return {"kk": f"{text} (kk)", "ru": f"{text} (ru)", "en": text}


def make_question(n: int, kind: str, pool: str = "main") -> Question:
    """A question of ``kind`` whose correct answer is easy to state (see ``answer_form``)."""
    options = [{"id": oid, "text": _tr(f"Option {oid} of {n}")} for oid in ("a", "b", "c")]
    answer = {"single": "b", "multiple": ["a", "c"], "truefalse": True, "ordering": ["c", "a", "b"], "matching": {}}
    if kind == "truefalse":
        options = []
    if kind == "matching":
        options = [dict(o, match=_tr(f"Partner {o['id']} of {n}")) for o in options]
    return Question(
        key=f"q{n}",
        pool=pool,
        position=n,
        kind=kind,
        text=_tr(f"Question {n} ({kind})"),
        options=options,
        answer=answer[kind],
        explanation=_tr(f"Because of rule {n}"),
    )


def build_course(
    session: Session,
    *,
    slug: str | None = None,
    lessons: int = 1,
    quiz: bool = True,
    kinds: tuple[str, ...] = KINDS,
    quiz_settings: dict | None = None,
    attestation: bool = False,
    attestation_settings: dict | None = None,
    default_locale: str = "en",
    lesson_body: dict | None = None,
    pass_mark: int = 70,
    validity_months: int | None = None,
    remedial_after_failures: int | None = None,
    status: str = CourseStatus.PUBLISHED,
) -> Course:
    """A course: ``lessons`` lessons (keys ``lesson-1``…), then a quiz (``quiz``) of one question per
    kind in pool ``main``, then maybe an attestation (``code``); committed."""
    n = next(_seq)
    course = Course(
        slug=slug or f"course-{n}",
        version=1,
        status=status,
        default_locale=default_locale,
        title=_tr(f"Course {n}"),
        description=_tr("About integrity"),
        pass_mark=pass_mark,
        validity_months=validity_months,
        remedial_after_failures=remedial_after_failures,
        published_at=utcnow() if status == CourseStatus.PUBLISHED else None,
    )
    position = itertools.count(1)
    for i in range(1, lessons + 1):
        course.modules.append(
            Module(
                key=f"lesson-{i}",
                position=next(position),
                kind=ModuleKind.LESSON,
                title=_tr(f"Lesson {i}"),
                body=lesson_body or _tr(f"## Lesson {i}\n\nRead this carefully."),
            )
        )
    if quiz:
        module = Module(
            key="quiz",
            position=next(position),
            kind=ModuleKind.QUIZ,
            title=_tr("Final quiz"),
            settings=quiz_settings or {},
        )
        module.questions = [make_question(i, kind) for i, kind in enumerate(kinds, 1)]
        course.modules.append(module)
    if attestation:
        course.modules.append(
            Module(
                key="code",
                position=next(position),
                kind=ModuleKind.ATTESTATION,
                title=_tr("The code of ethics"),
                body=_tr("## The code\n\nBe honest."),
                settings=attestation_settings or {"document_version": "2026-1"},
            )
        )
    session.add(course)
    session.commit()
    return course


def module_of(course: Course, key: str) -> Module:
    return next(m for m in course.modules if m.key == key)


def enrol(session: Session, user: User, course: Course, due_at=None, cycle: int = 1) -> Enrolment:
    """An enrolment of ``user`` in ``course`` made directly (no assignment); committed."""
    enrolment = Enrolment(user_id=user.id, course_id=course.id, course_slug=course.slug, cycle=cycle, due_at=due_at)
    session.add(enrolment)
    session.commit()
    return enrolment


def _wrong(kind: str, key):
    if kind == "single":
        return "a"
    if kind == "multiple":
        return ["b"]
    if kind == "truefalse":
        return not key
    if kind == "ordering":
        return list(reversed(key))
    return {"a": "b", "b": "c", "c": "a"}


def answer_form(session: Session, attempt: QuizAttempt, correct: bool = True) -> dict:
    """Form data answering every drawn question, all right or all wrong (for builders' questions)."""
    data: dict[str, object] = {}
    for entry in attempt.draw:
        question = session.get(Question, entry["question_id"])
        key = {"matching": {"a": "a", "b": "b", "c": "c"}}.get(question.kind, question.answer)
        given = key if correct else _wrong(question.kind, key)
        if question.kind in ("single", "multiple"):
            data[field_name(question.id)] = given
        elif question.kind == "truefalse":
            data[field_name(question.id)] = "true" if given else "false"
        elif question.kind == "ordering":
            for rank, oid in enumerate(given, 1):
                data[field_name(question.id, oid)] = str(rank)
        else:
            places = {oid: str(place) for place, oid in enumerate(entry["options"], 1)}
            for left, right in given.items():
                data[field_name(question.id, left)] = places[right]
    return data
