"""Course packs: load a pack folder or zip into checked data, import it as a course version, export it back.

The format is documented in ``courses/bundled/README.md``. Loading collects every error with its
file and line before anything touches the database; importing happens in the caller's
transaction and only after a clean load, so a broken pack leaves nothing behind.

Pack data is plain JSON-like data (the same shape whether it came from a folder, a zip or the
database), so ``load(export(import(pack))) == load(pack)``.

Answers are stored on ``Question.answer`` as: single → the option id; multiple → a list of ids;
truefalse → a bool; ordering → the ids in order; matching → ``{id: id}`` (each option's ``match``
is its partner).
"""

from __future__ import annotations

import io
import re
import shutil
import stat
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import yaml
from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from courses.content import course_files_dir
from courses.learning.grading import GRADING_RULES, HIGHEST
from courses.models import Course, CourseStatus, Module, ModuleKind, Question
from courses.questions import QUESTION_TYPES, PackRuleBroken, QuestionType, question_type
from lms.config import LOCALES
from lms.i18n import gettext_if_request

SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
KEY_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
AUDIENCES = ("all", "staff", "students")
SHOW_ANSWERS = ("always", "passed", "never")
#: A Markdown link or image target: ``](target)`` or ``](target "title")``.
LINK_RE = re.compile(r"\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
#: A reference-style link definition: ``[label]: target``.
LINK_DEFINITION_RE = re.compile(r"^\s{0,3}\[[^\]]+\]:\s*<?([^\s>]+)>?")
ZIP_MAX_FILES = 500
ZIP_MAX_BYTES = 50 * 1024 * 1024


_ = gettext_if_request


@dataclass(frozen=True)
class PackError:
    """One problem of a pack, where it is."""

    file: str
    line: int | None
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.message}" if self.line else f"{self.file}: {self.message}"


class PackInvalid(Exception):
    """A pack that cannot be imported; ``errors`` says every reason."""

    def __init__(self, errors: list[PackError]):
        super().__init__("\n".join(str(e) for e in errors))
        self.errors = errors


# --- YAML with line numbers -------------------------------------------------------------------


class _Map(dict):
    """A YAML mapping that remembers the line of itself and of each key."""

    line: int = 0
    key_lines: dict


class _Seq(list):
    line: int = 0


class _LineLoader(yaml.SafeLoader):
    """A safe loader whose mappings and lists carry their line numbers (1-based)."""


def _construct_map(loader: _LineLoader, node: yaml.MappingNode) -> _Map:
    loader.flatten_mapping(node)
    result = _Map()
    result.line = node.start_mark.line + 1
    result.key_lines = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        line = key_node.start_mark.line + 1
        if not isinstance(key, str | int | bool | float) or key is None:
            loader.problems.append((line, _("a key must be plain text")))
            continue
        if key in result:
            loader.problems.append((line, _("duplicate key “%(key)s”", key=key)))
        result[key] = loader.construct_object(value_node, deep=True)
        result.key_lines[key] = line
    return result


def _construct_seq(loader: _LineLoader, node: yaml.SequenceNode) -> _Seq:
    result = _Seq(loader.construct_object(child, deep=True) for child in node.value)
    result.line = node.start_mark.line + 1
    return result


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_map)
_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _construct_seq)


