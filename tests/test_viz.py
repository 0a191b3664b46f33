"""viz: the structure of the drawings (read back from their DOT text), files, and errors."""

import os
import xml.etree.ElementTree as ET

import re

import numpy as np
import pytest

import minigrad as mg
import rnn
import viz
from dotparse import parse, text_of
from viz.read import collect
from viz.theme import norm_text


def unrolled_loss(T=6, cell=rnn.RNN, retain=True, seed=0):
    model = cell(3, 5, 2, rng=seed)
    rng = np.random.default_rng(seed)
    result = rnn.bptt(model, rng.normal(size=(T, 2, 3)), rng.normal(size=(T, 2, 2)),
                      contributions=True, retain_grads=retain)
    return model, result


def positions(graph, g):
    """{node id: (x, y)} from the pinned positions in the DOT text."""
    out = {}
    for node, attrs in g.node_attrs.items():
        if "pos" in attrs:
            x, y = attrs["pos"].rstrip("!").split(",")
            out[node] = (float(x), float(y))
    return out


def cluster_order(graph, direction="LR"):
    """The step clusters as they are laid out: left to right, or top to bottom."""
    g = parse(graph.source)
    pos = positions(graph, g)
    boxes = []
    for c in g.clusters():
        xs = [pos[n] for n in c.all_nodes() if n in pos]
        centre = (np.mean([p[0] for p in xs]), np.mean([p[1] for p in xs]))
        boxes.append((centre[0] if direction == "LR" else -centre[1], c.name))
    return [name for _, name in sorted(boxes)]


@pytest.mark.parametrize("detail", ["ops", "cells"])
@pytest.mark.parametrize("direction", ["LR", "TB"])
@pytest.mark.parametrize("cell", [rnn.RNN, rnn.LSTM, rnn.GRU])
def test_one_cluster_per_step_in_time_order(detail, direction, cell):
    _, result = unrolled_loss(T=7, cell=cell)
    graph = viz.draw_unrolled(result.loss_tensor, detail=detail, direction=direction)
    g = parse(graph.source)
    expected = [f"cluster_t{t}" for t in range(1, 8)]
    assert [c.name for c in g.clusters()] == expected                # in the text
    assert cluster_order(graph, direction) == expected                 # and on the page
    labels = [c.attrs.get("label") for c in g.clusters()]
    assert labels == [f"t = {t}" for t in range(1, 8)]


def ledger(g, name):
    """The ledger row of parameter ``name``: its head's id, {step's cluster: term text},
    and the sum's text."""
    head = next(n for n, a in g.node_attrs.items()
                if n.startswith("v") and a.get("label", "").split(" = ")[0] == name
                and "_" not in n)
    cluster_of = {n: c.name for c in g.clusters() for n in c.all_nodes()}
    terms = {cluster_of[n]: a["label"] for n, a in g.node_attrs.items()
             if n.startswith(head + "_t")}
    total = g.node_attrs.get(head + "_sum", {}).get("label")
    return head, terms, total


@pytest.mark.parametrize("detail", ["ops", "cells"])
def test_each_shared_parameter_is_drawn_once_and_collects_a_term_from_every_copy(detail):
    model, result = unrolled_loss(T=5)
    graph = viz.draw_unrolled(result.loss_tensor, detail=detail)
    g = parse(graph.source)
    cluster_of = {n: c.name for c in g.clusters() for n in c.all_nodes()}
    for name, p in model.named_parameters():
        heads = [n for n, a in g.node_attrs.items()
                 if a.get("label") == name and not n.startswith("label_")]
        assert len(heads) == 1, f"{name} drawn {len(heads)} times"
        assert cluster_of.get(heads[0]) is None                 # outside the step clusters
        head, terms, total = ledger(g, name)
        # the row: under copy t, copy t's term of dL/dp (norms for a matrix); = the sum
        parts = result.contributions[name]
        assert terms == {f"cluster_t{t}": f"‖{norm_text(parts[f't={t}'])}‖"
                         for t in range(1, 6)}
        assert total == f"= ‖{norm_text(p.grad)}‖"
        # no wire from the parameter: its uses are named in the copies' equations
        assert not any(head in (t, h) for t, h, a in g.edges)
    assert "‖·‖" in g.node_attrs["legend"]["label"]          # the norms do not add: said


def test_scalar_terms_are_signed_and_add_up_to_the_sum_shown():
    model = rnn.RNN(1, 1, 1, bias=False, rng=0)
    with mg.keep_values():
        result = rnn.bptt(model, [[0.5], [-1.0], [0.8]], [[0.2], [0.1], [-0.3]],
                          contributions=True, retain_grads=True)
    g = parse(viz.draw_unrolled(result.loss_tensor, values=True, style="slides").source)
    for name, p in model.named_parameters():
        _, terms, total = ledger(g, name)
        shown = [float(terms[f"cluster_t{t}"].replace("−", "-")) for t in range(1, 4)]
        assert np.allclose(shown, [float(result.contributions[name][f"t={t}"].ravel()[0])
                                   for t in range(1, 4)], rtol=5e-3, atol=5e-4)
        assert total == "= " + viz.theme.number_text(float(p.grad.ravel()[0]))
        assert all(t[0] in "+−0" for t in terms.values())          # every term signed
    # values and gradients on every node are too much for three steps on a slide: said
    assert "gradients on nodes left out to fit a slide" in text_of(
        g.node_attrs["legend"]["label"])
    # in a notebook they are there, and the state's gradient is its two parts' sum: the
    # one from its own step's output (black) and the one from the next step (red)
    g = parse(viz.draw_unrolled(result.loss_tensor, values=True).source)
    text = {n: text_of(a["label"]) for n, a in g.node_attrs.items() if a.get("label")}
    parts = {n: float(v.replace("−", "-")) for n, v in text.items() if n.startswith("label_")}
    for t in (1, 2):
        (s,) = [v for v in text.values() if v.startswith(f"s{t} = tanh")]
        grad = float(s.split("grad ")[1].replace("−", "-"))
        assert any(abs(a + b - grad) < 2e-3 for a in parts.values() for b in parts.values()
                   if a != b), (t, grad, parts)
    assert len(parts) == 4                      # s1 and s2 pass their state on; s3 does not


def test_elision_keeps_the_counts_it_promises():
    model, result = unrolled_loss(T=20)
    graph = viz.draw_unrolled(result.loss_tensor, max_steps=12, keep=3)
    g = parse(graph.source)
    names = [c.name for c in g.clusters()]
    assert names == ["cluster_t1", "cluster_t2", "cluster_t3", "cluster_elided",
                     "cluster_t18", "cluster_t19", "cluster_t20"]
    assert cluster_order(graph) == names
    elided = g.clusters()[3]
    assert elided.attrs["label"] == "t = 4 … 17"
    assert "t = 4 … 17: not drawn, terms summed" in g.node_attrs["legend"]["label"]
    # the elided box's column of the ledger: what the 14 copies add to dL/dW
    _, terms, _ = ledger(g, "W")
    hidden = sum(result.contributions["W"][f"t={t}"] for t in range(4, 18))
    assert len(terms) == 7 and terms["cluster_elided"] == f"‖{norm_text(hidden)}‖"
    assert len(parse(viz.draw_unrolled(result.loss_tensor, elide=False).source)
               .clusters()) == 20


