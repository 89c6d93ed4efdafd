"""A person signs in, switches the interface to Kazakh, and signs out."""

import pytest

from tests.browser.helpers import login

pytestmark = pytest.mark.browser


def test_sign_in_switch_to_kazakh_and_sign_out(page, make):
    person = make.user(locale="en", full_name="Aruzhan Serikova")
    login(page, person.email)
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.get_by_text("Aruzhan Serikova").first.is_visible()

    with page.expect_navigation():
        page.click("button[name=locale][value=kk]")
    assert page.locator("html").get_attribute("lang") == "kk"
    assert page.locator("#logout").inner_text().strip() == "Шығу"
    assert "Compliance officer" not in page.inner_text("footer")

    with page.expect_navigation():
        page.click("#logout")
    assert "/login" in page.url
    assert page.locator("html").get_attribute("lang") == "kk"  # the choice outlives the session


def test_phone_menu_collapses_and_opens(page, make):
    person = make.user()
    page.set_viewport_size({"width": 390, "height": 844})
    login(page, person.email)
    toggler = page.locator(".navbar-toggler")
    assert toggler.is_visible()
    assert not page.locator("#logout").is_visible()
    toggler.click()
    page.locator("#logout").wait_for(state="visible")
