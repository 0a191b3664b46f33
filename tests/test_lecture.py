"""The lecture deck (lecture.build, bptt lecture) without a browser: its story, its
notes, its numbers recomputed here by hand, the choices that rebuild it, its errors,
its escaping, and a page that asks the network for nothing.  The deck in a real
browser (text sizes, keys, the PDF) is tests/test_lecture_browser.py."""

import html
import re
import xml.etree.ElementTree as ET
from html.parser import HTMLParser

import numpy as np
import pytest

import minigrad as mg
import rnn
import viz
from cli_run import refusal, run
from figure_checks import _lines

lecture = pytest.importorskip("lecture")
from lecture import story  # noqa: E402

STORY = ["title", "folded", "unfolding", "sum-over-copies", "recursion", "two-paths",
         "worked-example", "forward-in-time", "explorer", "vanishing", "exploding",
         "gradient-flow", "truncation", "truncation-graph", "echo", "lstm-step", "gru-step",
         "lstm-cells", "online", "checkpoints"]


@pytest.fixture(scope="module")
def deck():
    return lecture.build()


@pytest.fixture(scope="module")
def lstm_deck():
    return lecture.build(cell="LSTM")


def slide(deck, name):
    found = [s for s in deck if s.name == name]
    assert len(found) == 1, name
    return found[0]


def svg_texts(slide_):
    """Every line of text of the slide's figure(s), as figure_checks reads an SVG."""
    lines = []
    for svg in re.findall(r"<svg.*?</svg>", slide_.body_html, flags=re.S):
        lines += _lines(ET.fromstring(svg))
    return lines


def plain(fragment):
    """The text of an HTML fragment: tags dropped, entities decoded, spaces collapsed."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", "", fragment)).split())


def table_rows(slide_):
    """The cells of every table row on the slide, as text."""
    return [[plain(c) for c in re.findall(r"<t[dh]>(.*?)</t[dh]>", row, flags=re.S)]
            for row in re.findall(r"<tr[^>]*>(.*?)</tr>", slide_.body_html, flags=re.S)]


def figure_number(x):
    """A number as viz writes it on a figure: three significant digits, a minus sign."""
    return f"{x:.3g}".replace("-", "−")


# ---------------------------------------------------------------- the story and the notes

def test_the_deck_tells_the_story_in_order_with_notes_on_every_slide(deck):
    assert 15 <= len(deck) <= 20
    assert [s.name for s in deck] == STORY
    for s in deck:
        assert s.title.strip() and s.body_html.strip(), s.name
        paragraphs = [p for p in re.split(r"\n\s*\n", s.notes.strip()) if p.strip()]
        assert len(paragraphs) >= 2, f"{s.name}: notes should say what to say and what to ask"
        assert "?" in s.notes, f"{s.name}: the notes ask the room nothing"
    # a figure slide's figure draws the slide's title; a text slide's heading is the title
    for s in deck:
        if s.layout == "figure":
            assert "<svg" in s.body_html and s.heading() == ""
            # (a long title is wrapped after a comma or colon: its lines, joined)
            assert s.title in " ".join(svg_texts(s)), s.name
        else:
            assert s.heading() == f'<h1 class="title">{html.escape(s.title)}</h1>'


def test_the_page_holds_every_slide_its_notes_and_the_scripts_of_the_package(deck):
    page = deck.html()
    assert page.count('<section class="slide ') == len(deck)
    assert page.count('<aside class="notes">') == len(deck)
    for asset in ("deck.js", "deck.css", "svgtext.css"):
        text = lecture.deck._asset(asset).replace("</", "<\\/") if asset.endswith(".js") \
            else lecture.deck._asset(asset)
        assert text.strip()[:200] in page, asset                # inlined, not linked
    assert "{{" not in page


class _Tags(HTMLParser):
    """Every start tag of a page, with its attributes."""

    def __init__(self):
        super().__init__()
        self.tags = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


def _tags(page):
    parser = _Tags()
    parser.feed(page)
    return parser.tags


def test_the_page_fetches_nothing(deck):
    page = deck.html()
    tags = _tags(page)
    frames = [attrs["srcdoc"] for tag, attrs in tags if tag == "iframe"]
    assert len(frames) == 1                                   # the explorer, written inline
    for document in [page] + frames:
        for tag, attrs in _tags(document):
            assert tag not in ("link", "img", "object", "embed", "base"), tag
            assert "src" not in attrs, (tag, attrs)
            for name in ("href", "xlink:href", "action", "poster"):
                assert not attrs.get(name, "#").strip() or attrs.get(name, "#").startswith("#")
        assert not re.search(r"url\((?!#)", document), "a CSS url() that is not a fragment"
        assert "@import" not in document and "fetch(" not in document
    assert "default-src 'none'" in page                     # and the browser is told so


def test_every_id_on_the_page_is_unique(deck):
    ids = [attrs["id"] for _, attrs in _tags(deck.html()) if "id" in attrs]
    assert len(ids) > 100 and len(ids) == len(set(ids))     # figures' ids are per slide


# ---------------------------------------------------------------- the numbers are the library's

def _by_hand(U, W, V, b, c, xs, ys):
    """A one-unit RNN, forward and backward in plain floats: E_t = (o_t - y_t)^2, L = sum.
    Returns each copy's term of dL/dW."""
    s, states, outs = 0.0, [0.0], []
    for x in xs:
        s = np.tanh(U * x + W * s + b)
        states.append(s)
        outs.append(V * s + c)
    terms, da_next = [], 0.0
    for t in range(len(xs), 0, -1):
        ds = V * 2 * (outs[t - 1] - ys[t - 1]) + W * da_next
        da = (1 - states[t] ** 2) * ds
        terms.append(da * states[t - 1])                       # copy t's term: δ_t s_{t-1}
        da_next = da
    return terms[::-1]