def test_truncation_cuts_are_drawn_as_cuts():
    model = rnn.RNN(1, 4, 1, rng=0)
    xs = np.sin(np.linspace(0, 6, 13))[:, None]
    result = rnn.tbptt(model, xs[:-1], xs[1:], k1=4, k2=6, optimizer=None)
    graph = viz.draw_unrolled(result.last_loss_tensor)
    g = parse(graph.source)
    cut = [n for n, a in g.node_attrs.items() if "(cut)" in text_of(a.get("label", ""))]
    assert len(cut) == 1 and text_of(g.node_attrs[cut[0]]["label"]).startswith("s6 (cut)")
    (edge,) = [a for t, h, a in g.edges if t == cut[0]]
    assert edge["style"] == "dashed" and edge["color"] == "#7f7f7f"
    (word,) = [a for n, a in g.node_attrs.items()          # the dashed edge's label
               if n.startswith("label_") and a.get("label") == "cut"]
    assert word["fontcolor"] == "#7f7f7f"
    assert "cut: no gradient crosses" in text_of(g.node_attrs["legend"]["label"])
    assert [c.name for c in g.clusters()] == [f"cluster_t{t}" for t in range(7, 13)]
    assert cluster_order(graph) == [f"cluster_t{t}" for t in range(7, 13)]

    schedule = parse(viz.draw_truncation(result, update=1).source)
    window = [n for n, a in schedule.node_attrs.items() if a.get("fillcolor") == "#d5f5e3"
              and not n.startswith("key")]
    assert sorted(window, key=lambda n: int(n[1:])) == [f"s{t}" for t in range(3, 9)]
    assert sorted((n for n in schedule.node_attrs if re.fullmatch(r"E\d+", n)),
                  key=lambda n: int(n[1:])) == [f"E{t}" for t in range(5, 9)]
    # the cut: its word sits in the gap between steps 2 and 3
    x = {n: float(a["pos"].split(",")[0]) for n, a in schedule.node_attrs.items()
         if "pos" in a}
    assert text_of(schedule.node_attrs["cut"]["label"]) == "cut"
    assert x["s2"] < x["cut"] < x["s3"]


def test_gradient_flow_is_a_log_scale_chart_of_every_step():
    xs, ys = np.random.default_rng(0).normal(size=(7, 1)) * 0.1, np.zeros((7, 1))
    flows = {}
    for radius in (0.5, 1.5):
        model = rnn.RNN(1, 6, 1, bias=False, rng=0)
        model.W.data *= radius / rnn.spectral_radius(model.W)
        flows[f"rho {radius}"] = rnn.gradient_flow(model, xs, ys)
    g = parse(viz.draw_gradient_flow(flows).source)
    pos = {n: tuple(float(v) for v in a["pos"].rstrip("!").split(","))
           for n, a in g.node_attrs.items() if "pos" in a}
    text = {n: text_of(a["label"]) for n, a in g.node_attrs.items() if a.get("label")}
    # the key names the lines in order, each with its factor per step back
    for k, (name, flow) in enumerate(flows.items()):
        assert text[f"key_{k}"] == f"{name}: ×{flow.decay_per_step():.2g} per step back"
    # a marker per step, at x in time order and y = a + b log10 ||dE_T/ds_t|| (b > 0): the
    # same straight map for both lines, so their heights compare
    xy = np.array([pos[f"mark_{k}_{t}"] for k in range(2) for t in range(7)])
    logs = np.log10(np.concatenate([f.state_grad_norms for f in flows.values()]))
    slope, offset = np.polyfit(logs, xy[:, 1], 1)
    assert slope > 0 and np.allclose(xy[:, 1], offset + slope * logs, atol=2e-3)
    steps = np.tile(np.arange(1, 8), 2)
    slope_t, _ = np.polyfit(steps, xy[:, 0], 1)
    assert slope_t > 0 and np.allclose(np.diff(xy[:7, 0]), slope_t, atol=2e-3)
    # vanishing (rho 0.5): step 1 is below step 7; exploding (rho 1.5): above
    assert pos["mark_0_0"][1] < pos["mark_0_6"][1] and pos["mark_1_0"][1] > pos["mark_1_6"][1]
    # the decades on the y axis and the steps on the x axis
    assert {"1e−1", "1e0"} <= set(text.values()) and "7" in text.values()
    with pytest.raises(TypeError, match="rnn.gradient_flow"):
        viz.draw_gradient_flow({"row": [1.0, 2.0]})


def test_gradient_flow_leaves_zero_norms_off_the_log_scale_and_says_so():
    model = rnn.RNN(1, 3, 1, bias=False, rng=0)
    flow = rnn.gradient_flow(model, np.ones((5, 1)), np.zeros((5, 1)))
    flow.state_grad_norms = flow.state_grad_norms.copy()
    flow.state_grad_norms[:2] = 0.0
    g = parse(viz.draw_gradient_flow({"zeros": flow}).source)
    assert "(not drawn: 2 norms of 0)" in text_of(g.node_attrs["key_0"]["label"])
    assert not any(n in g.node_attrs for n in ("mark_0_3",)) and "mark_0_2" in g.node_attrs
    flow.state_grad_norms[2] = np.inf                # an overflow: said, not drawn
    g = parse(viz.draw_gradient_flow({"zeros": flow}).source)
    assert "(not drawn: 2 norms of 0, 1 overflow)" in text_of(
        g.node_attrs["key_0"]["label"])
    assert "mark_0_2" not in g.node_attrs and "mark_0_1" in g.node_attrs


def test_heat_colours_by_gradient_with_a_legend():
    _, result = unrolled_loss(T=6)
    g = parse(viz.draw_unrolled(result.loss_tensor, heat=True, detail="cells").source)
    assert "legend" in g.node_attrs and "gradient norm" in g.node_attrs["legend"]["label"]
    fills = {g.node_attrs[f"f{t}"]["fillcolor"] for t in range(1, 7)}
    assert len(fills) > 1 and "white" not in fills
    _, plain = unrolled_loss(T=3, retain=False)
    with pytest.raises(mg.BackwardError, match="retain_grads=True"):
        viz.draw_unrolled(plain.loss_tensor, heat=True)


def test_draw_any_graph_with_scopes_names_and_gradients():
    w = mg.tensor([1.0, -2.0], requires_grad=True, name="w")
    with mg.scope("outer"), mg.scope("inner"):
        h = (w * 3.0).tanh()
    loss = (h * h).sum()
    loss.backward(retain_grads=True)
    g = parse(viz.draw(loss).source)
    (outer,) = g.subgraphs
    assert outer.attrs["label"] == "outer" and outer.subgraphs[0].attrs["label"] == "inner"
    params = [n for n, a in g.node_attrs.items() if a.get("fillcolor") == "#cfe2f3"]
    assert len(params) == 1
    assert g.node_attrs[params[0]]["label"] == f"w\n(2,)\n‖grad‖ {norm_text(w.grad)}"
    constants = {n for n, a in g.node_attrs.items() if a.get("fillcolor") == "#eeeeee"}
    # a small graph labels every edge with the gradient flowing back along it; the
    # edge from the constant 3.0 carries none (nothing needs it)
    assert all(("label" in a) != (h in constants) for t, h, a in g.edges)


def test_folded_diagrams():
    for model, loop in [(rnn.RNN(3, 8, 2), "W (8×8)"), (rnn.LSTM(3, 8, 2), "W (32×8)"),
                        (rnn.GRU(3, 8, 2), "W (24×8)")]:
        g = parse(viz.draw_folded(model).source)
        text = {n: text_of(a["label"]) for n, a in g.node_attrs.items() if a.get("label")}
        loops = {n: g.node_attrs[n]["fontcolor"] for n in text if re.fullmatch(r"loop_\d", n)}
        # the recurrence: W's loop, drawn in red, a line of three segments with an arrow
        (recurrence,) = [n for n, colour in loops.items() if colour == "#c0392b"]
        assert text[recurrence].startswith(loop + ",  one-step delay: ")
        segments = [a for t, h, a in g.edges if a["color"] == "#c0392b"]
        assert len(segments) == 3 and [a["dir"] for a in segments] == ["none", "none",
                                                                       "forward"]
        # an LSTM's cell state is a second loop, in its own colour; the others have one
        cell_state = [n for n, colour in loops.items() if colour == "#7d3c98"]
        assert len(cell_state) == (1 if isinstance(model, rnn.LSTM) else 0)
        assert ("c_t = f_t ⊙ c_t−1 + i_t ⊙ g_t" in text["s"]) == isinstance(model, rnn.LSTM)
        assert text["s"].endswith("8 hidden units") and text["x"] == "x_t\n3 inputs"
        assert text["o"].endswith("2 outputs")
        assert "the same U, W and V at every step" in text["key"]
    with pytest.raises(TypeError, match="expected an rnn.RNN, rnn.LSTM or rnn.GRU"):
        viz.draw_folded(mg.nn.Linear(2, 2))


def test_the_folded_equations_follow_the_model():
    """bias=False drops the biases from the equations; the matrices' shapes are the model's."""
    text = {n: text_of(a["label"]) for n, a in parse(viz.draw_folded(
        rnn.RNN(2, 5, 3, bias=False)).source).node_attrs.items() if a.get("label")}
    assert text["s"].startswith("a_t = U x_t + W s_t−1\n") and text["o"].startswith("o_t = V s_t\n")
    assert text["arrow_0"] == "U (5×2)" and text["arrow_1"] == "V (3×5)"


@pytest.mark.parametrize("fmt, magic", [("svg", b"<?xml"), ("png", b"\x89PNG"),
                                        ("pdf", b"%PDF")])
def test_files_are_written_and_valid(tmp_path, fmt, magic):
    _, result = unrolled_loss(T=4)
    path = viz.save(viz.draw_unrolled(result.loss_tensor), tmp_path / "sub" / f"u.{fmt}")
    data = path.read_bytes()
    assert data.startswith(magic) and len(data) > 5000
    if fmt == "svg":
        root = ET.fromstring(data)
        assert root.tag.endswith("svg") and data.count(b"<g id=\"node") > 20


def test_graphs_show_themselves_in_jupyter():
    _, result = unrolled_loss(T=3)
    bundle = viz.draw_unrolled(result.loss_tensor)._repr_mimebundle_()
    assert "<svg" in bundle["image/svg+xml"]


def test_backward_frames_step_through_the_walk(tmp_path):
    w = mg.tensor([1.0, 2.0], requires_grad=True, name="w")
    loss = ((w * w).tanh()).sum()
    w.grad = np.array([5.0, 5.0])
    files = viz.backward_frames(loss, tmp_path / "frames", format="svg")
    assert [f.name for f in files] == [f"frame_{k:03d}.svg" for k in range(1, 5)]
    assert "the seed: dL/dL = 1 at Σ tanh(w ⊙ w)" in files[0].read_text()
    for k, f in enumerate(files, start=1):         # the caption's frame is the file's number
        assert f"frame {k} of 4 · " in f.read_text()
    assert "step 3 of 3: w ⊙ w" in files[3].read_text()
    assert "it sends δ ⊙ w to w (twice)" in files[3].read_text()
    assert w.grad.tolist() == [5.0, 5.0]                  # left as it was
    with pytest.raises(ValueError, match="max_frames=2"):
        viz.backward_frames(loss, tmp_path / "more", max_frames=2)


def test_backward_frames_keep_one_size_so_a_class_can_flip_through_them(tmp_path):
    _, result = unrolled_loss(T=6)
    rs = np.random.default_rng(1)
    x = mg.tensor(rs.normal(size=(4, 3)))
    w = mg.tensor(rs.normal(size=(3, 2)), requires_grad=True, name="w")
    # an unrolled graph (pinned positions) and a small expression that dot lays out again
    # in every frame: one size, and the nodes stay where they are
    for k, loss in enumerate([result.loss_tensor, ((x @ w).tanh() ** 2).sum()]):
        files = viz.backward_frames(loss, tmp_path / str(k), format="svg")
        texts = [f.read_text() for f in files]
        sizes = {re.search(r'<svg width="(\d+)pt" height="(\d+)pt"', t).groups() for t in texts}
        assert len(sizes) == 1, sizes
        centres = [node_centres(t) for t in texts]
        for later in centres[1:]:                 # within a point of where they started
            assert later.keys() == centres[0].keys()
            assert all(abs(a - b) <= 1 for n in later
                       for a, b in zip(later[n], centres[0][n])), later


def node_centres(svg):
    """{node id: its shape's centre (x, y), in pt} in a Graphviz SVG."""
    out = {}
    for name, shape in re.findall(r'<title>(n\d+|v\d+)</title>\s*(<\w+ [^>]*>)', svg):
        if "cx=" in shape:
            x, y = (float(v) for v in re.findall(r'c[xy]="([-\d.]+)"', shape))
        else:                        # a polygon's points, or a rounded box's path
            coords = re.search(r'(?:points|d)="([^"]+)"', shape).group(1)
            pts = np.array(re.findall(r"(-?[\d.]+),(-?[\d.]+)", coords), float)
            x, y = (pts.min(axis=0) + pts.max(axis=0)) / 2
        out[name] = (x, y)
    return out


