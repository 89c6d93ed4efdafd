"""The demo university: four faculties, about 420 people, one of each office role, a head per faculty.

Names are written as Kazakhstan's lists and documents write them, "Surname First Patronymic", each
person of one gender throughout (``lms.demo.names``).

Who joined when (``User.created_at``) is part of the story the courses' demo tells: students by
year of study, staff by year of hiring, a few newcomers in the last weeks.

Features add their own demo data (courses, progress, campaign templates) with ``add_demo_seeder``.
"""

import random
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import NamedTuple

from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from werkzeug.security import generate_password_hash

from lms.database import utcnow
from lms.demo.names import (
    ACADEMIC_POSITIONS,
    ADMINISTRATIVE_POSITIONS,
    DEAN,
    STAFF_ORIGINS,
    STUDENT_ORIGINS,
    make_name,
    pick_origin,
    position_in,
)
from lms.models import OrgUnit, PersonKind, Role, User, UserRole
from lms.office_settings import DEFAULT_CONTACTS

DEMO_DOMAIN = "demo.metu.kz"
LEARNER_PASSWORD = "adal-demo-learner"  # noqa: S105 (demo only, printed for the newcomer)
HEAD_PASSWORD = "adal-demo-head"  # noqa: S105 (demo only, printed for the newcomer)
#: Where the academic year began, in days before the seeding: the demo stays "mid-semester" whenever it runs.
YEAR_STARTED_DAYS = 91
STUDENTS_PER_DEPARTMENT = 40
STAFF_PER_UNIT = 9


class OfficeAccount(NamedTuple):
    email: str
    name: str
    role: Role
    password: str
    locale: str
    position: str


OFFICE_ACCOUNTS = [
    # The compliance officer is the one the office's contacts name in every footer and e-mail.
    OfficeAccount(
        "officer@demo.metu.kz",
        DEFAULT_CONTACTS["officer"]["ru"],
        Role.OFFICER,
        "adal-demo-officer",
        "ru",
        "Комплаенс-офицер",
    ),
    OfficeAccount(
        "author@demo.metu.kz",
        "Ким Ольга Викторовна",
        Role.AUTHOR,
        "adal-demo-author",
        "ru",
        "Методист комплаенс-службы",
    ),
    OfficeAccount(
        "admin@demo.metu.kz", "Абенов Данияр Серікұлы", Role.ADMIN, "adal-demo-admin", "kk", "Жүйелік әкімші"
    ),
]

UNITS = [
    # (code, parent, kind, kk, ru, en)
    ("METU", None, "university", "METU университеті", "Университет METU", "METU University"),
    (
        "FIT",
        "METU",
        "faculty",
        "Ақпараттық технологиялар факультеті",
        "Факультет информационных технологий",
        "Faculty of Information Technology",
    ),
    (
        "FIT-CS",
        "FIT",
        "department",
        "Компьютерлік ғылымдар кафедрасы",
        "Кафедра компьютерных наук",
        "Department of Computer Science",
    ),
    (
        "FIT-IS",
        "FIT",
        "department",
        "Ақпараттық жүйелер кафедрасы",
        "Кафедра информационных систем",
        "Department of Information Systems",
    ),
    (
        "FEB",
        "METU",
        "faculty",
        "Экономика және бизнес факультеті",
        "Факультет экономики и бизнеса",
        "Faculty of Economics and Business",
    ),
    ("FEB-FIN", "FEB", "department", "Қаржы кафедрасы", "Кафедра финансов", "Department of Finance"),
    ("FEB-ECO", "FEB", "department", "Экономика кафедрасы", "Кафедра экономики", "Department of Economics"),
    ("FEN", "METU", "faculty", "Инженерия факультеті", "Инженерный факультет", "Faculty of Engineering"),
    ("FEN-CE", "FEN", "department", "Құрылыс кафедрасы", "Кафедра строительства", "Department of Civil Engineering"),
    (
        "FEN-PE",
        "FEN",
        "department",
        "Электр энергетикасы кафедрасы",
        "Кафедра электроэнергетики",
        "Department of Power Engineering",
    ),
    (
        "FLH",
        "METU",
        "faculty",
        "Құқық және гуманитарлық ғылымдар факультеті",
        "Факультет права и гуманитарных наук",
        "Faculty of Law and Humanities",
    ),
    ("FLH-LAW", "FLH", "department", "Құқықтану кафедрасы", "Кафедра юриспруденции", "Department of Law"),
    (
        "FLH-LNG",
        "FLH",
        "department",
        "Шетел тілдері кафедрасы",
        "Кафедра иностранных языков",
        "Department of Foreign Languages",
    ),
    ("ADM", "METU", "department", "Әкімшілік", "Администрация", "Administration"),
]


# --- Seeding ------------------------------------------------------------------------------------

_seeders: list[Callable[[Session], None]] = []


def add_demo_seeder(seeder: Callable[[Session], None]) -> None:
    """Let a feature add its demo data after the people exist (runs once per ``seed``)."""
    if seeder not in _seeders:
        _seeders.append(seeder)


def database_is_empty(session: Session) -> bool:
    return not session.scalar(select(func.count()).select_from(User))


