"""Browser tests: the real app on a loopback port, driven by Playwright and Debian's chromium.

``live_server`` serves the session's test app (tests/conftest.py: its database, the tiny county
and the role users) from a thread via werkzeug, with CSRF protection ON, as in production.
``page_as(username)`` opens a fresh browser context, signs in through the login form and
returns the page. Every request the browser makes is checked: anything not addressed to the
loopback is aborted and recorded, and the test fails if there was any (``offsite`` fixture).
Screenshots go to artifacts/.
"""
from __future__ import annotations

import ipaddress
import os
import shutil
import threading
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.conftest import PASSWORD

ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts"
CHROMIUM = os.environ.get("OFFICE_CHROMIUM", "/usr/bin/chromium")
LAUNCH_ARGS = ["--no-sandbox", "--disable-background-networking", "--disable-component-update",
               "--disable-dev-shm-usage"]

pytestmark = pytest.mark.e2e


def _loopback(url: str) -> bool:
    parts = urlsplit(url)
    if parts.scheme in ("data", "blob", "about", "javascript"):
        return True
    host = (parts.hostname or "").lower()
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@pytest.fixture(scope="session")
def _playwright():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.fail("needs Playwright for Python")
    if not (os.path.exists(CHROMIUM) or shutil.which("chromium")):
        pytest.fail(f"needs chromium at {CHROMIUM}")
    with sync_playwright() as pw:
        yield pw


@pytest.fixture(scope="session")
def browser(_playwright):
    browser = _playwright.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
    yield browser
    browser.close()


@pytest.fixture()
def live_server(app, users):
    """http://127.0.0.1:<free port> serving the test app; CSRF checked as in production."""
    from werkzeug.serving import make_server

    saved = app.config["WTF_CSRF_ENABLED"]
    app.config["WTF_CSRF_ENABLED"] = True
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)
        app.config["WTF_CSRF_ENABLED"] = saved


@pytest.fixture()
def offsite():
    """URLs the browser tried to reach off the loopback (all aborted); must stay empty."""
    seen: list[str] = []
    yield seen
    assert not seen, f"requests leaving the loopback: {seen}"


@pytest.fixture()
def page_as(browser, live_server, offsite):
    contexts = []

    def guard(route):
        if _loopback(route.request.url):
            route.continue_()
        else:
            offsite.append(route.request.url)
            route.abort()

    def _page_as(username: str, password: str = PASSWORD):
        context = browser.new_context(viewport={"width": 1500, "height": 950}, locale="zh-CN")
        contexts.append(context)
        context.route("**/*", guard)
        page = context.new_page()
        page.js_errors = []
        page.on("pageerror", lambda exc: page.js_errors.append(f"{exc}\n{exc.stack}"))
        page.goto(f"{live_server}/login/")
        page.fill("#username", username)
        page.fill("#password", password)
        page.click("input[type=submit], button[type=submit]")
        page.wait_for_load_state("networkidle")
        assert "/login" not in page.url, f"login failed for {username}"
        page.base = live_server
        return page

    yield _page_as
    for context in contexts:
        context.close()


@pytest.fixture()
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS
