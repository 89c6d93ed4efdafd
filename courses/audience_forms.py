"""The audience part of the campaign and event forms: which kind of rule, and its unit, group or e-mails.

One place builds these fields, turns them into a rule and back, so a campaign and an event ask
"who" alike. (The assignment form's audience builder, ``office_forms.AudienceFields``, keeps its own
field names: the live count's ``audience-count.js`` sends them.)
"""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import Length, Optional

AUDIENCE_KINDS = {
    "all": _l("Everyone"),
    "staff": _l("All staff"),
    "students": _l("All students"),
    "unit": _l("An org unit with its sub-units"),
    "group": _l("A study group"),
    "people": _l("A pasted list of e-mails"),
    "not_completed": _l("Have not completed a course"),
    "due_within": _l("Due within N days"),
    "overdue": _l("Overdue"),
    "completed_within": _l("Completed in the last N days"),
}


def kind_choices(kinds) -> list[SelectChoice]:
    """The ``audience_kind`` choices for these kinds (a form offering fewer overrides the field)."""
    return [SelectChoice(kind, AUDIENCE_KINDS[kind]) for kind in kinds]


class AudienceRuleFields(FlaskForm):
    """The audience fields; the unit's choices are set by the view (``lms.units.unit_choices``)."""

    audience_kind = SelectField(_l("Audience"), choices=kind_choices(AUDIENCE_KINDS))
    audience_unit = SelectField(_l("Org unit"), choices=[], validators=[Optional()])
    audience_group = StringField(_l("Study group"), validators=[Optional(), Length(max=64)])
    audience_emails = TextAreaField(_l("E-mails, one a line"), validators=[Optional()])

    def audience_rule(self) -> dict:
        """The rule the fields describe, not yet validated (``courses.audience.validate_rule``)."""
        kind = self.audience_kind.data
        rule: dict = {"kind": kind}
        if kind == "unit":
            rule.update(unit_id=int(self.audience_unit.data or 0), sub=True)
        elif kind == "group":
            rule["group"] = (self.audience_group.data or "").strip()
        elif kind == "people":
            rule["emails"] = [e.strip() for e in (self.audience_emails.data or "").split() if e.strip()]
        return rule

    def fill_audience(self, rule: dict) -> None:
        """Show a saved rule in the fields."""
        self.audience_kind.data = rule.get("kind")
        self.audience_unit.data = str(rule.get("unit_id", ""))
        self.audience_group.data = rule.get("group", "")
        self.audience_emails.data = "\n".join(rule.get("emails", []))
