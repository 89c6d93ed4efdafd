"""Signals through which the core tells features what happened, without importing them."""

from blinker import Namespace

_signals = Namespace()

#: Sent after people were created or updated by an import, before the commit.
#: sender: the Flask app; arguments: ``session``, ``user_ids`` (list of int).
people_changed = _signals.signal("people-changed")

#: Sent when an enrolment becomes completed, before the commit.
#: sender: the Flask app; arguments: ``session``, ``enrolment``.
course_completed = _signals.signal("course-completed")
