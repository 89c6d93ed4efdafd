"""The audience part of the office's forms: which kind of rule, and its unit, group or e-mails.

Every audience form reads its fields into a rule through ``person_rule``; the campaign and event forms
also share their fields (``AudienceRuleFields``). The assignment form's builder
(``office_forms.AudienceFields``) keeps its own field names: the live count's ``audience-count.js`` sends them.
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


def person_rule(kind: str, unit_id, group, emails, sub: bool) -> dict:
    """The rule an audience form's fields describe, as typed: ``validate_rule`` parses and checks it.

    Every audience form (assignments', campaigns', events') reads its fields through here.
    """
    rule: dict = {"kind": kind}
    if kind == "unit":
        rule.update(unit_id=unit_id, sub=sub)
    elif kind == "group":
        rule["group"] = group
    elif kind == "people":
        rule["emails"] = emails or ""
    return rule


class AudienceRuleFields(FlaskForm):
    """The audience fields; the unit's choices are set by the view (``lms.units.tree.unit_choices``)."""

    audience_kind = SelectField(_l("Audience"), choices=kind_choices(AUDIENCE_KINDS))
    audience_unit = SelectField(_l("Org unit"), choices=[], validators=[Optional()])
    audience_group = StringField(_l("Study group"), validators=[Optional(), Length(max=64)])
    audience_emails = TextAreaField(_l("E-mails, one a line"), validators=[Optional()])

    def audience_rule(self) -> dict:
        """The rule the fields describe, not yet validated (``courses.audience.validate_rule``)."""
        fields = (self.audience_unit, self.audience_group, self.audience_emails)
        return person_rule(self.audience_kind.data, *(field.data for field in fields), sub=True)

    def fill_audience(self, rule: dict) -> None:
        """Show a saved rule in the fields."""
        self.audience_kind.data = rule.get("kind")
        self.audience_unit.data = str(rule.get("unit_id", ""))
        self.audience_group.data = rule.get("group", "")
        self.audience_emails.data = "\n".join(rule.get("emails", []))
