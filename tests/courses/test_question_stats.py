"""Question statistics: facility and discrimination by hand, the wrong option, languages, the loader, the pages."""

import math
import re
from dataclasses import dataclass, field

import pytest

from courses.authoring import versioning
from courses.authoring.item_analysis import (
    MIN_ATTEMPTS_PER_LANGUAGE,
    AttemptRecord,
    compute_stats,
    translation_flags,
)
from courses.authoring.question_stats import quiz_question_stats
from courses.models import QuizAttempt
from lms.database import utcnow
from lms.models import Role
from tests.courses.builders import answer_form, build_course, enrol, module_of


def _html(response) -> str:
    return response.get_data(as_text=True)


def _options(*ids):
    return [{"id": oid, "text": {"kk": f"{oid} нұсқа", "ru": f"вариант {oid}", "en": f"option {oid}"}} for oid in ids]


@dataclass(eq=False)
class Q:
    """A question as the statistics read it (hashable, to key hand-made marks by question)."""

    id: int
    key: str
    kind: str
    points: int
    options: list
    answer: object
    text: dict = field(default_factory=dict)


#: A hand-made bank: a single choice (key b), a true/false (key true), a matching worth 3 points
#: (partial credit), and a single choice no attempt draws.
Q1 = Q(id=1, key="q1", kind="single", points=1, options=_options("a", "b", "c"), answer="b")
Q2 = Q(id=2, key="q2", kind="truefalse", points=1, options=[], answer=True)
Q3 = Q(id=3, key="q3", kind="matching", points=3, options=_options("a", "b", "c"), answer={})
Q4 = Q(id=4, key="q4", kind="single", points=1, options=_options("a", "b"), answer="a")
BANK = [Q1, Q2, Q3, Q4]


def _record(locale, marks: dict, answers: dict | None = None) -> AttemptRecord:
    """An attempt as stored: ``marks`` {question: points}, ``answers`` {question: given}."""
    return AttemptRecord(
        locale,
        {str(q.id): {"correct": points >= q.points, "points": float(points)} for q, points in marks.items()},
        {str(q.id): given for q, given in (answers or {}).items()},
    )


#: Five attempts (marks of Q1, Q2, Q3 → attempt total):
#:   A1: 1, 1, 3 → 5    A2: 1, 0, 2 → 3    A3: 0, 1, 1 → 2    A4: 0, 0, 0 → 0    A5: 1, 1, 2 → 4
HAND_MADE = [
    _record("kk", {Q1: 1, Q2: 1, Q3: 3}, {Q1: "b", Q2: True}),
    _record("kk", {Q1: 1, Q2: 0, Q3: 2}, {Q1: "b", Q2: False}),
    _record("ru", {Q1: 0, Q2: 1, Q3: 1}, {Q1: "a", Q2: True}),
    _record("ru", {Q1: 0, Q2: 0, Q3: 0}, {Q1: "c", Q2: False}),
    _record(None, {Q1: 1, Q2: 1, Q3: 2}, {Q1: "b", Q2: True}),
]


def _check_hand_made(stats):
    """The figures of ``HAND_MADE``, computed by hand (shared by the pure and the database tests)."""
    # Q1: marks x = 1, 1, 0, 0, 1; rest of the attempt (total − x) r = 4, 2, 2, 0, 3.
    # Facility: 3 right of 5 = 0.6.
    # Means: x̄ = 0.6, r̄ = 11/5 = 2.2. Deviations: x − x̄ = .4, .4, −.6, −.6, .4; r − r̄ = 1.8, −.2, −.2, −2.2, .8.
    # Σ(x−x̄)(r−r̄) = .72 − .08 + .12 + 1.32 + .32 = 2.4 → cov = 2.4 / (5 − 1) = 0.6
    # Σ(x−x̄)² = 3·.16 + 2·.36 = 1.2 → var x = 0.3;  Σ(r−r̄)² = 3.24 + .04 + .04 + 4.84 + .64 = 8.8 → var r = 2.2
    q1 = stats[1].overall
    assert q1.attempts == 5
    assert q1.facility == pytest.approx(0.6)
    assert q1.discrimination == pytest.approx(100 * 0.6 / math.sqrt(0.3 * 2.2))  # ≈ 73.86
    assert q1.discrimination == pytest.approx(73.855, abs=0.001)
    # Q3 (worth 3): x = 3, 2, 1, 0, 2; r = 2, 1, 1, 0, 2. Facility: 8 points of 5 · 3 = 8/15.
    # x̄ = 1.6, r̄ = 1.2. x − x̄ = 1.4, .4, −.6, −1.6, .4; r − r̄ = .8, −.2, −.2, −1.2, .8.
    # Σ products = 1.12 − .08 + .12 + 1.92 + .32 = 3.4; Σ(x−x̄)² = 1.96 + .16 + .36 + 2.56 + .16 = 5.2;
    # Σ(r−r̄)² = .64 + .04 + .04 + 1.44 + .64 = 2.8 (each divided by 4, which cancels).
    q3 = stats[3].overall
    assert q3.facility == pytest.approx(8 / 15)
    assert q3.discrimination == pytest.approx(100 * (3.4 / 4) / math.sqrt((5.2 / 4) * (2.8 / 4)))  # ≈ 89.10
    assert q3.discrimination == pytest.approx(89.104, abs=0.001)
    # Q2: x = 1, 0, 1, 0, 1; r = 4, 3, 1, 0, 3. x̄ = .6, r̄ = 2.2; x − x̄ = .4, −.6, .4, −.6, .4;
    # r − r̄ = 1.8, .8, −1.2, −2.2, .8. Σ products = .72 − .48 − .48 + 1.32 + .32 = 1.4;
    # Σ(r−r̄)² = 3.24 + .64 + 1.44 + 4.84 + .64 = 10.8.
    q2 = stats[2].overall
    assert q2.facility == pytest.approx(0.6)
    assert q2.discrimination == pytest.approx(100 * 1.4 / math.sqrt(1.2 * 10.8))  # ≈ 38.88
    # Q4 was never drawn: no attempts, no figures.
    q4 = stats[4]
    assert q4.attempts == 0 and q4.languages == []
    assert q4.overall.facility is None and q4.overall.discrimination is None and q4.overall.wrong is None
    # The split: kk (A1, A2), ru (A3, A4), then the attempt of unknown language (A5).
    assert [(g.locale, g.attempts) for g in stats[1].languages] == [("kk", 2), ("ru", 2), (None, 1)]
    kk, ru, unknown = stats[1].languages
    assert (kk.facility, ru.facility, unknown.facility) == (1.0, 0.0, 1.0)
    # Within kk, Q1 is right both times: no variance, no discrimination (Moodle gives none either).
    assert kk.discrimination is None and unknown.discrimination is None
    # Q1's wrong options: a once, c once (in ru); the tie goes to the option listed first.
    assert (stats[1].overall.wrong.option_id, stats[1].overall.wrong.count) == ("a", 1)
    assert stats[1].overall.wrong.share == pytest.approx(0.2)
    assert kk.wrong is None
    # Q2 (key true): "false" chosen twice.
    assert (stats[2].overall.wrong.option_id, stats[2].overall.wrong.count, stats[2].overall.wrong.texts) == (
        "false",
        2,
        None,
    )
    # Matching has no "wrong option".
    assert stats[3].overall.wrong is None


def test_facility_and_discrimination_equal_the_hand_computed_values():
    stats = compute_stats(BANK, HAND_MADE)
    assert list(stats) == [1, 2, 3, 4]  # every question of the bank, in its order
    _check_hand_made(stats)
    assert stats[1].overall.wrong.text("ru") == "вариант a"  # the option in the reader's language


def test_no_discrimination_from_one_attempt_or_when_everyone_scores_the_same():
    one = compute_stats(BANK, HAND_MADE[:1])
    assert one[1].overall.attempts == 1 and one[1].overall.facility == 1.0
    assert one[1].overall.discrimination is None
    # Q1 right in all three, so its marks do not vary, though the rest of the attempts does.
    same = compute_stats(BANK, [HAND_MADE[0], HAND_MADE[1], HAND_MADE[4]])
    assert same[1].overall.facility == 1.0 and same[1].overall.discrimination is None
    assert same[3].overall.discrimination is not None


