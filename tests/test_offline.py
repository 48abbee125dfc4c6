"""Nothing the app serves loads from the internet: it runs on an offline government intranet.

For every page in the admin's menu (and the add/show/edit pages those link to), the Swagger
UI and the login page: no src/href/action/url() in the HTML, and no url()/@import in the CSS
it references, points to a host other than this one; the JavaScript it references names no
CDN or remote resource. A real browser then opens the key pages and records every request.
"""
from __future__ import annotations

import html
import ipaddress
import os
import re
import shutil
import threading
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import pytest

from tests.conftest import PASSWORD

URL_ATTRS = {"src", "href", "action", "formaction", "poster", "data", "srcset", "background",
             "manifest", "xlink:href", "ping", "cite", "longdesc", "icon"}
CSS_URL = re.compile(r"""url\(\s*(['"]?)(.*?)\1\s*\)|@import\s+(['"])(.*?)\3""", re.I | re.S)
CSS_COMMENT = re.compile(r"/\*.*?\*/", re.S)
JS_URL = re.compile(r"""https?://([A-Za-z0-9.-]+|\[[0-9A-Fa-f:]+\])(?::\d+)?(/[^\s"'`()<>\\]*)?""")
# A URL in JavaScript is a load when it names a resource or a CDN / font / analytics host;
# the rest are identifiers (XML namespaces, JSON-schema ids, links in error messages).
JS_RESOURCE = re.compile(r"\.(?:m?js|css|woff2?|ttf|otf|eot|png|jpe?g|gif|svg|webp|ico|json|wasm)"
                         r"(?:[?#]|$)", re.I)
JS_REMOTE_HOST = re.compile(
    r"(?:^|\.)(?:cdn[a-z0-9-]*\.[a-z.]+|[a-z0-9-]*cdn[a-z0-9-]*\.[a-z.]+|googleapis\.com|"
    r"gstatic\.(?:com|cn)|google\.com|google-analytics\.com|googletagmanager\.com|"
    r"jsdelivr\.net|unpkg\.com|cloudflare\.com|fontawesome\.com|jquery\.com|"
    r"bootstrapcdn\.com|validator\.swagger\.io|scarf\.sh|baidu\.com|bdstatic\.com|qq\.com|"
    r"fonts\.[a-z.]+)$", re.I)
# Remote URLs that ship inside a vendored file but are never requested, with the reason.
JS_NEVER_LOADED = {
    ("swagger-ui-bundle.js", "validator.swagger.io"):
        "swagger-ui's default validatorUrl; our swagger page sets validatorUrl: null",
}


def is_remote(url: str) -> bool:
    url = url.strip()
    if url.startswith("//"):
        url = "http:" + url
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https", "ws", "wss", "ftp"}:
        return False  # relative, data:, javascript:, mailto: … stay on this host
    host = (parts.hostname or "").lower()
    if host == "localhost":
        return False
    try:
        return not ipaddress.ip_address(host).is_loopback
    except ValueError:
        return True


