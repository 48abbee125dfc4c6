"""Security headers on every response (office/security.py): a Content-Security-Policy allowing
this host only and forbidding framing, nosniff, a same-origin referrer. That the pages still work
in a real browser with the policy on is tests/test_offline.py's browser walk."""
from __future__ import annotations

import pytest

PATHS = ["/login/", "/", "/compoundview/list/", "/compoundview/grid/",
         "/compoundview/grid/data", "/api/v1/compound/", "/no-such-page", "/static/grid/grid.js"]


@pytest.mark.parametrize("path", PATHS)
def test_every_response_carries_the_headers(login, path):
    resp = login("bureau").get(path)
    policy = resp.headers.get("Content-Security-Policy", "")
    directives = dict(d.strip().split(" ", 1) for d in policy.split(";"))
    assert directives["default-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'"
    assert directives["object-src"] == "'none'"
    assert "http" not in policy  # no outside source anywhere
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    assert resp.headers["Referrer-Policy"] == "same-origin"
    assert resp.headers["X-Frame-Options"] == "DENY"


def test_anonymous_pages_carry_them_too(app):
    resp = app.test_client().get("/login/")
    assert "frame-ancestors 'none'" in resp.headers["Content-Security-Policy"]
