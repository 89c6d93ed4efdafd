"""A real server thread and a real Chromium (Debian's, through Playwright) for browser tests.

The browser is launched once per test worker; each test gets a fresh context (no cookies).
A missing /usr/bin/chromium fails the tests: CI must install it, they never skip.
Every page a test visits is checked with axe-core (see accessibility.py); a serious or critical
violation fails the test when it ends.
"""

import os
import threading

import pytest
from playwright.sync_api import sync_playwright
from werkzeug.serving import make_server

from lms import create_app
from lms.extensions import db as _db
from tests.browser.accessibility import AccessibilityWatch

CHROMIUM = os.environ.get("ADAL_CHROMIUM", "/usr/bin/chromium")
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


@pytest.fixture(scope="session")
def live_app(app, database_url):
    """The same database as ``app``, but with CSRF checked, as in production."""
    live = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": database_url,
            "SECRET_KEY": "test-secret",
            "ADAL_STORAGE_PATH": app.config["ADAL_STORAGE_PATH"],
            "ADAL_TWO_FACTOR_REQUIRED": False,
        }
    )
    yield live
    with live.app_context():
        _db.engine.dispose()  # before the test database is dropped


@pytest.fixture(scope="session")
def live_server(live_app):
    """The base URL of the app served by a real HTTP server in a thread."""
    server = make_server("127.0.0.1", 0, live_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    live_app.config["ADAL_BASE_URL"] = f"http://127.0.0.1:{server.server_port}"
    yield live_app.config["ADAL_BASE_URL"]
    server.shutdown()
    with live_app.app_context():  # close the server threads' pooled connections before the database is dropped
        _db.engine.dispose()


@pytest.fixture(scope="session")
def browser():
    if not os.path.exists(CHROMIUM):
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium (apt-get install chromium)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=LAUNCH_ARGS)
        yield browser
        browser.close()


@pytest.fixture(autouse=True)
def axe_watch(browser, monkeypatch):
    """axe-core checks every page of every context the test opens; ``checked`` lists them with their language.

    When the test ends, a serious or critical violation on any of them fails it."""
    watch = AccessibilityWatch()
    new_context = browser.new_context

    def new_watched_context(*args, **kwargs):
        kwargs.setdefault("reduced_motion", "reduce")  # no colour transitions half-way when axe measures contrast
        context = new_context(*args, **kwargs)
        watch.watch_context(context)
        return context

    monkeypatch.setattr(browser, "new_context", new_watched_context)
    yield watch
    for context in browser.contexts:
        watch.check_open_pages(context)
    if watch.found:
        pytest.fail("Serious or critical accessibility violations (axe-core):\n" + watch.report(), pytrace=False)


@pytest.fixture
def page(browser, live_server, db, axe_watch):
    """A fresh browser tab (new cookies) on the live server; ``page.goto('/login')`` works."""
    context = browser.new_context(base_url=live_server, locale="en-US", viewport={"width": 1280, "height": 800})
    context.set_default_timeout(10_000)
    tab = context.new_page()
    yield tab
    context.close()
