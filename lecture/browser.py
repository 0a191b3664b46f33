"""Headless Chromium, driven by Selenium, for printing the deck to PDF.

``make test`` installs Chromium and chromedriver (``tools/ensure-chromium.sh``);
``pip install -e '.[dev]'`` brings selenium.  Chrome's DevTools command
``Page.printToPDF`` prints the page at a paper size of 20 × 11.25 inches (16:9,
1920 × 1080 CSS px), and the deck's print stylesheet puts one slide on each page.
"""

from __future__ import annotations

import base64
import tempfile
import time
from functools import partial
from pathlib import Path

from viz import browser as _browser
from viz.browser import BrowserNotFoundError

__all__ = ["chromium", "print_pdf", "BrowserNotFoundError", "PAGE_INCHES"]

PAGE_INCHES = (20.0, 11.25)       # 1920 x 1080 CSS px at 96 px per inch: 16:9

# viz's headless Chromium, its errors saying what it was for
chromium = partial(_browser.chromium, purpose="lecture: printing the deck")


def wait_until_ready(browser, timeout=30.0):
    """Wait for the deck's script (``body[data-ready]``) and every explorer frame."""
    deadline = time.monotonic() + timeout
    script = ("return document.body.dataset.ready === 'true' && "
              "[...document.querySelectorAll('iframe')].every((f) => f.dataset.loaded === 'true')")
    while not browser.execute_script(script):
        if time.monotonic() > deadline:
            raise TimeoutError(f"lecture: the deck was not ready after {timeout:.0f} s "
                               f"(its script or an explorer frame did not load)")
        time.sleep(0.05)


# The explorer's still, for paper: half way through its walk (show(k) is its own function).
_STILL = """
for (const frame of document.querySelectorAll('iframe')) {
  const page = frame.contentWindow;
  const slider = page && page.document.getElementById('slider');
  if (slider && typeof page.show === 'function') page.show(Math.floor(Number(slider.max) / 2));
}
"""


def print_pdf(page_html):
    """The deck's page printed to PDF bytes, one 16:9 page per slide."""
    with tempfile.TemporaryDirectory() as folder, chromium() as browser:
        path = Path(folder) / "lecture.html"
        path.write_text(page_html, encoding="utf-8")
        browser.get(path.resolve().as_uri())
        wait_until_ready(browser)
        browser.execute_script(_STILL)
        width, height = PAGE_INCHES
        printed = browser.execute_cdp_cmd("Page.printToPDF", {
            "paperWidth": width, "paperHeight": height, "marginTop": 0, "marginBottom": 0,
            "marginLeft": 0, "marginRight": 0, "printBackground": True,
            "preferCSSPageSize": True})
    return base64.b64decode(printed["data"])
