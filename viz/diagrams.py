"""Diagrams drawn from a model, a training schedule or measured norms rather than
from a graph: the folded network (``draw_folded``), one truncated-BPTT update
(``draw_truncation``) and how far back the gradient reaches (``draw_gradient_flow``)."""

from __future__ import annotations

import math

from .emit import dot_figure, framed
from .metrics import text_width
from .render import Figure
from .theme import (COLORS, EDGE_STYLE, INCH, NODE_STYLE, HeatScale, Look, label, number_text,
                    pad_to_ratio)
from .unrolled import check_style

__all__ = ["draw_folded", "draw_truncation", "draw_gradient_flow"]

def _equations(model):
    """The model's own equations, as drawn in the folded figure: its activation, its
    biases only if it has them (the course notes' RNN has none), subscripts typeset."""
    kind = type(model).__name__
    bias = model.b is not None if hasattr(model, "b") else False

    def plus(term):
        return f" + {term}" if bias else ""

    if kind == "RNN":
        return [f"a_t = U x_t + W s_{{t−1}}{plus('b')}", f"s_t = {model.activation}(a_t)"]
    if kind == "LSTM":
        return [f"z_t = U x_t + W h_{{t−1}}{plus('b')}  (rows z_i, z_f, z_g, z_o)",
                "i_t = σ(z_i),  f_t = σ(z_f),  o_t = σ(z_o),  g_t = tanh(z_g)",
                "c_t = f_t ⊙ c_{t−1} + i_t ⊙ g_t", "h_t = o_t ⊙ tanh(c_t)"]
    return [f"r_t = σ(U_r x_t{plus('b_r')} + W_r h_{{t−1}})",
            f"z_t = σ(U_z x_t{plus('b_z')} + W_z h_{{t−1}})",
            f"n_t = tanh(U_n x_t{plus('b_n')} + r_t ⊙ (W_n h_{{t−1}}{plus('b_hn')}))",
            "h_t = (1 − z_t) ⊙ n_t + z_t ⊙ h_{t−1}"]


_PARAMETERS = {"U", "W", "V", "b", "c", "b_y", "U_r", "U_z", "U_n", "W_r", "W_z", "W_n",
               "b_r", "b_z", "b_n", "b_hn"}


def _count(n, noun):
    """'1 input', '3 inputs'."""
    return f"{n} {noun}{'' if n == 1 else 's'}"


def _label(lines):
    return label(lines, _PARAMETERS, COLORS["param_edge"])


def draw_folded(model, title=None, style="notebook"):
    """The compact recurrent diagram: x_t → cell → o_t, with W as a loop on the state.

    It is the picture before unrolling; put it beside ``draw_unrolled``'s.  The
    cell shows the model's own equations: a model without biases has none.
    Positions are computed here and pinned, like ``draw_unrolled``'s.

    >>> import rnn, viz
    >>> graph = viz.draw_folded(rnn.RNN(3, 8, 2, bias=False))
    >>> "a_t = U x_t + W s_t−1" in graph.texts(), "s_t = tanh(a_t)" in graph.texts()
    (True, True)
    """
    kind = type(model).__name__
    if kind not in ("RNN", "LSTM", "GRU") or not hasattr(model, "hidden_size"):
        raise TypeError(f"viz.draw_folded: expected an rnn.RNN, rnn.LSTM or rnn.GRU model, got "
                        f"{kind}")
    check_style(style, "viz.draw_folded")
    D, H, O = model.input_size, model.hidden_size, model.output_size
    state = "s" if kind == "RNN" else "h"
    h = model.output_activation
    name = getattr(model, "output_name", "o_t")          # an LSTM's o_t is a gate: out_t
    bias = f" + {model.c.name or 'c'}" if model.c is not None else ""
    out = f"{name} = {h + '(' if h else ''}V {state}_t{bias}{')' if h else ''}"
    gates = {"RNN": 1, "LSTM": 4, "GRU": 3}[kind]
    loops = [(f"W ({gates * H}×{H}),  one-step delay: {state}_{{t−1}}", COLORS["recurrent"])]
    if kind == "LSTM":                       # the cell state: a second loop, its own colour
        loops.append(("one-step delay: c_{t−1} (cell state)", COLORS["cell_state"]))
    pieces = {"x": (["x_t", _count(D, "input")], "data"),
              "s": (_equations(model) + [_count(H, "hidden unit")], "op"),
              "o": ([out, _count(O, "output")], "cost")}
    arrows = [("x", "s", f"U ({gates * H}×{D})"), ("s", "o", f"V ({O}×{H})")]
    key = ["U: input → state,  W: state → next state,  V: state → output;",
           "the same U, W and V at every step t = 1 … T"]
    return _pinned_folded(title or f"{kind}, folded: one cell, reused at every step",
                          pieces, arrows, loops, key, Look(style))


