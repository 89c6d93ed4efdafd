"""The org tree: adding units and moving them, keeping every sub-unit's path right."""

from collections.abc import Iterable

from flask_babel import gettext as _
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session
from wtforms import SelectChoice

from lms.i18n import current_locale
from lms.models import OrgUnit


class UnitError(ValueError):
    """A change that would break the tree (a duplicate code, a unit under its own sub-unit)."""


def units_in_tree_order(session: Session) -> list[tuple[OrgUnit, int]]:
    """Every unit with its depth, parents before their children."""
    units = session.scalars(select(OrgUnit).order_by(OrgUnit.path)).all()
    return [(unit, _depth(unit)) for unit in units]


def unit_choices(units: Iterable[OrgUnit]) -> list[SelectChoice]:
    """Units in tree order as drop-down choices, each name indented by its depth so the list reads as the tree.

    Every unit drop-down is built here, so they all look alike; each caller puts its own empty choice first.
    """
    locale = current_locale()
    return [SelectChoice(str(unit.id), "· " * _depth(unit) + unit.display_name(locale)) for unit in units]


def _depth(unit: OrgUnit) -> int:
    return max(unit.path.count("/") - 2, 0)


def save_unit(session: Session, unit: OrgUnit, code: str, parent: OrgUnit | None, kind: str, names: dict) -> OrgUnit:
    """Create or change ``unit``; moving it moves its whole subtree."""
    code = code.strip().upper()
    clash = session.scalar(select(OrgUnit.id).where(func.upper(OrgUnit.code) == code, OrgUnit.id != unit.id))
    if clash is not None:
        raise UnitError(_("the code %(code)s is already used", code=code))
    if parent is not None and unit.id is not None and parent.path.startswith(unit.path):
        raise UnitError(_("a unit cannot be placed under itself or one of its sub-units"))
    unit.code, unit.kind, unit.name, unit.parent = code, kind, names, parent
    if unit.id is None:
        session.add(unit)
        session.flush()
    old_path = unit.path
    new_path = (parent.path if parent else "/") + f"{unit.id}/"
    if old_path != new_path:
        if old_path and old_path != "/":
            session.execute(
                update(OrgUnit)
                .where(OrgUnit.path.startswith(old_path), OrgUnit.id != unit.id)
                .values(path=func.replace(OrgUnit.path, old_path, new_path))
                .execution_options(synchronize_session="fetch")
            )
        unit.path = new_path
    return unit
