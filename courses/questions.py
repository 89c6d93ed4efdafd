"""Question types as a registry of classes: each shuffles, presents, parses, checks and scores.

A type never looks at the database: it gets the question row (or anything with ``options``,
``answer`` and ``text``), the entry of the attempt's draw (``{"question_id", "options"}``), the
submitted form and a locale. The correct answer is only read by ``score`` and ``reveal``, which
run after submission.

Each type also carries its pack rules and export (``courses.packs``), its authoring form's mapping
(``courses.authoring.forms``), its statistics' counting of wrong picks and a plausible wrong answer
for the demo: a sixth type is one class.

One piece: the base class and the five types that fill it in are read side by side when a type is
added or changed; split apart, each type would be a short file that only makes sense beside the others.
"""

from __future__ import annotations

import random
from collections.abc import Mapping

from flask_babel import lazy_gettext as _l
from flask_babel import pgettext

from courses.contact_placeholders import with_office_contacts
from lms.database import localized
from lms.i18n import gettext_if_request as _

QUESTION_TYPES: dict[str, type[QuestionType]] = {}


class AnswerError(ValueError):
    """A submitted answer that cannot belong to the question (a forged or broken form)."""


class PackRuleBroken(ValueError):
    """A pack's (or the authoring form's) answer that breaks its type's rule; the message says which."""


def register(cls: type[QuestionType]) -> type[QuestionType]:
    QUESTION_TYPES[cls.kind] = cls
    return cls


def question_type(kind: str) -> QuestionType:
    """The handler for ``kind``; an unknown kind is a programming or import error."""
    return QUESTION_TYPES[kind]()


def field_name(question_id: int, part: str | None = None) -> str:
    """The form field of a question (``q12``) or of one of its parts (``q12-a``)."""
    return f"q{question_id}" if part is None else f"q{question_id}-{part}"


def _text(texts: Mapping | None, locale: str, default_locale: str) -> str:
    texts = texts or {}
    text = texts.get(locale) or texts.get(default_locale) or localized(texts, locale)[0]
    return with_office_contacts(text, locale)


def _option_ids(question) -> list[str]:
    return [str(o["id"]) for o in question.options or []]


class QuestionType:
    """The common shape; subclasses override what differs."""

    kind = ""
    label = ""
    #: The partial template that shows the question's inputs (no answer in it).
    template = ""

    def shuffle(self, question, rng: random.Random) -> list[str]:
        """The option ids in the order this attempt shows them."""
        ids = _option_ids(question)
        rng.shuffle(ids)
        return ids

    def present(self, question, entry: Mapping, locale: str, default_locale: str) -> dict:
        """What the quiz page shows: text and options in the drawn order, never the key."""
        options = {str(o["id"]): o for o in question.options or []}
        return {
            "id": question.id,
            "kind": self.kind,
            "template": self.template,
            "name": field_name(question.id),
            "text": _text(question.text, locale, default_locale),
            "options": [
                {"id": oid, "text": _text(options[oid].get("text"), locale, default_locale)}
                for oid in entry.get("options", [])
                if oid in options
            ],
        }

    def parse(self, form, question, entry: Mapping):
        """The answer given in ``form`` (a MultiDict), or ``None`` when left empty."""
        raise NotImplementedError

    def key(self, question):
        """The correct answer, normalised like ``parse`` returns answers."""
        return question.answer

    def score(self, question, given) -> float:
        """The fraction of the question's points earned, from 0 to 1."""
        return 1.0 if given is not None and given == self.key(question) else 0.0

    def reveal(self, question, locale: str, default_locale: str) -> list[str]:
        """The correct answer as lines of text, for the result page after submission."""
        options = {str(o["id"]): o for o in question.options or []}
        key = self.key(question)
        ids = key if isinstance(key, list) else [key]
        return [_text(options[i].get("text"), locale, default_locale) for i in ids if i in options]

    def describe(self, question, given, locale: str, default_locale: str) -> list[str]:
        """The learner's own answer as lines of text."""
        if given is None:
            return []
        options = {str(o["id"]): o for o in question.options or []}
        ids = given if isinstance(given, list) else [given]
        return [_text(options[i].get("text"), locale, default_locale) for i in ids if i in options]

    # -- packs and the authoring form

    #: Whether the question lists options (a statement has none), and whether each has a ``match``.
    has_options = True
    matched = False
    #: Whether a pack writes the ``answer`` (matching questions' partners are their answer).
    answer_in_pack = True
    #: The authoring form's hint above the options, and what each option row asks for besides its
    #: text: ``"correct"`` (a tick), ``"order"`` (a place) or nothing (``matched`` asks for a match).
    options_hint = ""
    option_field: str | None = None

    def options_refused(self) -> str:
        """Why a pack's ``options`` are refused, for a type without options."""
        raise NotImplementedError

    def pack_answer(self, answer, ids: list[str]):
        """A pack's ``answer`` (given ``ids``, the option ids) as stored; ``PackRuleBroken`` when wrong."""
        raise NotImplementedError

    def form_answer(self, rows: list[tuple[dict, dict]], truth: str) -> tuple[object, list]:
        """The answer the authoring form gives, from its filled ``(option, row)`` pairs and the
        statement's ``truth``, and what the form lacks for it."""
        raise NotImplementedError

    def form_values(self, question) -> dict:
        """The authoring form's own fields for an existing question (``truth``)."""
        return {}

    def row_values(self, answer, option_id: str) -> dict:
        """The authoring form's option row for an existing question (``correct``, ``order``)."""
        return {"correct": option_id == answer or (isinstance(answer, list) and option_id in answer)}

    def wrong(self, rng: random.Random, question, key):
        """A plausible wrong answer in the same shape as the right one ``key`` (for the demo)."""
        return key

    # -- question statistics

    #: Whether an answer picks options, so that "the wrong option chosen most" means something (an
    #: ordering or a matching answer is an arrangement, not a pick).
    picks_options = False

    def wrong_choices(self, key, given) -> list[str]:
        """The picks of a non-empty answer ``given`` that are not in ``key``, as option ids."""
        return []


