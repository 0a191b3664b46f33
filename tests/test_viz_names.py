"""Drawings name what the math names: each model's quantities, the costs and the loss,
the parameters' per-copy terms, the state's colours, small values, titles."""

import re

import numpy as np
import pytest

import minigrad as mg
import rnn
import viz
from dotparse import parse
from viz.theme import COLORS


def result_of(cell, T=3, hidden=3, **kw):
    model = cell(2, hidden, 1, rng=0)
    rng = np.random.default_rng(0)
    return model, rnn.bptt(model, rng.normal(size=(T, 2)), rng.normal(size=(T, 1)),
                           contributions=True, retain_grads=True, **kw)


def first_lines(graph):
    g = parse(graph.source)
    return g, {n: a.get("label", "").split("\n")[0] for n, a in g.node_attrs.items()}


EQUATIONS = {
    rnn.RNN: ["a2 = U x2 + W s1 + b", "s2 = tanh(a2)", "o2 = V s2 + c", "E2 = ‖o2 − y2‖²"],
    # each gate reads its own rows of z (z_i, z_f, z_g, z_o); the cell state is c, so the
    # output layer's bias is b_y: no symbol means two things
    rnn.LSTM: ["z2 = U x2 + W h1 + b", "i2 = σ(z_i,2)", "f2 = σ(z_f,2)", "g2 = tanh(z_g,2)",
               "o2 = σ(z_o,2)", "c2 = f2 ⊙ c1 + i2 ⊙ g2", "h2 = o2 ⊙ tanh(c2)",
               "out2 = V h2 + b_y", "E2 = ‖out2 − y2‖²"],
    # a gate's block of the weights is subscripted with its letter, as in the GRU's docstring
    rnn.GRU: ["a_r,2 = U_r x2 + b_r + W_r h1", "r2 = σ(a_r,2)", "z2 = σ(a_z,2)",
              "a_n,2 = U_n x2 + b_n + r2 ⊙ (W_n h1 + b_hn)", "n2 = tanh(a_n,2)",
              "h2 = (1 − z2) ⊙ n2 + z2 ⊙ h1", "o2 = V h2 + c", "h1 = (1 − z1) ⊙ n1 + z1 ⊙ h0"],
}


@pytest.mark.parametrize("cell", [rnn.RNN, rnn.LSTM, rnn.GRU])
def test_each_step_is_drawn_as_its_equations(cell):
    _, result = result_of(cell)
    g, lines = first_lines(viz.draw_unrolled(result.loss_tensor))
    shown = set(lines.values())
    for equation in EQUATIONS[cell]:
        assert equation in shown, equation
    # plumbing is folded away: no slices, no stack, no constant node, no unnamed op that
    # a named result writes out, one loss node
    assert not any(re.match(r"(getitem|stack|const)\b", line) for line in shown)
    assert not any(line in ("f2 ⊙ c1", "tanh(c2)", "1 − z2", "z2 ⊙ h1") for line in shown)
    assert list(lines.values()).count("L = Σ_t E_t") == 1
    assert not any(a.get("shape") == "ellipse" and line == "const" for n, a in
                   g.node_attrs.items() for line in [lines[n]])


def test_the_mean_is_drawn_as_such():
    _, result = result_of(rnn.RNN, reduction="mean")
    _, lines = first_lines(viz.draw_unrolled(result.loss_tensor))
    assert "L = (1/T) Σ_t E_t" in lines.values()


def test_a_users_names_reach_the_drawing():
    x = mg.tensor([0.5, -1.0], requires_grad=True, name="x")
    with mg.scope("t=4"):
        h = (x * 2.0).tanh()
        h.name = "h_t"                       # named after the op ran: written through
    assert h.node.name == "h_t" and h.name == "h_t"
    loss = (h * h).sum()
    loss.name = "L"
    _, lines = first_lines(viz.draw(loss))
    assert "h4 = tanh(x ⊙ 2)" in lines.values() and "L = Σ (h4 ⊙ h4)" in lines.values()
    _, unrolled = first_lines(viz.draw_unrolled(loss))
    assert "h4 = tanh(x ⊙ 2)" in unrolled.values()
    with pytest.raises(TypeError, match="string or None"):
        h.name = 3


