"""Headless Chromium, driven by Selenium, for printing the deck to PDF.

``make test`` installs Chromium and chromedriver (``tools/ensure-chromium.sh``);
``pip install -e '.[dev]'`` brings selenium.  Chrome's DevTools command
``Page.printToPDF`` prints the page at a paper size of 20 × 11.25 inches (16:9,
1920 × 1080 CSS px), and the deck's print stylesheet puts one slide on each page.
"""

from __future__ import annotations

import base64
import shutil
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

__all__ = ["chromium", "print_pdf", "BrowserNotFoundError", "PAGE_INCHES"]

PAGE_INCHES = (20.0, 11.25)       # 1920 x 1080 CSS px at 96 px per inch: 16:9
DRIVER = "/usr/bin/chromedriver"
BINARIES = ("chromium", "chromium-browser", "google-chrome")
INSTALL = ("Debian/Ubuntu: sudo apt-get install chromium chromium-driver (or sh "
           "tools/ensure-chromium.sh); and pip install selenium")


class BrowserNotFoundError(FileNotFoundError):
    """Chromium, chromedriver or selenium is missing."""


def _find():
    """(the browser's binary, chromedriver), or a BrowserNotFoundError saying what to install."""
    binary = next(filter(None, map(shutil.which, BINARIES)), None)
    driver = DRIVER if Path(DRIVER).exists() else shutil.which("chromedriver")
    if binary is None or driver is None:
        missing = "Chromium" if binary is None else "chromedriver"
        raise BrowserNotFoundError(f"lecture: printing the deck needs headless Chromium and "
                                   f"chromedriver, and {missing} was not found. {INSTALL}")
    return binary, driver


@contextmanager
def chromium(width=1920, height=1080, logs=False):
    """A headless Chromium whose page is ``width`` × ``height`` CSS px; quit afterwards.
    With ``logs``, it keeps the console's messages and the network log (for tests:
    ``browser.get_log("browser")``, ``browser.get_log("performance")``)."""
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        raise BrowserNotFoundError(f"lecture: printing the deck needs selenium, which is not "
                                   f"installed. {INSTALL}") from None
    binary, driver = _find()
    options = webdriver.ChromeOptions()
    options.binary_location = binary
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                f"--window-size={width},{height}"):
        options.add_argument(arg)
    if logs:
        options.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    browser = webdriver.Chrome(service=Service(driver), options=options)
    try:
        browser.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
            "width": width, "height": height, "deviceScaleFactor": 1, "mobile": False})
        yield browser
    finally:
        browser.quit()


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
