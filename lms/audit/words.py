"""The platform's audit events in words: sign-ins, people and roles, org units, settings, exports.

Registered by ``lms.audit.views.init_app``; the features register theirs the same way (see
``lms.audit.trail``). The ``user`` loader also names every event's actor.
"""

from flask import Flask, url_for
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from lms.audit.trail import Piece, Ref, add_action_group, add_sentence, add_target
from lms.database import localized
from lms.models import OrgUnit, User
from lms.people.importing import field_labels
from lms.permissions import ROLE_LABELS

EXPORTS = "exports"


def init_app(app: Flask) -> None:
    """Register the platform's action groups, sentences and target loaders."""
    add_target(app, "user", load_people)
    add_target(app, "org_unit", load_units)
    add_action_group(app, "auth", _l("Sign-ins and passwords"))
    add_action_group(app, "people", _l("People and roles"))
    add_action_group(app, "units", _l("Org units"))
    add_action_group(app, "settings", _l("Office settings"))
    add_action_group(app, EXPORTS, _l("Exports"))
    for action, template in (
        ("auth.login_failed", _l("Someone failed to sign in as %(email)s")),
        ("auth.logout", _l("%(actor)s signed out")),
        ("auth.logout_everywhere", _l("%(actor)s signed out everywhere, ending %(count)s sessions")),
        ("auth.reset_requested", _l("%(actor)s asked for a password reset link")),
        ("auth.reset_unknown", _l("Someone asked for a reset link for %(email)s, which no active account has")),
        ("auth.password_reset", _l("%(actor)s set a new password through a reset link")),
        ("auth.invitation_accepted", _l("%(actor)s accepted the invitation and chose a password")),
        ("auth.password_changed", _l("%(actor)s changed their password")),
    ):
        add_sentence(app, action, template, "auth")
    add_sentence(app, "auth.login", _signed_in, "auth")
    for action, template in (
        ("two_factor.enrolled", _l("%(actor)s turned on two-step sign-in")),
        ("two_factor.failed", _second_factor_refused),
        ("two_factor.recovery_codes", _l("%(actor)s made new recovery codes")),
        ("two_factor.turned_off", _l("%(actor)s turned off two-step sign-in")),
        ("two_factor.reset", _l("%(actor)s reset the second factor of %(target)s: %(reason)s")),
    ):
        add_sentence(app, action, template, "auth")
    add_sentence(
        app,
        "people.import",
        _l("%(actor)s imported people from %(file)s: %(create)s new, %(update)s updated, %(reject)s rejected"),
        "people",
    )
    add_sentence(app, "people.update", _l("%(actor)s changed the %(fields)s of %(target)s"), "people", _fields)
    add_sentence(app, "people.role_grant", _grant, "people", _role)
    add_sentence(app, "people.role_revoke", _l("%(actor)s took the %(role)s role from %(target)s"), "people", _role)
    add_sentence(app, "people.role_scope", _scope, "people", _role)
    add_sentence(app, "people.deactivate", _l("%(actor)s deactivated %(target)s"), "people")
    add_sentence(app, "people.reactivate", _l("%(actor)s reactivated %(target)s"), "people")
    add_sentence(app, "people.sessions_ended", _l("%(actor)s ended %(count)s sessions of %(target)s"), "people")
    add_sentence(app, "units.save", _l("%(actor)s saved the org unit %(target)s"), "units")
    add_sentence(app, "settings.contacts", _l("%(actor)s changed the office's contacts"), "settings")
    add_sentence(app, "audit.export", _l("%(actor)s exported the audit log"), EXPORTS)


def load_people(session: Session, ids: list[str], locale: str) -> dict[str, dict[str, Piece]]:
    """People by id: their name linking to their page, and their e-mail (one query, no roles)."""
    rows = session.execute(select(User.id, User.full_name, User.email).where(User.id.in_(_ints(ids))))
    return {
        str(row.id): {
            "target": Piece(row.full_name or row.email, url_for("people.person", user_id=row.id)),
            "email": Piece(row.email),
        }
        for row in rows
    }


def load_units(session: Session, ids: list[str], locale: str) -> dict[str, dict[str, Piece]]:
    """Org units by id: their name in ``locale`` linking to their edit page."""
    rows = session.execute(select(OrgUnit.id, OrgUnit.code, OrgUnit.name).where(OrgUnit.id.in_(_ints(ids))))
    return {
        str(row.id): {
            "target": Piece(localized(row.name, locale)[0] or row.code, url_for("units.edit", unit_id=row.id))
        }
        for row in rows
    }


def _ints(ids: list[str]) -> list[int]:
    return [int(i) for i in ids if str(i).isdigit()]


def _fields(details: dict) -> dict:
    return {"fields": field_labels(n for n in str(details.get("fields") or "").split(",") if n)}


def _role(details: dict) -> dict:
    role = details.get("role")
    return {
        "role": ROLE_LABELS.get(role, role),
        "unit": Ref("org_unit", details.get("scope_unit")),
        "previous_unit": Ref("org_unit", details.get("previous_scope_unit")),
    }


def _grant(details: dict):
    if details.get("scope_unit"):
        return _l("%(actor)s made %(target)s %(role)s of %(unit)s")
    return _l("%(actor)s gave %(target)s the %(role)s role")


def _scope(details: dict):
    if details.get("scope_unit"):
        return _l("%(actor)s made %(target)s %(role)s of %(unit)s only")
    return _l("%(actor)s made %(target)s %(role)s of the whole university")


def _signed_in(details: dict):
    if details.get("second_factor") == "recovery":
        return _l("%(actor)s signed in with a recovery code (%(left)s left)")
    if details.get("second_factor") == "code":
        return _l("%(actor)s signed in with a code from their authenticator app")
    return _l("%(actor)s signed in")


def _second_factor_refused(details: dict):
    if details.get("reason") == "replayed":
        return _l("Someone gave a code of %(target)s that was used already")
    return _l("Someone gave a wrong second-factor code for %(target)s")