def test_backward_frames_elide_long_sequences_as_the_drawings_do(tmp_path):
    _, result = unrolled_loss(T=20)
    loss = result.loss_tensor
    walk = len(collect(loss).nodes)
    for style in ("notebook", "slides"):
        files = viz.backward_frames(loss, tmp_path / style, format="svg", style=style)
        texts = [f.read_text() for f in files]
        elided = [t for t in texts if "the elided copies t = " in t]
        # the walk crosses the elided steps twice, one frame each: their loss terms E_t
        # (recorded after the whole forward pass), then their cells
        assert len(elided) == 2
        assert 1 + 3 * 4 < len(files) < walk        # the kept steps' nodes, one by one
        assert f"step {walk} of {walk}" in texts[-1]
    every = viz.backward_frames(loss, tmp_path / "all", format="svg", elide=False,
                                max_frames=walk + 1)
    assert len(every) == walk                       # the seed, every node but the stack under L
    with pytest.raises(ValueError, match="style must be one of 'notebook', 'slides'"):
        viz.backward_frames(loss, tmp_path / "x", style="poster")


def test_backward_frames_show_only_what_the_walk_has_sent(tmp_path):
    # the loss was back-propagated already (rnn.bptt did), so every parameter has a .grad;
    # frame 0 must still show no gradient but dL/dL = 1 at the root
    _, result = unrolled_loss(T=4)
    files = viz.backward_frames(result.loss_tensor, tmp_path, format="svg", style="slides")
    texts = [f.read_text() for f in files]
    assert len(re.findall(r"grad‖? [\d−]", texts[0])) == 1         # dL/dL = 1 only
    assert "‖grad‖ –" in texts[0]                                 # the rest: none yet
    assert "gradient sent at this step" in texts[1]             # the walk's own legend
    assert "state passed to the next step" not in texts[1]
    assert "steps 1–2 of" in texts[1] and ": L = Σ" in texts[1]
    assert "it sends δ to E1, E2, E3, E4" in texts[1]
    assert not any("stack sends" in t for t in texts)          # folded into L: no frame
    # L's frame sends to every E_t at once (the stack under L is folded into it): all red,
    # none orange ("sent earlier")
    assert 'stroke="#d62728"' in texts[1] and 'stroke="#e67e22"' not in texts[1]


def test_missing_graphviz_program(monkeypatch, tmp_path):
    _, result = unrolled_loss(T=3)
    monkeypatch.setenv("PATH", str(tmp_path))            # nothing to run here
    graph = viz.draw_unrolled(result.loss_tensor)        # drawing still works...
    assert graph.source.startswith("digraph")
    with pytest.raises(viz.GraphvizNotFoundError) as err:   # ...rendering says how to fix it
        viz.save(graph, tmp_path / "u.svg")
    for command in ["sudo apt-get install graphviz", "brew install graphviz",
                    "winget install graphviz", "conda install -c conda-forge graphviz"]:
        assert command in str(err.value)


