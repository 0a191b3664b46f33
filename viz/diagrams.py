"""Diagrams drawn from a model, a training schedule or measured norms rather than
from a graph: the folded network (``draw_folded``), one truncated-BPTT update
(``draw_truncation``) and how far back the gradient reaches (``draw_gradient_flow``)."""

from __future__ import annotations

import math

from .emit import dot_figure, framed
from .theme import COLORS, HeatScale, number_text

__all__ = ["draw_folded", "draw_truncation", "draw_gradient_flow"]

_CELL = {
    "RNN": "a_t = U x_t + W s_t-1 + b\ns_t = {g}(a_t)",
    "LSTM": "i_t, f_t, o_t = σ(U x_t + W h_t-1 + b)  (their rows)\ng_t = tanh(U x_t + W h_t-1 + b)"
            "\nc_t = f_t ⊙ c_t-1 + i_t ⊙ g_t\nh_t = o_t ⊙ tanh(c_t)",
    "GRU": "r_t, z_t = σ(U x_t + b + W h_t-1)  (their rows)\n"
           "n_t = tanh(U x_t + b + r_t ⊙ (W h_t-1 + b_hn))\nh_t = (1 − z_t) ⊙ n_t + z_t ⊙ h_t-1",
}


def _count(n, noun):
    """'1 input', '3 inputs'."""
    return f"{n} {noun}{'' if n == 1 else 's'}"


def draw_folded(model, title=None, style="notebook"):
    """The compact recurrent diagram: x_t → cell → o_t, with W as a loop on the state.

    It is the picture before unrolling; put it beside ``draw_unrolled``'s.

    >>> import rnn, viz
    >>> graph = viz.draw_folded(rnn.RNN(3, 8, 2))
    >>> "W" in graph.source and "s_t = tanh(a_t)" in graph.source
    True
    """
    kind = type(model).__name__
    if kind not in _CELL or not hasattr(model, "hidden_size"):
        raise TypeError(f"viz.draw_folded: expected an rnn.RNN, rnn.LSTM or rnn.GRU model, got "
                        f"{kind}")
    D, H, O = model.input_size, model.hidden_size, model.output_size
    state = "s" if kind == "RNN" else "h"
    cell = _CELL[kind].format(g=getattr(model, "activation", ""))
    h = model.output_activation
    name = getattr(model, "output_name", "o_t")          # an LSTM's o_t is a gate: out_t
    out = f"{name} = {h + '(' if h else ''}V {state}_t + c{')' if h else ''}"
    gates = {"RNN": 1, "LSTM": 4, "GRU": 3}[kind]

    dot = dot_figure(title or f"{kind}, folded: one cell, reused at every step",
                       rankdir="LR", style=style)
    dot.node("x", f"x_t\n{_count(D, 'input')}", shape="ellipse", fillcolor=COLORS["const"])
    dot.node("s", f"{cell}\n{_count(H, 'hidden unit')}", fillcolor="white", penwidth="2")
    dot.node("o", f"{out}\n{_count(O, 'output')}", fillcolor=COLORS["loss"])
    dot.edge("x", "s", label=f"U ({gates * H}×{D})", color=COLORS["param_edge"],
             fontcolor=COLORS["param_edge"])
    dot.edge("s", "s", label=f"W ({gates * H}×{H})\none-step delay: {state}_t-1",
             color=COLORS["recurrent"], fontcolor=COLORS["recurrent"], tailport="n",
             headport="n", penwidth="1.6")
    if kind == "LSTM":                       # the cell state: a second path, its own colour
        dot.edge("s", "s", label="one-step delay: c_t-1 (cell state)",
                 color=COLORS["cell_state"], fontcolor=COLORS["cell_state"], tailport="s",
                 headport="s", penwidth="1.6")
    dot.edge("s", "o", label=f"V ({O}×{H})", color=COLORS["param_edge"],
             fontcolor=COLORS["param_edge"])
    return framed(dot, style)


def draw_truncation(result, update=-1, T=None, title=None, style="notebook"):
    """Which steps one truncated-BPTT update reaches.

    Steps 1..T in a row: the update's losses (its block) are marked E_t, the
    steps its gradient flows back through (its window) are green, and the
    state entering the window is a dashed cut.

    ``result`` is what ``rnn.tbptt`` or ``rnn.sliding_window_bptt`` returned
    (or one of its ``updates``); ``update`` picks one (default: the last).

    >>> import numpy as np, rnn, viz
    >>> model = rnn.RNN(1, 4, 1, rng=0)
    >>> xs = np.zeros((12, 1))
    >>> result = rnn.tbptt(model, xs, xs, k1=4, k2=6, optimizer=None)
    >>> graph = viz.draw_truncation(result, update=1)
    >>> "cut" in graph.source
    True
    """
    updates = getattr(result, "updates", None)
    if updates is None:
        if not hasattr(result, "window"):
            raise TypeError(f"viz.draw_truncation: expected the result of rnn.tbptt or one of "
                            f"its updates, got {type(result).__name__}")
        updates, update = [result], 0
    if not updates:
        raise ValueError("viz.draw_truncation: the result has no updates")
    try:
        chosen = updates[update]
    except (IndexError, TypeError):
        raise IndexError(f"viz.draw_truncation: update {update!r} does not exist; there are "
                         f"{len(updates)} (0 .. {len(updates) - 1})") from None
    T = T or max(u.block[1] for u in updates)
    (b1, b2), (w1, w2) = chosen.block, chosen.window
    first, last = max(1, min(b1, w1) - 6), min(T, b2 + 6)   # a little context either side
    k = updates.index(chosen) if chosen in updates else update

    key = ("green: the gradient flows back through these steps;  "
           "bold, with E_t: their losses count in this update")
    if b1 < w1:                                   # k2 < k1: part of the block is before the window
        key += ";\ndashed E_t: before the window, so only its output layer (V, c) learns from it"
    dot = dot_figure((title or f"update {k + 1} of {len(updates)}: losses of "
                                 f"{_steps(b1, b2)}, gradient through {_steps(w1, w2)}")
                       + "\n" + key, rankdir="LR", style=style)
    dot.attr(nodesep="0.15", ranksep="0.25")
    if first > 1:
        dot.node("before", f"… steps 1–{first - 1}", shape="plaintext", fillcolor="white")
        dot.edge("before", f"s{first}", style="dotted")
    for t in range(first, last + 1):
        in_window = w1 <= t <= w2
        fill = COLORS["window"] if in_window else ("white" if t <= b2 else COLORS["elided"])
        with dot.subgraph() as column:            # rank=same under LR: E_t sits beside step t
            column.attr(rank="same")
            column.node(f"s{t}", f"t = {t}", fillcolor=fill, width="0.6",
                        penwidth="2" if b1 <= t <= b2 else "1",
                        fontcolor="black" if t <= b2 else "#999999")
            if b1 <= t <= b2:
                outside = t < w1                  # its gradient stops at the output layer
                column.node(f"E{t}", f"E{t}", shape="ellipse", height="0.2",
                            fillcolor="white" if outside else COLORS["loss"],
                            style="dashed,filled" if outside else "filled")
        if b1 <= t <= b2:
            dot.edge(f"s{t}", f"E{t}", color=COLORS["block"], arrowsize="0.5")
        if t > first:
            if t == w1:
                dot.edge(f"s{t - 1}", f"s{t}", style="dashed", color=COLORS["cut"], label="cut",
                         fontcolor=COLORS["cut"], penwidth="1.5")
            else:
                dot.edge(f"s{t - 1}", f"s{t}", color=COLORS["recurrent"] if in_window else
                         "#bbbbbb")
    if last < T:
        dot.node("after", f"steps {last + 1}–{T} …", shape="plaintext", fillcolor="white")
        dot.edge(f"s{last}", "after", style="dotted")
    return framed(dot, style)


def _steps(first, last):
    """'step 4' or 'steps 2–5'."""
    return f"step {first}" if first == last else f"steps {first}–{last}"


def draw_gradient_flow(flows, title=None, style="notebook"):
    """Vanishing and exploding gradients at a glance: one row of steps per network.

    Box t shows ||dE_T/ds_t||, the gradient of the last step's cost with
    respect to the state s_t, and is coloured by it on one log scale shared by
    all rows (light yellow: small, dark red: large).  Arrows run from t + 1
    back to t, the way the gradient travels.

    ``flows`` is what ``rnn.gradient_flow`` returns, or a dict mapping a row
    label to one of those (rows are drawn in the dict's order).  Without a
    label a row is named by the spectral radius of W (for a gated cell, whose
    W is not square: by its largest singular value).

    >>> import numpy as np, rnn, viz
    >>> model = rnn.RNN(1, 4, 1, rng=0)
    >>> flow = rnn.gradient_flow(model, np.ones((6, 1)), np.zeros((6, 1)))
    >>> graph = viz.draw_gradient_flow({"rho = 0.9": flow})
    >>> graph.source.count("dir=back")   # 5 arrows between 6 steps
    5
    """
    rows = dict(flows) if isinstance(flows, dict) else {None: flows}
    for label, flow in rows.items():
        if not hasattr(flow, "state_grad_norms") or not hasattr(flow, "steps"):
            raise TypeError(f"viz.draw_gradient_flow: expected the result of "
                            f"rnn.gradient_flow (or a dict of them), got {type(flow).__name__}"
                            + (f" for row {label!r}" if label is not None else ""))
    if not rows:
        raise ValueError("viz.draw_gradient_flow: there are no rows to draw")
    heat = HeatScale([float(n) for flow in rows.values() for n in flow.state_grad_norms])

    dot = dot_figure(title or "‖dE_T/ds_t‖: how much of the last step's error reaches "
                                "step t", rankdir="LR", style=style)
    dot.attr(nodesep="0.08", ranksep="0.12")
    heads = [f"row{r}" for r in range(len(rows))]
    for head, (r, (label, flow)) in zip(heads, enumerate(rows.items())):
        if label is None:
            label = flow.w_label      # spectral radius, or largest singular value if W is not square
        decay = flow.decay_per_step() if hasattr(flow, "decay_per_step") else None
        if decay is not None and not math.isnan(decay):
            label += f"\n×{decay:.2g} per step back"
        dot.node(head, label, shape="plaintext", fillcolor="white")
        boxes = [f"r{r}t{t}" for t in flow.steps]
        for box, t, size in zip(boxes, flow.steps, flow.state_grad_norms):
            dot.node(box, f"t = {t}\n{number_text(float(size))}", fillcolor=heat.color(size),
                     fontcolor=heat.text_color(float(size)),
                     width="0.55")
        dot.edge(head, boxes[0], style="invis")                # the label starts the row
        for earlier, later in zip(boxes, boxes[1:]):  # drawn t -> t+1 to keep the columns in
            dot.edge(earlier, later, dir="back",      # time order, with the arrowhead at t
                     color=COLORS["recurrent"], arrowsize="0.6")
    with dot.subgraph() as labels:                          # rows top to bottom in order
        labels.attr(rank="same")
        for a, b in zip(heads, heads[1:]):
            labels.edge(a, b, style="invis")
    return framed(dot, style)
