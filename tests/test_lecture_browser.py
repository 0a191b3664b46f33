"""The lecture deck in headless Chromium at 1920 × 1080, as a lecture hall sees it.

Every slide is reached with the keys; on every slide the smallest text, measured in the
browser (computed font size × the SVG's scale on screen × the stage's), is at least 28 px
and every title at least 40 px; nothing sticks out of the 16:9 stage; N shows the notes,
F goes full screen, the URL's hash keeps the slide; the page requests no URL and logs no
error; the explorer's page runs inside its slide; the PDF has one 16:9 page per slide.
Needs Chromium, chromedriver and selenium (``make test`` installs them); without them
the tests skip, saying why, except in CI (CI=true), where they fail.
"""

import json
import os
import re
import time

import pytest

lecture = pytest.importorskip("lecture")
from lecture.browser import BrowserNotFoundError, chromium, wait_until_ready  # noqa: E402

# The figures whose redesign (viz/diagrams.py, viz/checkpoints.py) lands separately: their
# text is still under 28 px on a 1920 × 1080 slide.
NOT_YET_AT_THE_FLOOR = set()      # every slide is at the floor
SLIDES = ["title", "folded", "unfolding", "sum-over-copies", "recursion", "two-paths",
          "worked-example", "forward-in-time", "explorer", "vanishing", "exploding",
          "gradient-flow", "truncation", "truncation-graph", "echo", "lstm-step", "gru-step",
          "lstm-cells", "online", "checkpoints"]


def _missing(reason):
    if os.environ.get("CI") == "true":
        pytest.fail(f"CI=true but {reason}, so the deck's browser tests cannot run. Fix: make "
                    f"test (runs tools/ensure-chromium.sh) and pip install -e '.[dev]'.",
                    pytrace=False)
    pytest.skip(f"{reason}; the deck's browser tests need it (sh tools/ensure-chromium.sh, "
                f"pip install -e '.[dev]')")


@pytest.fixture(scope="module")
def deck():
    return lecture.build()


@pytest.fixture(scope="module")
def page(deck, tmp_path_factory):
    return deck.save(tmp_path_factory.mktemp("lecture") / "lecture.html")


@pytest.fixture(scope="module")
def browser():
    try:
        with chromium(1920, 1080, logs=True) as driver:
            yield driver
    except BrowserNotFoundError as missing:
        _missing(str(missing).removeprefix("lecture: "))


def _open(browser, page, slide=None):
    browser.get(page.resolve().as_uri() + (f"#{slide}" if slide else ""))
    wait_until_ready(browser)
    browser.get_log("browser")                          # start with an empty console


def _press(browser, *keys):
    from selenium.webdriver.common.action_chains import ActionChains
    for key in keys:
        ActionChains(browser).send_keys(key).perform()


def _state(browser):
    return browser.execute_script(
        "return {slide: +document.body.dataset.slide, hash: location.hash, "
        "counter: document.getElementById('counter').textContent, "
        "shown: [...document.querySelectorAll('.slide.current')].map((s) => s.dataset.name), "
        "title: document.title}")


def _errors(browser):
    return [entry for entry in browser.get_log("browser") if entry["level"] == "SEVERE"]


# What a reader sees on the current slide, in CSS px of a 1920 × 1080 window: every text
# (an HTML element with text of its own, or an SVG <text>) as its computed font size times
# its scale on screen, whether it is a title (a slide's <h1>, or a figure's title: its
# largest text, drawn at the 40 pt title size), and what sticks out of the stage.  The
# explorer's page, in a frame, is measured the same way.
MEASURE = """
const stage = document.getElementById("stage").getBoundingClientRect();
const stageScale = stage.width / 1920;
const slide = document.querySelector(".slide.current");
const texts = [];
const ownText = (el) => [...el.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim());
const seen = (el) => { const r = el.getBoundingClientRect(), s = getComputedStyle(el);
                       return r.width > 0 && r.height > 0 && s.visibility !== "hidden"; };
function measure(root, scale, where) {
  for (const el of root.querySelectorAll("*")) {
    if (el.closest(".notes, svg, script, style") || !ownText(el) || !seen(el)) continue;
    texts.push({text: el.textContent.trim().slice(0, 50), where,
                px: parseFloat(getComputedStyle(el).fontSize) * scale,
                title: el.matches("h1.title")});
  }
  for (const svg of root.querySelectorAll("svg")) {
    if (!seen(svg)) continue;
    const box = svg.getBoundingClientRect(), view = svg.viewBox.baseVal;
    const perUnit = Math.min(box.width / view.width, box.height / view.height) * scale / stageScale;
    const all = [...svg.querySelectorAll("text")].filter(seen);
    const largest = Math.max(...all.map((t) => parseFloat(getComputedStyle(t).fontSize)));
    for (const t of all) {
      const size = parseFloat(getComputedStyle(t).fontSize);
      texts.push({text: t.textContent.trim().slice(0, 50), where: where + " figure",
                  px: size * perUnit, title: size >= 40 && size === largest});
    }
  }
}
measure(slide, stageScale, "slide");
for (const frame of slide.querySelectorAll("iframe")) {
  const onScreen = frame.getBoundingClientRect().width / frame.clientWidth;
  measure(frame.contentDocument.body, onScreen, "explorer");
}
const outside = [];
for (const el of slide.querySelectorAll("*")) {
  if (el.closest(".notes")) continue;
  const r = el.getBoundingClientRect();
  if (r.width === 0 && r.height === 0) continue;
  if (r.left < stage.left - 0.5 || r.top < stage.top - 0.5 || r.right > stage.right + 0.5 ||
      r.bottom > stage.bottom + 0.5) outside.push(el.tagName + ": " + el.textContent.trim().slice(0, 40));
}
let box = null;                            // what is drawn, for the fill
for (const el of slide.querySelectorAll("h1.title, .body > *:not(.figure), .figure-svg g.graph > *")) {
  const r = el.getBoundingClientRect();
  if (r.width === 0) continue;
  box = box ? {l: Math.min(box.l, r.left), t: Math.min(box.t, r.top), r: Math.max(box.r, r.right),
               b: Math.max(box.b, r.bottom)} : {l: r.left, t: r.top, r: r.right, b: r.bottom};
}
const body = texts.filter((t) => !t.title), titles = texts.filter((t) => t.title);
const smallest = body.reduce((a, b) => (b.px < a.px ? b : a), body[0]);
return {name: slide.dataset.name, texts: texts.length, smallest,
        title: Math.min(...titles.map((t) => t.px)), titles: titles.length, outside,
        fill: box ? (box.r - box.l) * (box.b - box.t) / (stage.width * stage.height) : 0};
"""


def test_the_deck_has_the_slides_this_file_measures(deck):
    assert [s.name for s in deck] == SLIDES


def test_every_slide_is_reached_with_the_keys(browser, page, deck):
    from selenium.webdriver.common.keys import Keys
    _open(browser, page)
    n = len(deck)
    assert _state(browser)["slide"] == 1
    for k in range(2, n + 1):
        _press(browser, Keys.ARROW_RIGHT)
        state = _state(browser)
        assert state["slide"] == k and state["hash"] == f"#{k}", state
        assert state["counter"] == f"{k} / {n}" and state["shown"] == [deck[k - 1].name]
        assert state["title"].startswith(deck[k - 1].title)
    _press(browser, Keys.ARROW_RIGHT)                   # the last slide stays the last
    assert _state(browser)["slide"] == n
    for key, expected in ((Keys.HOME, 1), (Keys.PAGE_DOWN, 2), (Keys.SPACE, 3),
                          (Keys.ARROW_DOWN, 4), (Keys.PAGE_UP, 3), (Keys.ARROW_UP, 2),
                          (Keys.ARROW_LEFT, 1), (Keys.ARROW_LEFT, 1), (Keys.END, n)):
        _press(browser, key)
        assert _state(browser)["slide"] == expected, key
    assert _errors(browser) == []


def test_the_hash_opens_and_keeps_a_slide(browser, page, deck):
    _open(browser, page, slide=5)
    assert _state(browser)["slide"] == 5 and _state(browser)["shown"] == [deck[4].name]
    browser.execute_script("location.hash = '#12'")
    time.sleep(0.2)
    assert _state(browser)["slide"] == 12
    browser.refresh()
    wait_until_ready(browser)
    assert _state(browser)["slide"] == 12                # a reload keeps the slide
    _open(browser, page, slide=99)
    assert _state(browser)["slide"] == len(deck)         # past the end: the last slide


@pytest.mark.parametrize("name", [
    pytest.param(name, marks=pytest.mark.xfail(
        strict=True, reason="the figure's redesign lands separately"))
    if name in NOT_YET_AT_THE_FLOOR else name for name in SLIDES])
def test_every_text_is_at_least_28_px_and_every_title_40_px(browser, page, name):
    _open(browser, page, slide=SLIDES.index(name) + 1)
    got = browser.execute_script(MEASURE)
    print(f"{name}: smallest text {got['smallest']['px']:.1f} px ({got['smallest']['text']!r}, "
          f"{got['smallest']['where']}), title {got['title']:.1f} px, {got['texts']} texts, "
          f"fill {got['fill']:.0%}")
    assert got["name"] == name and got["titles"] >= 1, got
    assert got["title"] >= 40, got
    assert got["smallest"]["px"] >= 28, got


