"""The checker's tools: read a pack's fields, collecting every error with its file and line.

A pack with ten mistakes should be fixed in one round, not ten: so a rule never stops at the
first error, it records it and goes on. The rules of the course and its modules
(``validating``) and of its quizzes (``quiz_rules``) are built on these readers.
"""

from __future__ import annotations

import re

import yaml

from courses.packs.reading import LineLoader, LineMap, PackError
from lms.config import LOCALES
from lms.i18n import gettext_if_request as _

#: A course's slug: lower-case letters and digits, words joined by hyphens.
SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
#: A module's or a question's key follows the slug's rule.
KEY_RE = SLUG_RE


class Checker:
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
        loader = LineLoader(text)
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
        if isinstance(mapping, LineMap) and key is not None and key in mapping.key_lines:
            return mapping.key_lines[key]
        return getattr(mapping, "line", None)

    def mapping(self, file: str, value, where: str, line: int | None) -> bool:
        if not isinstance(value, dict):
            self.error(file, getattr(value, "line", None) or line, _("%(where)s must be a mapping", where=where))
            return False
        return True

    def unknown_keys(self, file: str, mapping: LineMap, allowed: tuple[str, ...]) -> None:
        for key in mapping:
            if key not in allowed:
                self.error(file, self.line(mapping, key), _("unknown field “%(key)s”", key=key))

    def translated(self, file: str, parent: LineMap, key: str, required: bool = True) -> dict | None:
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

    def integer(self, file: str, parent: LineMap, key: str, low: int, *, high: int | None = None, required=False):
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

    def choice(self, file: str, parent: LineMap, key: str, choices: tuple[str, ...], default: str | None = None):
        value = parent.get(key, default)
        if value not in choices:
            self.error(
                file,
                self.line(parent, key),
                _("“%(key)s” must be one of: %(choices)s", key=key, choices=", ".join(choices)),
            )
            return None
        return value