def test_a_question_that_goes_against_the_rest_of_the_quiz_has_a_negative_index():
    # The strong learners (right on Q2 and Q3) miss Q1; the weak ones get it right.
    records = [
        _record("en", {Q1: 0, Q2: 1, Q3: 3}),
        _record("en", {Q1: 0, Q2: 1, Q3: 2}),
        _record("en", {Q1: 1, Q2: 0, Q3: 0}),
        _record("en", {Q1: 1, Q2: 0, Q3: 1}),
    ]
    assert compute_stats(BANK, records)[1].overall.discrimination < -80


def test_the_wrong_option_chosen_most_counts_each_wrong_choice():
    multiple = Q(
        id=7, key="m", kind="multiple", points=1, options=_options("a", "b", "c", "d"), answer=["a", "c"], text={}
    )
    answers = [["a", "b"], ["b"], ["a", "c"], ["b", "d"], ["d"], None]
    records = [
        _record("en", {multiple: 1 if given == ["a", "c"] else 0}, {multiple: given} if given else {})
        for given in answers
    ]
    wrong = compute_stats([multiple], records)[7].overall.wrong
    # b was chosen wrongly 3 times, d twice; the right answer and the empty one choose nothing wrong.
    assert (wrong.option_id, wrong.count) == ("b", 3)
    assert wrong.share == pytest.approx(3 / 6)
    assert wrong.text("kk") == "b нұсқа" and wrong.text("en") == "option b"


def _language(locale, attempts, right):
    return [_record(locale, {Q1: 1 if i < right else 0}, {Q1: "b" if i < right else "c"}) for i in range(attempts)]


def test_a_language_far_below_the_others_is_flagged_as_a_likely_translation_problem():
    records = (
        _language("kk", 10, 3)  # facility 0.3
        + _language("ru", 10, 8)  # 0.8: 50 points above kk
        + _language("en", 12, 9)  # 0.75
        + _language(None, 20, 0)  # unknown language: never compared, never flagged
    )
    stats = compute_stats(BANK, records)[1]
    assert stats.flagged and stats.flagged_locales == ["kk"]
    rows = {g.locale: g for g in stats.languages}
    assert rows["kk"].flagged and not rows["ru"].flagged and not rows["en"].flagged and not rows[None].flagged
    assert rows["kk"].wrong.option_id == "c" and rows["kk"].wrong.count == 7
    assert not stats.overall.flagged


@pytest.mark.parametrize(
    ("groups", "flagged"),
    [
        ({"kk": (10, 0.5), "ru": (10, 0.75)}, {"kk"}),  # exactly 25 points below: flagged
        ({"kk": (10, 0.51), "ru": (10, 0.75)}, set()),  # 24 points: not
        ({"kk": (MIN_ATTEMPTS_PER_LANGUAGE - 1, 0.0), "ru": (50, 0.9)}, set()),  # too few attempts in kk
        ({"kk": (30, 0.2), "ru": (MIN_ATTEMPTS_PER_LANGUAGE - 1, 0.9)}, set()),  # too few in the better one
        ({"kk": (30, 0.2)}, set()),  # nothing to compare with
        ({"kk": (30, 0.2), None: (100, 0.9)}, set()),  # unknown language is no comparison
        ({"kk": (30, 0.2), "ru": (30, 0.5), "en": (30, 0.9)}, {"kk", "ru"}),  # both far below en
        ({"kk": (30, None), "ru": (30, 0.9)}, set()),
    ],
)
def test_translation_flag_thresholds(groups, flagged):
    assert translation_flags(groups) == flagged


# The loader, on the real database


@pytest.fixture
def quiz(db):
    """A published course whose quiz has one question of each kind (keys q1…q5, see the builders)."""
    course = build_course(db.session, lessons=0)
    return module_of(course, "quiz")


def _store(db, enrolment, module, records, start=1):
    """Save ``records`` as submitted attempts of ``module`` (numbered from ``start``)."""
    for number, record in enumerate(records, start):
        db.session.add(
            QuizAttempt(
                enrolment_id=enrolment.id,
                module_id=module.id,
                number=number,
                seed=number,
                draw=[{"question_id": int(qid), "options": []} for qid in record.results],
                submitted_at=utcnow(),
                answers=dict(record.answers or {}),
                results=dict(record.results),
                score=0,
                passed=False,
                locale=record.locale,
            )
        )
    db.session.commit()


