"""The audience rule language shared by assignments and campaigns.

A rule is plain JSON, e.g. ``{"kind": "unit", "unit_id": 3, "sub": true}``. Each kind is a small
class in ``RULES`` that validates the rule, compiles it to a SQL condition on ``User`` and
describes it in words. Every rule selects active people only, and everything happens in SQL: an
audience of 30,000 people is one query, never a Python loop.
"""

from __future__ import annotations

from datetime import timedelta
from typing import ClassVar

from flask_babel import force_locale, ngettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import ColumnElement, Select, exists, false, func, or_, select, true
from sqlalchemy.orm import Session, aliased

from courses.models import OPEN_STATUSES, Course, Enrolment, EnrolmentStatus
from lms.database import localized, utcnow
from lms.models import OrgUnit, PersonKind, User
from lms.permissions import people_in_scope

#: A pasted list longer than this belongs in a people import, not in a rule.
MAX_EMAILS = 5000
#: Nesting depth of ``any`` rules; deeper is a mistake, not an audience.
MAX_DEPTH = 3


class AudienceError(ValueError):
    """A rule that cannot be used, with a message for the person who wrote it."""


class OutsideScope(AudienceError):
    """A rule naming an org unit outside the unit head's scope: refused, never counted."""


class Rule:
    """One kind of rule: what it needs, which people it selects, how it reads."""

    kind: ClassVar[str]
    #: True for rules about course progress (campaign reminders), false for who-people-are rules.
    about_courses: ClassVar[bool] = False

    def clean(self, session: Session | None, rule: dict, depth: int) -> dict:
        """Return the rule normalised, or raise ``AudienceError``."""
        return {"kind": self.kind}

    def condition(self, rule: dict) -> ColumnElement[bool]:
        raise NotImplementedError

    def describe(self, names: Names, rule: dict, locale: str) -> str:
        raise NotImplementedError


RULES: dict[str, Rule] = {}


def register(cls: type[Rule]) -> type[Rule]:
    RULES[cls.kind] = cls()
    return cls


@register
class Everyone(Rule):
    kind = "all"

    def condition(self, rule):
        return true()

    def describe(self, names, rule, locale):
        return _("everyone")


@register
class Staff(Rule):
    kind = "staff"

    def condition(self, rule):
        return User.kind == PersonKind.STAFF

    def describe(self, names, rule, locale):
        return _("all staff")


@register
class Students(Rule):
    kind = "students"

    def condition(self, rule):
        return User.kind == PersonKind.STUDENT

    def describe(self, names, rule, locale):
        return _("all students")


@register
class Unit(Rule):
    kind = "unit"

    def clean(self, session, rule, depth):
        unit_id = _positive_int(rule.get("unit_id"), _l("Choose an org unit."))
        if session is not None and session.get(OrgUnit, unit_id) is None:
            raise AudienceError(_l("The org unit %(id)s does not exist.", id=unit_id))
        return {"kind": self.kind, "unit_id": unit_id, "sub": bool(rule.get("sub", True))}

    def condition(self, rule):
        if not rule.get("sub", True):
            return User.org_unit_id == rule["unit_id"]
        root = aliased(OrgUnit)
        root_path = select(root.path).where(root.id == rule["unit_id"]).correlate(None).scalar_subquery()
        subtree = select(OrgUnit.id).where(OrgUnit.path.startswith(root_path))
        return User.org_unit_id.in_(subtree)

    def describe(self, names, rule, locale):
        name = names.unit(rule["unit_id"], locale)
        if rule.get("sub", True):
            return _("%(unit)s and its sub-units", unit=name)
        return name


@register
class Group(Rule):
    kind = "group"

    def clean(self, session, rule, depth):
        group = str(rule.get("group") or "").strip()
        if not group:
            raise AudienceError(_l("Enter a study group, e.g. FIT-21."))
        return {"kind": self.kind, "group": group}

    def condition(self, rule):
        return User.study_group == rule["group"]

    def describe(self, names, rule, locale):
        return _("study group %(group)s", group=rule["group"])