def test_the_worked_example_shows_ws_terms_computed_by_hand_and_their_sum(deck):
    model = rnn.RNN(1, 1, 1, rng=0)                           # the deck's seed 0
    xs, ys = story._data(2, 0 + 1, 1, 1)
    U, W, V, b, c = (float(p.data.ravel()[0]) for p in (model.U, model.W, model.V, model.b,
                                                          model.c))
    terms = _by_hand(U, W, V, b, c, xs[:, 0], ys[:, 0])
    texts = svg_texts(slide(deck, "worked-example"))
    assert terms[0] == 0.0 and "0" in texts                   # s_0 = 0: copy 1 sends nothing
    assert "+" + figure_number(terms[1]) in texts or figure_number(terms[1]) in texts
    assert f"= {figure_number(sum(terms))}" in texts, texts   # W.grad, at the row's end
    assert f"W = {figure_number(W)}" in texts


def test_the_sum_over_copies_matches_the_hand_written_recursion(deck):
    model = rnn.RNN(2, 3, 2, bias=False, rng=0)
    xs, ys = story._data(4, 0)
    hand = rnn.manual.backward(model, xs, ys)                 # the NumPy recursion, not autograd
    texts = svg_texts(slide(deck, "sum-over-copies"))
    for name in ("U", "W", "V"):
        for term in hand.per_step[name]:
            assert f"‖{figure_number(np.linalg.norm(term))}‖" in texts, name
        assert f"= ‖{figure_number(np.linalg.norm(hand.grads[name]))}‖" in texts, name
    caption = plain(slide(deck, "sum-over-copies").body_html.split('class="caption"')[1])
    norms = sum(np.linalg.norm(t) for t in hand.per_step["W"])
    assert f"= {figure_number(np.linalg.norm(hand.grads['W']))}" in caption
    assert f"Σt ‖termt‖ = {figure_number(norms)}" in caption


def test_the_two_paths_add_up_to_the_gradient_drawn_on_the_state(deck):
    s = slide(deck, "two-paths")
    texts = svg_texts(s)
    t = int(re.search(r"∂L/∂s(\d+)", s.title).group(1))
    node = texts.index(f"s{t} = tanh(a{t})")
    drawn = float(texts[node + 2].removeprefix("grad ").replace("−", "-"))
    labels = [float(x.replace("−", "-")) for x in texts if re.fullmatch(r"−?\d+\.?\d*", x)]
    # the two parts are written on s_t's two outgoing edges: some pair adds to the total
    pairs = [(a, b) for i, a in enumerate(labels) for b in labels[i + 1:]
             if abs(a + b - drawn) <= 0.011 * max(abs(a), abs(b), abs(drawn))]
    assert pairs, (drawn, labels)
    assert "They add to" in s.notes and f"{drawn:+.3g}".replace("-", "−") in s.notes


def test_the_forward_recursion_table_adds_up_to_autograds_dl_du(deck):
    rows = table_rows(slide(deck, "forward-in-time"))
    products = [float(r[-1].replace("−", "-")) for r in rows[1:-1]]
    total = float(rows[-1][-1].replace("−", "-"))
    assert total == pytest.approx(sum(products), abs=2e-3)
    caption = plain(slide(deck, "forward-in-time").body_html)
    autograd = float(re.search(r"U\.grad = ([+−]?[\d.]+)", caption).group(1).replace("−", "-"))
    assert total == pytest.approx(autograd, rel=1e-2)


