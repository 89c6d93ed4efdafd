"""What stops a course written in the browser from being published, in the author's words.

The pack rules (``packs.validating.check_pack``) speak of files and lines, which an author in the browser never
sees. These checks name the lesson, quiz or question instead; whatever the pack rules still find
after them is shown with the module it concerns, so publishing never lets through what a pack
import would refuse.
"""

from __future__ import annotations

from pathlib import PurePosixPath

from courses.models import Course, Module, ModuleKind
from courses.packs.stored import files_dir
from courses.packs.validating import LINK_DEFINITION_RE, LINK_RE, check_question, course_problems
from courses.questions import question_type
from lms.i18n import LANGUAGE_NAMES
from lms.i18n import gettext_if_request as _


def publish_problems(course: Course) -> list[str]:
    """Every reason this draft cannot be published yet, one sentence each, naming lessons and questions."""
    language = LANGUAGE_NAMES[course.default_locale]
    problems = []
    if not course.modules:
        problems.append(_("Add at least one lesson, quiz or attestation."))
    if course.default_locale not in (course.title or {}):
        problems.append(_("Give the course a title in %(language)s (in its settings).", language=language))
    for module in course.modules:
        problems += [f"{module_name(module)}: {problem}" for problem in _module_problems(module, course, language)]
    if not problems:
        modules = {module.key: module_name(module) for module in course.modules}
        problems = [_located(error, modules) for error in course_problems(course)]
    return problems


def module_name(module: Module) -> str:
    """“Lesson «Rules»”: the module as the course page lists it."""
    title = module.title.get(module.course.default_locale) or next(iter(module.title.values()), module.key)
    if module.kind == ModuleKind.QUIZ:
        return _("Quiz «%(title)s»", title=title)
    if module.kind == ModuleKind.ATTESTATION:
        return _("Attestation «%(title)s»", title=title)
    if module.kind == ModuleKind.LESSON:
        return _("Lesson «%(title)s»", title=title)
    return _("Module «%(title)s»", title=title)


def _module_problems(module: Module, course: Course, language: str) -> list[str]:
    locale = course.default_locale
    problems = []
    if locale not in module.title:
        problems.append(_("write its title in %(language)s.", language=language))
    if module.kind == ModuleKind.QUIZ:
        return problems + _quiz_problems(module, course, language)
    text = (module.body or {}).get(locale, "")
    if not text.strip():
        problems.append(_("write its text in %(language)s.", language=language))
    if module.kind == ModuleKind.ATTESTATION and not (module.settings or {}).get("document_version"):
        problems.append(_("give the document a version (in the module's settings)."))
    problems += [
        _("the link to %(target)s leads to no file of the course.", target=target)
        for body in (module.body or {}).values()
        for target in _broken_links(body, course)
    ]
    return problems


def _quiz_problems(module: Module, course: Course, language: str) -> list[str]:
    if not module.questions:
        return [_("add at least one question.")]
    problems = []
    sizes: dict[str, int] = {}
    for question in module.questions:
        sizes[question.pool] = sizes.get(question.pool, 0) + 1
        problems += _question_problems(question, course.default_locale, language)
    for draw in (module.settings or {}).get("pools", []):
        have = sizes.get(draw["pool"], 0)
        if have < draw["draw"]:
            problems.append(
                _(
                    "it draws %(draw)d questions from the pool “%(pool)s”, which holds %(have)d; "
                    "add questions or draw fewer.",
                    draw=draw["draw"],
                    pool=draw["pool"],
                    have=have,
                )
            )
    remedial = (module.settings or {}).get("remedial_module")
    if remedial and not any(m.key == remedial and m.kind == ModuleKind.LESSON for m in course.modules):
        problems.append(_("the lesson to re-read after failures is no longer in the course; choose another."))
    return problems


def _question_problems(question, locale: str, language: str) -> list[str]:
    """A question not written in full in the main language (its language changed), or one the rules refuse."""
    texts = [question.text, question.explanation]
    texts += [text for option in question.options or [] for text in (option["text"], option.get("match", {locale: 1}))]
    if any(locale not in text for text in texts):
        return [
            _(
                "write the question “%(key)s” in full in %(language)s, the course's main language.",
                key=question.key,
                language=language,
            )
        ]
    fields = ("key", "pool", "kind", "text", "options", "explanation", "points")
    entry = {field: getattr(question, field) for field in fields}
    if question_type(question.kind).answer_in_pack:  # a matching question's partners are its answer
        entry["answer"] = question.answer
    _data, errors = check_question(entry, locale)
    return [f"«{question.key}»: {error}" for error in errors]


def _broken_links(text: str, course: Course) -> list[str]:
    """The ``files/…`` links of a text that name no file uploaded with the course."""
    folder = files_dir(course)
    broken = []
    for line in text.splitlines():
        for link in LINK_RE.findall(line) + LINK_DEFINITION_RE.findall(line):
            target = link.split("#")[0].split("?")[0].removeprefix("./")
            if target.startswith("files/"):
                relative = PurePosixPath(target.removeprefix("files/"))
                if ".." in relative.parts or not (folder / relative).is_file():
                    broken.append(target)
    return broken


def _located(error, modules: dict[str, str]) -> str:
    """A pack rule's finding, with the module its file belongs to instead of the file and line."""
    module = modules.get(error.file.split(".", 1)[0])
    return f"{module}: {error.message}" if module else error.message
