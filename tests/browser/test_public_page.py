"""A visitor on a phone opens the public page, switches it to Kazakh and downloads the code of ethics."""

from datetime import date
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from public_page import documents
from tests.public_page.conftest import pdf

pytestmark = pytest.mark.browser


def test_a_visitor_on_a_phone_reads_the_page_in_kazakh_and_downloads_a_document(page, live_app, db):
    document = documents.create_document(db.session, "code-of-ethics")
    documents.add_version(
        db.session,
        document,
        number="7-ОД",
        approved_on=date(2025, 9, 1),
        title={"kk": "Әдеп кодексі", "ru": "Кодекс этики", "en": "Code of ethics"},
        summary={"kk": "Университеттің әдеп стандарттары."},
        files={"kk": pdf("kk"), "ru": pdf("ru")},
        storage=live_app.config["ADAL_STORAGE_PATH"],
        uploader=None,
    )
    db.session.commit()
    page.set_viewport_size({"width": 390, "height": 844})

    page.goto("/")
    page.locator(".navbar-toggler").click()
    with page.expect_navigation():
        page.click("button[name=locale][value=kk]")
    assert page.locator("html").get_attribute("lang") == "kk"
    assert urlsplit(page.url).path == "/"  # the visitors' landing page, not the sign-in page
    assert page.locator("#method-transparency").inner_text().startswith("1. Ашықтық")
    assert page.locator("#methods li").count() == 8
    assert page.locator("#report-concern").is_visible()
    assert page.locator("#check-certificate").is_visible()
    # Phone-sized: nothing wider than the screen.
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")

    card = page.locator("#document-code-of-ethics")
    assert "Әдеп кодексі" in card.inner_text()
    with page.expect_download() as info:
        card.locator("[data-download=kk]").click()
    download = info.value
    assert download.suggested_filename == "code-of-ethics-2025-09-01-kk.pdf"
    assert Path(download.path()).read_bytes() == pdf("kk")