@register
class People(Rule):
    kind = "people"

    def clean(self, session, rule, depth):
        raw = rule.get("emails") or []
        if isinstance(raw, str):
            raw = raw.replace(",", " ").replace(";", " ").split()
        emails = sorted({str(e).strip().lower() for e in raw if str(e).strip()})
        if not emails:
            raise AudienceError(_l("Paste at least one e-mail address."))
        if len(emails) > MAX_EMAILS:
            raise AudienceError(_l("At most %(n)s addresses in a list; import the people instead.", n=MAX_EMAILS))
        wrong = [e for e in emails if "@" not in e.strip("@")]
        if wrong:
            raise AudienceError(_l("Not an e-mail address: %(value)s", value=", ".join(wrong[:5])))
        return {"kind": self.kind, "emails": emails}

    def condition(self, rule):
        return User.email.in_(rule["emails"])

    def describe(self, names, rule, locale):
        n = len(rule["emails"])
        return ngettext("%(num)s listed person", "%(num)s listed people", n)


class CourseRule(Rule):
    """A rule about people's enrolments in one course (any version, any open cycle)."""

    about_courses = True
    needs_days = False

    def clean(self, session, rule, depth):
        slug = str(rule.get("course") or "").strip()
        if not slug:
            raise AudienceError(_l("Choose a course."))
        if session is not None and session.scalar(select(Course.id).where(Course.slug == slug).limit(1)) is None:
            raise AudienceError(_l("There is no course %(slug)s.", slug=slug))
        cleaned = {"kind": self.kind, "course": slug}
        if self.needs_days:
            cleaned["days"] = _positive_int(rule.get("days"), _l("Enter a number of days (1 or more)."))
        return cleaned

    def condition(self, rule):
        return exists().where(
            Enrolment.user_id == User.id, Enrolment.course_slug == rule["course"], self.enrolment(rule)
        )

    def enrolment(self, rule) -> ColumnElement[bool]:
        raise NotImplementedError

    def describe(self, names, rule, locale):
        return self.words(names.course(rule["course"], locale), rule.get("days"))

    def words(self, course: str, days: int | None) -> str:
        raise NotImplementedError


@register
class NotCompleted(CourseRule):
    kind = "not_completed"

    def enrolment(self, rule):
        return Enrolment.status.in_(OPEN_STATUSES)

    def words(self, course, days):
        return _("enrolled in “%(course)s” and not completed", course=course)


@register
class DueWithin(CourseRule):
    kind = "due_within"
    needs_days = True

    def enrolment(self, rule):
        now = utcnow()
        return Enrolment.status.in_(OPEN_STATUSES) & Enrolment.due_at.between(now, now + timedelta(days=rule["days"]))

    def words(self, course, days):
        return ngettext(
            "“%(course)s” due within %(num)s day", "“%(course)s” due within %(num)s days", days, course=course
        )


@register
class Overdue(CourseRule):
    kind = "overdue"

    def enrolment(self, rule):
        return Enrolment.status.in_(OPEN_STATUSES) & (Enrolment.due_at < utcnow())

    def words(self, course, days):
        return _("overdue in “%(course)s”", course=course)


@register
class CompletedWithin(CourseRule):
    kind = "completed_within"
    needs_days = True

    def enrolment(self, rule):
        since = utcnow() - timedelta(days=rule["days"])
        return (Enrolment.status == EnrolmentStatus.COMPLETED) & (Enrolment.completed_at >= since)

    def words(self, course, days):
        return ngettext(
            "completed “%(course)s” in the last %(num)s day",
            "completed “%(course)s” in the last %(num)s days",
            days,
            course=course,
        )


@register
class AnyOf(Rule):
    """The union of several rules: a person matching two of them is still one person."""

    kind = "any"

    def clean(self, session, rule, depth):
        parts = rule.get("rules")
        if depth >= MAX_DEPTH:
            raise AudienceError(_l("Rules are nested too deeply."))
        if not isinstance(parts, list) or not parts:
            raise AudienceError(_l("A union needs at least one rule."))
        return {"kind": self.kind, "rules": [_clean(session, part, depth + 1) for part in parts]}

    def condition(self, rule):
        return or_(false(), *(RULES[part["kind"]].condition(part) for part in rule["rules"]))

    def describe(self, names, rule, locale):
        return _(" or ").join(RULES[part["kind"]].describe(names, part, locale) for part in rule["rules"])