def _on_bank(module, records):
    """``HAND_MADE``-shaped records moved onto a real bank: Q1 → single, Q2 → true/false, Q3 → matching."""
    by_kind = {q.kind: q for q in module.questions}
    ids = {"1": by_kind["single"].id, "2": by_kind["truefalse"].id, "3": by_kind["matching"].id}
    return [
        AttemptRecord(
            r.locale,
            {str(ids[k]): v for k, v in r.results.items()},
            {str(ids[k]): v for k, v in r.answers.items()},
        )
        for r in records
    ]


def test_the_loader_gives_the_hand_computed_values_from_the_database(db, make, quiz):
    by_kind = {q.kind: q for q in quiz.questions}
    by_kind["matching"].points = 3  # the hand-made set's Q3 is worth 3
    db.session.commit()
    enrolment = enrol(db.session, make.user(), quiz.course)
    _store(db, enrolment, quiz, _on_bank(quiz, HAND_MADE))
    # An attempt still open counts nowhere.
    db.session.add(QuizAttempt(enrolment_id=enrolment.id, module_id=quiz.id, number=99, seed=1, draw=[], locale="en"))
    db.session.commit()

    stats = quiz_question_stats(db.session, quiz.id)

    assert list(stats) == [q.id for q in quiz.questions]  # the whole bank, in its order
    renamed = {by_kind["single"].id: 1, by_kind["truefalse"].id: 2, by_kind["matching"].id: 3}
    _check_hand_made(
        {renamed[qid]: s for qid, s in stats.items() if qid in renamed} | {4: stats[by_kind["ordering"].id]}
    )
    assert stats[by_kind["single"].id].overall.wrong.text("en") == "Option a of 1"
    # The same sums as the pure functions over the same records.
    assert stats == compute_stats(quiz.questions, _on_bank(quiz, HAND_MADE))


def test_the_loader_runs_the_same_queries_for_5_and_50_attempts(db, make, count_queries):
    def attempts(module, n):
        return _on_bank(module, [HAND_MADE[i % 5]._replace(locale=("kk", "ru", "en", None)[i % 4]) for i in range(n)])

    person = make.user()
    small, large = (module_of(build_course(db.session, lessons=0), "quiz") for _ in range(2))
    _store(db, enrol(db.session, person, small.course), small, attempts(small, 5))
    _store(db, enrol(db.session, person, large.course), large, attempts(large, 50))
    small_id, large_id = small.id, large.id
    db.session.expire_all()

    with count_queries() as for_five:
        five = quiz_question_stats(db.session, small_id)
    with count_queries() as for_fifty:
        fifty = quiz_question_stats(db.session, large_id)
    assert len(for_five) == len(for_fifty) <= 4
    assert next(iter(five.values())).attempts == 5 and next(iter(fifty.values())).attempts == 50
    # 50 attempts in turn kk, ru, en, unknown: 13, 13, 12 and 12, the unknown language last.
    single = next(s for s in fifty.values() if s.kind == "single")
    assert [(g.locale, g.attempts) for g in single.languages] == [("kk", 13), ("ru", 13), ("en", 12), (None, 12)]


def test_a_quiz_nobody_took_and_a_module_without_questions(db, quiz):
    stats = quiz_question_stats(db.session, quiz.id)
    assert len(stats) == len(quiz.questions)
    assert all(s.attempts == 0 and s.overall.facility is None and not s.flagged for s in stats.values())
    assert quiz_question_stats(db.session, quiz.id + 1000) == {}


# Through the pages


@pytest.fixture
def learner(make, auth):
    person = make.user(locale="ru")
    auth.login(person)
    return person


def _start(client, enrolment, module) -> int:
    response = client.post(f"/learning/{enrolment.id}/modules/{module.id}/start")
    assert response.status_code == 302
    return int(re.search(r"/attempts/(\d+)$", response.headers["Location"])[1])


