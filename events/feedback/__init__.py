"""Feedback after a session: the attendee's rating and comment (``ratings``), and its pages."""
