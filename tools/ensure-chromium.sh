#!/bin/sh
# Make sure headless Chromium and its WebDriver are installed: the explorer's
# browser tests (tests/test_explore_browser.py) drive them through Selenium.
# On Debian or Ubuntu as root we install them; anywhere else we print the
# command for this system.
have() { command -v "$1" >/dev/null 2>&1; }
browser_found() { have chromium || have chromium-browser || have google-chrome; }
driver_found() { have chromedriver || [ -x /usr/bin/chromedriver ]; }
browser_found && driver_found && exit 0

if [ -f /etc/debian_version ] && [ "$(id -u)" = 0 ]; then
    echo "Chromium or its driver is missing; installing chromium and chromium-driver with apt-get ..."
    if apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null; then
        browser_found && driver_found && { echo "installed: $(chromium --version 2>&1)"; exit 0; }
    fi
    echo "error: 'apt-get install chromium chromium-driver' failed; run it by hand to see why."
    exit 1
fi

if [ -f /etc/debian_version ]; then          cmd="sudo apt-get install chromium chromium-driver"
elif [ "$(uname -s)" = Darwin ]; then        cmd="brew install --cask chromium chromedriver"
elif command -v dnf >/dev/null 2>&1; then    cmd="sudo dnf install chromium chromedriver"
elif command -v pacman >/dev/null 2>&1; then cmd="sudo pacman -S chromium"
elif command -v zypper >/dev/null 2>&1; then cmd="sudo zypper install chromium chromedriver"
elif command -v apk >/dev/null 2>&1; then    cmd="sudo apk add chromium chromium-chromedriver"
else cmd="see https://googlechromelabs.github.io/chrome-for-testing/ (Chrome and chromedriver)"
fi
echo "error: headless Chromium and chromedriver are not installed; the browser tests of"
echo "viz.explore need them (without CI=true they are skipped)."
echo "Install them with:"
echo "    $cmd"
echo "then run make again."
exit 1