def test_bad_input_errors(tmp_path):
    _, result = unrolled_loss(T=3)
    graph = viz.draw_unrolled(result.loss_tensor)
    with pytest.raises(ValueError, match="unknown format 'jpg'.*svg, png, pdf"):
        viz.save(graph, tmp_path / "u.jpg")
    blocker = tmp_path / "a_file"
    blocker.write_text("")
    with pytest.raises(PermissionError, match="cannot create the folder"):
        viz.save(graph, blocker / "u.svg")
    with pytest.raises(IsADirectoryError, match="is a folder"):
        viz.save(graph, tmp_path)
    with pytest.raises(TypeError, match="expected a minigrad Tensor, got list"):
        viz.draw([1, 2])
    with pytest.raises(ValueError, match="has no graph: no op made it"):
        viz.draw(mg.tensor([1.0], requires_grad=True, name="w"))
    with pytest.raises(ValueError, match="no time-step scopes"):
        viz.draw_unrolled((mg.tensor([1.0], requires_grad=True) * 2).sum())
    with pytest.raises(ValueError, match="detail must be 'ops'.*got 'boxes'"):
        viz.draw_unrolled(result.loss_tensor, detail="boxes")
    with pytest.raises(ValueError, match="direction must be 'LR'"):
        viz.draw_unrolled(result.loss_tensor, direction="RL")
    with pytest.raises(ValueError, match="max_steps must be an integer >= 2\\*keep\\+1"):
        viz.draw_unrolled(result.loss_tensor, max_steps=4, keep=3)
    with pytest.raises(ValueError, match=r"keeps 3 step\(s\) at each end.*got 4\. Fix: "
                       r"max_steps=7 or more, a smaller keep \(keep=1 allows max_steps=3\), or "
                       r"elide=False"):
        viz.draw_unrolled(result.loss_tensor, style="slides", max_steps=4)
    with pytest.raises(TypeError, match="expected the graphviz.Digraph"):
        viz.save("digraph {}", tmp_path / "x.svg")
    assert not os.path.exists(tmp_path / "u.jpg")


def test_gradient_flow_of_a_gated_cell_is_labelled_by_the_largest_singular_value():
    model = rnn.LSTM(1, 3, 1, rng=0)
    flow = rnn.gradient_flow(model, np.ones((4, 1)), np.zeros((4, 1)))
    source = viz.draw_gradient_flow(flow).source
    assert "largest singular value of W" in source and "spectral radius" not in source


def test_every_drawing_fits_a_notebook_column_in_jupyter():
    model = rnn.RNN(2, 3, 1, rng=0)
    xs, ys = np.ones((4, 2)), np.zeros((4, 1))
    result = rnn.bptt(model, xs, ys, contributions=True)
    drawings = [viz.draw(result.loss_tensor), viz.draw_unrolled(result.loss_tensor),
                viz.draw_folded(model), viz.draw_gradient_flow(rnn.gradient_flow(model, xs, ys)),
                viz.draw_truncation(rnn.tbptt(model, xs, ys, 2, 2, None)),
                viz.draw_checkpoints(rnn.checkpoint_policy(4, 2))]
    for graph in drawings:
        svg = graph._repr_mimebundle_()["image/svg+xml"]
        natural = re.search(r'<svg width="([\d.]+)pt"', graph.pipe(format="svg").decode())[1]
        assert f'<svg width="100%" style="max-width: {natural}pt; height: auto"' in svg
        assert 'viewBox="' in svg                          # so it scales, proportions kept


def test_the_folded_figure_counts_in_good_english():
    def text(model):
        g = parse(viz.draw_folded(model).source)
        return "\n".join(text_of(a["label"]) for a in g.node_attrs.values() if a.get("label"))
    assert "\n1 input\n" in text(rnn.RNN(1, 4, 1, rng=0)) + "\n"
    assert "\n1 output\n" in text(rnn.RNN(1, 4, 1, rng=0))
    assert "4 hidden units" in text(rnn.RNN(1, 4, 1, rng=0))
    one_hidden = text(rnn.RNN(1, 1, 2, rng=0))
    assert "1 hidden unit\n" in one_hidden and "2 outputs" in one_hidden
    assert "inputs" not in one_hidden


def truncation_parts(graph):
    """{node: (its text, its attributes)} of a draw_truncation figure."""
    return {n: (text_of(a.get("label", "")), a) for n, a in parse(graph.source).node_attrs.items()}