def _option_list(answer, ids: list[str]) -> list[str]:
    """A pack's answer that lists option ids, each once."""
    if not isinstance(answer, list) or not answer:
        raise PackRuleBroken(_("the answer must be a list of option ids"))
    wrong = [str(a) for a in answer if a not in ids]
    if wrong:
        raise PackRuleBroken(_("the answer names ids that are not options: %(ids)s", ids=", ".join(wrong)))
    if len(set(answer)) != len(answer):
        raise PackRuleBroken(_("the answer repeats an option"))
    return list(answer)


def _choose(value: str, allowed: list[str]) -> str:
    if value not in allowed:
        raise AnswerError(value)
    return value


@register
class SingleChoice(QuestionType):
    kind = "single"
    label = _l("Single choice")
    template = "courses/learn_q_choice.html"
    options_hint = _l("Fill in at least two options and mark the correct one.")
    option_field = "correct"
    picks_options = True

    def parse(self, form, question, entry):
        value = form.get(field_name(question.id))
        return None if not value else _choose(value, _option_ids(question))

    def key(self, question):
        return str(question.answer)

    def pack_answer(self, answer, ids):
        if answer not in ids:
            raise PackRuleBroken(_("the answer “%(answer)s” is not one of the options", answer=answer))
        return answer

    def form_answer(self, rows, truth):
        correct = [option["id"] for option, row in rows if row["correct"]]
        errors = [] if len(correct) == 1 else [_l("Mark exactly one option as correct.")]
        return (correct[0] if correct else None), errors

    def wrong(self, rng, question, key):
        ids = _option_ids(question)
        return rng.choice([i for i in ids if i != key] or ids)

    def wrong_choices(self, key, given):
        return [] if str(given) == key else [str(given)]


@register
class MultipleChoice(QuestionType):
    kind = "multiple"
    label = _l("Multiple choice")
    template = "courses/learn_q_choice.html"
    options_hint = _l("Fill in at least two options and mark every correct one.")
    option_field = "correct"
    picks_options = True

    def present(self, question, entry, locale, default_locale):
        return super().present(question, entry, locale, default_locale) | {"multiple": True}

    def parse(self, form, question, entry):
        allowed = _option_ids(question)
        values = sorted({_choose(v, allowed) for v in form.getlist(field_name(question.id))})
        return values or None

    def key(self, question):
        return sorted(str(a) for a in question.answer)

    def pack_answer(self, answer, ids):
        return _option_list(answer, ids)

    def form_answer(self, rows, truth):
        correct = [option["id"] for option, row in rows if row["correct"]]
        return correct, [] if correct else [_l("Mark at least one option as correct.")]

    def wrong(self, rng, question, key):
        others = [i for i in _option_ids(question) if i not in key]
        if others and (len(key) == 1 or rng.random() < 0.5):
            return sorted({*key, rng.choice(others)})
        return sorted(rng.sample(key, len(key) - 1)) if len(key) > 1 else key

    def wrong_choices(self, key, given):
        chosen = given if isinstance(given, list) else [given]
        return [str(oid) for oid in chosen if str(oid) not in key]


@register
class TrueFalse(QuestionType):
    kind = "truefalse"
    label = _l("True or false")
    template = "courses/learn_q_truefalse.html"
    #: The statement's two values are its picks, counted as ``"true"`` and ``"false"``.
    picks_options = True

    def shuffle(self, question, rng):
        return []

    def parse(self, form, question, entry):
        value = form.get(field_name(question.id))
        if not value:
            return None
        return {"true": True, "false": False}[_choose(value, ["true", "false"])]

    def key(self, question):
        return bool(question.answer)

    def reveal(self, question, locale, default_locale):
        return [statement_value(self.key(question))]

    def describe(self, question, given, locale, default_locale):
        return [] if given is None else [statement_value(given)]

    has_options = False

    def options_refused(self):
        return _("a true/false question has no options")

    def pack_answer(self, answer, ids):
        if not isinstance(answer, bool):
            raise PackRuleBroken(_("the answer of a true/false question must be true or false"))
        return answer

    def form_answer(self, rows, truth):
        return truth == "true", []

    def form_values(self, question):
        return {"truth": "true" if question.answer else "false"}

    def wrong(self, rng, question, key):
        return not key

    def wrong_choices(self, key, given):
        return [] if bool(given) == key else ["true" if given else "false"]


