"""The dashboard's charts: SVG drawn on the server by pygal, in the page's language.

Each chart is shown as an ``<img>`` of a ``data:`` URL, so it works without JavaScript, prints as
drawn, goes into the PDF report unchanged and needs no second request (which would run the
queries again). pygal's tooltips script would be fetched from its CDN, so it is switched off: the
numbers stand in a table beside every chart instead.
"""

from __future__ import annotations

import base64
from datetime import date

import pygal
from flask_babel import format_date
from flask_babel import gettext as _
from pygal.style import Style

from dashboard.figures import CourseFigures, Trend
from lms.i18n import current_locale

STYLE = Style(
    background="white",
    plot_background="white",
    foreground="#212529",
    foreground_strong="#212529",
    foreground_subtle="#6c757d",
    font_family="DejaVu Sans, Arial, sans-serif",
    label_font_size=13,
    major_label_font_size=13,
    legend_font_size=13,
    title_font_size=16,
    value_font_size=12,
    colors=("#0d6efd", "#198754", "#dc3545", "#fd7e14", "#6f42c1", "#20c997", "#6c757d", "#d63384"),
)


def _config(**options) -> dict:
    return {
        "style": STYLE,
        "js": [],  # the default loads a script from a CDN
        "width": 900,
        "height": 420,
        "legend_at_bottom": True,
        "truncate_legend": 40,
        "truncate_label": 30,
        "no_data_text": _("No data"),
        "print_values": False,
        **options,
    }


def data_url(chart) -> str:
    """The chart as a ``data:`` URL for an ``<img>``."""
    return "data:image/svg+xml;base64," + base64.b64encode(chart.render()).decode("ascii")


def completion_by_course(courses: list[CourseFigures]) -> str:
    """One bar per course: the share of its people who completed it."""
    chart = pygal.HorizontalBar(**_config(title=_("Share completed"), range=(0, 100), show_legend=False))
    chart.x_labels = [course.title for course in courses]
    chart.add(_("Share completed"), [_rounded(course.total.percent) for course in courses])
    chart.height = max(160, 60 + 40 * len(courses))
    return data_url(chart)


def completion_by_unit(courses: list[CourseFigures]) -> str:
    """Per unit (faculties, or the filter unit's sub-units), one bar per course."""
    units = [unit for unit, _tally in courses[0].by_unit] if courses else []
    chart = pygal.HorizontalBar(**_config(title=_("Share completed by unit"), range=(0, 100)))
    chart.x_labels = [unit.display_name(current_locale()) for unit in units]
    for course in courses:
        chart.add(course.title, [_rounded(tally.percent) for _unit, tally in course.by_unit])
    chart.height = max(200, 120 + 22 * len(units) * max(1, len(courses)))
    return data_url(chart)


def completions_over_time(trend: Trend, titles: dict[str, str]) -> str:
    """A line per course: completions per week."""
    chart = pygal.Line(**_config(title=_("Completions per week"), x_label_rotation=30, min_scale=1))
    chart.x_labels = [week_label(week) for week in trend.weeks]
    for slug, counts in trend.counts.items():
        chart.add(titles.get(slug, slug), counts)
    return data_url(chart)


def week_label(week: date) -> str:
    """A week named by its Monday, in the page's language ("9 Dec")."""
    return format_date(week, "d MMM")


def _rounded(percent: float | None) -> float | None:
    return None if percent is None else round(percent, 1)
