"""The author's question form and publish blocker in the author's words: made keys, pools, every error at once."""

import html

from sqlalchemy import select

from courses.models import Course, CourseStatus, Module, Question


def _truefalse(text: str, **extra) -> dict:
    return {"points": 1, "text_ru": text, "explanation_ru": "Так.", "truth": "true", **extra}


def test_a_question_without_a_key_gets_one_from_its_text_unique_in_the_course(client, author, sample, db):
    quiz = sample.modules[1]
    url = f"/author/modules/{quiz.id}/questions/new/truefalse"
    assert client.post(url, data=_truefalse("Қуанышұлы подарок — взятка?", text_kk="x")).status_code == 302
    assert client.post(url, data=_truefalse("Қуанышұлы подарок — взятка?")).status_code == 302
    assert client.post(url, data=_truefalse("!!!")).status_code == 302
    keys = [q.key for q in db.session.scalars(select(Question).order_by(Question.id))][-3:]
    assert keys == ["quanyshuly-podarok-vzyatka", "quanyshuly-podarok-vzyatka-2", "question"]

    # editing keeps the key, even when the field is emptied: statistics and packs go on naming it so
    question = db.session.scalars(select(Question).where(Question.key == "question")).one()
    response = client.post(f"/author/questions/{question.id}", data=_truefalse("Другой текст", key=""))
    assert response.status_code == 302
    db.session.expire_all()
    assert question.key == "question"
    assert question.text == {"ru": "Другой текст"}


def test_the_key_and_pool_are_explained_and_the_pool_starts_as_the_last_ones(client, author, sample):
    quiz = sample.modules[1]
    page = html.unescape(client.get(f"/author/modules/{quiz.id}/questions/new/single").get_data(as_text=True))
    assert "Leave it empty: it is made from the question's text." in page
    assert "A group of questions the quiz draws from" in page
    assert 'name="pool" type="text" value="basics"' in page  # the quiz's last question is in "basics"
    assert '<option value="scenarios">' in page  # the pools in use, offered


def test_an_empty_pool_is_main(client, author, sample, db):
    quiz = sample.modules[1]
    client.post(f"/author/modules/{quiz.id}/questions/new/truefalse", data=_truefalse("Пул?", pool=""))
    assert db.session.scalars(select(Question).where(Question.key == "pul")).one().pool == "main"


def test_the_explanation_is_marked_required_in_the_main_language_only(client, author, sample):
    quiz = sample.modules[1]
    page = client.get(f"/author/modules/{quiz.id}/questions/new/truefalse").get_data(as_text=True)
    assert page.count("required-marker") == 2  # the question and its explanation, in Russian
    assert page.count('aria-required="true"') == 2
    assert "shown after the answer is sent" in page


def test_every_error_of_a_question_is_shown_at_once(client, author, sample, db):
    quiz = sample.modules[1]
    response = client.post(
        f"/author/modules/{quiz.id}/questions/new/single",
        data={"key": "Bad Key", "points": 0, "text_ru": "Что?", "options-0-text_ru": "А"},
    )
    page = html.unescape(response.get_data(as_text=True))
    assert response.status_code == 200
    for error in (
        "Key: Lower-case letters, digits and hyphens.",
        "Points: Number must be between 1 and 100.",
        "Write the explanation in Русский, the course's main language.",
        "Fill in at least two options.",
        "Mark exactly one option as correct.",
    ):
        assert error in page, error
    assert db.session.scalars(select(Question).where(Question.key == "bad-key")).first() is None


def test_the_publish_blocker_names_lessons_and_questions_not_files(client, author, sample, db):
    lesson, quiz = sample.modules[0], sample.modules[1]
    lesson.body = {"kk": "Тек қазақша. [Ереже](files/missing.pdf)"}
    sample.modules.append(Module(key="check", kind="quiz", title={"ru": "Проверка"}, body={}, settings={}, position=3))
    quiz.questions[0].explanation = {"kk": "Тек қазақша."}
    db.session.commit()
    page = html.unescape(client.get(f"/author/courses/{sample.id}").get_data(as_text=True))
    for problem in (
        "Lesson «Основы»: write its text in Русский.",
        "Lesson «Основы»: the link to files/missing.pdf leads to no file of the course.",
        "Quiz «Итоговый тест»: write the question “gift-from-parent” in full in Русский",
        "Quiz «Проверка»: add at least one question.",
    ):
        assert problem in page, problem
    assert ".yaml" not in page and ".md" not in page
    response = client.post(f"/author/courses/{sample.id}/publish", follow_redirects=True)
    assert "Quiz «Проверка»: add at least one question." in html.unescape(response.get_data(as_text=True))
    db.session.expire_all()
    assert db.session.get(Course, sample.id).status == CourseStatus.DRAFT


def test_the_lesson_to_reread_is_offered_by_its_title(client, author, sample):
    quiz = sample.modules[1]
    page = client.get(f"/author/modules/{quiz.id}").get_data(as_text=True)
    assert '<option selected value="basics">Basics</option>' in page or 'value="basics">Basics<' in page


def test_a_module_without_a_key_gets_one_from_its_title(client, author, sample, db):
    for title in ("Сыйлықтар мен қонақжайлық", "Сыйлықтар мен қонақжайлық", ""):
        response = client.post(f"/author/courses/{sample.id}/modules", data={"kind": "lesson", "title_kk": title})
        assert response.status_code == 302
    keys = [m.key for m in db.session.scalars(select(Module).order_by(Module.id))][-3:]
    assert keys == ["syylyqtar-men-qonaqzhaylyq", "syylyqtar-men-qonaqzhaylyq-2", "module"]
    page = html.unescape(client.get(f"/author/courses/{sample.id}").get_data(as_text=True))
    assert "Leave it empty: it is made from the title." in page