def seed(session: Session) -> None:
    """Create the demo units, people, office accounts and unit heads, then each feature's demo data."""
    rng = random.Random(2026)
    now = utcnow()
    units = _seed_units(session)
    learner_hash = generate_password_hash(LEARNER_PASSWORD)
    taken: set[str] = set()

    def person(email, kind, unit, origins, created_at, **fields) -> User:
        female = rng.random() < 0.5
        for _ in range(20):  # the same full name twice would confuse a demo
            name, locale = make_name(rng, pick_origin(rng, origins), female)
            if name not in taken:
                break
        taken.add(name)
        user = User(
            email=email,
            full_name=name,
            kind=kind,
            locale=locale,
            org_unit=unit,
            created_at=created_at,
            password_hash=learner_hash,
            **fields,
        )
        session.add(user)
        return user

    departments = [u for u in units.values() if u.kind == "department" and u.code != "ADM"]
    number = 0
    for slot in range(STUDENTS_PER_DEPARTMENT):
        for unit in departments:
            number += 1
            newcomer = slot >= STUDENTS_PER_DEPARTMENT - 2 and number % 2 == 1
            joined = _student_joined(rng, now, year=slot % 4 + 1, newcomer=newcomer)
            person(
                f"student{number:02d}@{DEMO_DOMAIN}",
                PersonKind.STUDENT,
                unit,
                STUDENT_ORIGINS,
                joined,
                study_group=f"{unit.code}-{joined.year % 100:02d}-{slot % 2 + 1}",
            )
    number = 0
    for slot in range(STAFF_PER_UNIT):
        for unit in [*departments, units["ADM"]]:
            number += 1
            titles = ADMINISTRATIVE_POSITIONS if unit.code == "ADM" else ACADEMIC_POSITIONS
            user = person(
                f"staff{number:02d}@{DEMO_DOMAIN}",
                PersonKind.STAFF,
                unit,
                STAFF_ORIGINS,
                _staff_joined(rng, now, newcomer=slot == STAFF_PER_UNIT - 1 and number % 3 == 0),
            )
            user.position = position_in(titles[(number + slot) % len(titles)], user.locale)
    for account in OFFICE_ACCOUNTS:
        user = User(
            email=account.email,
            full_name=account.name,
            kind=PersonKind.STAFF,
            locale=account.locale,
            org_unit=units["ADM"],
            position=account.position,
            created_at=now - timedelta(days=3 * 365),
            password_hash=generate_password_hash(account.password),
        )
        user.roles.append(UserRole(role=account.role))
        session.add(user)
    head_hash = generate_password_hash(HEAD_PASSWORD)
    for faculty in faculties(units):
        head = person(
            head_email(faculty),
            PersonKind.STAFF,
            faculty,
            STAFF_ORIGINS[:3],  # deans of a Kazakh university: Kazakh or Russian names
            now - timedelta(days=rng.randint(4, 12) * 365),
        )
        head.password_hash = head_hash
        head.position = position_in(DEAN, head.locale)
        head.roles.append(UserRole(role=Role.OFFICER, scope_unit_id=faculty.id))
    session.flush()
    for seeder in _seeders:
        seeder(session)


def faculties(units: dict[str, OrgUnit]) -> list[OrgUnit]:
    return [u for u in units.values() if u.kind == "faculty"]


def head_email(faculty: OrgUnit) -> str:
    """The sign-in of a faculty's unit head: ``head.fit@demo.metu.kz``."""
    return f"head.{faculty.code.lower()}@{DEMO_DOMAIN}"


def _student_joined(rng: random.Random, now: datetime, year: int, newcomer: bool) -> datetime:
    """Students arrive at the start of their first academic year; a few transfer in during the last weeks."""
    if newcomer:
        return now - timedelta(days=rng.uniform(2, 25))
    return now - timedelta(days=YEAR_STARTED_DAYS + 365 * (year - 1) + rng.uniform(0, 3))


def _staff_joined(rng: random.Random, now: datetime, newcomer: bool) -> datetime:
    """Staff hired over the last years, some during the last year, a few in the last weeks."""
    if newcomer:
        return now - timedelta(days=rng.uniform(3, 28))
    if rng.random() < 0.2:
        return now - timedelta(days=rng.uniform(160, 420))
    return now - timedelta(days=rng.uniform(2, 15) * 365)


def _seed_units(session: Session) -> dict[str, OrgUnit]:
    units: dict[str, OrgUnit] = {}
    for code, parent, kind, kk, ru, en in UNITS:
        unit = OrgUnit(code=code, kind=kind, name={"kk": kk, "ru": ru, "en": en}, parent=units.get(parent))
        session.add(unit)
        session.flush()
        unit.path = (units[parent].path if parent else "/") + f"{unit.id}/"
        units[code] = unit
    return units


def logins_text() -> str:
    base = current_app.config["ADAL_BASE_URL"]
    students = len([u for u in UNITS if u[2] == "department" and u[0] != "ADM"]) * STUDENTS_PER_DEPARTMENT
    staff = len([u for u in UNITS if u[2] == "department"]) * STAFF_PER_UNIT
    heads = [code.lower() for code, _p, kind, *_names in UNITS if kind == "faculty"]
    lines = [f"Adal demo at {base}/ — sign in as:"]
    lines += [f"  {a.role.value:9} {a.email:28} password: {a.password}" for a in OFFICE_ACCOUNTS]
    others = ", ".join(f"head.{code}@" for code in heads[1:])
    lines.append(
        f"  {'unit head':9} {f'head.{heads[0]}@{DEMO_DOMAIN}':28} password: {HEAD_PASSWORD}"
        f"  (a dean: one faculty only; also {others})"
    )
    lines.append(
        f"  learner   student01@{DEMO_DOMAIN} (… student{students}), staff01@{DEMO_DOMAIN} (… staff{staff})"
        f"  password: {LEARNER_PASSWORD}"
    )
    return "\n".join(lines)
