"""viz.explore's page, read as a file: self-contained, stable ids, small enough; its walk
(back in time step by step, or the engine's order) and the names its panel uses."""

import json
import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import minigrad as mg
import rnn
import viz
from minigrad.graph import Node
from viz.read import collect, read, step_of
from viz.walk import replay, time_order


def _run(steps, hidden=3, cell=rnn.RNN):
    model = cell(2, hidden, 2, rng=0)
    rng = np.random.default_rng(1)
    with mg.keep_values():
        result = rnn.bptt(model, rng.normal(size=(steps, 2)), rng.normal(size=(steps, 2)),
                          contributions=True)
    return model, result


def _data(page):
    html = page if isinstance(page, str) else page.html
    return json.loads(re.search(r'id="walk-data">(.*?)</script>', html, re.S).group(1))


def _names(data):
    return [s["short"] for s in data["walk"]]


# ------------------------------------------------------------------ the file

def test_the_page_is_self_contained():
    _, result = _run(4)
    page = viz.explore(result.loss_tensor).html
    assert page.startswith("<!DOCTYPE html>")
    assert not re.search(r'<script[^>]+src=|<link[^>]+href=|@import|url\(|fetch\(|'
                         r'XMLHttpRequest|https?://(?!www\.w3\.org/)', page)
    # every op, one box per step, and every op at slide size for presenter mode
    assert re.findall(r'<div class="view" data-view="(\w+)" data-drawing="([\w-]+)">', page) == \
        [("ops", "ops"), ("cells", "cells"), ("ops", "ops-present")]
    assert page.count("<svg") == 3
    assert "function show(" in page and ".unit.current" in page   # our script and style


def test_ids_are_stable_and_unique():
    _, result = _run(4)
    first, second = viz.explore(result.loss_tensor).html, viz.explore(result.loss_tensor).html
    ids = re.findall(r' id="([^"]+)"', first)
    assert len(ids) == len(set(ids))
    assert ids == re.findall(r' id="([^"]+)"', second)
    graph = collect(result.loss_tensor)
    tanh = [n for n in graph.nodes if n.op == "tanh"]
    for key in ("ops", "ops-present"):
        assert all(f'id="{key}-u-n{n.seq}"' in first for n in tanh)
        assert all(f'id="{key}-box-{t}"' in first for t in range(1, 5))


def test_every_unit_and_link_the_walk_names_is_in_its_svg():
    for cell in (rnn.RNN, rnn.LSTM):
        _, result = _run(3, cell=cell)
        page = viz.explore(result.loss_tensor)
        data = _data(page)
        for key in data["drawings"]:
            units = set(re.findall(rf'id="{key}-u-([^"]+)"', page.html))
            links = set(re.findall(r'data-link="([^"]+)"', page.html))
            named = {s["unit"][key] for s in data["walk"]}
            assert named <= units | {None}, (cell, key, named - units)
            sent = {lid for s in data["walk"] for send in s["sends"] for lid in send["links"][key]}
            assert sent and sent <= {html_unescape(x) for x in links}, (cell, key)
            numbered = [html_unescape(x) for x in _NUMBER.findall(_view(page.html, key))]
            assert numbered and set(numbered) <= sent and len(set(numbered)) == len(numbered)


_NUMBER = re.compile(r'<tspan class="grad-label" data-link="([^"]+)">')


def _view(page, key):
    """The SVG of one drawing of the page."""
    return re.search(rf'<div class="view" data-view="\w+" data-drawing="{key}">(.*?)</div>',
                     page, re.S).group(1)