def test_the_exact_methods_agree_and_the_online_rules_are_measured(deck):
    rows = {r[0]: r[1:] for r in table_rows(slide(deck, "online"))}
    for method in ("by hand (rnn.manual)", "RTRL (rnn.rtrl)", "RTRL by forward mode"):
        assert float(rows[method][0].replace("−", "-")) < 1e-12, method
    assert float(rows["finite differences"][0].replace("−", "-")) < 1e-6
    assert rows["rtrl"][-1] == "+1"
    # the same numbers from the library, computed here
    model = rnn.RNN(2, 3, 2, bias=False, rng=0)
    xs, ys = story._data(6, 0)
    report = rnn.compare_online(model, xs, ys, rules=["snap-1"], seeds=range(1))
    assert rows["snap-1"][-1] == f"{report.stats('snap-1').alignment:+.3g}"


def test_the_echo_levels_and_the_checkpoint_costs_are_computed(deck):
    levels = rnn.tasks.EchoTask().levels
    echo = table_rows(slide(deck, "echo"))
    for name, value in levels.items():
        assert [name, f"{value:.4f}"] == echo[[r[0] for r in echo].index(name)][:2]
    policy = rnn.checkpoint_policy(10, 3)
    assert f"{policy.cost} forward steps" in slide(deck, "checkpoints").title
    assert "max |checkpointed − full| = 0." in plain(slide(deck, "checkpoints").body_html)


# ---------------------------------------------------------------- rebuilt for a teacher's sizes

def test_cell_lstm_changes_the_main_slides_and_keeps_the_gated_ones(deck, lstm_deck):
    for name in ("folded", "unfolding", "sum-over-copies", "explorer"):
        assert slide(deck, name).body_html != slide(lstm_deck, name).body_html, name
    unfolding = svg_texts(slide(lstm_deck, "unfolding"))
    assert "LSTM" in slide(lstm_deck, "unfolding").title
    assert {f"c{t}" for t in range(1, 7)} <= set(unfolding)          # the cell state, all six
    assert {f"f{t}" for t in range(1, 7)} <= set(unfolding)
    assert not any(line.startswith("c") and line[1:].isdigit()
                   for line in svg_texts(slide(deck, "unfolding")))
    assert "LSTM: the state is h" in plain(slide(lstm_deck, "folded").body_html)
    for name in ("lstm-step", "gru-step", "lstm-cells", "vanishing", "echo", "checkpoints"):
        assert slide(deck, name).body_html == slide(lstm_deck, name).body_html, name


def test_steps_hidden_and_seed_rebuild_the_main_slides():
    small = lecture.build(cell="gru", steps=3, hidden=2, seed=1)
    texts = svg_texts(slide(small, "unfolding"))
    assert {"t = 1", "t = 2", "t = 3"} <= set(texts) and "t = 4" not in texts
    assert "T = 3 copies of one GRU cell" in slide(small, "unfolding").title
    assert "H = 2, seed 1" in plain(slide(small, "title").body_html)
    assert "3 copies" in slide(small, "sum-over-copies").title


def test_default_unrolled_slides_draw_every_step(deck):
    cells = svg_texts(slide(deck, "unfolding"))
    assert [f"f{t}" for t in range(1, 7)] == [x for x in cells if re.fullmatch(r"f\d", x)]
    for name, T in (("sum-over-copies", 4), ("vanishing", 8), ("exploding", 8)):
        texts = svg_texts(slide(deck, name))
        assert {f"t = {t}" for t in range(1, T + 1)} <= set(texts), name
        assert not any("…" in x for x in texts), name                     # nothing elided


# ---------------------------------------------------------------- errors

@pytest.mark.parametrize("kwargs, error, words", [
    ({"cell": "CNN"}, ValueError, "cell must be one of 'RNN', 'LSTM', 'GRU'"),
    ({"cell": 3}, ValueError, "cell must be one of"),
    ({"steps": 1}, ValueError, "steps must be from 2 to 12"),
    ({"steps": 13}, ValueError, "steps must be from 2 to 12"),
    ({"steps": 4.0}, TypeError, "steps must be a whole number"),
    ({"hidden": 0}, ValueError, "hidden must be from 1 to 32"),
    ({"hidden": True}, TypeError, "hidden must be a whole number"),
    ({"seed": -1}, ValueError, "seed must be 0 or more"),
    ({"title": None}, TypeError, "title must be a str"),
])
def test_bad_arguments_are_named_with_a_fix(kwargs, error, words):
    with pytest.raises(error, match=re.escape(words)) as caught:
        lecture.build(**kwargs)
    assert str(caught.value).startswith("lecture.build:")


def test_slides_and_decks_refuse_what_they_cannot_show(tmp_path):
    with pytest.raises(ValueError, match="has no speaker notes"):
        lecture.Slide("A", "<p>a</p>", "  ")
    with pytest.raises(ValueError, match="layout must be 'text'"):
        lecture.Slide("A", "<p>a</p>", "Say it.", layout="wide")
    with pytest.raises(TypeError, match="title must be a str"):
        lecture.Slide(None, "<p>a</p>", "Say it.")
    with pytest.raises(ValueError, match="no slides"):
        lecture.Deck([]).html()
    with pytest.raises(TypeError, match="item 1 is a str"):
        lecture.Deck(["not a slide"]).html()
    one = lecture.Deck([lecture.Slide("A", "<p>a</p>", "Say it.")])
    with pytest.raises(ValueError, match=r"must end in \.html"):
        one.save(tmp_path / "deck.txt")
    with pytest.raises(ValueError, match=r"must end in \.pdf"):
        one.pdf(tmp_path / "deck.png")
    assert one.save(tmp_path / "new" / "deck.html").read_text().startswith("<!DOCTYPE html>")


def test_printing_without_a_browser_says_what_to_install(monkeypatch, tmp_path):
    from lecture import browser
    from viz import browser as chromium           # the deck prints through viz's browser
    monkeypatch.setattr(chromium.shutil, "which", lambda name: None)
    monkeypatch.setattr(chromium, "DRIVER", str(tmp_path / "no-chromedriver"))
    one = lecture.Deck([lecture.Slide("A", "<p>a</p>", "Say it.")])
    with pytest.raises(browser.BrowserNotFoundError, match="apt-get install chromium"):
        one.pdf(tmp_path / "deck.pdf")


# ---------------------------------------------------------------- the command line

def test_bptt_lecture_writes_the_deck(capsys, tmp_path, deck):
    status, out, err = run(capsys, "lecture", "-o", str(tmp_path / "lecture.html"))
    assert status == 0, err
    assert f"wrote {tmp_path / 'lecture.html'} (20 slides" in out and "N shows" in out
    # the same deck as lecture.build(); the explorer's page numbers its nodes afresh
    def without_frames(page):
        return re.sub(r'srcdoc="[^"]*"', "", page)
    written = (tmp_path / "lecture.html").read_text(encoding="utf-8")
    assert without_frames(written) == without_frames(deck.html())


@pytest.mark.parametrize("args, words", [
    (["--cell", "cnn"], "argument --cell: invalid choice: 'CNN'"),
    (["--steps", "1"], "argument --steps: must be from 2 to 12, got 1"),
    (["--steps", "13"], "argument --steps: must be from 2 to 12, got 13"),
    (["--steps", "four"], "argument --steps: expected a whole number, got 'four'"),
    (["--hidden", "0"], "argument --hidden: must be from 1 to 32, got 0"),
    (["--hidden", "33"], "argument --hidden: must be from 1 to 32, got 33"),
    (["--seed", "-2"], "argument --seed: must be 0 or more, got -2"),
    (["-o", "out/lecture.pdf"], "the file name must end in .html"),
    (["--pdf", "out/lecture.png"], "--pdf out/lecture.png: the file name must end in .pdf"),
])
def test_bptt_lecture_refuses_bad_values_in_one_line(capsys, args, words):
    _, line = refusal(capsys, "lecture", *args)
    assert line.startswith("bptt lecture: error: ") and words in line, line


def test_the_command_lines_limits_are_the_librarys():
    from bptt_cli.main import LECTURE_HIDDEN, LECTURE_STEPS
    assert LECTURE_STEPS == (2, story.MAX_STEPS) and LECTURE_HIDDEN == (1, story.MAX_HIDDEN)


def test_lowercase_cells_are_accepted(capsys, tmp_path, monkeypatch):
    seen = {}
    monkeypatch.setattr(lecture, "build", lambda **kw: seen.update(kw) or lecture.Deck(
        [lecture.Slide("A", "<p>a</p>", "Say it.")]))
    status, out, _ = run(capsys, "lecture", "--cell", "gru", "--steps", "5", "--hidden", "4",
                         "--seed", "3", "-o", str(tmp_path / "d.html"))
    assert status == 0 and seen == {"cell": "GRU", "steps": 5, "hidden": 4, "seed": 3}