def _pinned_folded(title, pieces, arrows, loops, key, look):
    """Lay out the folded figure: x_t, the cell and o_t in a row, the arrows' labels above
    them, the loops on the cell (above it, and below for a second state), the key under."""
    em = look.font
    size = {k: look.size(role, lines) for k, (lines, role) in pieces.items()}
    gaps = [look.size("term", [text])[0] + 1.5 * em for _, _, text in arrows]
    x = {"x": size["x"][0] / 2}
    x["s"] = x["x"] + size["x"][0] / 2 + gaps[0] + size["s"][0] / 2
    x["o"] = x["s"] + size["s"][0] / 2 + gaps[1] + size["o"][0] / 2
    loop_h = [look.size("term", [text])[1] for text, _ in loops]
    cell_top, cell_bottom = size["s"][1] / 2, -size["s"][1] / 2
    dot = Figure(engine="neato", graph_attr={"splines": "line", "overlap": "true",
                                             "outputorder": "edgesfirst", "pad": "0"},
                 node_attr={**NODE_STYLE, "fontsize": str(em)},
                 edge_attr={**EDGE_STYLE, "fontsize": str(em),
                            "arrowsize": f"{0.6 * max(1.0, em / 14):.2f}"})
    for k, (lines, role) in pieces.items():
        dot.node(k, **{**look.unit(_Piece(role, lines), size[k]), "pos": _pin((x[k], 0.0))})
    for k, (a, b, text) in enumerate(arrows):
        dot.edge(a, b, color=COLORS["param_edge"])
        mid = (x[a] + size[a][0] / 2 + x[b] - size[b][0] / 2) / 2
        _text(dot, f"arrow_{k}", text, (mid, 0.9 * em), look, "black")
    top = cell_top
    for k, (text, colour) in enumerate(loops):     # a loop: out at the right, back at the left
        up = (1 if k == 0 else -1)
        edge = cell_top if k == 0 else cell_bottom
        reach = edge + up * 1.6 * em
        ends = [(x["s"] + size["s"][0] * 0.3, edge), (x["s"] + size["s"][0] * 0.3, reach),
                (x["s"] - size["s"][0] * 0.3, reach), (x["s"] - size["s"][0] * 0.3, edge)]
        chain = [f"loop_{k}_{i}" for i in range(4)]
        for name, point in zip(chain, ends):
            dot.node(name, "", shape="point", style="invis", width="0", height="0",
                     pos=_pin(point))
        for i, (a, b) in enumerate(zip(chain, chain[1:])):
            dot.edge(a, b, color=colour, penwidth="2", dir="forward" if i == 2 else "none")
        centre = reach + up * (loop_h[k] / 2 + 0.3 * em)
        _text(dot, f"loop_{k}", text, (x["s"], centre), look, colour)
        top = max(top, centre + loop_h[k] / 2)
    bottom = min(cell_bottom, -size["x"][1] / 2, -size["o"][1] / 2)
    if len(loops) > 1:
        bottom = min(bottom, reach - loop_h[1] - 0.3 * em)
    key_size = look.size("term", key)
    key_at = (x["s"], bottom - 1.0 * em - key_size[1] / 2)
    _text(dot, "key", "\n".join(key), key_at, look, COLORS["param_edge"], math=True)
    right = x["o"] + size["o"][0] / 2
    title_size = (max(text_width(line) for line in title.split("\n")) * look.title_font,
                  len(title.split("\n")) * 1.25 * look.title_font)
    title_at = (right / 2, top + 0.8 * em + title_size[1] / 2)
    dot.node("title", label(title.split("\n"), math=False), shape="plaintext",
             fontsize=str(look.title_font), pos=_pin(title_at), margin="0")
    bounds = (min(0.0, right / 2 - title_size[0] / 2, key_at[0] - key_size[0] / 2),
              key_at[1] - key_size[1] / 2, max(right, right / 2 + title_size[0] / 2),
              title_at[1] + title_size[1] / 2)
    _corners(dot, bounds, look)
    return dot


class _Piece:
    """What ``Look.unit`` needs of a unit: a role and lines, drawn."""
    def __init__(self, role, lines):
        self.role, self.lines, self.heat, self.invisible = role, lines, None, False


def _text(dot, name, text, centre, look, colour, math=True):
    """A text of its own, pinned at ``centre`` (pt)."""
    dot.node(name, label(text.split("\n"), _PARAMETERS, COLORS["param_edge"], math=math),
             shape="plaintext", fontcolor=colour, margin="0", pos=_pin(centre))


def _pin(point):
    return f"{point[0] / INCH:.3f},{point[1] / INCH:.3f}!"


def _corners(dot, bounds, look):
    """The figure's frame: at slide style padded to 16:9, else the drawing and a margin."""
    left, bottom, right, top = bounds
    em = look.font
    if look.style == "slides":
        width, height = pad_to_ratio(right - left + em, top - bottom + em, 16 / 9)
    else:
        width, height = right - left + em, top - bottom + em
    cx, cy = (left + right) / 2, (top + bottom) / 2
    for name, (px, py) in (("corner_a", (cx - width / 2, cy - height / 2)),
                           ("corner_b", (cx + width / 2, cy + height / 2))):
        dot.node(name, "", shape="point", style="invis", width="0", height="0",
                 pos=_pin((px, py)))


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