def _plain(value):
    """Strip the line marks: pack data is plain dicts and lists."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


# --- Reading a pack's files -------------------------------------------------------------------


def read_folder(path: str | Path) -> dict[str, bytes]:
    """Every file of a pack folder by its relative POSIX path (hidden files skipped)."""
    root = Path(path)
    if not (root / "course.yaml").is_file():
        raise PackInvalid([PackError(str(root), None, _("not a course pack: course.yaml is missing"))])
    files = {}
    for item in sorted(root.rglob("*")):
        relative = item.relative_to(root)
        if item.is_file() and not any(part.startswith(".") for part in relative.parts):
            files[relative.as_posix()] = item.read_bytes()
    return files


def read_zip(data: bytes, max_bytes: int = ZIP_MAX_BYTES) -> dict[str, bytes]:
    """The files of an uploaded pack zip, refusing path tricks, links and oversized content.

    The pack may sit at the zip's root or inside one top folder. Nothing is written to disk.
    """
    name = _("the uploaded file")
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        raise PackInvalid([PackError(name, None, _("this is not a zip file"))]) from None
    errors, files, total = [], {}, 0
    infos = [i for i in archive.infolist() if not i.is_dir()]
    if len(infos) > ZIP_MAX_FILES:
        raise PackInvalid([PackError(name, None, _("the zip holds more than %(n)d files", n=ZIP_MAX_FILES))])
    for info in infos:
        member = info.filename
        parts = PurePosixPath(member).parts
        if member.startswith("/") or "\\" in member or ".." in parts or ":" in member or not parts:
            errors.append(PackError(member, None, _("unsafe path in the zip")))
            continue
        if stat.S_ISLNK(info.external_attr >> 16):
            errors.append(PackError(member, None, _("links are not allowed in a pack")))
            continue
        total += info.file_size
        if total > max_bytes:
            raise PackInvalid([PackError(name, None, _("the unpacked pack is larger than the limit"))])
        if any(part.startswith(".") or part == "__MACOSX" for part in parts):
            continue
        try:
            files[member] = archive.read(info)
        except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError):
            # A bad CRC or truncated data, an unknown compression method, an encrypted member.
            errors.append(PackError(member, None, _("this file is damaged in the zip or cannot be unpacked")))
    if errors:
        raise PackInvalid(errors)
    tops = {PurePosixPath(m).parts[0] for m in files}
    if "course.yaml" not in files and len(tops) == 1:
        top = tops.pop()
        files = {m[len(top) + 1 :]: content for m, content in files.items()}
    if "course.yaml" not in files:
        raise PackInvalid([PackError(name, None, _("not a course pack: course.yaml is missing"))])
    return files


# --- Validation -------------------------------------------------------------------------------


class _Checker:
    """Walks the parsed pack, collecting errors with file and line instead of stopping."""

    def __init__(self, files: dict[str, bytes], strict: bool):
        self.files = files
        self.strict = strict
        self.errors: list[PackError] = []
        self.default_locale = "ru"

    def error(self, file: str, line: int | None, message: str) -> None:
        self.errors.append(PackError(file, line, message))

    def yaml(self, file: str):
        """Parse one YAML file of the pack, or record why it cannot be parsed."""
        try:
            text = self.files[file].decode("utf-8")
        except UnicodeDecodeError:
            self.error(file, None, _("the file is not UTF-8 text"))
            return None
        loader = _LineLoader(text)
        loader.problems = []
        try:
            value = loader.get_single_data()
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
            problem = getattr(exc, "problem", None) or str(exc)
            self.error(file, mark.line + 1 if mark else None, _("bad YAML: %(problem)s", problem=problem))
            return None
        except RecursionError:  # the loader recurses once per level: ``[[[[…`` thousands deep
            self.error(file, loader.get_mark().line + 1, _("the YAML is nested too deeply"))
            return None
        finally:
            loader.dispose()
        for line, message in loader.problems:
            self.error(file, line, message)
        return value

    def line(self, mapping, key=None) -> int | None:
        if isinstance(mapping, _Map) and key is not None and key in mapping.key_lines:
            return mapping.key_lines[key]
        return getattr(mapping, "line", None)

    def mapping(self, file: str, value, where: str, line: int | None) -> bool:
        if not isinstance(value, dict):
            self.error(file, getattr(value, "line", None) or line, _("%(where)s must be a mapping", where=where))
            return False
        return True

    def unknown_keys(self, file: str, mapping: _Map, allowed: tuple[str, ...]) -> None:
        for key in mapping:
            if key not in allowed:
                self.error(file, self.line(mapping, key), _("unknown field “%(key)s”", key=key))

    def translated(self, file: str, parent: _Map, key: str, required: bool = True) -> dict | None:
        """A ``{kk, ru, en}`` text: every locale in strict (bundled) mode, the default one otherwise."""
        line = self.line(parent, key)
        value = parent.get(key)
        if value is None:
            if required:
                self.error(file, parent.line, _("“%(key)s” is missing", key=key))
            return None
        if not isinstance(value, dict):
            self.error(file, line, _("“%(key)s” must be a mapping of languages {kk, ru, en}", key=key))
            return None
        result = {}
        for locale, text in value.items():
            if locale not in LOCALES:
                self.error(file, self.line(value, locale), _("unknown language “%(locale)s”", locale=locale))
            elif not isinstance(text, str) or not text.strip():
                self.error(
                    file, self.line(value, locale), _("“%(key)s.%(locale)s” must be text", key=key, locale=locale)
                )
            else:
                result[locale] = text
        needed = LOCALES if self.strict else (self.default_locale,)
        for locale in needed:
            if locale not in value:
                self.error(file, line, _("“%(key)s” has no %(locale)s translation", key=key, locale=locale))
        return result

    def integer(self, file: str, parent: _Map, key: str, low: int, *, high: int | None = None, required=False):
        value = parent.get(key)
        if value is None:
            if required:
                self.error(file, parent.line, _("“%(key)s” is missing", key=key))
            return None
        if isinstance(value, bool) or not isinstance(value, int) or value < low or (high is not None and value > high):
            bounds = f"{low}–{high}" if high is not None else f"≥ {low}"
            self.error(
                file, self.line(parent, key), _("“%(key)s” must be a whole number %(bounds)s", key=key, bounds=bounds)
            )
            return None
        return value

    def choice(self, file: str, parent: _Map, key: str, choices: tuple[str, ...], default: str | None = None):
        value = parent.get(key, default)
        if value not in choices:
            self.error(
                file,
                self.line(parent, key),
                _("“%(key)s” must be one of: %(choices)s", key=key, choices=", ".join(choices)),
            )
            return None
        return value

    # -- course.yaml

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
        settings = item.get("settings", _Map())
        if not self.mapping(file, settings, "settings", self.line(item, "settings")):
            settings = _Map()
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

    def quiz_settings(self, settings: _Map) -> dict:
        file = "course.yaml"
        self.unknown_keys(
            file,
            settings,
            ("pools", "time_limit_minutes", "max_attempts", "grading", "show_answers", "pass_mark", "remedial_module"),
        )
        result = {
            "grading": self.choice(file, settings, "grading", GRADING_RULES, HIGHEST),
            "show_answers": self.choice(file, settings, "show_answers", SHOW_ANSWERS, "always"),
            "time_limit_minutes": self.integer(file, settings, "time_limit_minutes", 1),
            "max_attempts": self.integer(file, settings, "max_attempts", 1),
            "pass_mark": self.integer(file, settings, "pass_mark", 0, high=100),
        }
        if "remedial_module" in settings:
            result["remedial_module"] = str(settings["remedial_module"])
        pools = settings.get("pools")
        if pools is not None:
            if not isinstance(pools, list) or not pools:
                self.error(file, self.line(settings, "pools"), _("“pools” must be a list of {pool, draw}"))
            else:
                result["pools"] = []
                seen = set()
                for entry in pools:
                    if not self.mapping(file, entry, "pools", pools.line):
                        continue
                    self.unknown_keys(file, entry, ("pool", "draw"))
                    name = entry.get("pool")
                    draw = self.integer(file, entry, "draw", 1, required=True)
                    if not isinstance(name, str) or not name:
                        self.error(file, entry.line, _("a pool needs a name"))
                    elif name in seen:
                        self.error(file, entry.line, _("the pool “%(pool)s” is drawn twice", pool=name))
                    elif draw is not None:
                        seen.add(name)
                        result["pools"].append({"pool": name, "draw": draw})
        return {k: v for k, v in result.items() if v is not None}

    def attestation_settings(self, settings: _Map, item: _Map) -> dict:
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

    def bodies(self, key: str, item: _Map) -> dict:
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

    def quiz_file(self, key: str, item: _Map, settings: dict) -> list:
        name = f"{key}.quiz.yaml"
        if name not in self.files:
            self.error("course.yaml", self.line(item, "key"), _("the quiz file %(file)s is missing", file=name))
            return []
        doc = self.yaml(name)
        if doc is None:
            return []
        if not self.mapping(name, doc, name, 1):
            return []
        self.unknown_keys(name, doc, ("questions",))
        items = doc.get("questions")
        if not isinstance(items, list) or not items:
            self.error(name, self.line(doc, "questions") or 1, _("“questions” must be a list of at least one question"))
            return []
        questions, keys = [], set()
        for entry in items:
            question = self.question(name, entry, keys)
            if question is not None:
                questions.append(question)
        sizes: dict[str, int] = {}
        for entry in items:  # counted even when a question has errors, so one mistake is reported once
            pool = entry.get("pool", "main") if isinstance(entry, dict) else None
            sizes[pool] = sizes.get(pool, 0) + 1
        for draw in settings.get("pools", []):
            have = sizes.get(draw["pool"], 0)
            if have < draw["draw"]:
                pools = item.get("settings", {}).get("pools", [])
                line = next((p.line for p in pools if isinstance(p, dict) and p.get("pool") == draw["pool"]), None)
                self.error(
                    "course.yaml",
                    line,
                    _(
                        "the pool “%(pool)s” holds %(have)d questions but the quiz draws %(draw)d",
                        pool=draw["pool"],
                        have=have,
                        draw=draw["draw"],
                    ),
                )
        return questions

    def question(self, file: str, entry, keys: set[str]) -> dict | None:
        if not self.mapping(file, entry, _("a question"), None):
            return None
        self.unknown_keys(file, entry, ("key", "pool", "kind", "text", "options", "answer", "explanation", "points"))
        key = entry.get("key")
        if not isinstance(key, str) or not KEY_RE.match(key):
            self.error(
                file,
                self.line(entry, "key") or entry.line,
                _("a question key must be lower-case letters, digits and hyphens"),
            )
        elif key in keys:
            self.error(file, self.line(entry, "key"), _("the question key “%(key)s” is used twice", key=key))
        else:
            keys.add(key)
        pool = entry.get("pool", "main")
        if not isinstance(pool, str) or not pool:
            self.error(file, self.line(entry, "pool"), _("“pool” must be a name"))
        question = {
            "key": key,
            "pool": pool,
            "kind": self.choice(file, entry, "kind", tuple(QUESTION_TYPES)),
            "text": self.translated(file, entry, "text"),
            "explanation": self.translated(file, entry, "explanation"),
            "points": self.integer(file, entry, "points", 1) or 1,
        }
        before = len(self.errors)
        if question["kind"] is not None:
            kind = question_type(question["kind"])
            options = self.options(file, entry, kind)
            question["options"] = options
            question["answer"] = self.answer(file, entry, kind, options)
        return question if len(self.errors) == before and None not in question.values() else None

    def options(self, file: str, entry: _Map, kind: QuestionType) -> list:
        raw = entry.get("options")
        if not kind.has_options:
            if raw:
                self.error(file, self.line(entry, "options"), kind.options_refused())
            return []
        if not isinstance(raw, list) or len(raw) < 2:
            self.error(file, self.line(entry, "options") or entry.line, _("the question needs at least two options"))
            return []
        options, ids = [], set()
        for option in raw:
            if not self.mapping(file, option, _("an option"), raw.line):
                continue
            self.unknown_keys(file, option, ("id", "text", "match"))
            option_id = option.get("id")
            if not isinstance(option_id, str) or not option_id or len(option_id) > 20:
                self.error(file, self.line(option, "id") or option.line, _("an option needs a short text id"))
                continue
            if option_id in ids:
                self.error(file, self.line(option, "id"), _("the option id “%(id)s” is used twice", id=option_id))
                continue
            ids.add(option_id)
            data = {"id": option_id, "text": self.translated(file, option, "text")}
            if kind.matched:
                data["match"] = self.translated(file, option, "match")
            elif "match" in option:
                self.error(file, self.line(option, "match"), _("only matching questions have “match”"))
            options.append(data)
        return options

    def answer(self, file: str, entry: _Map, kind: QuestionType, options: list):
        """The question type's own rule turns the pack's ``answer`` into the stored one."""
        answer = entry.get("answer")
        if answer is None and kind.answer_in_pack:
            self.error(file, entry.line, _("“answer” is missing"))
            return None
        try:
            return kind.pack_answer(answer, [o["id"] for o in options])
        except PackRuleBroken as exc:
            self.error(file, self.line(entry, "answer") or entry.line, str(exc))
            return None

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
    checker = _Checker(files, strict)
    if "course.yaml" not in files:
        raise PackInvalid([PackError("course.yaml", None, _("not a course pack: course.yaml is missing"))])
    data = checker.course(expected_slug)
    if data is not None:
        checker.unused_files(data)
    if checker.errors:
        raise PackInvalid(checker.errors)
    data = _plain(data)
    data["files"] = {name: content for name, content in files.items() if name.startswith("files/")}
    return data


def _unmarked(value):
    """Plain data (from a form) in the loader's shape, without line numbers."""
    if isinstance(value, dict):
        result = _Map({k: _unmarked(v) for k, v in value.items()})
        result.key_lines = {}
        return result
    if isinstance(value, list):
        return _Seq(_unmarked(v) for v in value)
    return value


