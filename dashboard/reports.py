"""The completion report: the dashboard's numbers as a table (CSV, XLSX) and as a PDF for the rector's office.

The report is built from the same ``Dashboard`` the screen shows, with the same filters, so the
totals on paper equal the totals on the screen. The people list is the progress export of each
course one after another, streamed.
"""

from __future__ import annotations

from collections.abc import Iterator

from flask import render_template
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from courses.office import progress_export
from courses.office import reports as course_reports
from dashboard import charts
from dashboard.figures import Dashboard, DashboardFilters, Tally
from lms.pdf import render_pdf, static_base_url

SUMMARY_COLUMNS = (
    _l("Course"),
    _l("Org unit"),
    _l("People"),
    _l("Completed"),
    _l("Share completed"),
    _l("Overdue"),
    _l("Completed in the period"),
)


def summary_header() -> list[str]:
    return [str(label) for label in SUMMARY_COLUMNS]


def summary_records(dash: Dashboard, scope_label: str, locale: str) -> Iterator[list]:
    """Per course: the total over the page's people, then one row per unit of the breakdown."""
    for course in dash.courses:
        yield _row(course.title, scope_label, course.total)
        for unit, tally in course.by_unit:
            yield _row(course.title, unit.display_name(locale), tally)


def _row(course: str, unit: str, tally: Tally) -> list:
    percent = round(tally.percent, 1) if tally.percent is not None else None
    return [course, unit, tally.people, tally.completed, percent, tally.overdue, tally.completed_in_period]


def people_header() -> list[str]:
    return [str(_l("Course")), *progress_export.export_header()]


def people_records(session: Session, titles: dict[str, str], filters: DashboardFilters, locale: str) -> Iterator[list]:
    """Every person of each course in ``titles``, one row each, as the course progress export has them.

    A generator that keeps ``locale`` while the download streams (after the view has returned).
    """
    progress_filters = course_reports.ProgressFilters(unit_id=filters.unit_id, scope=filters.scope)
    with force_locale(locale):
        for slug, title in titles.items():
            query = course_reports.course_progress_query(slug, progress_filters)
            for cells in progress_export.export_records(session, query, locale):
                yield [title, *cells]


def report_pdf(dash: Dashboard, title: str, scope_label: str, generated_at, university: str) -> bytes:
    """The PDF: a title page, the charts, the tables with totals, when it was made (in the current language)."""
    html = render_template(
        "dashboard/report_pdf.html",
        dash=dash,
        title=title,
        scope_label=scope_label,
        generated_at=generated_at,
        university=university,
        charts={
            "courses": charts.completion_by_course(dash.courses),
            "units": charts.completion_by_unit(dash.courses),
            "trend": charts.completions_over_time(dash.trend, dash.titles),
        },
        week_label=charts.week_label,
    )
    return render_pdf(html, base_url=static_base_url())
