"""The dashboard's one filter form: period, unit, course; it applies to the whole page and its reports."""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, SelectChoice, SelectField
from wtforms.validators import Optional, ValidationError

from lms.config import LOCALES


class DashboardFilterForm(FlaskForm):
    """A GET form (no CSRF): the filters travel in the URL, so a filtered view can be bookmarked and sent."""

    class Meta:
        csrf = False

    unit = SelectField(_l("Org unit"), choices=[], default="")
    course = SelectField(_l("Course"), choices=[], default="")
    since = DateField(_l("From"), validators=[Optional()])
    until = DateField(_l("To (inclusive)"), validators=[Optional()])

    def validate_until(self, field):
        if field.data and self.since.data and field.data < self.since.data:
            raise ValidationError(_l("The period ends before it starts."))

    def period(self, zone: ZoneInfo) -> tuple[datetime | None, datetime | None]:
        """The chosen days as UTC bounds: from the first day's midnight to the midnight after the last."""
        last = self.until.data
        return _midnight(self.since.data, zone), _midnight(last + timedelta(days=1) if last else None, zone)

    def unit_id(self) -> int | None:
        return int(self.unit.data) if (self.unit.data or "").isdigit() else None


class ReportForm(DashboardFilterForm):
    """The dashboard's filters plus the language the report is written in."""

    lang = SelectField(_l("Language"), choices=[SelectChoice(code, code) for code in LOCALES], validators=[Optional()])


def _midnight(day: date | None, zone: ZoneInfo) -> datetime | None:
    return datetime.combine(day, time.min, zone).astimezone(UTC) if day else None
