"""Queries and changes on people for the office: the list, edits, roles, deactivation."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import exists, or_, select
from sqlalchemy.orm import Session, joinedload, selectinload

from lms.audit import trail
from lms.models import OrgUnit, Role, User, UserRole
from lms.permissions import ADMIN_ONLY_ROLES, ROLE_LABELS, people_in_scope, scope_paths


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
    query = (
        select(User)
        .options(joinedload(User.org_unit), selectinload(User.roles).joinedload(UserRole.scope_unit))
        .order_by(User.full_name, User.id)
    )
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
        trail.record(session, "people.update", person, details={"fields": ",".join(changed)})
    session.flush()
    return changed


class RoleChangeRefused(Exception):
    """A role change the actor may not make; the message says why."""


#: The roles that can be narrowed to an org unit: an officer scoped to a unit is its unit head.
SCOPED_ROLES = frozenset({Role.OFFICER})


def set_roles(
    session: Session,
    person: User,
    wanted: set[str],
    actor: User,
    scopes: dict[str, int | None] | None = None,
) -> tuple[set[str], set[str]]:
    """Give ``person`` exactly the roles ``wanted``, each scoped as ``scopes`` says; all audited.

    ``scopes`` maps a role to the org unit it is narrowed to (``None``: the whole university);
    only the officer role takes a unit, which makes the person a head of that unit and its
    sub-units. Roles not named in ``scopes`` keep their scope, new ones cover the whole
    university. Only people who see the whole university change roles or scopes: a unit head
    could otherwise widen their own reach or make someone else a university-wide officer. Only
    admins grant or take away the admin role, and nobody takes their own admin role away or
    narrows their own officer role to a unit.
    """
    if scope_paths(actor) is not None:
        raise RoleChangeRefused("unit_head")
    scopes = {role: unit for role, unit in (scopes or {}).items() if role in wanted}
    if set(scopes) - SCOPED_ROLES:
        raise RoleChangeRefused("not_scoped")
    for unit_id in scopes.values():
        if unit_id is not None and session.get(OrgUnit, unit_id) is None:
            raise RoleChangeRefused("no_unit")
    current = person.role_names
    granted, revoked = wanted - current, current - wanted
    if {Role.ADMIN, *ADMIN_ONLY_ROLES} & (granted | revoked) and not actor.has_role(Role.ADMIN):
        raise RoleChangeRefused("admin_only")
    if Role.ADMIN in revoked and person.id == actor.id:
        raise RoleChangeRefused("own_admin")
    if person.id == actor.id and not actor.has_role(Role.ADMIN) and any(u is not None for u in scopes.values()):
        raise RoleChangeRefused("own_scope")
    for role in list(person.roles):
        if role.role in revoked:
            person.roles.remove(role)
            trail.record(session, "people.role_revoke", person, actor=actor, details=_role_details(role))
        elif role.role in scopes and role.scope_unit_id != scopes[role.role]:
            previous, role.scope_unit_id = role.scope_unit_id, scopes[role.role]
            details = {**_role_details(role), "previous_scope_unit": previous}
            trail.record(session, "people.role_scope", person, actor=actor, details=details)
    for name in sorted(granted):
        role = UserRole(role=name, scope_unit_id=scopes.get(name))
        person.roles.append(role)
        trail.record(session, "people.role_grant", person, actor=actor, details=_role_details(role))
    session.flush()
    for role in person.roles:  # a changed id leaves a stale ``scope_unit`` that scope_paths reads
        session.expire(role, ["scope_unit"])
    return granted, revoked


def _role_details(role: UserRole) -> dict:
    """What an audit event says about a role: its name, and its unit for the roles that take one."""
    if role.role in SCOPED_ROLES:
        return {"role": role.role, "scope_unit": role.scope_unit_id}
    return {"role": role.role}


def describe_role(role: UserRole, locale: str) -> str:
    """A role as the office reads it, with the unit a unit head oversees: "compliance officer — Faculty of IT"."""
    label = str(ROLE_LABELS.get(role.role, role.role))
    if role.scope_unit is not None:
        return f"{label} — {role.scope_unit.display_name(locale)}"
    return label


def set_active(session: Session, person: User, active: bool) -> bool:
    """Deactivate or reactivate a person (never delete: their history stays); audited when it changes."""
    if person.active == active:
        return False
    person.active = active
    trail.record(session, "people.reactivate" if active else "people.deactivate", person)
    session.flush()
    return True
