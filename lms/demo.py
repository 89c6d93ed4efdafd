"""The demo university: a few units, about 70 people, and one of each office role.

Features add their own demo data (courses, campaign templates) with ``add_demo_seeder``.
"""

import random
from collections.abc import Callable

from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from werkzeug.security import generate_password_hash

from lms.models import OrgUnit, PersonKind, Role, User, UserRole

DEMO_DOMAIN = "demo.metu.kz"
LEARNER_PASSWORD = "adal-learner"  # noqa: S105 (demo only, printed for the newcomer)
OFFICE_ACCOUNTS = [
    # (e-mail, name, role, password)
    ("officer@demo.metu.kz", "Айгерим Сапарова", Role.OFFICER, "adal-officer"),
    ("author@demo.metu.kz", "Ольга Ким", Role.AUTHOR, "adal-author"),
    ("admin@demo.metu.kz", "Daniyar Abenov", Role.ADMIN, "adal-admin"),
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
    ("ADM", "METU", "department", "Әкімшілік", "Администрация", "Administration"),
]

KAZAKH = (
    [
        "Айдана",
        "Нұрлан",
        "Әсем",
        "Ерлан",
        "Дана",
        "Бауыржан",
        "Жансая",
        "Асқар",
        "Гүлнұр",
        "Мәди",
        "Аружан",
        "Ерасыл",
        "Томирис",
        "Арман",
        "Меруерт",
    ],
    [
        "Серікқызы",
        "Қасымов",
        "Омарова",
        "Жұмабаев",
        "Төлеуова",
        "Сейітов",
        "Әбдірахманова",
        "Нұрланұлы",
        "Бекова",
        "Ахметов",
    ],
)
RUSSIAN = (
    ["Анна", "Дмитрий", "Екатерина", "Сергей", "Мария", "Алексей", "Ирина", "Павел"],
    ["Иванова", "Петров", "Смирнова", "Ковалёв", "Морозова", "Волков", "Лебедева", "Соколов"],
)
ENGLISH = (["Emily", "James", "Sofia", "Daniel", "Grace"], ["Walker", "Hughes", "Reed", "Foster", "Bennett"])

_seeders: list[Callable[[Session], None]] = []


def add_demo_seeder(seeder: Callable[[Session], None]) -> None:
    """Let a feature add its demo data after the people exist (runs once per ``seed``)."""
    if seeder not in _seeders:
        _seeders.append(seeder)


def database_is_empty(session: Session) -> bool:
    return not session.scalar(select(func.count()).select_from(User))


def seed(session: Session) -> None:
    """Create the demo units, people and office accounts, then each feature's demo data."""
    rng = random.Random(2026)
    units = _seed_units(session)
    learner_hash = generate_password_hash(LEARNER_PASSWORD)
    departments = [u for u in units.values() if u.kind == "department" and u.code != "ADM"]
    for i in range(50):
        locale, (first, last) = _pick_name(rng, i)
        unit = departments[i % len(departments)]
        session.add(
            User(
                email=f"student{i + 1:02d}@{DEMO_DOMAIN}",
                full_name=f"{first} {last}",
                kind=PersonKind.STUDENT,
                locale=locale,
                org_unit=unit,
                study_group=f"{unit.code}-2{i % 4 + 1}",
                password_hash=learner_hash,
            )
        )
    positions = ["Senior lecturer", "Associate professor", "Accountant", "Lab engineer", "Dean's office clerk"]
    for i in range(20):
        locale, (first, last) = _pick_name(rng, i + 3)
        unit = [*departments, units["ADM"]][i % (len(departments) + 1)]
        session.add(
            User(
                email=f"staff{i + 1:02d}@{DEMO_DOMAIN}",
                full_name=f"{first} {last}",
                kind=PersonKind.STAFF,
                locale=locale,
                org_unit=unit,
                position=positions[i % len(positions)],
                password_hash=learner_hash,
            )
        )
    for email, name, role, password in OFFICE_ACCOUNTS:
        person = User(
            email=email,
            full_name=name,
            kind=PersonKind.STAFF,
            locale="ru",
            org_unit=units["ADM"],
            position="Compliance service",
            password_hash=generate_password_hash(password),
        )
        person.roles.append(UserRole(role=role))
        session.add(person)
    session.flush()
    for seeder in _seeders:
        seeder(session)


def _seed_units(session: Session) -> dict[str, OrgUnit]:
    units: dict[str, OrgUnit] = {}
    for code, parent, kind, kk, ru, en in UNITS:
        unit = OrgUnit(code=code, kind=kind, name={"kk": kk, "ru": ru, "en": en}, parent=units.get(parent))
        session.add(unit)
        session.flush()
        unit.path = (units[parent].path if parent else "/") + f"{unit.id}/"
        units[code] = unit
    return units


def _pick_name(rng: random.Random, i: int) -> tuple[str, tuple[str, str]]:
    """Mostly Kazakh names with Kazakh interface, some Russian, a few English."""
    locale, (firsts, lasts) = [("kk", KAZAKH), ("kk", KAZAKH), ("ru", RUSSIAN), ("kk", KAZAKH), ("en", ENGLISH)][i % 5]
    return locale, (rng.choice(firsts), rng.choice(lasts))


def logins_text() -> str:
    base = current_app.config["ADAL_BASE_URL"]
    lines = [f"Adal demo at {base}/ — sign in as:"]
    lines += [f"  {role.value:8} {email:28} password: {password}" for email, _n, role, password in OFFICE_ACCOUNTS]
    lines.append(
        f"  learner  student01@{DEMO_DOMAIN} (… student50), staff01@{DEMO_DOMAIN} (… staff20)"
        f"  password: {LEARNER_PASSWORD}"
    )
    return "\n".join(lines)