def test_an_attempt_keeps_the_language_its_questions_were_shown_in(client, db, learner, quiz):
    enrolment = enrol(db.session, learner, quiz.course)
    attempt_id = _start(client, enrolment, quiz)
    page = _html(client.get(f"/learning/{enrolment.id}/attempts/{attempt_id}"))
    assert quiz.questions[0].text["ru"] in page  # the questions are shown in Russian
    assert db.session.get(QuizAttempt, attempt_id).locale == "ru"

    # The learner switches to Kazakh and resumes the same attempt: it is answered in Kazakh.
    learner.locale = "kk"
    db.session.commit()
    assert _start(client, enrolment, quiz) == attempt_id
    attempt = db.session.get(QuizAttempt, attempt_id)
    db.session.refresh(attempt)
    assert attempt.locale == "kk"

    client.post(f"/learning/{enrolment.id}/attempts/{attempt_id}", data=answer_form(db.session, attempt, False))
    stats = quiz_question_stats(db.session, quiz.id)
    single = next(s for s in stats.values() if s.kind == "single")
    assert [(g.locale, g.attempts, g.facility) for g in single.languages] == [("kk", 1, 0.0)]
    assert single.languages[0].wrong.option_id == "a"  # the builders' wrong answer to a single choice


@pytest.fixture
def author(make, auth):
    person = make.user(roles=[Role.AUTHOR])
    auth.login(person)
    return person


def test_the_editor_shows_the_statistics_per_language_with_the_translation_flag(client, db, make, quiz, author):
    single = next(q for q in quiz.questions if q.kind == "single")
    records = [
        AttemptRecord(locale, {str(single.id): {"points": float(right)}}, {str(single.id): "b" if right else "c"})
        for locale, attempts, rights in (("kk", 10, 2), ("ru", 10, 9), (None, 3, 1))
        for right in [1] * rights + [0] * (attempts - rights)
    ]
    _store(db, enrol(db.session, make.user(), quiz.course), quiz, records)

    page = _html(client.get(f"/author/questions/{single.id}"))
    section = page[page.index('id="question-stats"') :]
    rows = dict(re.findall(r'<tr data-locale="(\w+)"(.*?)</tr>', section, re.S))
    assert list(rows) == ["all", "kk", "ru", "unknown"]
    assert re.search(r'data-col="attempts">23<', rows["all"])
    assert re.search(r'data-col="facility">20%<', rows["kk"]) and re.search(r'data-col="facility">90%<', rows["ru"])
    assert 'data-flag="translation"' in rows["kk"] and "Check the translation" in rows["kk"]
    assert "data-flag" not in rows["ru"] and "data-flag" not in rows["unknown"]
    assert "Unknown language" in rows["unknown"]
    # The wrong option chosen most, in the reader's language (the author reads English).
    assert 'data-option="c"' in rows["kk"] and "Option c of 1" in rows["kk"]
    assert "check its translation" in section

    # A new draft's question has no attempts of its own: the editor shows version 1's.
    draft = versioning.draft_for_editing(db.session, quiz.course)
    db.session.commit()
    copy = next(q for m in draft.modules if m.key == quiz.key for q in m.questions if q.key == single.key)
    page = _html(client.get(f"/author/questions/{copy.id}"))
    assert "From the attempts at version 1 of this course." in page
    assert 'data-flag="translation"' in page

    # A question nobody answered says so.
    never = next(q for q in quiz.questions if q.kind == "ordering")
    page = _html(client.get(f"/author/questions/{never.id}"))
    assert "No learner has answered this question yet." in page and "<table" not in page.split("question-stats")[-1]


def test_the_editor_statistics_cost_a_bounded_number_of_queries(client, db, make, quiz, author, count_queries):
    single = next(q for q in quiz.questions if q.kind == "single")
    enrolment = enrol(db.session, make.user(), quiz.course)
    _store(db, enrolment, quiz, _on_bank(quiz, HAND_MADE))
    with count_queries() as few:
        client.get(f"/author/questions/{single.id}")
    _store(db, enrolment, quiz, _on_bank(quiz, HAND_MADE * 8), start=100)
    with count_queries() as many:
        assert "data-locale" in _html(client.get(f"/author/questions/{single.id}"))
    assert len(few) == len(many)
