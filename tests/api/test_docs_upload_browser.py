"""The API documentation and the upload page in a real headless browser (Debian's chromium through
Playwright) against a real `league serve`, with every request off 127.0.0.1 blocked: `/docs` must
render every endpoint from the server alone, and the upload page must register a real checkpoint.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

from tests.support.live_server import running_server

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ADMIN = "docs-upload-browser-admin-0123456789abcdefghijkl"
REPO = Path(__file__).resolve().parents[2]
CHECKPOINT = REPO / "checkpoints" / "dreamer.safetensors"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
SCREENSHOTS = REPO / "test-artifacts" / "screenshots"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with running_server(tmp_path_factory.mktemp("docs-upload"), ADMIN) as live:
        yield live


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian's chromium is not installed (make system-deps)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


class OfflinePage:
    """A page whose requests to any host but 127.0.0.1 are aborted (and noted), with its console errors."""

    def __init__(self, browser):
        self.context = browser.new_context(viewport={"width": 1280, "height": 900})
        self.blocked: list[str] = []
        self.errors: list[str] = []
        self.context.route("**/*", self._route)
        self.page = self.context.new_page()
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.errors.append(f"uncaught: {e}"))

    def _route(self, route):
        if urlsplit(route.request.url).hostname == "127.0.0.1":
            route.continue_()
        else:
            self.blocked.append(route.request.url)
            route.abort()

    def shot(self, name: str) -> None:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


@pytest.fixture
def offline(browser):
    page = OfflinePage(browser)
    yield page
    page.context.close()


def test_docs_render_every_endpoint_with_no_request_off_the_server(server, offline):
    page = offline.page
    response = page.goto(f"{server.url}/docs", wait_until="load")
    assert response is not None and response.status == 200
    page.wait_for_selector(".opblock", timeout=30_000)
    paths = set(page.eval_on_selector_all(".opblock-summary-path", "els => els.map(e => e.dataset.path)"))
    documented = set(httpx.get(f"{server.url}/openapi.json").json()["paths"])
    assert documented and paths == documented
    assert page.locator(".info .title").inner_text().startswith("Hockey league")
    offline.shot("api-docs")
    assert offline.blocked == [], f"requests off the server: {offline.blocked}"
    assert offline.errors == [], offline.errors


def test_the_dashboard_links_the_docs_and_the_upload_page(server, offline):
    page = offline.page
    page.goto(f"{server.url}/", wait_until="load")
    page.click("nav >> text=API")
    page.wait_for_selector(".opblock", timeout=30_000)
    assert page.url == f"{server.url}/docs"
    page.goto(f"{server.url}/", wait_until="load")
    page.click("nav >> text=Upload")
    page.wait_for_selector("#upload-form")
    assert offline.blocked == []


def test_the_upload_page_registers_a_real_checkpoint_and_keeps_no_token(server, offline):
    page = offline.page
    page.goto(f"{server.url}/upload", wait_until="load")
    assert page.get_attribute("#upload-token", "autocomplete") == "off"
    # a wrong token first: refused, and the answer names the league that refused it
    page.fill("#upload-token", "lg_a-token-of-another-league")
    page.set_input_files("#upload-weights", str(CHECKPOINT))
    page.set_input_files("#upload-meta", str(CHECKPOINT.with_suffix(".json")))
    page.fill("#upload-agent", "browser-upload")
    page.click("#upload-submit")
    page.wait_for_selector(".upload-refused")
    refused = page.inner_text("#upload-answer")
    assert "HTTP 401" in refused and "unknown token" in refused and "the league at" in refused, refused
    # then the right one
    page.fill("#upload-token", ADMIN)
    page.click("#upload-submit")
    page.wait_for_selector(".upload-ok a", timeout=60_000)
    answer = page.inner_text("#upload-answer")
    step = json.loads(CHECKPOINT.with_suffix(".json").read_text())["step"]
    assert answer.startswith("Registered ") and f"browser-upload@{step}" in answer, answer
    offline.shot("upload")
    listed = httpx.get(f"{server.url}/api/opponents", params={"agent": "browser-upload"}).json()["items"]
    assert [o["name"] for o in listed] == [f"browser-upload@{step}"]
    page.click("#upload-answer a")
    page.wait_for_load_state("load")
    assert page.url.endswith(f"/opponents/{listed[0]['id']}")
    stored = page.evaluate("() => [localStorage.length, sessionStorage.length, document.cookie]")
    assert stored == [0, 0, ""]
    assert offline.blocked == []
    assert [e for e in offline.errors if "401" not in e] == []  # the refused request is logged by the browser
