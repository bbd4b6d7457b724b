"""Browser journeys: Playwright's sync API driving the system's Chromium against the app
served by pytest-django's `live_server` (static files included).

One browser per xdist worker, a fresh context per person in each test. A test fails on any
uncaught script error, console error or failed static file; when it fails, a full-page
screenshot and the HTML of each open page are saved to var/browser-failures/.
"""

import asyncio
import contextlib
import re
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.db import connections

from tests.browser import chromium

# Generous: a step that works waits no longer for it, and a CI machine running the whole
# suite on two workers can be slow to answer.
TIMEOUT_MS = 20_000
FAILURES_DIR = Path(__file__).resolve().parents[2] / "var" / "browser-failures"


@dataclass
class BrowserSession:
    """The worker's browser and the event loop Playwright's sync API drives it with.

    Playwright leaves its loop marked as running in this thread between its calls. Left
    so, every later test of the worker would run "inside" an event loop: Django would
    refuse their database calls. So the mark is put away between browser tests and put
    back while one runs (Playwright's own calls need it then).
    """

    browser: object
    loop: asyncio.AbstractEventLoop

    @contextlib.contextmanager
    def in_use(self):
        asyncio._set_running_loop(self.loop)
        try:
            yield self.browser
        finally:
            asyncio._set_running_loop(None)


@pytest.fixture(scope="session")
def browser_session():
    decision = chromium.decide_here()
    if decision.action == chromium.FAIL:
        pytest.fail(decision.reason, pytrace=False)
    if decision.action == chromium.SKIP:
        pytest.skip(decision.reason)
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=TIMEOUT_MS)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium.chromium_path(), headless=True, args=chromium.LAUNCH_ARGS
        )
        session = BrowserSession(browser, asyncio.get_running_loop())
        asyncio._set_running_loop(None)
        yield session
        # Left marked as running: closing, and leaving the `with`, are Playwright calls too.
        asyncio._set_running_loop(session.loop)
        browser.close()


@pytest.fixture(scope="session")
def live_server(django_db_setup, django_db_blocker, live_server):
    """pytest-django's live server, whose leftover connections are ended before the test
    databases are dropped.

    The browser keeps its HTTP connections alive, and each is served by a thread of the
    server holding its own database connection until the socket closes: on PostgreSQL they
    would keep the test database from being dropped."""
    yield live_server
    with django_db_blocker.unblock():
        for connection in connections.all():
            if connection.vendor == "postgresql":
                with connection.cursor() as cursor:
                    cursor.execute(
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                        " WHERE datname = current_database() AND pid <> pg_backend_pid()"
                    )


_ANSWERED: set[str] = set()


def _wait_for_first_answer(url: str) -> None:
    """The live server's first request loads every URL module and the views behind them,
    which takes seconds: it must not eat into the first page's timeout."""
    if url not in _ANSWERED:
        urllib.request.urlopen(f"{url}/accounts/login/", timeout=120).read()  # noqa: S310
        _ANSWERED.add(url)


class Pages:
    """Opens pages, each in its own context (own cookies: one person each), and collects
    what went wrong in them."""

    def __init__(self, browser, base_url):
        self.browser = browser
        self.base_url = base_url
        self.contexts = []
        self.pages = []
        self.errors: list[str] = []

    def open(self, **context_options):
        context = self.browser.new_context(base_url=self.base_url, **context_options)
        context.set_default_timeout(TIMEOUT_MS)
        page = context.new_page()
        page.on("pageerror", lambda error: self.errors.append(f"page error: {error}"))
        page.on("console", self._on_console)
        page.on("response", self._on_response)
        self.contexts.append(context)
        self.pages.append(page)
        return page

    def _on_console(self, message):
        if message.type == "error":
            self.errors.append(f"console error: {message.text} ({message.location.get('url')})")

    def _on_response(self, response):
        if "/static/" in response.url and response.status >= 400:
            self.errors.append(f"static file {response.url}: HTTP {response.status}")

    def save_artifacts(self, name: str) -> list[Path]:
        FAILURES_DIR.mkdir(parents=True, exist_ok=True)
        saved = []
        for index, page in enumerate(self.pages, start=1):
            if page.is_closed():
                continue
            stem = name if len(self.pages) == 1 else f"{name}-{index}"
            png, html = FAILURES_DIR / f"{stem}.png", FAILURES_DIR / f"{stem}.html"
            try:
                page.screenshot(path=str(png), full_page=True)
                html.write_text(page.content(), encoding="utf-8")
            except Exception as error:  # a failed capture must not hide the failure
                saved.append(Path(f"(could not capture page {index}: {error})"))
                continue
            saved += [png.resolve(), html.resolve()]
        return saved

    def close(self):
        for context in self.contexts:
            context.close()


def _artifact_name(item) -> str:
    return re.sub(r"[^\w.-]+", "_", item.name).strip("_")


@pytest.fixture
def pages(browser_session, live_server, request, settings, tmp_path, monkeypatch):
    """pages.open(**context_options) -> a page on the live server, in a new context."""
    # While a browser test runs, Playwright's event loop is marked as running in this
    # thread, and Django then refuses ORM calls from it ("You cannot call this from an async
    # context"). No coroutine ever touches the database: the test reads and prepares rows
    # between browser steps. So the guard is off, for browser tests only (set for the whole
    # process, it would also reach subprocesses such as `manage.py check --deploy`).
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    # Uploads (screenshots, PDFs) go to a scratch folder; the server thread sees the same
    # settings object, so it stores them there too.
    settings.MEDIA_ROOT = tmp_path / "media"
    _wait_for_first_answer(live_server.url)
    with browser_session.in_use() as browser:
        opened = Pages(browser, live_server.url)
        request.node.browser_pages = opened
        yield opened
        try:
            if opened.errors and not getattr(request.node, "browser_artifacts_saved", False):
                saved = opened.save_artifacts(_artifact_name(request.node))
                listing = "\n".join(f"  {path}" for path in saved)
                pytest.fail(
                    "The browser reported errors:\n"
                    + "\n".join(f"  {e}" for e in opened.errors)
                    + f"\nSaved:\n{listing}",
                    pytrace=False,
                )
        finally:
            opened.close()


@pytest.fixture
def page(pages):
    return pages.open()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    """On a failed browser test, keep a screenshot and the HTML of every page it had open."""
    report = yield
    opened = getattr(item, "browser_pages", None)
    if report.when == "call" and report.failed and opened is not None:
        saved = opened.save_artifacts(_artifact_name(item))
        item.browser_artifacts_saved = True
        lines = "\n".join(str(path) for path in saved) or "(no page was open)"
        report.sections.append(("browser failure: screenshots and HTML", lines))
        if opened.errors:
            report.sections.append(("browser errors", "\n".join(opened.errors)))
    return report
