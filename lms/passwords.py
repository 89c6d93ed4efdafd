"""What a new password must be: long, and not one that attackers try first.

Checked wherever a password is chosen (reset and invitation links, the profile). The common
passwords, words, names and keyboard patterns come with ``zxcvbn``, so no password leaves the
server; its lists take 14 MB, loaded on the first check rather than in every web worker at start.
"""

import re

from flask_babel import gettext as _

MIN_LENGTH = 12
MAX_LENGTH = 200
#: ``zxcvbn``'s score runs from 0 to 4; 3 means about 10⁸ guesses or more, which a common
#: password, a keyboard walk, a word with a year, or the person's own name never reaches.
MIN_SCORE = 3


def password_problems(password: str, personal: tuple[str, ...] = ()) -> list[str]:
    """Why ``password`` cannot be used (empty when it can); ``personal``: the person's name, e-mail…"""
    if len(password) < MIN_LENGTH:
        return [_("Use at least %(n)d characters.", n=MIN_LENGTH)]
    if len(password) > MAX_LENGTH:
        return [_("Use at most %(n)d characters.", n=MAX_LENGTH)]
    from zxcvbn import zxcvbn

    words = _words_of(personal)
    rest = _without(password, words)
    if not rest or zxcvbn(rest, user_inputs=words)["score"] < MIN_SCORE:
        return [
            _(
                "This password is among the common ones, or made of your name or a simple pattern. "
                "A few unrelated words make a strong one."
            )
        ]
    return []


def _without(password: str, words: list[str]) -> str:
    """``password`` with the person's details taken out: what is left must be strong on its own."""
    for word in sorted(words, key=len, reverse=True):
        password = re.sub(re.escape(word), "", password, flags=re.IGNORECASE)
    return password


def _words_of(personal: tuple[str, ...]) -> list[str]:
    """The person's details, whole and in parts: ``asem.nurlan@metu.kz`` also gives ``asem``, ``nurlan``…"""
    values = [v.lower() for v in personal if v]
    return values + [w for v in values for w in re.split(r"[\W_]+", v) if len(w) > 2]
