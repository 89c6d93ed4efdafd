"""The office's page for the org tree: university → faculties and institutes → departments."""

from flask import Blueprint, Flask, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import SelectChoice, SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, Length, Regexp

from lms.audit import trail
from lms.extensions import db
from lms.models import OrgUnit
from lms.permissions import OFFICE_ROLES, require_role, scope_paths, university_wide
from lms.units.tree import UnitError, save_unit, unit_choices, units_in_tree_order

bp = Blueprint("units", __name__, url_prefix="/office/units")
KINDS = {
    "university": _l("University"),
    "faculty": _l("Faculty"),
    "institute": _l("Institute"),
    "department": _l("Department"),
    "office": _l("Office"),
}


class UnitForm(FlaskForm):
    code = StringField(
        _l("Code (used in import files)"),
        validators=[DataRequired(), Length(max=64), Regexp(r"^[A-Za-z0-9_.-]+$", message=_l("Letters, digits, - _ ."))],
    )
    parent_id = SelectField(_l("Part of"))
    kind = SelectField(_l("Kind"), choices=[SelectChoice(k, v) for k, v in KINDS.items()])
    name_kk = StringField(_l("Name (Kazakh)"), validators=[DataRequired(), Length(max=200)])
    name_ru = StringField(_l("Name (Russian)"), validators=[DataRequired(), Length(max=200)])
    name_en = StringField(_l("Name (English)"), validators=[DataRequired(), Length(max=200)])
    submit = SubmitField(_l("Save"))


def _form(unit: OrgUnit | None) -> UnitForm:
    form = UnitForm(obj=None)
    units = db.session.scalars(select(OrgUnit).order_by(OrgUnit.path))
    outside = (u for u in units if unit is None or not u.path.startswith(unit.path))
    form.parent_id.choices = [SelectChoice("", "—"), *unit_choices(outside)]
    if request.method == "GET" and unit is not None:
        form.code.data, form.kind.data = unit.code, unit.kind
        form.parent_id.data = str(unit.parent_id or "")
        for loc in ("kk", "ru", "en"):
            form[f"name_{loc}"].data = (unit.name or {}).get(loc, "")
    return form


@bp.route("/")
@require_role(*OFFICE_ROLES)
def index():
    """The whole tree, indented; people are assigned to units by their code."""
    editable = scope_paths(current_user) is None  # a unit head reads the tree, never reshapes it
    return render_template("lms/units.html", units=units_in_tree_order(db.session), kinds=KINDS, editable=editable)


@bp.route("/new", methods=["GET", "POST"], defaults={"unit_id": None})
@bp.route("/<int:unit_id>", methods=["GET", "POST"])
@require_role(*OFFICE_ROLES)
@university_wide
def edit(unit_id: int | None):
    """Add a unit or change one (moving a unit moves its sub-units with it)."""
    unit = db.get_or_404(OrgUnit, unit_id) if unit_id else None
    form = _form(unit)
    if form.validate_on_submit():
        parent = db.session.get(OrgUnit, int(form.parent_id.data)) if form.parent_id.data else None
        names = {loc: form[f"name_{loc}"].data.strip() for loc in ("kk", "ru", "en")}
        try:
            saved = save_unit(db.session, unit or OrgUnit(), form.code.data, parent, form.kind.data, names)
        except UnitError as error:
            db.session.rollback()
            form.code.errors.append(str(error))
        else:
            trail.record(db.session, "units.save", saved, details={"code": saved.code})
            db.session.commit()
            flash(_("Saved."), "success")
            return redirect(url_for("units.index"))
    return render_template("lms/unit_edit.html", form=form, unit=unit)


def init_app(app: Flask) -> None:
    from lms.navigation import add_nav_item

    app.register_blueprint(bp)
    add_nav_item(app, "units.index", _l("Org units"), roles=OFFICE_ROLES, section="office")