def check_question(entry: dict, default_locale: str) -> tuple[dict | None, list[str]]:
    """Validate one question written in the browser by the pack rules: (question, error messages)."""
    checker = _Checker({}, strict=False)
    checker.default_locale = default_locale
    question = checker.question("", _unmarked(entry), set())
    return (_plain(question) if question else None), [e.message for e in checker.errors]


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


# --- Database ---------------------------------------------------------------------------------


def files_dir(course: Course) -> Path:
    """Where a course version's attachments are kept (``files/…`` of its pack; served to learners)."""
    return course_files_dir(current_app.config["ADAL_STORAGE_PATH"], course.id)


def _module_settings(module: dict) -> dict:
    """Pack settings → stored settings (minutes and seconds renamed as the model documents)."""
    settings = dict(module.get("settings", {}))
    if "time_limit_minutes" in settings:
        settings["time_limit_s"] = settings.pop("time_limit_minutes") * 60
    if "min_reading_seconds" in settings:
        settings["min_reading_s"] = settings.pop("min_reading_seconds")
    return settings


def pack_settings(settings: dict) -> dict:
    """Stored settings → the pack's (and the authoring form's) units: minutes and seconds."""
    settings = dict(settings)
    if "time_limit_s" in settings:
        settings["time_limit_minutes"] = max(1, round(settings.pop("time_limit_s") / 60))
    if "min_reading_s" in settings:
        settings["min_reading_seconds"] = settings.pop("min_reading_s")
    return settings