def test_truncation_marks_block_losses_before_the_window_and_names_one_step():
    model = rnn.RNN(1, 3, 1, rng=0)
    xs = np.zeros((20, 1))
    parts = truncation_parts(viz.draw_truncation(
        rnn.tbptt(model, xs, xs, k1=6, k2=3, optimizer=None), update=1))
    for t in (7, 8, 9):                     # in the block (7-12), before the window (10-12)
        assert parts[f"E{t}"][0] == f"E{t}"
        assert "dashed" in parts[f"E{t}"][1]["style"], t
    for t in (10, 11, 12):
        assert "dashed" not in parts[f"E{t}"][1]["style"], t
    texts = [text for text, _ in parts.values()]
    assert "a loss before the window: only V and c learn from it" in texts
    assert "k1 = 6 steps: the block, whose losses count" in texts
    assert "k2 = 3 steps: the window, where the gradient flows back" in texts
    # the gradient's arrows point back in time: from step t + 1 to step t
    g = parse(viz.draw_truncation(rnn.tbptt(model, xs, xs, k1=6, k2=3, optimizer=None),
                                  update=1).source)
    pos = {n: tuple(float(v) for v in a["pos"].rstrip("!").split(","))
           for n, a in g.node_attrs.items() if "pos" in a}
    arrows = [(pos[t], pos[h]) for t, h, a in g.edges
              if a.get("dir") == "forward" and a["color"] == "#c0392b"
              and abs(pos[t][1] - pos[h][1]) < 1e-9 and abs(pos[t][1] - pos["s10"][1]) < 1e-9]
    assert len(arrows) == 2 and all(head[0] < tail[0] for tail, head in arrows)

    one = truncation_parts(viz.draw_truncation(
        rnn.tbptt(model, xs, xs, k1=1, k2=4, optimizer=None), update=1))
    assert "losses of step 2, gradient through steps 1–2" in one["title"][0]
    assert not any("before the window: only" in text for text, _ in one.values())
    # the last, shorter block says so
    last = truncation_parts(viz.draw_truncation(
        rnn.tbptt(model, xs, xs, k1=6, k2=8, optimizer=None), update=-1))
    assert "k1 = 6 steps: the block, whose losses count (the last block: 2 of k1 = 6)" in \
        [text for text, _ in last.values()]


def test_an_elided_truncated_update_keeps_its_losses():
    # block 26-30, window 19-30: the elided steps hold the losses E26-E28, so L has an
    # edge into the elided box
    rs = np.random.default_rng(2)
    model = rnn.RNN(2, 3, 1, rng=0)
    result = rnn.tbptt(model, rs.normal(size=(30, 2)), rs.normal(size=(30, 1)), k1=5, k2=12,
                       optimizer=mg.optim.SGD(model.parameters(), lr=0.0))
    loss = result.last_loss_tensor
    graph = viz.draw_unrolled(loss, max_steps=5, keep=2)
    g = parse(graph.source)
    elided = next(c for c in g.clusters() if c.name == "cluster_elided")
    inside = set(elided.all_nodes())
    # L's edge (through its bends) reaches a cost in the elided box, drawn
    reaches = [(t, h) for t, h, a in g.edges if h in inside and a.get("style") != "invis"
               and (t.startswith("bend_") or t == f"n{loss.node.seq}")]
    assert reaches
    assert re.search(r"t = \d+ … \d+: not drawn", g.node_attrs["legend"]["label"])


def test_walk_frames_show_each_parameter_collecting_its_gradient(tmp_path):
    _, result = unrolled_loss(T=3)
    files = viz.backward_frames(result.loss_tensor, tmp_path, format="svg")
    W = result.contributions["W"]

    def w_line(svg):                   # W's gradient: the sum cell of the ledger's row
        root = ET.fromstring(svg)
        ns = "{http://www.w3.org/2000/svg}"
        groups = {g.find(ns + "title").text: ["".join(t.itertext()) for t in g.iter(ns + "text")]
                  for g in root.iter(ns + "g") if g.find(ns + "title") is not None}
        head = next(k for k, texts in groups.items()
                    if re.fullmatch(r"v\d+", k) and texts[:1] == ["W"])
        return " ".join(groups[f"{head}_sum"])

    lines = [w_line(f.read_text()).replace("\u00a0", " ").strip() for f in files]
    assert lines[0] == ""                                         # nothing yet
    assert lines[-1] == f"= ‖{norm_text(sum(W.values()))}‖"      # all of it, at the end
    assert any("so far" in line for line in lines)               # arriving copy by copy