def test_lstm_state_paths_have_two_colours_and_a_legend():
    for detail in ("ops", "cells"):
        _, result = result_of(rnn.LSTM, T=4)
        g = parse(viz.draw_unrolled(result.loss_tensor, detail=detail).source)
        colours = {a.get("color") for t, h, a in g.edges}
        assert COLORS["recurrent"] in colours and COLORS["cell_state"] in colours
        legend = g.node_attrs["legend"]["label"]
        assert "cell state c" in legend and "a copy's term of dL/dθ" in legend
        # into each of steps 2..4 come exactly one h path and one c path
        start = {h: t for t, h, a in g.edges if h.startswith("bend_")}

        def source(tail):                 # a link drawn through bends: where it starts
            while tail.startswith("bend_"):
                tail = start[tail]
            return tail

        heads, ports = {}, {}
        for t, h, a in g.edges:
            if a.get("color") in (COLORS["recurrent"], COLORS["cell_state"]) and \
                    a.get("dir") != "none":
                if re.fullmatch(r"s\d+_\d+", h):      # cells: f_t hands h_t, c_t to its ports
                    ports.setdefault(a["color"], []).append((source(t), h))
                else:
                    heads.setdefault(a["color"], []).append(h)
        assert len(heads[COLORS["recurrent"]]) == len(heads[COLORS["cell_state"]]) == 3
        if detail == "cells":                         # ... with a visible edge, not a float
            for colour in (COLORS["recurrent"], COLORS["cell_state"]):
                assert sorted(t for t, _ in ports[colour]) == ["f1", "f2", "f3", "f4"]


def test_cells_view_names_the_states_it_passes():
    _, result = result_of(rnn.LSTM, T=3)
    _, lines = first_lines(viz.draw_unrolled(result.loss_tensor, detail="cells"))
    for t in (1, 2, 3):
        assert f"h{t}" in lines.values() and f"c{t}" in lines.values()
    assert not any(re.fullmatch(r"s\d", line) for line in lines.values())


def test_values_show_signed_numbers_for_small_tensors():
    model = rnn.RNN(1, 1, 1, rng=0)
    with mg.keep_values():
        result = rnn.bptt(model, [[0.5], [-1.0]], [[0.2], [0.1]], contributions=True,
                          retain_grads=True)
    g = parse(viz.draw_unrolled(result.loss_tensor, values=True).source)
    labels = [a.get("label", "") for a in g.node_attrs.values()]
    s2 = next(label for label in labels if label.startswith("s2 = tanh(a2)"))
    lines = s2.split("\n")                                     # equation, shape, value, grad
    assert re.fullmatch(r"= −?\d[\d.e−]*", lines[2])            # the value itself, signed
    assert re.fullmatch(r"grad −?\d[\d.e−]*", lines[3])         # the gradient itself, signed
    from viz.read import collect
    s2_node = next(n for n in collect(result.loss_tensor).nodes
                   if n.name == "s_t" and n.scope == "t=2")
    assert lines[2] == f"= {s2_node.value.item():.3g}".replace("-", "−")
    assert lines[3] == f"grad {s2_node.grad.item():.3g}".replace("-", "−")
    # W's ledger row: its value at the head, its gradient signed at the end
    assert f"W = {model.W.item():.3g}".replace("-", "−") in labels
    assert f"= {model.W.grad.item():.3g}".replace("-", "−") in labels


def title(graph):
    return parse(graph.source).node_attrs["title"]["label"]


def test_titles_name_the_cell_steps_and_settings():
    for cell, name in ((rnn.RNN, "RNN"), (rnn.LSTM, "LSTM"), (rnn.GRU, "GRU")):
        _, result = result_of(cell, T=4)
        assert title(viz.draw_unrolled(result.loss_tensor)) == \
            f"{name} unrolled over 4 steps\nevery op, after backward()"
    _, result = result_of(rnn.RNN, T=20)
    graph = viz.draw_unrolled(result.loss_tensor, detail="cells", heat=True)
    assert title(graph) == "RNN unrolled over 20 steps\none box per step, coloured by ‖grad‖"
    # the elided steps are named on their box and in the legend
    g = parse(graph.source)
    assert g.clusters()[3].attrs["label"] == "t = 4 … 17"
    assert "t = 4 … 17: not drawn" in g.node_attrs["legend"]["label"]