class _Refs(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.urls: list[tuple[str, str]] = []  # (where, url)
        self.scripts: list[str] = []  # local script src
        self.styles: list[str] = []  # local stylesheet href
        self.inline_css: list[str] = []
        self.inline_js: list[str] = []
        self._in = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        for name, value in attrs.items():
            if not value:
                continue
            if name in URL_ATTRS:
                for url in (value.split(",") if name == "srcset" else [value]):
                    self.urls.append((f"<{tag} {name}>", url.strip().split(" ")[0]))
            elif name == "style":
                self.inline_css.append(value)
            elif name == "content" and "url=" in value.lower():  # <meta http-equiv=refresh>
                self.urls.append((f"<{tag} content>", value.split("=", 1)[1]))
        if tag == "script" and attrs.get("src"):
            self.scripts.append(attrs["src"])
        if tag == "link" and "stylesheet" in (attrs.get("rel") or "") and attrs.get("href"):
            self.styles.append(attrs["href"])
        if tag in {"script", "style"}:
            self._in = tag

    def handle_endtag(self, tag):
        if tag == self._in:
            self._in = None

    def handle_data(self, data):
        if self._in == "style":
            self.inline_css.append(data)
        elif self._in == "script":
            self.inline_js.append(data)


def css_urls(css: str) -> list[str]:
    css = CSS_COMMENT.sub(" ", css)
    return [(m.group(2) or m.group(4) or "").strip() for m in CSS_URL.finditer(css)]


def js_remote_loads(js: str, filename: str = "") -> list[str]:
    found = set()
    for m in JS_URL.finditer(js):
        host, path = m.group(1).lower(), m.group(2) or ""
        if not is_remote(m.group(0)) or (filename, host) in JS_NEVER_LOADED:
            continue
        if JS_RESOURCE.search(path) or JS_REMOTE_HOST.search(host):
            found.add(m.group(0))
    return sorted(found)


def scan_page(client, url: str, body: str, fetched: dict) -> list[str]:
    """Remote references in a page and in the local CSS/JS it loads (fetched once each)."""
    refs = _Refs()
    refs.feed(body)
    problems = [f"{url}: {where} {ref}" for where, ref in refs.urls if is_remote(ref)]
    for css in refs.inline_css:
        problems += [f"{url}: inline css {ref}" for ref in css_urls(css) if is_remote(ref)]
    for js in refs.inline_js:
        problems += [f"{url}: inline script {ref}" for ref in js_remote_loads(js)]
    queue = [(ref, "css") for ref in refs.styles] + [(ref, "js") for ref in refs.scripts]
    while queue:
        ref, kind = queue.pop()
        if is_remote(ref):
            continue  # reported above as <link href> / <script src>
        path = urljoin(url, html.unescape(ref)).split("#")[0]
        if path in fetched:
            continue
        resp = client.get(path)
        fetched[path] = resp.status_code
        if resp.status_code != 200:
            problems.append(f"{url}: {path} -> HTTP {resp.status_code}")
            continue
        text = resp.get_data(as_text=True)
        if kind == "css":
            for inner in css_urls(text):
                if is_remote(inner):
                    problems.append(f"{path}: url({inner})")
                elif inner.split("?")[0].endswith(".css"):
                    queue.append((urljoin(path, inner), "css"))
        else:
            name = path.rsplit("/", 1)[-1].split("?")[0]
            problems += [f"{path}: {ref_}" for ref_ in js_remote_loads(text, name)]
    return problems


def menu_links(body: str) -> list[str]:
    nav = body[body.index("<header"):body.index("</header>")]
    return sorted({html.unescape(h) for h in re.findall(r'href="(/[^"#]*)"', nav)
                   if not h.startswith(("/lang/", "/logout", "/static/"))})


# ------------------------------------------------------------------ the scanner itself


def test_scanner_finds_remote_references(app):
    page = """<html><head>
      <link rel="stylesheet" href="https://cdn.example.com/x.css">
      <link rel="preconnect" href="//fonts.gstatic.com">
      <script src="https://unpkg.com/swagger-ui-dist/swagger-ui-bundle.js"></script>
      <style>@import url("https://fonts.googleapis.com/css?family=Roboto");</style>
      <script>fetch("https://api.example.org/data.json")</script>
    </head><body style="background: url(http://example.com/bg.png)">
      <img src="/static/x.png"><a href="http://127.0.0.1:5000/">local</a>
      <a href="https://docs.example.com/help">help</a>
    </body></html>"""
    with app.test_request_context():
        problems = scan_page(app.test_client(), "/", page, {})
    joined = "\n".join(problems)
    for needle in ("cdn.example.com", "//fonts.gstatic.com", "unpkg.com", "fonts.googleapis.com",
                   "api.example.org", "example.com/bg.png", "docs.example.com"):
        assert needle in joined, needle
    assert "127.0.0.1" not in joined and "/static/x.png" not in joined
    assert css_urls("/* url(https://x.com/a.png) */ a{b:url('../f.woff')}") == ["../f.woff"]
    assert js_remote_loads('var ns="http://www.w3.org/2000/svg"; // see https://x.org/doc') == []
    assert js_remote_loads('s.src="https://www.gstatic.com/charts/loader.js"') != []
    assert js_remote_loads('u="https://validator.swagger.io/validator"', "other.js") != []
    assert js_remote_loads('u="https://validator.swagger.io/validator"',
                           "swagger-ui-bundle.js") == []


# ------------------------------------------------------------------ the app


@pytest.fixture()
def admin(login):
    return login("admin")


def _pages(admin) -> list[str]:
    home = admin.get("/").get_data(as_text=True)
    urls = ["/", "/swagger/v1", "/users/userinfo/"]
    for url in menu_links(home):
        urls.append(url)
        body = admin.get(url).get_data(as_text=True)
        urls += [html.unescape(link) for link in
                 re.findall(r'href="(/[^"?#]*/(?:add|show/\d+|edit/\d+))[?"]', body)[:3]]
    return list(dict.fromkeys(urls))


def test_no_page_loads_from_the_internet(app, admin, county):
    fetched: dict[str, int] = {}
    problems = []
    pages = _pages(admin)
    assert len(pages) > 20, pages  # the admin's menu was found
    for url in pages:
        resp = admin.get(url)
        assert resp.status_code == 200, f"{url}: HTTP {resp.status_code}"
        problems += scan_page(admin, url, resp.get_data(as_text=True), fetched)
    login_page = app.test_client().get("/login/").get_data(as_text=True)
    problems += scan_page(app.test_client(), "/login/", login_page, fetched)
    assert any("swagger-ui-bundle.js" in path for path in fetched)
    assert not problems, "remote references:\n" + "\n".join(sorted(set(problems)))


def test_swagger_ui_is_served_locally(admin, users):
    body = admin.get("/swagger/v1").get_data(as_text=True)
    assert "/static/vendor/swagger-ui/swagger-ui-bundle.js" in body
    assert "/static/vendor/swagger-ui/swagger-ui.css" in body
    assert re.search(r"validatorUrl:\s*null", body), "swagger-ui would call validator.swagger.io"
    for asset in ("swagger-ui-bundle.js", "swagger-ui.css"):
        resp = admin.get(f"/static/vendor/swagger-ui/{asset}")
        assert resp.status_code == 200 and len(resp.data) > 100_000, asset


# ------------------------------------------------------------------ a real browser


def _chromium():
    path = shutil.which("chromium") or "/usr/bin/chromium"
    try:
        from playwright.sync_api import sync_playwright  # noqa: F401
    except ImportError:
        return None
    return path if os.path.exists(path) else None


@pytest.mark.e2e
def _browser_check(app, pk):
    chromium = _chromium()
    if chromium is None:
        pytest.fail("needs Playwright and /usr/bin/chromium")
    from playwright.sync_api import sync_playwright
    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{server.server_port}"
    remote: list[str] = []
    errors: list[str] = []
    refused: list[str] = []

    def guard(route):
        if is_remote(route.request.url):
            remote.append(route.request.url)
            route.abort()
        else:
            route.continue_()

    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
            page = browser.new_page()
            page.route("**/*", guard)
            page.on("pageerror", lambda exc: errors.append(f"{page.url}: {exc}"))
            # the Content-Security-Policy (office/security.py) is on: nothing it refuses
            page.on("console", lambda msg: "Content Security Policy" in msg.text
                    and refused.append(f"{page.url}: {msg.text}"))
            page.goto(f"{base}/login/")
            page.fill("#username", "admin")
            page.fill("#password", PASSWORD)
            page.click("input[type=submit], button[type=submit]")
            page.wait_for_load_state("networkidle")
            paths = ["/", "/compoundview/add", f"/compoundview/show/{pk}",
                     f"/compoundview/edit/{pk}", "/compoundview/grid/",
                     f"/compoundview/history/{pk}"]
            page.goto(base + "/")
            paths += [urlsplit(a).path for a in page.eval_on_selector_all(
                "header .dropdown-menu a[href^='/']", "links => links.map(a => a.href)")
                if not urlsplit(a).path.startswith(("/lang/", "/logout"))]
            assert len(paths) > 20, paths  # the admin's menu was found
            for path in dict.fromkeys(paths):
                page.goto(base + path)
                page.wait_for_load_state("networkidle")
                text = page.inner_text("body")
                assert "Select a State" not in text, path  # select2's placeholder, localized
            page.goto(f"{base}/swagger/v1")
            page.wait_for_selector(".swagger-ui .info", timeout=30_000)
            page.wait_for_load_state("networkidle")
            browser.close()
    finally:
        server.shutdown()
        thread.join(timeout=10)
    assert not remote, f"requests to the internet: {remote}"
    assert not errors, f"JavaScript errors: {errors}"
    assert not refused, f"refused by the Content-Security-Policy: {refused}"


def test_browser_requests_stay_on_this_host(app, users, county):
    # Playwright's sync API refuses a thread where another sync session (the e2e fixtures')
    # is open; a thread of its own gives it its own event loop.
    from concurrent.futures import ThreadPoolExecutor

    pk = county.a.compound.id
    with ThreadPoolExecutor(1) as pool:
        pool.submit(_browser_check, app, pk).result()
