"""A course's title in a list: the reader's language, else another one marked with it (issue 15)."""

from tests.courses.builders import build_course, enrol


def test_a_title_missing_in_the_readers_language_is_shown_in_another_marked(client, auth, make, db):
    learner = make.user(locale="kk")
    course = build_course(db.session)
    course.title = {"ru": "Основы честности", "en": "Integrity basics"}
    translated = build_course(db.session)
    translated.title = {"kk": "Адалдық негіздері", "ru": "Основы честности"}
    db.session.commit()
    enrol(db.session, learner, course)
    enrol(db.session, learner, translated)
    auth.login(learner)
    page = client.get("/learning").get_data(as_text=True)
    assert '<span lang="ru">Основы честности</span> <span class="badge' in page
    assert ">Адалдық негіздері</h2>" in page
    assert page.count("name-fallback") == 1
