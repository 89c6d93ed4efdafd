"""Authoring in the browser: who may, courses and modules, question banks, publishing, pack upload."""

import io
import re
import zipfile
from pathlib import Path

import pytest
from sqlalchemy import func, select

from courses.authoring import versioning
from courses.models import Course, CourseStatus, Module, Question
from courses.packs.importing import import_pack
from courses.packs.reading import read_folder
from courses.packs.validating import load_pack, load_pack_zip
from lms.models import Role

SAMPLE = Path(__file__).parent / "packs" / "sample-course"
BROKEN = Path(__file__).parent / "packs" / "broken-course"


def _count(db, model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def _authoring_urls(app):
    """Every authoring URL with made-up ids, and the method it answers."""
    values = {"course_id": 1, "module_id": 1, "question_id": 1, "kind": "single"}
    urls = []
    with app.test_request_context():
        for rule in app.url_map.iter_rules():
            if rule.endpoint.startswith("authoring."):
                method = "GET" if "GET" in rule.methods else "POST"
                urls.append((method, rule.build({k: v for k, v in values.items() if k in rule.arguments})[1]))
    return urls


@pytest.mark.parametrize("role", [None, Role.OFFICER])
def test_every_authoring_page_is_refused_to_learners_and_officers(app, client, auth, make, role):
    auth.login(make.user(roles=[role] if role else []))
    urls = _authoring_urls(app)
    assert len(urls) >= 15
    for method, url in urls:
        response = client.open(url, method=method)
        assert response.status_code == 403, url


def test_authoring_needs_sign_in(app, client):
    for method, url in _authoring_urls(app):
        assert client.open(url, method=method).status_code == 302, url


def test_admin_passes(client, auth, make):
    auth.login(make.user(roles=[Role.ADMIN]))
    assert client.get("/author/").status_code == 200


def _title(prefix: str, **locales) -> dict:
    return {f"{prefix}_{k}": v for k, v in locales.items()}


def test_author_writes_and_publishes_a_course(client, author, db):
    response = client.post(
        "/author/courses/new",
        data={
            "slug": "gifts",
            "default_locale": "ru",
            "audience": "staff",
            "pass_mark": 70,
            **_title("title", kk="Сыйлықтар", ru="Подарки", en="Gifts"),
        },
    )
    assert response.status_code == 302
    course = db.session.scalars(select(Course)).one()
    assert (course.slug, course.version, course.status, course.title["en"]) == ("gifts", 1, "draft", "Gifts")

    page = client.get(f"/author/courses/{course.id}").get_data(as_text=True)
    assert "missing translation" not in page  # the title has all three languages
    assert "To fix before publishing" not in page or "modules" in page

    client.post(f"/author/courses/{course.id}/modules", data={"key": "rules", "kind": "lesson", "title_ru": "Правила"})
    lesson = db.session.scalars(select(Module).where(Module.key == "rules")).one()
    edit = client.get(f"/author/modules/{lesson.id}").get_data(as_text=True)
    assert edit.count("missing translation") == 5  # two titles and three bodies
    assert "/author/preview" in edit
    client.post(
        f"/author/modules/{lesson.id}",
        data={"title_ru": "Правила", "title_kk": "Ережелер", "body_ru": "## Нельзя\n\nБрать подарки.", "required": "y"},
    )
    db.session.expire_all()
    assert lesson.body == {"ru": "## Нельзя\n\nБрать подарки."}
    assert lesson.title == {"ru": "Правила", "kk": "Ережелер"}

    client.post(f"/author/courses/{course.id}/modules", data={"key": "check", "kind": "quiz", "title_ru": "Проверка"})
    quiz = db.session.scalars(select(Module).where(Module.key == "check")).one()
    response = client.post(
        f"/author/modules/{quiz.id}/questions/new/single",
        data={
            "key": "flowers",
            "pool": "main",
            "points": 1,
            "text_ru": "Можно ли принять цветы?",
            "explanation_ru": "Только символический подарок.",
            "options-0-text_ru": "Да",
            "options-1-text_ru": "Нет",
            "options-1-correct": "y",
        },
    )
    assert response.status_code == 302
    client.post(
        f"/author/modules/{quiz.id}/questions/new/truefalse",
        data={
            "key": "cash",
            "pool": "main",
            "points": 1,
            "text_ru": "Деньги — подарок?",
            "explanation_ru": "Нет.",
            "truth": "false",
        },
    )
    client.post(
        f"/author/modules/{quiz.id}/questions/new/ordering",
        data={
            "key": "steps",
            "pool": "extra",
            "points": 2,
            "text_ru": "Порядок",
            "explanation_ru": "Так.",
            "options-0-text_ru": "Отказаться",
            "options-0-order": 1,
            "options-1-text_ru": "Сообщить",
            "options-1-order": 2,
        },
    )
    questions = {q.key: q for q in db.session.scalars(select(Question))}
    assert questions["flowers"].answer == "b"
    assert questions["flowers"].options == [{"id": "a", "text": {"ru": "Да"}}, {"id": "b", "text": {"ru": "Нет"}}]
    assert questions["cash"].answer is False
    assert questions["steps"].answer == ["a", "b"]

    client.post(
        f"/author/modules/{quiz.id}",
        data={
            "title_ru": "Проверка",
            "pools": "main=2, extra=1",
            "grading": "last",
            "show_answers": "passed",
            "time_limit_minutes": 10,
            "required": "y",
        },
    )
    db.session.expire_all()
    assert quiz.settings == {
        "pools": [{"pool": "main", "draw": 2}, {"pool": "extra", "draw": 1}],
        "time_limit_s": 600,
        "grading": "last",
        "show_answers": "passed",
    }
    client.post(f"/author/courses/{course.id}/publish")
    db.session.expire_all()
    assert course.status == CourseStatus.PUBLISHED


def test_a_question_that_breaks_the_rules_is_refused_with_the_reason(client, author, sample, db):
    quiz = sample.modules[1]
    response = client.post(
        f"/author/modules/{quiz.id}/questions/new/multiple",
        data={
            "key": "no-answer",
            "pool": "basics",
            "points": 1,
            "text_ru": "Что?",
            "explanation_ru": "Потому что.",
            "options-0-text_ru": "А",
            "options-1-text_ru": "Б",
        },
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Mark at least one option as correct." in page
    response = client.post(
        f"/author/modules/{quiz.id}/questions/new/single",
        data={
            "key": "hotline",
            "pool": "basics",
            "points": 1,
            "text_ru": "?",
            "explanation_ru": "!",
            "options-0-text_ru": "А",
            "options-1-text_ru": "Б",
            "options-0-correct": "y",
        },
    )
    assert "Another question of this quiz has the key “hotline”" in response.get_data(as_text=True)
    assert _count(db, Question) == 5


def test_publishing_is_refused_while_a_pool_is_smaller_than_its_draw(client, author, sample, db):
    quiz = sample.modules[1]
    client.post(f"/author/questions/{quiz.questions[3].id}/delete")  # basics keeps 1 question, the quiz draws 2
    page = client.get(f"/author/modules/{quiz.id}/questions").get_data(as_text=True)
    assert "too few questions" in page
    response = client.post(f"/author/courses/{sample.id}/publish", follow_redirects=True)
    assert "it draws 2 questions from the pool “basics”, which holds 1" in response.get_data(as_text=True)
    db.session.expire_all()
    assert sample.status == CourseStatus.DRAFT


def test_reorder_modules_with_buttons_and_by_dragging(client, author, sample, db):
    ids = [m.id for m in sample.modules]
    client.post(f"/author/courses/{sample.id}/order", data={"order": ids, "move": f"{ids[2]}:up"})
    db.session.expire_all()
    assert [m.id for m in db.session.get(Course, sample.id).modules] == [ids[0], ids[2], ids[1]]
    # the drag script submits the same form with the items in their new order and no button
    client.post(f"/author/courses/{sample.id}/order", data={"order": [ids[1], ids[0], ids[2]]})
    db.session.expire_all()
    modules = db.session.get(Course, sample.id).modules
    assert [m.id for m in modules] == [ids[1], ids[0], ids[2]]
    assert [m.position for m in modules] == [0, 1, 2]
    # an order that does not list the course's modules is refused
    response = client.post(f"/author/courses/{sample.id}/order", data={"order": [ids[0]]}, follow_redirects=True)
    assert "The list of modules changed meanwhile" in response.get_data(as_text=True)


def test_course_page_shows_the_drag_form_and_script(client, author, sample):
    page = client.get(f"/author/courses/{sample.id}").get_data(as_text=True)
    assert "data-sortable" in page
    assert "js/module-order.js" in page
    assert page.count('name="move"') == 6
    assert "<script>" not in page


def test_editing_a_published_course_starts_a_new_draft_and_leaves_it_frozen(client, author, sample, db):
    versioning.publish(db.session, sample)
    db.session.commit()
    lesson = sample.modules[0]
    response = client.post(f"/author/modules/{lesson.id}", data={"title_ru": "Изменено"}, follow_redirects=True)
    assert "This version is frozen" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Module, lesson.id).title["ru"] == "Основы"
    response = client.post(f"/author/courses/{sample.id}/draft")
    draft = db.session.scalars(select(Course).where(Course.version == 2)).one()
    assert response.headers["Location"] == f"/author/courses/{draft.id}"
    assert draft.status == CourseStatus.DRAFT
    client.post(f"/author/modules/{draft.modules[0].id}", data={"title_ru": "Изменено", "body_ru": "## Новое"})
    db.session.expire_all()
    assert db.session.get(Course, draft.id).modules[0].title == {"ru": "Изменено"}
    assert db.session.get(Module, lesson.id).title["ru"] == "Основы"


def test_preview_renders_markdown_and_removes_scripts(client, author):
    response = client.post(
        "/author/preview",
        data={"text": "**bold** <script>alert(1)</script>\n\n<img src=x onerror=alert(1)>\n\n[x](javascript:alert(1))"},
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<strong>bold</strong>" in html
    assert "<script" not in html
    assert "<img" not in html  # raw HTML is shown as text, never as a tag
    assert 'href="javascript' not in html


def test_preview_points_pack_files_at_the_course_files(client, author, sample):
    html = client.post(f"/author/preview?course_id={sample.id}", data={"text": "![d](files/diagram.png)"}).get_data(
        as_text=True
    )
    assert f'src="/learning/files/{sample.id}/diagram.png"' in html
    with client.get(f"/learning/files/{sample.id}/diagram.png") as response:
        assert response.status_code == 200


def test_preview_needs_the_csrf_token(app, client, author, monkeypatch):
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    assert client.post("/author/preview", data={"text": "x"}).status_code == 400


def _zip(files: dict[str, bytes], top: str = "") -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in files.items():
            archive.writestr(top + name, content)
    return buffer.getvalue()


def _upload(client, data: bytes, name="pack.zip", **fields):
    return client.post(
        "/author/import", data={"pack": (io.BytesIO(data), name), **fields}, content_type="multipart/form-data"
    )


def test_upload_a_pack_zip(client, author, db):
    response = _upload(client, _zip(read_folder(SAMPLE), top="sample-course/"), publish="y")
    assert response.status_code == 302
    course = db.session.scalars(select(Course)).one()
    assert (course.slug, course.status) == ("sample-course", CourseStatus.PUBLISHED)
    assert len(course.modules) == 3


def test_upload_of_a_broken_pack_lists_every_error_and_imports_nothing(client, author, db):
    response = _upload(client, _zip(read_folder(BROKEN)))
    page = response.get_data(as_text=True)
    assert "8 errors; nothing was imported." in page
    assert "quiz.quiz.yaml:12: the answer “c” is not one of the options" in page
    assert _count(db, Course) == 0


def test_upload_refuses_a_zip_slip(client, author, db, app, tmp_path):
    files = read_folder(SAMPLE) | {"../../evil.txt": b"owned", "/etc/evil": b"x"}
    page = _upload(client, _zip(files)).get_data(as_text=True)
    assert "../../evil.txt" in page
    assert "unsafe path in the zip" in page
    assert _count(db, Course) == 0
    storage = Path(app.config["ADAL_STORAGE_PATH"])
    assert not list(storage.parent.rglob("evil.txt"))


def test_upload_refuses_what_is_not_a_zip_and_what_is_too_large(client, author, db, app, monkeypatch):
    assert "this is not a zip file" in _upload(client, b"%PDF-1.4 not a zip", name="pack.zip").get_data(as_text=True)
    monkeypatch.setitem(app.config, "ADAL_PACK_MAX_BYTES", 1000)
    page = _upload(client, _zip(read_folder(SAMPLE))).get_data(as_text=True)
    assert "The file is too large." in page
    assert _count(db, Course) == 0


def test_export_download_is_the_same_pack(client, author, sample, app):
    response = client.get(f"/author/courses/{sample.id}/export.zip")
    assert response.headers["Content-Disposition"].startswith("attachment; filename=sample-course-v1.zip")
    with app.test_request_context():
        assert load_pack_zip(response.data) == load_pack(SAMPLE)


def test_course_list_is_a_bounded_number_of_queries(client, author, db, count_queries):
    def add(n):
        for _i in range(n):
            import_pack(db.session, load_pack(SAMPLE) | {"slug": f"course-{_count(db, Course)}"})
            db.session.flush()
        db.session.commit()

    add(2)
    with count_queries() as few:
        page = client.get("/author/")
    add(6)
    with count_queries() as many:
        client.get("/author/")
    assert page.status_code == 200
    assert len(many) == len(few)
    assert len(re.findall(r"course-\d", client.get("/author/").get_data(as_text=True))) >= 8


def _form_post_data(form) -> dict:
    """What a browser would send back for a filled-in form."""
    data = {}
    for field in form:
        for item in field if field.type == "FieldList" else [field]:
            for sub in item.form if item.type == "FormField" else [item]:
                if sub.type == "BooleanField":
                    if sub.data:
                        data[sub.name] = "y"
                elif sub.type not in ("SubmitField", "CSRFTokenField") and sub.data not in (None, ""):
                    data[sub.name] = sub.data
    return data


def test_every_kind_of_question_saves_back_unchanged_from_its_edit_form(app, client, author, sample, db):
    from courses.authoring.forms import QuestionForm

    quiz = sample.modules[1]
    before = {q.key: (q.kind, q.options, q.answer, q.text, q.explanation, q.points) for q in quiz.questions}
    for question in quiz.questions:
        assert client.get(f"/author/questions/{question.id}").status_code == 200
        with app.test_request_context():
            form = QuestionForm(formdata=None)
            form.fill(question)
            data = _form_post_data(form)
        response = client.post(f"/author/questions/{question.id}", data=data)
        assert response.status_code == 302, (question.kind, response.get_data(as_text=True)[-3000:])
    db.session.expire_all()
    after = {q.key: (q.kind, q.options, q.answer, q.text, q.explanation, q.points) for q in quiz.questions}
    assert after == before


def test_course_settings_and_module_deletion(client, author, sample, db):
    assert client.get(f"/author/courses/{sample.id}/settings").status_code == 200
    response = client.post(
        f"/author/courses/{sample.id}/settings",
        data={"default_locale": "kk", "audience": "students", "pass_mark": 60, "title_kk": "Жаңа", "title_ru": "Новый"},
    )
    assert response.status_code == 302
    lesson = sample.modules[0]
    client.post(f"/author/modules/{lesson.id}/delete")
    db.session.expire_all()
    course = db.session.get(Course, sample.id)
    assert (course.default_locale, course.audience_hint, course.pass_mark) == ("kk", "students", 60)
    assert course.title == {"kk": "Жаңа", "ru": "Новый"}
    assert [(m.key, m.position) for m in course.modules] == [("final-quiz", 0), ("code-acceptance", 1)]


def test_a_question_not_written_in_the_main_language_says_which_parts_in_the_forms_words(client, author, sample, db):
    """Not "“text” has no ru translation" once per option, but the parts as the form names them."""
    quiz = sample.modules[1]
    response = client.post(
        f"/author/modules/{quiz.id}/questions/new/single",
        data={
            "key": "kazakh-only",
            "pool": "basics",
            "points": 1,
            "text_kk": "Не?",
            "options-0-text_kk": "Иә",
            "options-1-text_ru": "Нет",
            "options-0-correct": "y",
        },
    )
    page = response.get_data(as_text=True)
    assert "Write the question, option a, the explanation in Русский, the course&#39;s main language." in page
    assert "has no ru translation" not in page
    assert _count(db, Question) == 5  # the sample's, nothing added
