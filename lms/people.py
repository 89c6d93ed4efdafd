"""Queries and changes on people for the office: the list, edits, roles, deactivation."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import exists, or_, select
from sqlalchemy.orm import Session, joinedload

from lms import audit
from lms.models import OrgUnit, Role, User, UserRole
from lms.permissions import people_in_scope, scope_paths


@dataclass
class PeopleFilter:
    """What the office list is narrowed to; empty fields do not narrow."""

    q: str = ""
    unit_id: int | None = None
    kind: str = ""
    role: str = ""
    active: str = "yes"  #: "yes", "no" or "" (everyone)


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def people_query(session: Session, viewer: User, filters: PeopleFilter):
    """The select behind the office list: filtered, limited to the viewer's units, by name."""
    query = select(User).options(joinedload(User.org_unit)).order_by(User.full_name, User.id)
    query = query.where(people_in_scope(scope_paths(viewer)))
    if filters.q:
        # SQLite folds only ASCII case, so a Cyrillic name is also tried as typed and capitalised.
        text = filters.q.strip()
        patterns = {f"%{_escape_like(v)}%" for v in (text, text.lower(), text.title())}
        conditions = [User.full_name.ilike(p, escape="\\") for p in patterns]
        conditions.append(User.email.like(f"%{_escape_like(text.lower())}%", escape="\\"))
        query = query.where(or_(*conditions))
    if filters.unit_id:
        unit = session.get(OrgUnit, filters.unit_id)
        query = query.where(people_in_scope([unit.path] if unit else []))
    if filters.kind:
        query = query.where(User.kind == filters.kind)
    if filters.role:
        query = query.where(exists().where(UserRole.user_id == User.id, UserRole.role == filters.role))
    if filters.active in ("yes", "no"):
        query = query.where(User.active.is_(filters.active == "yes"))
    return query


def units_for(session: Session, viewer: User) -> list[OrgUnit]:
    """The org units the viewer may file people under, in tree order."""
    query = select(OrgUnit).order_by(OrgUnit.path)
    paths = scope_paths(viewer)
    if paths is not None and not viewer.has_role(Role.ADMIN):
        if not paths:
            return []
        query = query.where(or_(*(OrgUnit.path.startswith(p, autoescape=True) for p in paths)))
    return list(session.scalars(query))


PERSON_FIELDS = ("full_name", "kind", "org_unit_id", "study_group", "position", "locale")


def update_person(session: Session, person: User, data: dict) -> list[str]:
    """Change the person's details; audits and returns the names of the fields that changed."""
    changed = [name for name in PERSON_FIELDS if name in data and getattr(person, name) != data[name]]
    for name in changed:
        setattr(person, name, data[name])
    if changed:
        audit.record(session, "people.update", person, details={"fields": ",".join(changed)})
    session.flush()
    return changed


class RoleChangeRefused(Exception):
    """A role change the actor may not make; the message says why."""


def set_roles(session: Session, person: User, wanted: set[str], actor: User) -> tuple[set[str], set[str]]:
    """Give ``person`` exactly the roles ``wanted``; each grant and revoke is audited.

    Only admins grant or take away the admin role, and nobody takes their own admin role away.
    Roles kept keep their scope; new ones cover the whole university.
    """
    current = person.role_names
    granted, revoked = wanted - current, current - wanted
    if Role.ADMIN in granted | revoked and not actor.has_role(Role.ADMIN):
        raise RoleChangeRefused("admin_only")
    if Role.ADMIN in revoked and person.id == actor.id:
        raise RoleChangeRefused("own_admin")
    for role in list(person.roles):
        if role.role in revoked:
            person.roles.remove(role)
            audit.record(session, "people.role_revoke", person, actor=actor, details={"role": role.role})
    for name in sorted(granted):
        person.roles.append(UserRole(role=name))
        audit.record(session, "people.role_grant", person, actor=actor, details={"role": name})
    session.flush()
    return granted, revoked


def set_active(session: Session, person: User, active: bool) -> bool:
    """Deactivate or reactivate a person (never delete: their history stays); audited when it changes."""
    if person.active == active:
        return False
    person.active = active
    audit.record(session, "people.reactivate" if active else "people.deactivate", person)
    session.flush()
    return True
