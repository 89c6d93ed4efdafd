"""A generated university of any size with known answers, for the dashboard's tests and benchmark.

Rows are written in bulk, shaped as the real code writes them, with the driver's ``executemany``
and each distinct time and JSON value converted once: the benchmark's 50,000 people and 300,000
enrolments take under a minute (SQLAlchemy's per-row conversion took minutes; PostgreSQL's COPY
would save only a quarter). The rows are: units
in a tree, people in departments, courses with a quiz and an attestation, assignments,
enrolments in every state over the last weeks (some in a second cycle, some cancelled, some of
deactivated people), quiz attempts with answers and results in the language answered, signatures of
the code of ethics (current and older versions) and certificates of the completed.
"""

from __future__ import annotations

import itertools
import json
import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import JSON, select, text
from sqlalchemy.orm import Session

from courses.models import (
    Assignment,
    Attestation,
    Certificate,
    Enrolment,
    EnrolmentStatus,
    ModuleProgress,
    QuizAttempt,
)
from lms.database import utcnow
from lms.models import OrgUnit, PersonKind, User
from tests.courses.builders import build_course, module_of

BATCH = 5000
LOCALES = ("kk", "ru", "en")


@dataclass
class University:
    """What was generated: the ids a test or benchmark needs to look things up."""

    now: datetime
    root: OrgUnit
    faculties: list[OrgUnit]
    departments: list[OrgUnit]
    slugs: list[str]
    quiz_module_ids: dict[str, int] = field(default_factory=dict)
    people: int = 0
    enrolments: int = 0
    attempts: int = 0


def generate(
    session: Session,
    people: int,
    courses: int = 2,
    faculties: int = 3,
    departments: int = 3,
    seed: int = 9,
    now: datetime | None = None,
    attempts: bool = True,
    absent: float = 0.1,
    questions: int = 2,
) -> University:
    """Make a university of ``people`` learners, each enrolled in most of ``courses`` courses.

    ``absent``: the share of people not enrolled in a course (drawn per course); ``questions``: how
    many questions each quiz has (a single choice, then true/false ones), every attempt draws them all.
    """
    rng = random.Random(seed)
    now = now or utcnow()
    root = _unit(session, "UNI", None, "university")
    faculty_units = [_unit(session, f"F{f}", root, "faculty") for f in range(faculties)]
    department_units = [
        _unit(session, f"F{f}-D{d}", faculty, "department")
        for f, faculty in enumerate(faculty_units)
        for d in range(departments)
    ]
    session.commit()
    kinds = ("single",) + ("truefalse",) * (questions - 1)
    built = [build_course(session, slug=f"mandatory-{c}", kinds=kinds, attestation=c == 0) for c in range(courses)]
    uni = University(now, root, faculty_units, department_units, [course.slug for course in built])
    for course in built:
        session.add(Assignment(course_slug=course.slug, audience={"kind": "all"}, due_days=30))
        uni.quiz_module_ids[course.slug] = module_of(course, "quiz").id
    session.commit()
    first_id = (session.scalar(select(User.id).order_by(User.id.desc()).limit(1)) or 0) + 1
    _bulk(
        session,
        User,
        (
            {
                "id": first_id + i,
                "email": f"gen{seed}-{i}@uni.example",
                "full_name": f"Person {i:06d}",
                "kind": PersonKind.STUDENT if i % 4 else PersonKind.STAFF,
                "locale": LOCALES[i % 3],
                "org_unit_id": department_units[i % len(department_units)].id,
                "active": i % 50 != 7,  # one in fifty has left
                "created_at": now - timedelta(days=200),
            }
            for i in range(people)
        ),
    )
    uni.people = people
    for course in built:
        _enrol_everyone(session, rng, uni, course, first_id, people, attempts, absent)
    _advance_sequences(session, (User, Enrolment))
    session.commit()
    return uni


def _unit(session: Session, code: str, parent: OrgUnit | None, kind: str) -> OrgUnit:
    unit = OrgUnit(code=code, kind=kind, parent=parent, name={"kk": f"{code} (kk)", "ru": f"{code} (ru)", "en": code})
    session.add(unit)
    session.flush()
    unit.path = (parent.path if parent else "/") + f"{unit.id}/"
    return unit