def _positive_int(value, message: str) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise AudienceError(message) from None
    if number < 1:
        raise AudienceError(message)
    return number


def _clean(session: Session | None, rule, depth: int) -> dict:
    if not isinstance(rule, dict):
        raise AudienceError(_l("An audience rule must be an object with a kind."))
    handler = RULES.get(rule.get("kind"))
    if handler is None:
        raise AudienceError(_l("Unknown kind of audience: %(kind)s", kind=rule.get("kind")))
    return handler.clean(session, rule, depth)


def validate_rule(rule, session: Session | None = None) -> dict:
    """The rule normalised (e-mails lower-cased, defaults filled), or ``AudienceError`` saying why not.

    With a ``session``, the units and courses it names must exist.
    """
    return _clean(session, rule, 0)


def audience_condition(rule: dict) -> ColumnElement[bool]:
    """The rule as a condition on ``User`` (active or not), to combine with other conditions."""
    return RULES[rule["kind"]].condition(rule)


def audience_user_ids(rule: dict) -> Select:
    """A select of the ids of the active people the rule matches, each once."""
    return select(User.id).where(User.active.is_(True), audience_condition(rule))


def count_audience(session: Session, rule: dict, scope: list[str] | None = None) -> int:
    """How many active people the rule matches (one COUNT query), counting only people in ``scope``.

    ``scope`` is the viewer's ``lms.permissions.scope_paths`` (``None``: the whole university).
    A unit head asking about a unit outside their scope gets ``OutsideScope``, and every other
    rule is counted inside the scope, so that a count never tells them about other units'
    people (an e-mail outside the scope combined with "not completed course X" counts 0).
    """
    if scope is not None:
        outside = [unit for unit in _named_units(session, rule) if not unit.path.startswith(tuple(scope))]
        if outside or not scope:
            raise OutsideScope(_("You can count only the people of your own units."))
    query = audience_user_ids(rule).where(people_in_scope(scope))
    return session.scalar(select(func.count()).select_from(query.subquery())) or 0


def _named_units(session: Session, rule: dict) -> list[OrgUnit]:
    """The org units a rule names, unions included (a unit that no longer exists is left out)."""
    if rule["kind"] == AnyOf.kind:
        return [unit for part in rule["rules"] for unit in _named_units(session, part)]
    if rule["kind"] == Unit.kind:
        unit = session.get(OrgUnit, rule["unit_id"])
        return [unit] if unit is not None else []
    return []


class Names:
    """The unit names and course titles descriptions need, each looked up once (all units in one query)."""

    def __init__(self, session: Session | None):
        self.session = session
        self._units: dict[int, OrgUnit] | None = None
        self._titles: dict[str, dict] = {}

    def unit(self, unit_id: int, locale: str) -> str:
        if self._units is None:
            self._units = {u.id: u for u in self.session.scalars(select(OrgUnit))} if self.session else {}
        unit = self._units.get(unit_id)
        return unit.display_name(locale) if unit else f"#{unit_id}"

    def course(self, slug: str, locale: str) -> str:
        """The title of the newest version of a course, or its slug when there is none."""
        if slug not in self._titles and self.session is not None:
            query = select(Course.title).where(Course.slug == slug).order_by(Course.version.desc()).limit(1)
            self._titles[slug] = self.session.scalar(query) or {}
        return localized(self._titles.get(slug), locale)[0] or slug


def _default_session(session: Session | None) -> Session:
    if session is not None:
        return session
    from lms.extensions import db

    return db.session


def describe_rule(rule: dict, locale: str, session: Session | None = None) -> str:
    """The rule in words in ``locale``, e.g. "Faculty of IT and its sub-units or all staff"."""
    return describe_rules([rule], locale, session)[0]


def describe_rules(rules: list[dict], locale: str, session: Session | None = None) -> list[str]:
    """Several rules in words (a list page): the unit names are read once for all of them."""
    names = Names(_default_session(session))
    with force_locale(locale):
        return [RULES[rule["kind"]].describe(names, rule, locale) for rule in rules]