def latest_version(session: Session, slug: str) -> int:
    """The highest version of ``slug`` in the database, 0 when there is none."""
    return session.scalar(select(func.max(Course.version)).where(Course.slug == slug)) or 0


def import_pack(session: Session, data: dict, publish: bool = False) -> Course:
    """Add the pack as a new version of its course (flushes; the caller commits).

    Refuses a pack whose version is not higher than the latest one already here.
    """
    latest = latest_version(session, data["slug"])
    if data["version"] <= latest:
        raise PackInvalid(
            [
                PackError(
                    "course.yaml",
                    None,
                    _(
                        "version %(version)d is not higher than version %(latest)d of “%(slug)s” already in Adal",
                        version=data["version"],
                        latest=latest,
                        slug=data["slug"],
                    ),
                )
            ]
        )
    course = Course(
        slug=data["slug"],
        version=data["version"],
        status=CourseStatus.DRAFT,
        default_locale=data["default_locale"],
        title=data["title"],
        description=data.get("description", {}),
        pass_mark=data["pass_mark"],
        validity_months=data.get("validity_months"),
        remedial_after_failures=data.get("remedial_after_failures"),
        audience_hint=data["audience"],
    )
    for position, item in enumerate(data["modules"]):
        module = Module(
            key=item["key"],
            kind=item["kind"],
            position=position,
            title=item["title"],
            body=item.get("body", {}),
            required=item.get("required", True),
            settings=_module_settings(item),
        )
        for number, question in enumerate(item.get("questions", [])):
            module.questions.append(
                Question(
                    key=question["key"],
                    pool=question["pool"],
                    position=number,
                    kind=question["kind"],
                    text=question["text"],
                    options=question["options"],
                    answer=question["answer"],
                    explanation=question["explanation"],
                    points=question["points"],
                )
            )
        course.modules.append(module)
    if publish:
        course.publish()
    session.add(course)
    session.flush()
    store_files(course, data.get("files", {}))
    return course


def store_files(course: Course, files: dict[str, bytes]) -> None:
    """Make ``files`` (``files/…`` paths) the attachments of a new course version, and nothing else.

    A folder left by a rolled-back import whose id SQLite hands out again is cleared first.
    """
    target = files_dir(course)
    if target.exists():
        shutil.rmtree(target)
    for name, content in files.items():
        path = target / name.removeprefix("files/")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)


def course_data(course: Course) -> dict:
    """A course version as pack data (the inverse of ``import_pack``)."""
    data = {
        "slug": course.slug,
        "version": course.version,
        "default_locale": course.default_locale,
        "audience": course.audience_hint,
        "pass_mark": course.pass_mark,
        "validity_months": course.validity_months,
        "remedial_after_failures": course.remedial_after_failures,
        "title": dict(course.title),
        "description": dict(course.description or {}) or None,
    }
    data = {k: v for k, v in data.items() if v is not None}
    data["modules"] = []
    for module in course.modules:
        item = {"key": module.key, "kind": module.kind, "title": dict(module.title)}
        if not module.required:
            item["required"] = False
        if module.kind == ModuleKind.QUIZ:
            item["settings"] = pack_settings(module.settings or {})
            item["questions"] = [_question_data(q) for q in module.questions]
        else:
            if module.kind == ModuleKind.ATTESTATION:
                item["settings"] = pack_settings(module.settings or {})
            item["body"] = dict(module.body or {})
        data["modules"].append(item)
    folder = files_dir(course)
    data["files"] = (
        {f"files/{p.relative_to(folder).as_posix()}": p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}
        if folder.exists()
        else {}
    )
    return data