def _bulk(session: Session, model, rows) -> None:
    """Insert ``rows`` (dicts with the same keys) into ``model``'s table, past SQLAlchemy's per-row work.

    Each value goes through the column type's own bind processor, so it is stored exactly as an ORM
    insert would store it; times and JSON values repeat a lot here, so each distinct one is converted
    once (JSON by identity: pass the same object for the same value).
    """
    rows = iter(rows)
    first = next(rows, None)
    if first is None:
        return
    conn = session.connection()
    dialect = conn.dialect
    table = model.__table__
    names = list(first)
    convert = [_converter(table.c[name].type, dialect) for name in names]
    # Columns the rows leave out get their Python-side default, as Core's insert would (a callable
    # one, such as ``utcnow``, is called once for the whole call).
    defaults = {
        c.name: c.default.arg if c.default.is_scalar else c.default.arg(None)
        for c in table.c
        if c.name not in first and c.default is not None
    }
    fixed = tuple(_converter(table.c[name].type, dialect)(value) for name, value in defaults.items())
    quote = dialect.identifier_preparer.quote
    columns = ", ".join(quote(name) for name in (*names, *defaults))

    def tuples():
        for row in itertools.chain((first,), rows):
            yield tuple(f(row[name]) for f, name in zip(convert, names, strict=True)) + fixed

    marks = ", ".join("?" if dialect.paramstyle == "qmark" else "%s" for _ in (*names, *defaults))
    sql = f"INSERT INTO {quote(table.name)} ({columns}) VALUES ({marks})"  # noqa: S608 (column names)
    batch = []
    for values in tuples():
        batch.append(values)
        if len(batch) >= BATCH:
            conn.exec_driver_sql(sql, batch)
            batch = []
    if batch:
        conn.exec_driver_sql(sql, batch)


def _converter(type_, dialect):
    """A function giving the driver's value for a column of ``type_``; memoized for times and JSON."""
    process = type_._cached_bind_processor(dialect)
    if isinstance(type_, JSON):
        dumps = dialect._json_serializer or json.dumps
        seen: dict[int, tuple] = {}

        def json_value(value):
            if value is None:
                return None
            hit = seen.get(id(value))
            if hit is None:
                hit = seen[id(value)] = (value, dumps(value))  # keeps ``value`` alive, so its id stays its own
            return hit[1]

        return json_value
    if _python_type(type_) is datetime:
        memo: dict = {}

        def time_value(value):
            if value is None:
                return None
            hit = memo.get(value)
            if hit is None:
                hit = memo[value] = process(value) if process else value
            return hit

        return time_value
    if process is None:
        return lambda value: value
    return lambda value: None if value is None else process(value)


def _python_type(type_):
    type_ = getattr(type_, "impl_instance", type_)  # a TypeDecorator's stored type
    try:
        return type_.python_type
    except NotImplementedError:
        return None


def _advance_sequences(session: Session, models) -> None:
    """PostgreSQL: move the id sequences past the ids written here, so later inserts get fresh ids."""
    if session.get_bind().dialect.name != "postgresql":
        return
    for model in models:
        table = model.__table__.name
        session.execute(
            text(f"SELECT setval(pg_get_serial_sequence(:table, 'id'), (SELECT max(id) FROM \"{table}\"))"),  # noqa: S608
            {"table": f'"{table}"'},
        )


