"""Headless Chromium, driven by Selenium: the explorer's screenshots, the deck's PDF and
the browser tests open it here.

``make test`` installs Chromium and chromedriver (``tools/ensure-chromium.sh``);
``pip install -e '.[dev]'`` brings selenium.
"""

from __future__ import annotations

import shutil
from contextlib import contextmanager
from pathlib import Path

__all__ = ["chromium", "BrowserNotFoundError"]

DRIVER = "/usr/bin/chromedriver"
BINARIES = ("chromium", "chromium-browser", "google-chrome")
INSTALL = ("Debian/Ubuntu: sudo apt-get install chromium chromium-driver (or sh "
           "tools/ensure-chromium.sh); and pip install selenium")


class BrowserNotFoundError(FileNotFoundError):
    """Chromium, chromedriver or selenium is missing."""


def _find(purpose):
    """(the browser's binary, chromedriver), or a BrowserNotFoundError saying what to install."""
    binary = next(filter(None, map(shutil.which, BINARIES)), None)
    driver = DRIVER if Path(DRIVER).exists() else shutil.which("chromedriver")
    if binary is None or driver is None:
        missing = "Chromium" if binary is None else "chromedriver"
        raise BrowserNotFoundError(f"{purpose} needs headless Chromium and chromedriver, and "
                                   f"{missing} was not found. {INSTALL}")
    return binary, driver


@contextmanager
def chromium(width=1920, height=1080, logs=False, purpose="viz: the browser"):
    """A headless Chromium whose page is exactly ``width`` × ``height`` CSS px; quit
    afterwards.  With ``logs``, it keeps the console's messages and the network log
    (``browser.get_log("browser")``, ``browser.get_log("performance")``).  ``purpose``
    starts the error that says what to install.

    >>> from viz.browser import chromium
    >>> with chromium(640, 360) as browser:                # doctest: +SKIP
    ...     browser.get("file:///tmp/page.html")
    """
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        raise BrowserNotFoundError(f"{purpose} needs selenium, which is not installed. "
                                   f"{INSTALL}") from None
    binary, driver = _find(purpose)
    options = webdriver.ChromeOptions()
    options.binary_location = binary
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                f"--window-size={width},{height}"):
        options.add_argument(arg)
    if logs:
        options.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    browser = webdriver.Chrome(service=Service(driver), options=options)
    try:          # the page itself is exactly this size (the window also has a frame)
        browser.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
            "width": width, "height": height, "deviceScaleFactor": 1, "mobile": False})
        yield browser
    finally:
        browser.quit()