def test_structural_figure_without_numbers():
    _, result = result_of(rnn.RNN, T=3)
    g = parse(viz.draw_unrolled(result.loss_tensor, grads=False, labels=False).source)
    text = " ".join(a.get("label", "") for a in g.node_attrs.values()) + \
        " ".join(a.get("label", "") for _, _, a in g.edges)
    assert "grad" not in text and not re.search(r"‖\d", text)   # no gradient, no terms
    assert {"U", "W", "b", "V", "c"} <= {a.get("label") for a in g.node_attrs.values()}


def test_slide_style_is_16_by_9_and_elides_rather_than_shrinks():
    _, result = result_of(rnn.RNN, T=30)
    graph = viz.draw_unrolled(result.loss_tensor, style="slides")
    report = viz.check_layout(graph, "slides")
    assert report.ok, report
    assert report.min_text_px >= 28 and report.fill >= 0.55
    assert abs(report.width_pt / report.height_pt - 16 / 9) < 0.01
    assert "cluster_elided" in graph.source                   # steps elided, text kept
    notebook = viz.draw_unrolled(result.loss_tensor)
    assert 'fontsize=10' in notebook.source and 'fontsize=28' in graph.source
    with pytest.raises(ValueError, match="style must be one of"):
        viz.draw_unrolled(result.loss_tensor, style="poster")
    for draw in (lambda s: viz.draw(result.loss_tensor, style=s),
                 lambda s: viz.draw_folded(rnn.GRU(2, 3, 1), style=s)):
        with pytest.raises(ValueError, match="style must be one of"):
            draw("poster")


def test_a_cross_entropy_cost_is_named_with_its_saved_target():
    model = rnn.RNN(3, 4, 5, rng=0, activation="relu")
    rng = np.random.default_rng(0)
    result = rnn.bptt(model, rng.normal(size=(3, 2, 3)), rng.integers(0, 5, size=(3, 2)),
                      loss="cross_entropy", contributions=True, retain_grads=True)
    for detail in ("ops", "cells"):
        graph = viz.draw_unrolled(result.loss_tensor, detail=detail)
        assert viz.check_layout(graph).ok
    _, lines = first_lines(viz.draw_unrolled(result.loss_tensor))
    assert {"E2 = CE(o2, y2)", "s2 = relu(a2)"} <= set(lines.values())


@pytest.mark.parametrize("cell, names", [(rnn.RNN, ["W s0"]), (rnn.GRU, ["W_r h0"]),
                                         (rnn.LSTM, ["W h0", "f1 ⊙ c0"])])
def test_a_state_you_pass_in_is_drawn_as_the_initial_state(cell, names):
    rs = np.random.default_rng(7)
    s0 = (rs.normal(size=3), rs.normal(size=3)) if cell is rnn.LSTM else rs.normal(size=3)
    result = rnn.bptt(cell(2, 3, 1, rng=0), rs.normal(size=(3, 2)), rs.normal(size=(3, 1)),
                      s0=s0)
    text = "\n".join(viz.draw_unrolled(result.loss_tensor).texts())
    for name in names:
        assert name in text, name
    assert not re.search(r"\bx\b(?!\d)", text)                 # not an anonymous "x"


def test_a_gru_cut_state_is_named_h():
    rs = np.random.default_rng(7)
    result = rnn.tbptt(rnn.GRU(2, 3, 1, rng=0), rs.normal(size=(8, 2)),
                       rs.normal(size=(8, 1)), k1=4, k2=4, optimizer=None)
    text = "\n".join(viz.draw_unrolled(result.last_loss_tensor).texts())
    assert "h4 (cut)" in text and "W_r h4" in text and "s4" not in text
