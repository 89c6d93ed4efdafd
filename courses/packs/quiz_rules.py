"""The pack rules of a quiz: its settings in ``course.yaml``, its quiz file and each question.

The same question rules check a question written in the browser (``validating.check_question``),
so a question the authoring form accepts always exports as a valid pack. What each question type
allows (options, matches, the shape of its answer) is the type's own rule in ``courses.questions``.

Answers are stored on ``Question.answer`` as: single → the option id; multiple → a list of ids;
truefalse → a bool; ordering → the ids in order; matching → ``{id: id}`` (each option's ``match``
is its partner).
"""

from __future__ import annotations

from courses.learning.grading import GRADING_RULES, HIGHEST
from courses.packs.checker import KEY_RE, Checker
from courses.packs.reading import LineMap
from courses.questions import QUESTION_TYPES, PackRuleBroken, QuestionType, question_type
from lms.i18n import gettext_if_request as _

SHOW_ANSWERS = ("always", "passed", "never")


class QuizChecker(Checker):
    """The checker's rules for quizzes and their questions."""

    def quiz_settings(self, settings: LineMap) -> dict:
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

    def quiz_file(self, key: str, item: LineMap, settings: dict) -> list:
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

    def options(self, file: str, entry: LineMap, kind: QuestionType) -> list:
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

    def answer(self, file: str, entry: LineMap, kind: QuestionType, options: list):
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
