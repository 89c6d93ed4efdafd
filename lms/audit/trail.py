"""The audit log: record events, tell them in words, query them, export them.

An event is stored as a dotted action code with a target (type and id) and details. The office
reads it as a sentence in its own language ("Aigerim revoked certificate 7F3K… of Nurlan"):
each package registers, from its ``init_app``, the sentences of its own actions
(:func:`add_sentence`), the groups the filter offers (:func:`add_action_group`) and, for each of
its tables, how a page of such objects is loaded with their names and links (:func:`add_target`).
So ``lms`` tells the events of every feature without importing one, and a page of events costs
one query per kind of object on it, never one per row.
"""

import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from flask import Flask, current_app, g, has_request_context, request
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from lms.exports import wall_time
from lms.models import AuditEvent


def unrecorded() -> bool:
    """True inside a blueprint that must leave no trace of who asked (the anonymous channel)."""
    return has_request_context() and g.get("adal_unrecorded", False)


def record(
    session: Session,
    action: str,
    target=None,
    *,
    actor=None,
    details: dict | None = None,
) -> AuditEvent | None:
    """Add an audit event for ``action`` on ``target`` by ``actor`` (default: the current user).

    The event joins the caller's transaction, so it is kept exactly when the change is.
    """
    if unrecorded():
        return None
    if actor is None and has_request_context() and current_user.is_authenticated:
        actor = current_user
    target = getattr(target, "_get_current_object", lambda: target)()  # unwrap current_user
    event = AuditEvent(
        action=action,
        actor_id=actor.id if actor is not None else None,
        target_type=type(target).__tablename__ if target is not None else None,
        target_id=str(target.id) if target is not None else None,
        details=details or {},
        ip=request.remote_addr if has_request_context() else None,
    )
    session.add(event)
    return event


# --- Words: what each package registers -----------------------------------------------------------


@dataclass(frozen=True)
class Piece:
    """A part of a sentence: its words and, when the object has a page, the link to it."""

    text: str
    url: str | None = None


@dataclass(frozen=True)
class Ref:
    """An object named in an event's details (an org unit by id), loaded with the page's others of its type."""

    target_type: str
    target_id: object


#: How a package loads a page's objects of one type: ``(session, ids, locale) -> {id: {name: Piece}}``.
#: Ids are strings, as stored. Each object's mapping holds at least ``"target"`` (its name and page),
#: and may hold more names a sentence uses (a certificate's ``"holder"`` and ``"course"``). One query.
TargetLoader = Callable[[Session, list[str], str], dict[str, dict[str, Piece]]]


@dataclass(frozen=True)
class Sentence:
    #: A lazy string with ``%(name)s`` placeholders, or a function of the details choosing one.
    template: object
    #: The key of the action group the filter offers it under.
    group: str | None = None
    #: Turns the details into placeholder values (translated labels, :class:`Ref` to other objects).
    words: Callable[[dict], dict] | None = None


@dataclass
class AuditWords:
    """Everything registered: groups in the order added, sentences by action, loaders by table."""

    groups: dict[str, object] = field(default_factory=dict)
    sentences: dict[str, Sentence] = field(default_factory=dict)
    targets: dict[str, TargetLoader] = field(default_factory=dict)


def _registry(app: Flask | None = None) -> AuditWords:
    return (app or current_app).extensions.setdefault("adal.audit", AuditWords())


def add_action_group(app: Flask, key: str, label) -> None:
    """Offer ``label`` (a lazy string) in the audit filter for the actions registered under ``key``."""
    _registry(app).groups[key] = label


def add_sentence(app: Flask, action: str, template, group: str | None = None, words=None) -> None:
    """Tell events of ``action`` with ``template``: a lazy string such as
    ``_l("%(actor)s revoked certificate %(target)s of %(holder)s")``, or a function of the
    details returning one. Placeholders: ``actor``, ``target``, the target's names from its
    loader, the details, and what ``words(details)`` returns. A missing one reads "—".
    """
    _registry(app).sentences[action] = Sentence(template, group, words)


def add_target(app: Flask, target_type: str, loader: TargetLoader) -> None:
    """Load objects of the table ``target_type`` for a page of events (see :data:`TargetLoader`)."""
    _registry(app).targets[target_type] = loader


def action_groups() -> list[tuple[str, object]]:
    """The filter's choices: each group's key and label, in the order packages added them."""
    return list(_registry().groups.items())


def group_actions(group: str) -> list[str]:
    """The action codes registered under ``group``."""
    return sorted(action for action, s in _registry().sentences.items() if s.group == group)


# --- Telling events ---------------------------------------------------------------------------------

GENERIC = _l("%(actor)s did %(action)s on %(target)s")
GENERIC_UNTARGETED = _l("%(actor)s did %(action)s")
_PLACEHOLDER = re.compile(r"%\((\w+)\)s|%%")


@dataclass(frozen=True)
class Told:
    """An event in words: who did it and the sentence as pieces, linked where an object has a page."""

    event: AuditEvent
    who: Piece
    who_email: str | None
    pieces: list[Piece]

    @property
    def text(self) -> str:
        return "".join(piece.text for piece in self.pieces)

    @property
    def who_text(self) -> str:
        """The actor as the export names them: "Name <e-mail>", or "system"."""
        return f"{self.who.text} <{self.who_email}>" if self.who_email else self.who.text

    @property
    def target_text(self) -> str:
        event = self.event
        return f"{event.target_type} #{event.target_id}" if event.target_type else ""