@pytest.mark.parametrize("cell, steps", [(rnn.RNN, 5), (rnn.LSTM, 4)], ids=["rnn", "lstm"])
def test_each_gradient_is_written_once_beside_its_wire(cell, steps):
    """The numbers are the figure's own labels, placed by the layout clear of every node
    (the rows move apart where one has no room, at slide size too): the norm of what an
    edge carries, once, on a link it crosses; the page hides it until the walk crosses."""
    _, result = _run(steps, cell=cell)
    page = viz.explore(result.loss_tensor, elide=False).html
    data = _data(page)
    for key in ("ops", "ops-present", "cells"):
        view = _view(page, key)
        shown = [(html_unescape(lid), text) for lid, text in re.findall(
            r'<tspan class="grad-label" data-link="([^"]+)">([^<]*)</tspan>', view)]
        carried = data["edges"][key]          # {link: what each edge along it carries}
        assert len({lid for lid, _ in shown}) == len(shown)
        for lid, text in shown:               # the norm of one of the gradients it carries
            norms = [np.linalg.norm(np.array(re.findall(
                r"-?\d+(?:\.\d+)?(?:e[-+]\d+)?", x["grad"]), float)) for x in carried[lid]]
            number = float(text.replace("−", "-"))          # 3 digits of the norm
            assert any(np.isclose(number, n, rtol=6e-3, atol=1e-12) for n in norms), \
                (key, lid, text, norms)
        # every link that carries a gradient has its number, at notebook and at slide
        # size (an LSTM's densest rows may leave out a few: the wire is still highlighted)
        missing = set(carried) - {lid for lid, _ in shown}
        assert len(missing) <= (0 if cell is rnn.RNN else len(carried) // 12), (key, missing)
        assert 'data-unit="label_' not in view        # a number is no unit: no hover


def html_unescape(text):
    import html
    return html.unescape(text)


def test_a_50_step_op_page_is_under_2_mb(tmp_path):
    _, result = _run(50)
    path = viz.explore(result.loss_tensor, elide=False).save(tmp_path / "fifty.html")
    assert path.stat().st_size < 2_000_000
    # drawn in full, it has no slide-size copy; elided (6 steps and a box), it has one
    assert "ops-present" not in _data(path.read_text(encoding="utf-8"))["drawings"]
    assert "ops-present" in _data(viz.explore(result.loss_tensor))["drawings"]


def test_save_display_and_len(tmp_path):
    _, result = _run(3)
    page = viz.explore(result.loss_tensor)
    with pytest.raises(ValueError, match=r"Explorer.save: .*\.html file, got '.*page\.png'"):
        page.save(tmp_path / "page.png")
    with pytest.raises(TypeError, match=r"Explorer.save: path must be a file name .*got "
                                        r"NoneType None.*page.save\('explore.html'\)"):
        page.save(None)
    assert page.save(tmp_path / "a" / "page.html").read_text(encoding="utf-8") == page.html
    shown = page._repr_html_()
    assert shown.startswith("<iframe srcdoc=") and "<svg" not in shown   # escaped inside
    assert len(page) == len(page.html)                  # characters, as for any str
    assert len(page.html.encode("utf-8")) != len(page.html)      # (the page is not ASCII)
    assert page.steps == len(_data(page)["walk"]) == 1 + 4 * 3


# ------------------------------------------------------------------ the walk's order

def test_the_default_walk_goes_back_in_time_step_by_step():
    _, result = _run(3)
    data = _data(viz.explore(result.loss_tensor))
    assert _names(data) == ["L", "E3", "o3", "s3", "a3", "E2", "o2", "s2", "a2",
                            "E1", "o1", "s1", "a1"]
    first = data["walk"][0]                       # L = Σ_t E_t: its sum and stack, one step
    assert first["name"] == "L = Σ_t E_t" and first["delta"] == "1"
    assert [s["to"] for s in first["sends"]] == ["E1", "E2", "E3"]
    assert all(s["vjp"] == "δ" and s["result"] == "1" for s in first["sends"])


def test_the_engine_order_is_creation_order_reversed():
    _, result = _run(3)
    data = _data(viz.explore(result.loss_tensor, order="engine"))
    graph = collect(result.loss_tensor)
    stack = graph.root.inputs[0]
    expected = [n for n in sorted(graph.nodes, key=lambda n: -n.seq) if n is not stack]
    assert [s["op"] for s in data["walk"]] == [n.op for n in expected]
    assert _names(data)[:5] == ["L", "E3", "E2", "E1", "o3"]      # the costs were made last
    with pytest.raises(ValueError, match=r"viz.explore: order must be 'time' .* or 'engine'"):
        viz.explore(result.loss_tensor, order="creation")


def _valid(order, graph):
    """Every node once, and each after every node that uses it."""
    at = {id(n): k for k, n in enumerate(order)}
    assert sorted(at) == sorted(id(n) for n in graph.nodes) and len(at) == len(order)
    for e in graph.edges:
        if type(e.src) is Node:
            assert at[id(e.dst)] < at[id(e.src)], (e.dst, e.src)


def _truncated_graph():
    model = rnn.RNN(1, 4, 1, rng=0)
    xs = np.sin(np.linspace(0, 6, 13))[:, None]
    return rnn.tbptt(model, xs[:-1], xs[1:], k1=4, k2=6, optimizer=None).last_loss_tensor


@pytest.mark.parametrize("make", [
    lambda: _run(5)[1].loss_tensor, lambda: _run(4, cell=rnn.LSTM)[1].loss_tensor,
    lambda: _run(4, cell=rnn.GRU)[1].loss_tensor, _truncated_graph,
    lambda: rnn.bptt(rnn.RNN(2, 3, 2, rng=0), np.ones((5, 2)), np.zeros((5, 2)),
                     reduction="mean").loss_tensor],
    ids=["rnn", "lstm", "gru", "truncated", "mean"])
def test_the_time_order_is_valid_and_changes_no_number(make):
    loss = make()
    graph = collect(loss)
    order = time_order(graph)
    _valid(order, graph)
    steps = [step_of(n.scope) for n in order if step_of(n.scope) is not None]
    assert steps == sorted(steps, reverse=True)          # back in time, one step after another
    engine = replay(loss, graph)
    walk = engine.reordered(order)
    assert walk.sent is engine.sent and walk.grads is engine.grads
    # each node's gradient is complete when it is visited: the sum of what its users,
    # all visited before it, sent; and it is the engine's own (backward, retain_grads)
    loss.backward(retain_grads=True)
    done = set()
    for node in walk.order:
        got = sum((walk.sent[id(e)] for e in graph.edges
                   if e.src is node and id(e.dst) in done and id(e) in walk.sent),
                  np.zeros(node.shape)) if node is not graph.root else np.ones(node.shape)
        np.testing.assert_allclose(got, walk.grads[id(node)], rtol=0, atol=1e-12)
        np.testing.assert_allclose(walk.grads[id(node)], node.grad, rtol=0, atol=1e-12)
        done.add(id(node))


@st.composite
def _random_graphs(draw):
    """A random graph of adds, muls and tanhs over a few leaves, its ops in random
    time-step scopes (not in time order: the order must be valid whatever the scopes)."""
    leaves = [mg.tensor(draw(st.floats(-1, 1)), requires_grad=True) for _ in range(3)]
    made = list(leaves)
    for _ in range(draw(st.integers(1, 25))):
        op = draw(st.sampled_from(["add", "mul", "tanh"]))
        a, b = (made[draw(st.integers(0, len(made) - 1))] for _ in range(2))
        t = draw(st.sampled_from([None, 1, 2, 3, 4]))
        with mg.scope(f"t={t}" if t is not None else "top"):
            made.append(a.tanh() if op == "tanh" else a + b if op == "add" else a * b)
    return mg.stack([x.reshape(1) for x in made[3:]]).sum()


@settings(max_examples=60, deadline=None)
@given(_random_graphs())
def test_the_time_order_is_valid_on_random_graphs(loss):
    graph = collect(loss)
    order = time_order(graph)
    _valid(order, graph)
    walk = replay(loss, graph).reordered(order)
    done = set()
    for node in walk.order:              # complete when visited
        users = [e for e in graph.edges if e.src is node]
        assert all(id(e.dst) in done for e in users)
        done.add(id(node))


def test_the_gradients_the_page_shows_are_the_engines():
    model, result = _run(3, cell=rnn.LSTM)
    before = {name: p.grad.copy() for name, p in model.named_parameters()}
    data = _data(viz.explore(result.loss_tensor))
    for name, p in model.named_parameters():           # the leaves' .grad are untouched
        assert np.array_equal(p.grad, before[name])
    result.loss_tensor.backward(retain_grads=True)
    graph = collect(result.loss_tensor)
    order = [n for n in time_order(graph) if n is not graph.root.inputs[0]]   # stack: in L
    assert len(order) == len(data["walk"])
    for node, step in zip(order, data["walk"]):
        shown = np.array(re.findall(r"-?\d+(?:\.\d+)?(?:e[-+]\d+)?", step["delta"]), float)
        np.testing.assert_allclose(shown, node.grad.ravel(), rtol=1e-5, atol=1e-12)
    panel = {p["name"]: p for p in data["params"]}
    for name, p in model.named_parameters():           # the panel uses the drawn name (b_y)
        shown = panel[p.name]
        assert shown["grad"]["difference"] < 1e-12
        assert [t["t"] for t in shown["terms"]] == [1, 2, 3]
        assert np.isclose(shown["grad"]["norm"], np.linalg.norm(before[name]))
        # a term arrives at the step of the walk that visits its copy: t = 3 first
        assert [e["t"] for e in shown["events"]][0] == 3


# ------------------------------------------------------------------ the chain-rule panel

def _step(data, short):
    (step,) = [s for s in data["walk"] if s["short"] == short]
    return {send["to"]: (send["vjp"], send["hint"]) for send in step["sends"]}


def test_the_rnn_panel_names_the_matrix_of_each_linear_op():
    _, result = _run(3)
    data = _data(viz.explore(result.loss_tensor))
    assert _step(data, "o3")["s3"] == ("Vᵀ δ", "o3 is linear in s3: the matrix is V")
    assert _step(data, "a3")["s2"] == ("Wᵀ δ", "a3 is linear in s2: the matrix is W")
    assert _step(data, "a3")["U"][0] == "δ x3ᵀ"
    assert _step(data, "s3")["a3"] == ("δ ⊙ (1 − s3²)", "")
    assert _step(data, "E3")["o3"] == ("2 (o3 − y3) δ", "")


def test_the_lstm_panel_uses_the_lstms_names_and_never_calls_the_gradient_g():
    _, result = _run(3, cell=rnn.LSTM)
    data = _data(viz.explore(result.loss_tensor))
    assert _step(data, "h3") == {"o3": ("δ ⊙ tanh(c3)", ""), "tanh(c3)": ("δ ⊙ o3", "")}
    assert _step(data, "tanh(c3)") == {"c3": ("δ ⊙ (1 − tanh(c3)²)", "")}
    assert _step(data, "i3") == {"z3[i]": ("δ ⊙ i3 ⊙ (1 − i3)", "")}     # the gate's slice
    assert _step(data, "g3") == {"z3[g]": ("δ ⊙ (1 − g3²)", "")}
    assert set(_step(data, "z3[f]")) == {"z3"}
    assert _step(data, "out3")["h3"] == ("Vᵀ δ", "out3 is linear in h3: the matrix is V")
    texts = [t for s in data["walk"] for send in s["sends"] for t in (send["vjp"], send["hint"])]
    # no g for the gradient (g is a gate: only z3[g], its slice), no s or a of the RNN
    assert not any(re.search(r"(?<!\[)\bg\b|\bs\d?\b|\ba\d?\b", t) for t in texts), texts
    gru = _data(viz.explore(_run(2, cell=rnn.GRU)[1].loss_tensor))
    slices = {send["to"] for s in gru["walk"] for send in s["sends"] if "[" in send["to"]}
    assert slices == {"(U x1 + b)[r]", "(U x1 + b)[z]", "(U x1 + b)[n]", "(W h0)[r]",
                      "(W h0)[z]", "(W h0)[n]", "(U x2 + b)[r]", "(U x2 + b)[z]",
                      "(U x2 + b)[n]", "(W h1)[r]", "(W h1)[z]", "(W h1)[n]"}


# ------------------------------------------------------------------ any expression

def test_a_plain_expression_is_drawn_as_one_graph():
    w = mg.tensor([1.0, -2.0], requires_grad=True, name="w")
    page = viz.explore((w * w).sum())
    data = _data(page)
    assert set(data["drawings"]) == {"ops", "ops-present"} and data["steps"] == []
    assert [s["name"] for s in data["walk"]] == ["Σ (w ⊙ w)", "w ⊙ w"]
    (param,) = data["params"]                 # w is used twice: two terms, δ ⊙ w each
    assert [t["label"] for t in param["terms"]] == ["use 1", "use 2"]
    assert param["grad"]["numbers"] == ["2", "-4"] and param["grad"]["difference"] == 0
    assert _step(data, "w ⊙ w") == {"w": ("δ ⊙ w", "")}
    ids = re.findall(r' id="([^"]+)"', page.html)
    assert len(ids) == len(set(ids))                    # w ⊙ w: two edges from w, two ids
    for key in data["drawings"]:
        for s in data["walk"]:
            assert f'id="{key}-u-{s["unit"][key]}"' in page.html
            for send in s["sends"]:
                assert all(f'data-link="{html_escape(lid)}"' in page.html
                           for lid in send["links"][key])


def html_escape(text):
    import html
    return html.escape(text)


# ------------------------------------------------------------------ errors and names

def test_wrong_arguments_say_what_to_do():
    _, result = _run(2)
    loss = result.loss_tensor
    with pytest.raises(ValueError, match="detail"):
        viz.explore(loss, detail="gates")
    w = mg.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(ValueError, match=r"viz.explore: the tensor has shape \(2,\).*one "
                                         r"number.*viz.explore\(y.sum\(\)\)") as error:
        viz.explore(w * 3)
    assert "grad=" not in str(error.value)              # explore takes no grad=
    with pytest.raises(TypeError, match=r"viz.explore: title must be a string .*got int 5"):
        viz.explore(loss, title=5)
    with pytest.raises(TypeError, match=r"viz.explore: present must be True .* got 'yes'"):
        viz.explore(loss, present="yes")
    with pytest.raises(TypeError, match=r"viz.explore: expected a minigrad Tensor"):
        viz.explore([1.0])


def test_names_and_titles_cannot_break_out_of_the_json_or_the_title():
    model, _ = _run(1)
    model.W.name = "W<!--<script>&</script>"
    rng = np.random.default_rng(0)
    result = rnn.bptt(model, rng.normal(size=(2, 2)), rng.normal(size=(2, 2)))
    # (a title in <...> is an HTML-like label to Graphviz: escaping it into DOT is issue 22's)
    page = viz.explore(result.loss_tensor, title="T </title><script>alert(1)</script>.").html
    blob = re.search(r'id="walk-data">(.*?)</script>', page, re.S).group(1)
    assert not re.search(r"[<>&]", blob)
    assert "W<!--<script>&</script>" in {p["name"] for p in json.loads(blob)["params"]}
    assert "<title>T &lt;/title&gt;&lt;script&gt;" in page
    assert page.count("<script") == 2 and "alert(1)</script>" not in page


# Names are user text, and pages are shared with students (issue 22 §2).  Each payload
# would set window.pwned (or call alert) if it ran (tests/test_explore_browser.py runs them).
HOSTILE = ['<<TABLE><TR><TD HREF="javascript:window.pwned=1;alert(1)">x</TD></TR></TABLE>>',
           '<!--<script>', '</script><script>window.pwned=1;alert(1)</script>',
           '"onmouseover="window.pwned=1;alert(1)', '<img src=x onerror="window.pwned=1">',
           '\\N', 'back\\slash', '{braces}', 'two\nlines', "long" * 75, '', 'σ₁ ü 漢']


def _named(name):
    """Three steps of s_t = tanh(w ⊙ s_{t−1} + 1), the parameter and every state called
    ``name``; and a plain expression whose parameter and product are called ``name``."""
    w = mg.tensor([0.5, -0.3], requires_grad=True, name=name)
    s, costs = mg.tensor([0.2, 0.1]), []
    for t in (1, 2, 3):
        with mg.scope(f"t={t}"):
            s = (w * s + 1.0).tanh()
            s.name = name
            costs.append((s * s).sum().reshape(1))
    v = mg.tensor([1.0, -2.0], requires_grad=True, name=name)
    product = v * v
    product.name = name
    return mg.stack(costs).sum(), product.sum()


@pytest.mark.parametrize("name", HOSTILE, ids=range(len(HOSTILE)))
def test_hostile_names_stay_text_in_the_json_the_svg_and_the_title(name):
    for loss in _named(name):
        page = viz.explore(loss, title=name).html
        # the embedded JSON ends at its own </script>, parses, and gives the names back
        start = page.index('<script type="application/json" id="walk-data">')
        blob = page[page.index(">", start) + 1:page.index("</script>", start)]
        assert not re.search(r"[<>&]", blob)
        data = json.loads(blob)
        assert [p["name"] for p in data["params"]] == [name or "param"]
        assert page.count("<script") == 2 and page.count("</script>") == 2
        # Graphviz drew every name as text: no link, no embedded file, no markup of its own
        for svg in re.findall(r"<svg.*?</svg>", page, re.S):
            markup = " ".join(re.findall(r"<[^>]*>", svg))          # its tags, not its text
            assert not re.search(r"<(?:a|image|img|foreignObject)\b|href=|src=|javascript:",
                                 markup.replace('xmlns:xlink="http://www.w3.org/1999/xlink"', ""),
                                 re.I)
            if name:
                texts = "".join(html_unescape(t) for t in re.findall(r">([^<]*)</text>", svg))
                assert "".join(name.split()) in "".join(texts.split())
        title = re.search(r"<title>(.*?)</title>", page, re.S).group(1)
        assert html_unescape(title) == (name or "backward pass explorer")


def test_bptt_explore_writes_the_page(tmp_path, capsys):
    from cli_run import run
    status, out, err = run(capsys, "explore", "--cell", "gru", "--steps", "3",
                           "-o", str(tmp_path / "gru.html"))
    assert status == 0, err
    assert (tmp_path / "gru.html").stat().st_size > 10_000
    assert "gru.html" in out and "walk steps" in out
    status, _, err = run(capsys, "explore", "-o", str(tmp_path / "page.svg"))
    assert status == 2 and "html" in err
    status, out, err = run(capsys, "explore", "--steps", "2", "--present", "--order", "engine",
                           "-o", str(tmp_path / "present.html"))
    assert status == 0, err
    page = (tmp_path / "present.html").read_text(encoding="utf-8")
    assert 'data-present="true"' in page
    walk = json.loads(re.search(r'id="walk-data">(.*?)</script>', page, re.S).group(1))["walk"]
    assert [s["short"] for s in walk][:3] == ["L", "E2", "E1"]     # the engine's order


# ------------------------------------------------------------------ values the forward pass read

def _hovered(page, name):
    """The hover entries of the leaf called ``name``, in every drawing of the page."""
    data = _data(page)
    return [x for entries in data["info"].values() for xs in entries.values() for x in xs
            if x["name"] == name]


def test_a_leaf_shows_the_value_the_forward_pass_read_not_one_set_after():
    """Issue 22 §1.8: after an optimizer's step the page shows W as the forward pass read
    it (the gradients are at that W); changed twice, its first value is gone: the page
    shows its values now and says so."""
    model = rnn.RNN(2, 3, 1, rng=0)
    rng = np.random.default_rng(0)
    xs, ys = rng.normal(size=(3, 2)), rng.normal(size=(3, 1))
    with mg.keep_values():
        result = rnn.bptt(model, xs, ys)
    read_by_forward = model.W.data.copy()
    opt = mg.optim.SGD(model.parameters(), lr=0.1)
    opt.step()
    assert not np.allclose(model.W.data, read_by_forward)
    shown = _hovered(viz.explore(result.loss_tensor), "W")
    assert len(shown) == 3                          # ops, cells, ops at slide size
    for entry in shown:
        numbers = np.array(re.findall(r"-?\d+(?:\.\d+)?(?:e[-+]\d+)?", entry["value"]), float)
        np.testing.assert_allclose(numbers, read_by_forward.ravel(), rtol=1e-5)
        assert "changed" not in entry["value"]
    opt.zero_grad()                                 # a second step: the first W is gone
    rnn.bptt(model, xs, ys)
    opt.step()
    for entry in _hovered(viz.explore(result.loss_tensor), "W"):
        numbers = np.array(re.findall(r"-?\d+\.\d+(?:e[-+]\d+)?", entry["value"]), float)
        np.testing.assert_allclose(numbers, model.W.data.ravel(), rtol=1e-5)
        assert "its values now: it changed after the forward pass" in entry["value"]