def statement_value(value: bool) -> str:
    """A statement's truth in words of its own, never the verdict's "correct"/"wrong" (issue 15)."""
    return pgettext("statement", "True") if value else pgettext("statement", "False")


@register
class Ordering(QuestionType):
    """Put the items in order: each item gets a rank (a select per item works without JS)."""

    kind = "ordering"
    label = _l("Ordering")
    template = "courses/learn_q_ordering.html"
    options_hint = _l("Fill in the options and give each its place in the right order; learners see them shuffled.")
    option_field = "order"

    def parse(self, form, question, entry):
        ids = _option_ids(question)
        ranks = {}
        for oid in ids:
            value = form.get(field_name(question.id, oid))
            if not value:
                return None
            if not value.isdigit() or not 1 <= int(value) <= len(ids):
                raise AnswerError(value)
            ranks[oid] = int(value)
        return sorted(ids, key=lambda oid: (ranks[oid], oid))

    def key(self, question):
        return [str(a) for a in question.answer]

    def pack_answer(self, answer, ids):
        answer = _option_list(answer, ids)
        if sorted(answer) != sorted(ids):
            raise PackRuleBroken(_("the answer of an ordering question must list every option once"))
        return answer

    def form_answer(self, rows, truth):
        errors = []
        if any(row["order"] is None for _option, row in rows):
            errors.append(_l("Give every option its place in the right order."))
        return [option["id"] for option, row in sorted(rows, key=lambda r: r[1]["order"] or 0)], errors

    def row_values(self, answer, option_id):
        return super().row_values(answer, option_id) | {"order": answer.index(option_id) + 1}

    def wrong(self, rng, question, key):
        wrong = list(key)
        if len(wrong) > 1:
            i = rng.randrange(len(wrong) - 1)
            wrong[i], wrong[i + 1] = wrong[i + 1], wrong[i]
        return wrong


@register
class Matching(QuestionType):
    """Pair each left item with a right one; the right column is what the draw shuffles."""

    kind = "matching"
    label = _l("Matching")
    options_hint = _l("Fill in each option and its match; learners see the matches shuffled.")
    template = "courses/learn_q_matching.html"

    def present(self, question, entry, locale, default_locale):
        view = super().present(question, entry, locale, default_locale)
        options = {str(o["id"]): o for o in question.options or []}
        view["left"] = [
            {"id": oid, "name": field_name(question.id, oid), "text": _text(o.get("text"), locale, default_locale)}
            for oid, o in options.items()
        ]
        # Each right item's value is its place in this attempt's shuffled column, not its id:
        # the id is the left item's field name, so it would give the answer away in the page.
        view["options"] = [
            {"id": str(place), "text": _text(options[oid].get("match"), locale, default_locale)}
            for place, oid in enumerate(self._column(question, entry), 1)
        ]
        return view

    def _column(self, question, entry) -> list[str]:
        """The right column's option ids in the order this attempt shows them."""
        ids = _option_ids(question)
        return [oid for oid in entry.get("options", []) if oid in ids]

    def parse(self, form, question, entry):
        column = self._column(question, entry)
        places = [str(place) for place in range(1, len(column) + 1)]
        pairs = {}
        for oid in _option_ids(question):
            value = form.get(field_name(question.id, oid))
            if value:
                pairs[oid] = column[int(_choose(value, places)) - 1]
        return pairs or None

    def key(self, question):
        if isinstance(question.answer, dict) and question.answer:
            return {str(k): str(v) for k, v in question.answer.items()}
        return {oid: oid for oid in _option_ids(question)}

    def score(self, question, given):
        """Partial credit: the share of pairs matched right."""
        key = self.key(question)
        if not given or not key:
            return 0.0
        return sum(1 for left, right in key.items() if given.get(left) == right) / len(key)

    def _pairs(self, question, pairs, locale, default_locale):
        options = {str(o["id"]): o for o in question.options or []}
        return [
            f"{_text(options[left].get('text'), locale, default_locale)} → "
            f"{_text(options[right].get('match'), locale, default_locale)}"
            for left, right in pairs.items()
            if left in options and right in options
        ]

    def reveal(self, question, locale, default_locale):
        return self._pairs(question, self.key(question), locale, default_locale)

    def describe(self, question, given, locale, default_locale):
        return self._pairs(question, given or {}, locale, default_locale)

    matched = True
    answer_in_pack = False

    def pack_answer(self, answer, ids):
        if answer is not None:
            raise PackRuleBroken(_("a matching question has no “answer”: each option's “match” is its partner"))
        return {i: i for i in ids}

    def form_answer(self, rows, truth):
        return None, []

    def wrong(self, rng, question, key):
        wrong = dict(key)
        lefts = list(wrong)
        if len(lefts) > 1:
            a, b = rng.sample(lefts, 2)
            wrong[a], wrong[b] = wrong[b], wrong[a]
        return wrong