def tell(session: Session, events: Iterable[AuditEvent], locale: str) -> list[Told]:
    """The ``events`` as sentences in ``locale``, their actors and objects loaded in batches.

    One query per kind of object the events name (people, certificates, courses…), whatever
    their number: the ids of each type are gathered first, then each type's loader runs once.
    """
    with force_locale(locale):  # labels that ``words`` and loaders translate, too
        return _tell(session, list(events), locale)


def _tell(session: Session, events: list[AuditEvent], locale: str) -> list[Told]:
    registry = _registry()
    plans, wanted = [], defaultdict(set)
    for event in events:
        sentence = registry.sentences.get(event.action)
        details = event.details or {}
        words = sentence.words(details) if sentence and sentence.words else {}
        for value in words.values():
            if isinstance(value, Ref) and value.target_id is not None:
                wanted[value.target_type].add(str(value.target_id))
        if event.actor_id is not None:
            wanted["user"].add(str(event.actor_id))
        if event.target_type and event.target_id:
            wanted[event.target_type].add(event.target_id)
        plans.append((event, sentence, details, words))
    loaded = {
        target_type: registry.targets[target_type](session, sorted(ids), locale)
        for target_type, ids in wanted.items()
        if target_type in registry.targets
    }

    def names(target_type: str | None, target_id) -> dict[str, Piece]:
        return loaded.get(target_type, {}).get(str(target_id), {}) if target_type else {}

    def named(target_type: str, target_id) -> Piece:
        """The object's name and page; its type and id for one deleted since, or of a type nobody registered."""
        return names(target_type, target_id).get("target") or Piece(f"{target_type} #{target_id}")

    def resolve(word):
        """A detail's word as is; a :class:`Ref` as the object it names (nothing for no object)."""
        if not isinstance(word, Ref):
            return word
        return named(word.target_type, word.target_id) if word.target_id is not None else None

    told, system = [], Piece(_("System"))
    for event, sentence, details, words in plans:
        values = {key: _detail_text(value) for key, value in details.items()}
        values.update(names(event.target_type, event.target_id))
        values.update({key: resolve(word) for key, word in words.items()})
        actor = names("user", event.actor_id)
        who = named("user", event.actor_id) if event.actor_id is not None else system
        values["actor"] = who
        if event.target_type:
            values["target"] = named(event.target_type, event.target_id)
        values["action"] = Piece(event.action)
        told.append(
            Told(
                event=event,
                who=who,
                who_email=actor["email"].text if "email" in actor else None,
                pieces=_pieces(str(_template(sentence, event, details)), values),
            )
        )
    return told


def _template(sentence: Sentence | None, event: AuditEvent, details: dict):
    if sentence is None:
        return GENERIC if event.target_type else GENERIC_UNTARGETED
    return sentence.template(details) if callable(sentence.template) else sentence.template


def _detail_text(value) -> str:
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value)
    return "" if value is None else str(value)


def _pieces(template: str, values: dict) -> list[Piece]:
    """Cut a translated template at its placeholders and put each value's piece in place."""
    pieces, at = [], 0
    for match in _PLACEHOLDER.finditer(template):
        if match.start() > at:
            pieces.append(Piece(template[at : match.start()]))
        if match.group(1) is None:
            pieces.append(Piece("%"))
        else:
            value = values.get(match.group(1))
            pieces.append(value if isinstance(value, Piece) else Piece(str(value) if value not in (None, "") else "—"))
        at = match.end()
    if at < len(template):
        pieces.append(Piece(template[at:]))
    return pieces


# --- Queries and export -----------------------------------------------------------------------------


def events_query(actions: list[str] | None = None, actors=None, since=None, until=None):
    """The select for the audit page and export, newest first, filtered as asked.

    :param actions: the action codes to keep (``None``: all).
    :param actors: a select of user ids whose events to keep (``None``: everyone's, the system's too).
    """
    query = select(AuditEvent).order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
    if actions is not None:
        query = query.where(AuditEvent.action.in_(actions))
    if actors is not None:
        query = query.where(AuditEvent.actor_id.in_(actors))
    if since:
        query = query.where(AuditEvent.at >= since)
    if until:
        query = query.where(AuditEvent.at < until)
    return query


EXPORT_BATCH = 1000


def export_header() -> list[str]:
    """The CSV's column names in the reader's language."""
    zone = current_app.config["ADAL_TIMEZONE"]
    return [
        _("Time (%(zone)s)", zone=zone),
        _("Who"),
        _("Event"),
        _("Action code"),
        _("Target"),
        _("Details"),
        _("IP address"),
    ]


def export_records(session: Session, query, locale: str) -> Iterator[list]:
    """The events of ``query`` (as :func:`events_query` orders them) as export rows, in batches.

    Each batch of a thousand is read after the last one's (time, id), not by offset, and told
    with one query per kind of object in it; told events leave the session so memory stays flat.
    """
    zone = ZoneInfo(current_app.config["ADAL_TIMEZONE"])
    last = None
    while True:
        batch = query
        if last is not None:
            batch = query.where(or_(AuditEvent.at < last.at, and_(AuditEvent.at == last.at, AuditEvent.id < last.id)))
        events = session.scalars(batch.limit(EXPORT_BATCH)).all()
        for told in tell(session, events, locale):
            event = told.event
            yield [
                wall_time(event.at, zone),
                told.who_text,
                told.text,
                event.action,
                told.target_text,
                _flat(event.details),
                event.ip or "",
            ]
        if len(events) < EXPORT_BATCH:
            return
        last = events[-1]
        for event in events:
            session.expunge(event)


def _flat(details: dict) -> str:
    return "; ".join(f"{k}={v}" for k, v in sorted((details or {}).items()))
