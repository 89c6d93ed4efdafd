"""Checking a pack before anything touches the database: every error at once, with file and line.

The format is documented in ``courses/bundled/README.md``. Importing happens only after a clean
check, so a broken pack leaves nothing behind. The checked data is plain JSON-like data, the same
shape whether it came from a folder, a zip or the database (``exporting.course_data``): so a
course version is checked before publishing by the very rules a pack is.
"""

from __future__ import annotations

import re
from pathlib import Path, PurePosixPath

from courses.models import Course, ModuleKind
from courses.packs.checker import KEY_RE, SLUG_RE
from courses.packs.exporting import course_data, pack_files
from courses.packs.quiz_rules import QuizChecker
from courses.packs.reading import ZIP_MAX_BYTES, LineMap, PackError, PackInvalid, plain, read_folder, read_zip, unmarked
from lms.config import LOCALES
from lms.i18n import gettext_if_request as _

AUDIENCES = ("all", "staff", "students")
#: A Markdown link or image target: ``](target)`` or ``](target "title")``.
LINK_RE = re.compile(r"\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
#: A reference-style link definition: ``[label]: target``.
LINK_DEFINITION_RE = re.compile(r"^\s{0,3}\[[^\]]+\]:\s*<?([^\s>]+)>?")


class PackChecker(QuizChecker):
    """The checker's rules for ``course.yaml``, its modules and their Markdown files."""

    def course(self, expected_slug: str | None) -> dict | None:
        doc = self.yaml("course.yaml")
        if doc is None:
            return None
        file = "course.yaml"
        if not self.mapping(file, doc, "course.yaml", 1):
            return None
        self.unknown_keys(
            file,
            doc,
            (
                "slug",
                "version",
                "default_locale",
                "audience",
                "pass_mark",
                "validity_months",
                "remedial_after_failures",
                "title",
                "description",
                "modules",
            ),
        )
        slug = doc.get("slug")
        if not isinstance(slug, str) or not SLUG_RE.match(slug) or len(slug) > 100:
            self.error(file, self.line(doc, "slug"), _("the slug must be lower-case letters, digits and hyphens"))
        elif expected_slug is not None and slug != expected_slug:
            self.error(
                file,
                self.line(doc, "slug"),
                _("the slug “%(slug)s” differs from the folder name “%(folder)s”", slug=slug, folder=expected_slug),
            )
        locale = self.choice(file, doc, "default_locale", LOCALES)
        self.default_locale = locale or "ru"
        data = {
            "slug": slug,
            "version": self.integer(file, doc, "version", 1, required=True),
            "default_locale": locale,
            "audience": self.choice(file, doc, "audience", AUDIENCES, "all"),
            "pass_mark": self.integer(file, doc, "pass_mark", 0, high=100, required=True),
            "validity_months": self.integer(file, doc, "validity_months", 1),
            "remedial_after_failures": self.integer(file, doc, "remedial_after_failures", 1),
            "title": self.translated(file, doc, "title"),
            "description": self.translated(file, doc, "description", required=self.strict),
        }
        data = {k: v for k, v in data.items() if v is not None}
        modules = doc.get("modules")
        if not isinstance(modules, list) or not modules:
            self.error(file, self.line(doc, "modules"), _("“modules” must be a list of at least one module"))
            modules = []
        keys: set[str] = set()
        pairs = [(item, self.module(item, keys)) for item in modules]
        data["modules"] = [module for _item, module in pairs if module is not None]
        lessons = {m["key"] for m in data["modules"] if m["kind"] == ModuleKind.LESSON}
        for item, module in pairs:
            remedial = (module or {}).get("settings", {}).get("remedial_module")
            if remedial is not None and remedial not in lessons:
                settings = item.get("settings")
                self.error(
                    file,
                    self.line(settings, "remedial_module"),
                    _("“remedial_module” names no lesson of this course: %(key)s", key=remedial),
                )
        return data

    def module(self, item, keys: set[str]) -> dict | None:
        file = "course.yaml"
        if not self.mapping(file, item, _("a module"), None):
            return None
        self.unknown_keys(file, item, ("key", "kind", "title", "settings", "required"))
        key = item.get("key")
        if not isinstance(key, str) or not KEY_RE.match(key) or len(key) > 100:
            self.error(file, self.line(item, "key"), _("a module key must be lower-case letters, digits and hyphens"))
            key = None
        elif key in keys:
            self.error(file, self.line(item, "key"), _("the module key “%(key)s” is used twice", key=key))
        else:
            keys.add(key)
        kind = self.choice(file, item, "kind", tuple(ModuleKind))
        module = {"key": key, "kind": kind, "title": self.translated(file, item, "title")}
        if "required" in item:
            if not isinstance(item["required"], bool):
                self.error(file, self.line(item, "required"), _("“required” must be true or false"))
            else:
                module["required"] = item["required"]
        settings = item.get("settings", LineMap())
        if not self.mapping(file, settings, "settings", self.line(item, "settings")):
            settings = LineMap()
        if kind == ModuleKind.QUIZ:
            module["settings"] = self.quiz_settings(settings)
        elif kind == ModuleKind.ATTESTATION:
            module["settings"] = self.attestation_settings(settings, item)
        elif settings:
            self.error(file, self.line(item, "settings"), _("a lesson has no settings"))
        if key is None or kind is None:
            return None
        if kind == ModuleKind.QUIZ:
            module["questions"] = self.quiz_file(key, item, module["settings"])
        else:
            module["body"] = self.bodies(key, item)
        return module

    def attestation_settings(self, settings: LineMap, item: LineMap) -> dict:
        file = "course.yaml"
        self.unknown_keys(file, settings, ("document_version", "min_reading_seconds"))
        version = settings.get("document_version")
        result = {}
        if not isinstance(version, str | int) or isinstance(version, bool) or not str(version).strip():
            self.error(
                file,
                self.line(settings, "document_version") or self.line(item, "kind"),
                _("an attestation needs a “document_version” (text)"),
            )
        else:
            result["document_version"] = str(version)
        seconds = self.integer(file, settings, "min_reading_seconds", 0)
        if seconds is not None:
            result["min_reading_seconds"] = seconds
        return result

    def bodies(self, key: str, item: LineMap) -> dict:
        needed = LOCALES if self.strict else (self.default_locale,)
        body = {}
        for locale in LOCALES:
            name = f"{key}.{locale}.md"
            if name not in self.files:
                if locale in needed:
                    self.error(
                        "course.yaml", self.line(item, "key"), _("the Markdown file %(file)s is missing", file=name)
                    )
                continue
            try:
                text = self.files[name].decode("utf-8")
            except UnicodeDecodeError:
                self.error(name, None, _("the file is not UTF-8 text"))
                continue
            if not text.strip():
                self.error(name, 1, _("the Markdown file is empty"))
                continue
            self.links(name, text)
            body[locale] = text
        return body

    def links(self, file: str, text: str) -> None:
        """Every ``files/…`` reference of a Markdown text must be a file of the pack."""
        for number, line in enumerate(text.splitlines(), start=1):
            for link in LINK_RE.findall(line) + LINK_DEFINITION_RE.findall(line):
                target = link.split("#")[0].split("?")[0]
                if target.startswith(("files/", "./files/")):
                    path = target.removeprefix("./")
                    if ".." in PurePosixPath(path).parts or path not in self.files:
                        self.error(file, number, _("the linked file %(target)s is not in the pack", target=target))

    def unused_files(self, data: dict) -> None:
        """A Markdown or quiz file no module uses is most likely a typo in its name."""
        used = {"course.yaml"}
        for module in data.get("modules", []):
            used |= {f"{module['key']}.{loc}.md" for loc in LOCALES} | {f"{module['key']}.quiz.yaml"}
        for name in self.files:
            if "/" not in name and name not in used and (name.endswith(".md") or name.endswith(".yaml")):
                if name != "README.md":
                    self.error(name, None, _("no module of course.yaml uses this file"))


def check_pack(files: dict[str, bytes], strict: bool = False, expected_slug: str | None = None) -> dict:
    """Validate a pack's files and return its data; raise ``PackInvalid`` with every error.

    :param strict: the bundled packs' rule: every text in kk, ru and en.
    :param expected_slug: the folder name the slug must equal (bundled packs).
    """
    checker = PackChecker(files, strict)
    if "course.yaml" not in files:
        raise PackInvalid([PackError("course.yaml", None, _("not a course pack: course.yaml is missing"))])
    data = checker.course(expected_slug)
    if data is not None:
        checker.unused_files(data)
    if checker.errors:
        raise PackInvalid(checker.errors)
    data = plain(data)
    data["files"] = {name: content for name, content in files.items() if name.startswith("files/")}
    return data


def check_question(entry: dict, default_locale: str) -> tuple[dict | None, list[str]]:
    """Validate one question written in the browser by the pack rules: (question, error messages)."""
    checker = QuizChecker({}, strict=False)
    checker.default_locale = default_locale
    question = checker.question("", unmarked(entry), set())
    return (plain(question) if question else None), [e.message for e in checker.errors]


def course_problems(course: Course) -> list[PackError]:
    """What would stop this course version from loading as a pack (checked before publishing)."""
    try:
        check_pack(pack_files(course_data(course)))
    except PackInvalid as exc:
        return exc.errors
    return []


def load_pack(path: str | Path, strict: bool = False) -> dict:
    """Read and validate a pack folder (strict: the folder name must be the slug, all locales)."""
    path = Path(path)
    return check_pack(read_folder(path), strict=strict, expected_slug=path.name if strict else None)


def load_pack_zip(data: bytes, max_bytes: int = ZIP_MAX_BYTES) -> dict:
    """Read and validate an uploaded pack zip."""
    return check_pack(read_zip(data, max_bytes))
