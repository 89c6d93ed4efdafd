"""Builders for test data, each making a valid row with as little said as possible."""

import itertools

from sqlalchemy.orm import Session
from werkzeug.security import generate_password_hash

from lms.models import OrgUnit, PersonKind, User, UserRole

PASSWORD = "correct horse battery"
_PASSWORD_HASH = generate_password_hash(PASSWORD)
_seq = itertools.count(1)


class Builders:
    def __init__(self, session: Session):
        self.session = session

    def unit(self, code=None, parent=None, kind="department", **names) -> OrgUnit:
        n = next(_seq)
        code = code or f"U{n}"
        unit = OrgUnit(
            code=code,
            kind=kind,
            parent=parent,
            name={
                "kk": names.get("kk", f"{code} бөлімі"),
                "ru": names.get("ru", f"Отдел {code}"),
                "en": names.get("en", f"Unit {code}"),
            },
        )
        self.session.add(unit)
        self.session.flush()
        unit.path = (parent.path if parent else "/") + f"{unit.id}/"
        self.session.commit()
        return unit

    def user(
        self,
        email=None,
        *,
        roles=(),
        kind=PersonKind.STUDENT,
        locale="en",
        unit=None,
        password=True,
        active=True,
        **fields,
    ) -> User:
        n = next(_seq)
        user = User(
            email=email or f"person{n}@example.kz",
            full_name=fields.pop("full_name", f"Person {n}"),
            kind=kind,
            locale=locale,
            org_unit=unit,
            active=active,
            password_hash=_PASSWORD_HASH if password else None,
            **fields,
        )
        for role in roles:
            user.roles.append(UserRole(role=role))
        self.session.add(user)
        self.session.commit()
        return user
