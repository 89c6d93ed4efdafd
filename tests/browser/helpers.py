"""Steps shared by browser tests."""

from tests.factories import PASSWORD


def login(page, email: str, password: str = PASSWORD) -> None:
    """Sign in through the real form and wait for the next page."""
    page.goto("/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", password)
    with page.expect_navigation():
        page.click("form #submit")
