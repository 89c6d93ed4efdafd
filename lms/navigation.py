"""The header menu: each feature adds its own entries in ``init_app``, the layout shows them."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from flask import Flask, current_app
from flask_login import current_user

from lms.permissions import scope_paths


@dataclass(frozen=True)
class NavItem:
    endpoint: str
    label: object  #: a lazy_gettext string, translated when shown
    roles: tuple[str, ...] = ()  #: empty: every signed-in person
    section: str = "main"  #: "main" (learning) or "office"
    university_wide: bool = False  #: hidden from officers scoped to a unit (``permissions.university_wide``)
    #: Shown only to holders of ``roles`` themselves, not to admins (the case handlers' pages).
    holders_only: bool = False


def add_nav_item(
    app: Flask,
    endpoint: str,
    label,
    roles: tuple[str, ...] = (),
    section: str = "main",
    university_wide: bool = False,
    holders_only: bool = False,
) -> None:
    item = NavItem(endpoint, label, roles, section, university_wide, holders_only)
    app.extensions.setdefault("adal.nav", []).append(item)


def visible_nav_items(section: str) -> list[NavItem]:
    """The entries of ``section`` the current person may open."""
    if not current_user.is_authenticated:
        return []
    return [
        item
        for item in current_app.extensions.get("adal.nav", [])
        if item.section == section
        and (not item.roles or current_user.has_role(*item.roles))
        and not (item.holders_only and not current_user.role_names.intersection(item.roles))
        and not (item.university_wide and scope_paths(current_user) is not None)
    ]


def add_landing_page(app: Flask, endpoint: str, roles: tuple[str, ...] = ()) -> None:
    """Offer ``endpoint`` as where people holding one of ``roles`` land after signing in (empty: everyone)."""
    app.extensions.setdefault("adal.landing", []).append((endpoint, roles))


def landing_endpoint() -> str | None:
    """The current person's landing page: the first one for a role they hold, else the first for everyone."""
    pages = current_app.extensions.get("adal.landing", [])
    for endpoint, roles in pages:
        if roles and current_user.has_role(*roles):
            return endpoint
    return next((endpoint for endpoint, roles in pages if not roles), None)


# --- pages a feature offers to visitors, and the documents it keeps (the public page) ---------------


def set_visitors_page(app: Flask, endpoint: str) -> None:
    """Show ``endpoint`` to visitors who open ``/`` (without one, they are sent to sign in)."""
    app.extensions["adal.visitors_page"] = endpoint


def visitors_page() -> str | None:
    return current_app.extensions.get("adal.visitors_page")


def set_document_linker(app: Flask, linker: Callable[[str, date | None], str | None]) -> None:
    """Let pages link to a regulatory document by its key: ``linker(key, day)`` gives the URL of the
    version in force on ``day`` (``None``: today), or ``None`` when no such document is kept."""
    app.extensions["adal.document_linker"] = linker


def document_url(key: str, day: date | None = None) -> str | None:
    """A link to the document ``key`` as in force on ``day``, if a feature keeps documents and has it."""
    linker = current_app.extensions.get("adal.document_linker")
    return linker(key, day) if linker is not None else None


def init_app(app: Flask) -> None:
    app.context_processor(lambda: {"nav_items": visible_nav_items, "document_url": document_url})