@pytest.mark.parametrize("name", SLIDES)
def test_nothing_sticks_out_of_the_stage(browser, page, name):
    _open(browser, page, slide=SLIDES.index(name) + 1)
    got = browser.execute_script(MEASURE)
    assert got["outside"] == [], got["outside"]


def test_the_stage_scales_to_the_window_and_keeps_16_by_9(browser, page):
    try:
        browser.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
            "width": 1280, "height": 900, "deviceScaleFactor": 1, "mobile": False})
        _open(browser, page, slide=4)
        box = browser.execute_script(
            "return document.getElementById('stage').getBoundingClientRect().toJSON()")
        assert box["width"] == pytest.approx(1280, abs=1)
        assert box["height"] == pytest.approx(720, abs=1)
        assert box["top"] == pytest.approx(90, abs=1)    # letterboxed, centred
    finally:
        browser.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
            "width": 1920, "height": 1080, "deviceScaleFactor": 1, "mobile": False})


def test_n_shows_the_notes_and_f_goes_full_screen(browser, page, deck):
    from selenium.webdriver.common.keys import Keys
    _open(browser, page, slide=3)
    panel = browser.find_element("id", "notes-panel")
    assert not panel.is_displayed()
    _press(browser, "n")
    assert panel.is_displayed()
    first = " ".join(deck[2].notes.split())[:60]
    assert first in " ".join(panel.text.split())
    assert deck[2].title in browser.find_element("id", "notes-title").text
    _press(browser, Keys.ARROW_RIGHT)                   # the notes follow the slide
    assert " ".join(deck[3].notes.split())[:60] in " ".join(panel.text.split())
    stage = browser.execute_script(
        "return document.getElementById('stage').getBoundingClientRect().bottom")
    assert stage <= panel.location["y"] + 1             # the slide shrinks above the notes
    _press(browser, "N")
    assert not panel.is_displayed()
    assert browser.execute_script("return document.fullscreenElement") is None
    _press(browser, "f")
    time.sleep(0.3)
    assert browser.execute_script("return document.fullscreenElement !== null")
    assert browser.execute_script("return document.body.dataset.fullscreen") == "true"
    _press(browser, "F")
    time.sleep(0.3)
    assert browser.execute_script("return document.fullscreenElement") is None
    assert _errors(browser) == []


def test_the_explorer_runs_inside_its_slide_and_gives_the_keys_back(browser, page):
    from selenium.webdriver.common.keys import Keys
    k = SLIDES.index("explorer") + 1
    _open(browser, page, slide=k)
    frame = browser.find_element("css selector", ".slide.current iframe")
    frame.click()
    _press(browser, Keys.ARROW_RIGHT, Keys.ARROW_RIGHT)
    walked = browser.execute_script(
        "return document.querySelector('.slide.current iframe').contentDocument.body.dataset.step")
    assert walked == "2" and _state(browser)["slide"] == k          # the walk moved, not the deck
    _press(browser, Keys.ESCAPE)
    _press(browser, Keys.ARROW_RIGHT)
    assert _state(browser)["slide"] == k + 1
    assert _errors(browser) == []


def test_the_page_requests_no_url_and_logs_no_error(browser, page, deck):
    from selenium.webdriver.common.keys import Keys
    browser.get_log("performance")
    _open(browser, page)
    for _ in range(len(deck)):
        _press(browser, Keys.ARROW_RIGHT)
    requests = [json.loads(entry["message"])["message"] for entry in browser.get_log("performance")]
    urls = [m["params"]["request"]["url"] for m in requests
            if m["method"] == "Network.requestWillBeSent"]
    assert urls == [page.resolve().as_uri()], urls           # the file itself, nothing else
    resources = browser.execute_script(
        "return performance.getEntriesByType('resource').map((e) => e.name).concat("
        "...[...document.querySelectorAll('iframe')].map((f) => "
        "f.contentWindow.performance.getEntriesByType('resource').map((e) => e.name)))")
    assert resources == []
    assert _errors(browser) == []


def test_the_pdf_has_one_16_by_9_page_per_slide(deck, tmp_path, browser):
    path = deck.pdf(tmp_path / "lecture.pdf")
    data = path.read_bytes()
    assert data.startswith(b"%PDF")
    pages = re.findall(rb"/Type\s*/Page(?![a-zA-Z])", data)
    assert len(pages) == len(deck)
    boxes = {tuple(map(float, box.split())) for box in
             re.findall(rb"/MediaBox\s*\[([^\]]*)\]", data)}
    assert boxes == {(0.0, 0.0, 1440.0, 810.0)}                  # 20 × 11.25 in: 16:9
