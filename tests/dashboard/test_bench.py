"""``python -m bench dashboard --quick`` works: a small university, every figure beside its baseline."""

import os

from bench import dashboard as bench
from tests.databases import TEST_DB_ENV


def test_the_quick_benchmark_measures_numbers_equal_to_their_plain_sql_baselines():
    # The suite's own database only (SQLite, or PostgreSQL when the suite runs there): a few seconds.
    name = "postgresql" if os.environ.get(TEST_DB_ENV) else "sqlite"
    figures = bench.run(quick=True, databases=(name,))  # raises when a figure and its baseline differ
    assert figures[f"{name}_people"] == bench.QUICK["people"]
    assert 2_500 < figures[f"{name}_enrolments"] < 3_500  # 2,000 people × 2 courses, 28.5 % not enrolled
    assert 0 < figures[f"{name}_dashboard_people_counted"] < figures[f"{name}_enrolments"]
    assert figures[f"{name}_question_stats_questions"] == bench.QUESTIONS
    assert figures[f"{name}_export_rows"] > figures[f"{name}_dashboard_people_counted"]  # also the cancelled, the left
    assert 0 < figures[f"{name}_export_peak_rss_growth_mb"] < 200
    assert all(figures[f"{name}_{what}_ms"] > 0 for what in ("dashboard", "drilldown", "question_stats", "export"))
