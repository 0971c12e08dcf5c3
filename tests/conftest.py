"""Shared fixtures: a headless Chromium (the system's own, never a downloaded one) and a
static file server on localhost for the pages it opens.

The browser tests skip only when no Chromium is installed; CI installs Debian's, so they run
there. Every page records its console errors, uncaught exceptions and any request that tried
to leave localhost (aborted): a page that needs the network to show itself fails.
"""

import contextlib
import functools
import http.server
import shutil
import threading
from urllib.parse import urlsplit

import pytest

CHROMIUM = next(
    (p for p in map(shutil.which, ("chromium", "chromium-browser", "google-chrome")) if p), None
)
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def chromium():
    """One headless Chromium for the whole run (Playwright creates a fresh profile)."""
    if CHROMIUM is None:
        pytest.skip("Chromium is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        yield browser
        browser.close()


@pytest.fixture
def open_page(chromium):
    """`open_page(url)`: a loaded 1280x900 page with `.problems`, a list of console
    errors, page errors and blocked outside requests collected while it is open."""
    with _page_opener(chromium) as opener:
        yield opener


@pytest.fixture(scope="module")
def open_module_page(chromium):
    """`open_page` for pages that a whole test module shares (one costly setup)."""
    with _page_opener(chromium) as opener:
        yield opener


@contextlib.contextmanager
def _page_opener(browser):
    contexts = []

    def opener(url, width=1280, height=900):
        context = browser.new_context(viewport={"width": width, "height": height})
        contexts.append(context)
        page = context.new_page()
        page.problems = []
        page.on("console", lambda m: m.type == "error" and page.problems.append(m.text))
        page.on("pageerror", lambda e: page.problems.append(f"uncaught: {e}"))
        page.route("**/*", functools.partial(_local_only, page.problems))
        page.goto(url, wait_until="load")
        return page

    try:
        yield opener
    finally:
        for context in contexts:
            context.close()


def _local_only(problems, route):
    url = route.request.url
    parts = urlsplit(url)
    if parts.scheme in ("file", "data", "blob", "about") or parts.hostname == "127.0.0.1":
        route.continue_()
    else:
        problems.append(f"blocked request to {url}")
        route.abort()


@pytest.fixture(scope="session")
def serve():
    """`serve(folder)`: the base URL of `folder` served over http on 127.0.0.1."""
    servers = []

    def start(folder):
        handler = functools.partial(_QuietHandler, directory=str(folder))
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_port}/"

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass
