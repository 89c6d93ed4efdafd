"""Who may do what: role checks for views and scope checks for objects."""

from functools import wraps

from flask import abort, g, redirect, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from sqlalchemy import ColumnElement, false, or_, select, true

from lms.extensions import db
from lms.models import OrgUnit, Role, User
from lms.two_factor import authenticator

ROLE_LABELS = {
    Role.AUTHOR: _l("course author"),
    Role.OFFICER: _l("compliance officer"),
    Role.ADMIN: _l("administrator"),
    Role.CASE_HANDLER: _l("case handler"),  # concerns (issue 13)
    Role.CUSTODIAN: _l("identity custodian"),  # concerns (issue 13)
}


#: Roles only an admin grants or takes away (besides admin itself): the reported concerns' roles,
#: so an officer cannot make themselves a reader of cases (a case handler names others in ``concerns``).
ADMIN_ONLY_ROLES = (Role.CASE_HANDLER, Role.CUSTODIAN)

#: The compliance office's roles: every office page and menu entry lets these through.
OFFICE_ROLES = (Role.OFFICER, Role.ADMIN)


def require_role(*roles: str):
    """Let a view through only for people holding one of ``roles`` (admins always pass).

    A person without it gets the 403 page naming the role that is missing; one with it but without
    the second factor their role requires is sent to set it up (every office page passes here).
    """

    def decorator(view):
        @wraps(view)
        @login_required
        def wrapped(*args, **kwargs):
            if not current_user.has_role(*roles):
                g.missing_roles = [ROLE_LABELS.get(r, r) for r in roles]
                abort(403)
            if authenticator.enrolment_needed(db.session, current_user):
                return redirect(url_for("two_factor.setup"))  # which says why
            return view(*args, **kwargs)

        return wrapped

    return decorator


def scope_paths(user: User) -> list[str] | None:
    """The org-unit paths an officer may see; ``None`` means the whole university (always, for admins)."""
    if user.has_role(Role.ADMIN):
        return None
    paths = []
    for role in user.roles:
        if role.role in (Role.ADMIN, Role.OFFICER) and role.scope_unit_id is None:
            return None
        if role.scope_unit_id is not None and role.scope_unit and role.scope_unit.path:
            paths.append(role.scope_unit.path)
    return paths


def people_in_scope(paths: list[str] | None) -> ColumnElement[bool]:
    """The one scope filter: a condition on ``User`` for people under ``paths`` (sub-units included).

    ``None`` (the whole university) lets everyone through; an empty list (a scoped role whose unit
    vanished) lets nobody through. Every list, number and export of people goes through it.
    """
    if paths is None:
        return true()
    if not paths:
        return false()
    subtree = select(OrgUnit.id).where(or_(*(OrgUnit.path.startswith(p, autoescape=True) for p in paths)))
    return User.org_unit_id.in_(subtree)


def can_see_person(viewer: User, person: User) -> bool:
    """An officer scoped to a unit sees only people of that unit and its sub-units."""
    if viewer.has_role(Role.ADMIN):
        return True
    paths = scope_paths(viewer)
    if paths is None:
        return True
    unit: OrgUnit | None = person.org_unit
    return unit is not None and any(unit.path.startswith(p) for p in paths)


def university_wide(view):
    """Refuse officers scoped to a unit (403): the view reads or changes the whole university.

    Place it under ``require_role`` so that visitors and learners are answered by that first.
    """

    @wraps(view)
    def wrapped(*args, **kwargs):
        if scope_paths(current_user) is not None:
            abort(403)
        return view(*args, **kwargs)

    return wrapped