# ---------------------------------------------------------------- escaping

HOSTILE = '</title></h1><script>window.hijacked=1</script><img src=x onerror="alert(1)">&amp;'


def test_a_hostile_title_notes_or_name_cannot_add_markup(tmp_path):
    model = rnn.RNN(2, 2, 1, rng=0)
    model.W.name = HOSTILE
    result = rnn.bptt(model, np.ones((2, 2)), np.zeros((2, 1)), contributions=True)
    figure = viz.draw_unrolled(result.loss_tensor, style="slides")
    hostile = lecture.Slide(HOSTILE, lecture.figure_html(figure, HOSTILE), HOSTILE,
                            name=HOSTILE, layout="figure")
    plain_slide = lecture.Slide(HOSTILE, "<p>body</p>", HOSTILE + "\n\nAsk: " + HOSTILE)
    page = lecture.Deck([hostile, plain_slide], title=HOSTILE).html()
    tags = _tags(page)
    assert [t for t, _ in tags if t == "script"] == ["script"]           # ours, only
    assert not [t for t, _ in tags if t == "img"]
    assert all(not any(k.startswith("on") for k in attrs) for _, attrs in tags)
    assert html.escape(HOSTILE) in page and "window.hijacked=1</script>" not in page
    # the name reaches the figure as text, and the slide's ids stay well formed
    assert any(HOSTILE in line for line in svg_texts(hostile)), svg_texts(hostile)
    for _, attrs in tags:
        assert re.fullmatch(r"[\w.:-]*", attrs.get("id", "")), attrs["id"]


def test_a_hostile_explorer_page_stays_inside_its_frame():
    model = rnn.RNN(2, 2, 1, rng=0)
    model.W.name = HOSTILE
    with mg.keep_values():
        result = rnn.bptt(model, np.ones((2, 2)), np.zeros((2, 1)))
    explorer = viz.explore(result.loss_tensor).html
    frame = lecture.deck.framed_page(explorer, HOSTILE)
    tags = _tags(frame)
    assert [t for t, _ in tags] == ["iframe"]                          # one element, no more
    attrs = tags[0][1]
    assert attrs["title"] == HOSTILE
    assert attrs["srcdoc"].startswith(explorer[:200])                   # the page, intact


# ---------------------------------------------------------------- the lecture plan points at it

PARTS = {"the folded RNN": ["title", "folded"], "unfolding in time": ["unfolding"],
         "shared U, W, V": ["sum-over-copies"],
         "the backward recursion": ["recursion", "two-paths", "worked-example",
                                    "forward-in-time"],
         "live: the explorer": ["explorer"],
         "vanishing and exploding": ["vanishing", "exploding", "gradient-flow"],
         "TBPTT(k1, k2)": ["truncation", "truncation-graph", "echo"],
         "LSTM and GRU": ["lstm-step", "gru-step", "lstm-cells"],
         "RTRL and the online rules": ["online"], "memory and checkpointing": ["checkpoints"]}


def test_the_teaching_plan_names_each_parts_slides(deck):
    from pathlib import Path
    plan = (Path(__file__).resolve().parents[1] / "docs" / "teaching.md").read_text("utf-8")
    rows = re.findall(r"^\| [\d–]+ \| ([\d–]+) \| ([^|]+) \|", plan, flags=re.M)
    assert len(rows) == len(PARTS)
    covered = []
    for (numbers, part), (start, names) in zip(rows, PARTS.items()):
        assert part.startswith(start), part
        first, _, last = numbers.partition("–")
        slides = list(range(int(first), int(last or first) + 1))
        assert [deck[k - 1].name for k in slides] == names, part
        covered += slides
    assert covered == list(range(1, len(deck) + 1))


def test_the_demo_writes_the_deck_and_says_so(capsys, tmp_path, monkeypatch):
    from bptt_cli import demo
    small = lecture.Deck([lecture.Slide("A", "<p>a</p>", "Say it.\n\nAsk it?")])
    monkeypatch.setattr(lecture, "build", lambda: small)
    path = demo.write_lecture(tmp_path)
    assert path == tmp_path / "lecture.html" and path.read_text("utf-8") == small.html()
    assert f"the lecture deck: {path} (1 slide," in capsys.readouterr().out