def _enrol_everyone(session, rng, uni, course, first_id, people, with_attempts, absent) -> None:
    """All but ``absent`` of the people enrolled; states over 20 weeks; some in a second cycle, some cancelled."""
    now = uni.now
    quiz = module_of(course, "quiz")
    questions = [q.id for q in quiz.questions]
    code = next((m for m in course.modules if m.key == "code"), None)
    first_enrolment = (session.scalar(select(Enrolment.id).order_by(Enrolment.id.desc()).limit(1)) or 0) + 1
    enrolments, progress, attempts, attestations, certificates = [], [], [], [], []
    shapes: dict = {}  # attempts with the same answers share their JSON values (written once each)
    eid = first_enrolment
    for i in range(people):
        if rng.random() < absent:
            continue
        user_id = first_id + i
        enrolled = now - timedelta(days=rng.randint(10, 150))
        cycles = 2 if rng.random() < 0.05 else 1
        for cycle in range(1, cycles + 1):
            latest = cycle == cycles
            roll = rng.random()
            due = enrolled + timedelta(days=rng.choice((20, 60, 140)))
            row = {
                "id": eid,
                "user_id": user_id,
                "course_id": course.id,
                "course_slug": course.slug,
                "cycle": cycle,
                "enrolled_at": enrolled,
                "due_at": due,
                "status": EnrolmentStatus.NOT_STARTED,
                "started_at": None,
                "completed_at": None,
                "score": None,
            }
            if not latest or roll < 0.55:
                done = min(now - timedelta(minutes=5), enrolled + timedelta(days=rng.randint(0, 120)))
                row |= {"status": EnrolmentStatus.COMPLETED, "started_at": enrolled, "completed_at": done, "score": 80}
            elif roll < 0.8:
                row |= {"status": EnrolmentStatus.IN_PROGRESS, "started_at": enrolled + timedelta(days=1)}
            elif roll < 0.83:
                row["status"] = EnrolmentStatus.CANCELLED
            enrolments.append(row)
            started = row.get("started_at")
            if started is not None and with_attempts:
                for number in range(1, rng.choice((1, 1, 2, 3)) + 1):
                    attempts.append(_attempt(rng, eid, quiz.id, questions, number, started, user_id, shapes))
                progress.append(
                    {"enrolment_id": eid, "module_id": quiz.id, "failures": 0, "completed_at": row.get("completed_at")}
                )
            if code is not None and started is not None:
                version = "2026-1" if row["status"] == EnrolmentStatus.COMPLETED else "2025-1"
                attestations.append(
                    {
                        "enrolment_id": eid,
                        "user_id": user_id,
                        "module_id": code.id,
                        "document_version": version,
                        "document_sha256": "0" * 64,
                        "locale": LOCALES[user_id % 3],
                        "accepted_at": started,
                    }
                )
            if row["status"] == EnrolmentStatus.COMPLETED:
                certificates.append(
                    {
                        "code": f"GEN-{course.id}-{eid}",
                        "enrolment_id": eid,
                        "user_id": user_id,
                        "course_id": course.id,
                        "holder_name": f"Person {i:06d}",
                        "score": 80,
                        "locale": "kk",
                        "issued_at": row["completed_at"],
                    }
                )
            eid += 1
            enrolled = enrolled + timedelta(days=5)
    for model, rows in (
        (Enrolment, enrolments),
        (ModuleProgress, progress),
        (QuizAttempt, attempts),
        (Attestation, attestations),
        (Certificate, certificates),
    ):
        _bulk(session, model, rows)
    uni.enrolments += len(enrolments)
    uni.attempts += len(attempts)


def _attempt(rng, enrolment_id, module_id, questions, number, started, user_id, shapes) -> dict:
    """A submitted attempt: the second question is one Russian readers get wrong far more often."""
    locale = LOCALES[user_id % 3]
    rights = tuple(
        rng.random() > (0.8 if (position == 1 and locale == "ru") else 0.2) for position in range(len(questions))
    )
    shape = shapes.get(rights)
    if shape is None:
        results, answers = {}, {}
        for position, (qid, right) in enumerate(zip(questions, rights, strict=True)):
            results[str(qid)] = {"correct": right, "points": 1.0 if right else 0.0}
            answers[str(qid)] = ("b" if right else "a") if position == 0 else right
        score = round(100 * sum(r["points"] for r in results.values()) / len(questions))
        draw = shapes.get("draw") or shapes.setdefault(
            "draw", [{"question_id": qid, "options": ["a", "b", "c"]} for qid in questions]
        )
        shape = shapes[rights] = (draw, answers, results, score)
    draw, answers, results, score = shape
    return {
        "enrolment_id": enrolment_id,
        "module_id": module_id,
        "number": number,
        "seed": 1,
        "draw": draw,
        "started_at": started,
        "submitted_at": started + timedelta(minutes=10),
        "answers": answers,
        "results": results,
        "score": score,
        "passed": score >= 70,
        "locale": locale,
    }