def _question_data(question: Question) -> dict:
    return {
        "key": question.key,
        "pool": question.pool,
        "kind": question.kind,
        "text": dict(question.text),
        "explanation": dict(question.explanation),
        "points": question.points,
        "options": list(question.options or []),
        "answer": question.answer,
    }


class _Dumper(yaml.SafeDumper):
    """Block-style YAML that keeps key order and writes Kazakh and Russian as they are."""


def _dump(value) -> str:
    return yaml.dump(value, Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=100)


def pack_files(data: dict) -> dict[str, bytes]:
    """Pack data → the files of its folder."""
    files: dict[str, bytes] = {}
    course = {k: data[k] for k in data if k not in ("modules", "files")}
    modules = []
    for module in data["modules"]:
        entry = {k: module[k] for k in ("key", "kind", "title")}
        if "required" in module:
            entry["required"] = module["required"]
        if module.get("settings"):
            entry["settings"] = module["settings"]
        modules.append(entry)
        for locale, text in module.get("body", {}).items():
            files[f"{module['key']}.{locale}.md"] = text.encode()
        if module["kind"] == ModuleKind.QUIZ:
            questions = []
            for q in module["questions"]:
                entry_q = {k: q[k] for k in ("key", "pool", "kind", "text")}
                if q["options"]:
                    entry_q["options"] = q["options"]
                if question_type(q["kind"]).answer_in_pack:
                    entry_q["answer"] = q["answer"]
                entry_q["explanation"] = q["explanation"]
                if q["points"] != 1:
                    entry_q["points"] = q["points"]
                questions.append(entry_q)
            files[f"{module['key']}.quiz.yaml"] = _dump({"questions": questions}).encode()
    course["modules"] = modules
    files["course.yaml"] = _dump(course).encode()
    files.update(data.get("files", {}))
    return files


def export_course(course: Course, path: str | Path) -> Path:
    """Write a course version as a pack folder at ``path`` (created; must be empty if it exists)."""
    target = Path(path)
    if target.exists() and any(target.iterdir()):
        raise FileExistsError(str(target))
    for name, content in pack_files(course_data(course)).items():
        destination = target / name
        destination.parent.mkdir(parents=True, exist_ok=True)
        destination.write_bytes(content)
    return target


def bundled_pack_folders() -> list[Path]:
    """The folders of ``courses/bundled/`` that hold a course (a ``course.yaml``)."""
    root = Path(__file__).resolve().parent.parent / "bundled"
    return sorted(p for p in root.iterdir() if (p / "course.yaml").is_file())


def seed_bundled_packs(session: Session) -> list[Course]:
    """Import and publish every bundled pack (the demo); a broken one fails loudly."""
    return [import_pack(session, load_pack(folder, strict=True), publish=True) for folder in bundled_pack_folders()]
