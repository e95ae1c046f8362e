"""Driving the dashboard in Debian's headless chromium through Playwright: the browser, a tab that
records console errors and dialogs, canvas read-outs, and the text scripts draw on canvases.

`DRAWN_TEXT` is an init script that records every `fillText` call of the page's canvases in
`window.drawnText` (text, and the canvas it went to), so a test can read what a chart, the heatmap
or the replay wrote, which a canvas does not keep.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"

DRAWN_TEXT = """
window.drawnText = [];
const fillText = CanvasRenderingContext2D.prototype.fillText;
CanvasRenderingContext2D.prototype.fillText = function (text, ...rest) {
  const owner = this.canvas.closest ? this.canvas.closest("[id]") : null;
  window.drawnText.push({ text: String(text), where: owner ? owner.id : "" });
  return fillText.call(this, text, ...rest);
};
"""


@contextmanager
def chromium() -> Iterator:
    """A headless chromium for the length of a `with` block; skips the test when it is not installed."""
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian's chromium is not installed (make system-deps)")
    from playwright.sync_api import sync_playwright  # an optional extra, like the browser

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


class Tab:
    """A browser page that records console errors, uncaught exceptions and dialogs."""

    def __init__(self, browser, base: str, *, width: int = 1280, height: int = 900, init_script: str | None = None):
        self.context = browser.new_context(viewport={"width": width, "height": height}, device_scale_factor=1,
                                           accept_downloads=True)
        if init_script:
            self.context.add_init_script(init_script)
        self.page = self.context.new_page()
        self.base = base
        self.errors: list[str] = []
        self.dialogs: list[str] = []
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.errors.append(f"uncaught: {e}"))
        self.page.on("dialog", lambda d: (self.dialogs.append(d.message), d.dismiss()))

    def open(self, path: str, shot: str | None = None):
        response = self.page.goto(self.base + path, wait_until="load")
        assert response is not None and response.status == 200, f"{path}: HTTP {response and response.status}"
        self.page.wait_for_load_state("networkidle")
        if shot:
            self.shot(shot)
        return self.page

    def shot(self, name: str) -> None:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)

    def drawn_text(self, where: str | None = None) -> list[str]:
        """The texts the page's scripts drew on canvases (under the element with id `where`)."""
        drawn = self.page.evaluate("window.drawnText || []")
        return [d["text"] for d in drawn if where is None or d["where"] == where]

    def close(self):
        self.context.close()


@contextmanager
def checked_tab(browser, base: str) -> Iterator[Tab]:
    """A `Tab` that, once closed, asserts the page logged no error and no script from the data ran."""
    tab = Tab(browser, base)
    yield tab
    tab.close()
    assert tab.errors == [], f"console errors: {tab.errors}"
    assert tab.dialogs == [], f"a script from the data ran: {tab.dialogs}"


def canvas_image(page, selector: str) -> str:
    """The canvas's current picture as a PNG data URL (equal pictures, equal strings)."""
    return page.evaluate("(sel) => document.querySelector(sel).toDataURL('image/png')", selector)


def canvas_colours(page, selector: str) -> int:
    """How many distinct colours the canvas shows (1 for a blank canvas)."""
    return page.evaluate(
        """(sel) => { const c = document.querySelector(sel);
           const data = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
           const seen = new Set();
           for (let k = 0; k < data.length; k += 4) seen.add(data[k] << 24 | data[k + 1] << 16 | data[k + 2] << 8 | data[k + 3]);
           return seen.size; }""",
        selector,
    )
