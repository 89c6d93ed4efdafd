"""A course's progress report as CSV/XLSX rows, with each person's signature of the attested document.

Apart from ``reports`` because it joins the signature register, which itself builds on ``reports``.
"""

from collections.abc import Iterator
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import Select
from sqlalchemy.orm import Session

from courses.office.reports import STATE_LABELS, unit_namer
from courses.signatures import register
from lms.exports import wall_time
from lms.people.forms import KIND_CHOICES

EXPORT_COLUMNS = (
    ("full_name", _l("Name")),
    ("email", _l("E-mail")),
    ("kind", _l("Kind")),
    ("unit", _l("Org unit")),
    ("study_group", _l("Study group")),
    ("version", _l("Version")),
    ("cycle", _l("Cycle")),
    ("state", _l("Status")),
    ("enrolled_at", _l("Enrolled")),
    ("due_at", _l("Due")),
    ("started_at", _l("Started")),
    ("completed_at", _l("Completed")),
    ("score", _l("Score, %")),
    ("attempts", _l("Quiz attempts")),
    ("signature", _l("Signed document")),
)
EXPORT_BATCH = 1000


def export_records(session: Session, query: Select, locale: str) -> Iterator[list]:
    """The rows of a course report as export cells: local times, translated states, unit names.

    The person's signature of the course's attested document is joined to ``query`` (which selects
    from ``Enrolment``, as ``course_progress_query`` does): no query per row.
    """
    zone = ZoneInfo(current_app.config["ADAL_TIMEZONE"])
    signature = register.signature_cell(locale, zone)
    states = {state: str(label) for state, label in STATE_LABELS.items()}  # translated once, not per row
    kinds = {choice.value: str(choice.label) for choice in KIND_CHOICES}
    unit_name = unit_namer(locale)
    query = register.with_course_signature(query)
    for row in session.execute(query.execution_options(yield_per=EXPORT_BATCH)):
        values = row._mapping
        cells = []
        for key, _label in EXPORT_COLUMNS:
            if key == "signature":
                cells.append(signature(values))
            elif key == "unit":
                cells.append(unit_name(values["unit_code"], values["unit_name"]))
            elif key == "state":
                cells.append(states[values["state"]])
            elif key == "kind":
                cells.append(kinds.get(values["kind"], values["kind"]))
            elif key.endswith("_at"):
                cells.append(wall_time(values[key], zone))
            else:
                cells.append(values[key])
        yield cells


def export_header() -> list[str]:
    return [str(label) for _key, label in EXPORT_COLUMNS]
