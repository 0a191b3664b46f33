"""Diagrams drawn from a model, a training schedule or measured norms rather than
from a graph: the folded network (``draw_folded``), one truncated-BPTT update
(``draw_truncation``) and how far back the gradient reaches (``draw_gradient_flow``)."""

from __future__ import annotations

import math

import numpy as np

from .canvas import Canvas, pin
from .theme import COLORS, INCH, Look
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


def _count(n, noun):
    """'1 input', '3 inputs'."""
    return f"{n} {noun}{'' if n == 1 else 's'}"


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
    names = frozenset(p.name for p in model.parameters() if p.name)   # c: a bias or a state
    return _pinned_folded(title or f"{kind}, folded: one cell, reused at every step",
                          pieces, arrows, loops, key, Look(style), names)


def _pinned_folded(title, pieces, arrows, loops, key, look, names):
    """Lay out the folded figure: x_t, the cell and o_t in a row, the arrows' labels above
    them, the loops on the cell (above it, and below for a second state), the key under."""
    em = look.font
    canvas = Canvas(look, names)
    size = {k: look.size(role, lines) for k, (lines, role) in pieces.items()}
    gaps = [canvas.text_size([text])[0] + 1.5 * em for _, _, text in arrows]
    x = {"x": size["x"][0] / 2}
    x["s"] = x["x"] + size["x"][0] / 2 + gaps[0] + size["s"][0] / 2
    x["o"] = x["s"] + size["s"][0] / 2 + gaps[1] + size["o"][0] / 2
    for k, (lines, role) in pieces.items():
        canvas.box(k, lines, (x[k], 0.0), role, size[k])
    for k, (a, b, text) in enumerate(arrows):
        start, end = x[a] + size[a][0] / 2, x[b] - size[b][0] / 2
        canvas.line([(start, 0.0), (end, 0.0)], COLORS["param_edge"], arrow=True)
        canvas.text(f"arrow_{k}", text, ((start + end) / 2, 0.9 * em))
    cell_top, cell_bottom, half = size["s"][1] / 2, -size["s"][1] / 2, size["s"][0] * 0.3
    for k, (text, colour) in enumerate(loops):   # a loop: out at the right, back at the left
        up, edge = (1, cell_top) if k == 0 else (-1, cell_bottom)
        reach = edge + up * 1.6 * em
        canvas.line([(x["s"] + half, edge), (x["s"] + half, reach), (x["s"] - half, reach),
                     (x["s"] - half, edge)], colour, arrow=True, width=2)
        height = canvas.text_size([text])[1]
        canvas.text(f"loop_{k}", text, (x["s"], reach + up * (height / 2 + 0.3 * em)), colour)
    key_size = canvas.text_size(key)
    key_at = (x["s"], canvas.covered[1] - 1.0 * em - key_size[1] / 2)
    canvas.text("key", key, key_at, COLORS["param_edge"])
    return canvas.finish(title)


def draw_truncation(result, update=-1, T=None, title=None, style="notebook"):
    """Which steps one truncated-BPTT update reaches.

    Steps 1..T in a row.  The update's block (the k1 steps whose losses E_t
    count) carries its losses above it; its window (the k2 steps the gradient
    flows back through) is green, with the gradient's arrows pointing back in
    time; the state entering the window is a dashed cut.  Brackets under the
    row mark k1 and k2, and a key explains every shade.

    ``result`` is what ``rnn.tbptt`` or ``rnn.sliding_window_bptt`` returned
    (or one of its ``updates``); ``update`` picks one (default: the last).

    >>> import numpy as np, rnn, viz
    >>> model = rnn.RNN(1, 4, 1, rng=0)
    >>> xs = np.zeros((12, 1))
    >>> result = rnn.tbptt(model, xs, xs, k1=4, k2=6, optimizer=None)
    >>> texts = viz.draw_truncation(result, update=1).texts()
    >>> "cut" in texts, "k2 = 6 steps: the window, where the gradient flows back" in texts
    (True, True)
    """
    updates, k = _chosen_update(result, update)
    check_style(style, "viz.draw_truncation")
    strip = _UpdateStrip(updates, k, T or max(u.block[1] for u in updates), Look(style))
    strip.steps()
    strip.between_steps()
    strip.losses()
    strip.brackets()
    _truncation_key(strip.canvas, strip.depth, shown=strip.shown())
    return strip.canvas.finish(title or strip.title())


class _UpdateStrip:
    """One truncated update drawn as a row of steps (``draw_truncation``): the steps at
    y = 0, the losses above, the brackets below from ``depth`` down."""

    def __init__(self, updates, k, T, look):
        self.updates, self.k, self.T = updates, k, T
        (self.b1, self.b2), (self.w1, self.w2) = updates[k].block, updates[k].window
        self.k1 = max(u.block[1] - u.block[0] + 1 for u in updates)
        self.k2 = max(u.window[1] - u.window[0] + 1 for u in updates)
        # every step when they fit, else a little context either side of the update
        self.first, self.last = (1, T) if T <= 16 else (max(1, min(self.b1, self.w1) - 2),
                                                       min(T, self.b2 + 2))
        self.canvas, self.em, self.look = Canvas(look), look.font, look
        self.box = (max(look.size("op", [str(self.last)])[0], 1.8 * self.em),
                    look.size("op", ["0"])[1])
        self.x, cursor = {}, 0.0                  # the cut's gap is wide enough for its word
        for t in range(self.first, self.last + 1):
            if t > self.first:
                cursor += (self.canvas.text_size(["cut"])[0] + 0.8 * self.em if t == self.w1
                           else 1.1 * self.em)
            self.x[t] = cursor + self.box[0] / 2
            cursor += self.box[0]
        self.end = cursor
        self.depth = -self.box[1] / 2 - 0.8 * self.em

    def steps(self):
        """A box per step, shaded by where it is: in the window, before it, after it."""
        canvas, em = self.canvas, self.em
        for t in range(self.first, self.last + 1):
            shade = "window" if self.w1 <= t <= self.w2 else "before" if t < self.w1 else "later"
            canvas.box(f"s{t}", [str(t)], (self.x[t], 0.0), size=self.box, **_SHADES[shade])
        canvas.text("row_steps", "step t", (-0.8 * em, 0.0), anchor="e")
        if self.first > 1:
            canvas.text("before", f"… 1–{self.first - 1}" if self.first > 2 else "… 1",
                        (-0.8 * em, -1.4 * em), "#7f7f7f", anchor="e")
        if self.last < self.T:
            later = f"{self.last + 1}–{self.T} …" if self.T > self.last + 1 else f"{self.T} …"
            canvas.text("after", later, (self.end + 0.6 * em, 0.0), "#7f7f7f", anchor="w")

    def between_steps(self):
        """Between two steps: the gradient's arrow back in time, the cut, or a plain line."""
        x, half = self.x, self.box[0] / 2
        for t in range(self.first + 1, self.last + 1):
            ends = [(x[t] - half, 0.0), (x[t - 1] + half, 0.0)]
            if t == self.w1:
                self.canvas.line(ends, COLORS["cut"], dashed=True, width=1.5)
                self.canvas.text("cut", "cut", ((x[t] + x[t - 1]) / 2, 0.55 * self.em),
                                 COLORS["cut"])
            elif self.w1 < t <= self.w2:
                self.canvas.line(ends, COLORS["recurrent"], arrow=True, width=2)
            else:
                self.canvas.line(ends, "#bbbbbb")

    def losses(self):
        """The block's losses above their steps, each sending its gradient down into its
        step; a loss before the window (k2 < k1) is dashed and sends nothing back."""
        loss = self.look.size("cost", [f"E_{self.b2}"])
        high = self.box[1] / 2 + 1.6 * self.em + loss[1] / 2
        for t in range(self.b1, self.b2 + 1):
            outside = t < self.w1
            self.canvas.box(f"E{t}", [f"E_{t}"], (self.x[t], high), "cost",
                            (max(loss[0], self.box[0]), loss[1]),
                            style="dashed,filled" if outside else "filled")
            if not outside:
                self.canvas.line([(self.x[t], high - loss[1] / 2), (self.x[t], self.box[1] / 2)],
                                 COLORS["recurrent"], arrow=True, width=2)
        self.canvas.text("row_losses", "loss E_t", (-0.8 * self.em, high), anchor="e")

    def brackets(self):
        """Under the row: k2 (the window), then k1 (the block)."""
        size = self.b2 - self.b1 + 1
        part = "" if size == self.k1 else f" (the last block: {size} of k1 = {self.k1})"
        self._bracket("window", (self.w1, self.w2), COLORS["block"],
                      f"k2 = {self.k2} steps: the window, where the gradient flows back")
        self._bracket("block", (self.b1, self.b2), COLORS["loss_edge"],
                      f"k1 = {self.k1} steps: the block, whose losses count{part}")

    def _bracket(self, name, steps, colour, text):
        em, canvas, depth = self.em, self.canvas, self.depth
        left, right = self.x[steps[0]] - self.box[0] / 2, self.x[steps[1]] + self.box[0] / 2
        canvas.line([(left, depth + 0.4 * em), (left, depth), (right, depth),
                     (right, depth + 0.4 * em)], colour, width=2)
        width, height = canvas.text_size([text])
        row_end = self.x[self.last] + self.box[0] / 2
        middle = min((left + right) / 2, row_end - width / 2)     # under the row if it can
        middle = max(middle, canvas.covered[0] + width / 2)
        canvas.text(f"bracket_{name}", text, (middle, depth - 0.2 * em - height / 2), colour,
                    math=False)
        self.depth -= height + 1.2 * em

    def shown(self):
        """Which of the key's optional rows the strip needs."""
        return {"before": self.first < self.w1, "later": self.last > self.w2,
                "outside": self.b1 < self.w1, "cut": self.w1 > self.first}

    def title(self):
        return (f"TBPTT(k1 = {self.k1}, k2 = {self.k2}), update {self.k + 1} of "
                f"{len(self.updates)}:\nlosses of {_steps(self.b1, self.b2)}, gradient "
                f"through {_steps(self.w1, self.w2)}")


# The shades of a step in draw_truncation, and what each means (its key).
_SHADES = {
    "window": {"fillcolor": COLORS["window"], "penwidth": "2"},
    "before": {"fillcolor": "white", "fontcolor": "#7f7f7f"},
    "later": {"fillcolor": COLORS["elided"], "fontcolor": "#7f7f7f", "color": "#bbbbbb"},
}


def _truncation_key(canvas, top, shown):
    """The key under a truncated update: a sample of every shade and line it uses."""
    em, look = canvas.em, canvas.look
    sample = (1.6 * em, look.size("op", ["0"])[1] * 0.8)
    rows = [("box", _SHADES["window"], "in the window: run again, the gradient flows back"),
            ("arrow", COLORS["recurrent"], "the gradient, flowing back in time"),
            ("loss", "filled", "a loss of the block: it counts in this update")]
    if shown["outside"]:
        rows.append(("loss", "dashed,filled", "a loss before the window: only V and c learn "
                                              "from it"))
    if shown["cut"]:
        rows.append(("cut", COLORS["cut"], "cut: the state entering the window is a constant"))
    if shown["before"]:
        rows.append(("box", _SHADES["before"], "before the window: no gradient reaches it"))
    if shown["later"]:
        rows.append(("box", _SHADES["later"], "after this update: not run yet"))
    y = top - 0.4 * em
    left = canvas.covered[0] + sample[0] / 2
    for n, (kind, how, text) in enumerate(rows):
        y -= sample[1] / 2
        if kind == "box":
            canvas.box(f"key_{n}", [""], (left, y), size=sample, **how)
        elif kind == "loss":
            canvas.box(f"key_{n}", ["E"], (left, y), "cost", sample, style=how)
        else:
            ends = [(left + sample[0] / 2, y), (left - sample[0] / 2, y)]
            canvas.line(ends, how, arrow=kind == "arrow", dashed=kind == "cut", width=2)
        canvas.text(f"key_text_{n}", text, (left + sample[0] / 2 + 0.5 * em, y), anchor="w")
        y -= sample[1] / 2 + 0.35 * em


def _steps(first, last):
    """'step 4' or 'steps 2–5'."""
    return f"step {first}" if first == last else f"steps {first}–{last}"


def _chosen_update(result, update):
    """(the updates, the index of the one asked for), or a clear error."""
    updates = getattr(result, "updates", None)
    if updates is None:
        if not hasattr(result, "window"):
            raise TypeError(f"viz.draw_truncation: expected the result of rnn.tbptt or one of "
                            f"its updates, got {type(result).__name__}")
        return [result], 0
    if not updates:
        raise ValueError("viz.draw_truncation: the result has no updates")
    if not isinstance(update, int) or not -len(updates) <= update < len(updates):
        raise IndexError(f"viz.draw_truncation: update {update!r} does not exist; there are "
                         f"{len(updates)} (0 .. {len(updates) - 1}, or -1 for the last)")
    return updates, update % len(updates)


def draw_gradient_flow(flows, title=None, style="notebook"):
    """Vanishing and exploding gradients at a glance: ||dE_T/ds_t|| against t.

    A chart with a log scale: for each network, the norm of the gradient of
    the last step's cost with respect to the state s_t, at every step t.  A
    straight falling line is a gradient that shrinks by the same factor at
    every step back (vanishing); a rising one, exploding.  The key names each
    line and its average factor per step back.

    ``flows`` is what ``rnn.gradient_flow`` returns, or a dict mapping a line's
    name to one of those (drawn in the dict's order).  Without a name a line is
    named by the spectral radius of W (for a gated cell, whose W is not
    square: by its largest singular value).  A norm of 0, or one that
    overflowed, cannot be drawn on a log scale: the key says how many were left out.

    >>> import numpy as np, rnn, viz
    >>> model = rnn.RNN(1, 4, 1, rng=0)
    >>> flow = rnn.gradient_flow(model, np.ones((6, 1)), np.zeros((6, 1)))
    >>> figure = viz.draw_gradient_flow({"rho = 0.9": flow})
    >>> [line for line in figure.texts() if line.startswith("rho")]
    ['rho = 0.9: ×0.39 per step back']
    """
    rows = dict(flows) if isinstance(flows, dict) else {None: flows}
    for name, flow in rows.items():
        if not hasattr(flow, "state_grad_norms") or not hasattr(flow, "steps"):
            raise TypeError(f"viz.draw_gradient_flow: expected the result of "
                            f"rnn.gradient_flow (or a dict of them), got {type(flow).__name__}"
                            + (f" for line {name!r}" if name is not None else ""))
    if not rows:
        raise ValueError("viz.draw_gradient_flow: there are no lines to draw")
    check_style(style, "viz.draw_gradient_flow")
    look = Look(style)
    canvas, em = Canvas(look), look.font
    chart = _Chart(canvas, rows.values(), width=46 * em, height=19 * em)
    chart.axes()
    for k, ((name, flow), (colour, dash, marker)) in enumerate(zip(rows.items(), _LINES * 9)):
        chart.plot(k, flow, colour, dash, marker)
        name = flow.w_label if name is None else name
        factor = flow.decay_per_step() if hasattr(flow, "decay_per_step") else float("nan")
        if not math.isnan(factor):
            name += f": ×{factor:.2g} per step back"
        chart.key(k, name + _left_out(flow.state_grad_norms), colour, dash, marker)
    if title is not None:
        return canvas.finish(title)
    return canvas.finish("‖dE_T/ds_t‖: how much of the last step's error reaches step t",
                         math=True)


def _left_out(norms):
    """What a log scale cannot show, said in the key: " (not drawn: 2 norms of 0)"."""
    norms = np.asarray(norms, float)
    zero, bad = int(np.sum(norms == 0)), int(np.sum(~np.isfinite(norms)))
    parts = [f"{zero} norm{'s' * (zero > 1)} of 0"] if zero else []
    parts += [f"{bad} overflow{'s' * (bad > 1)}"] if bad else []
    return f" (not drawn: {', '.join(parts)})" if parts else ""


# Each line of the chart: its colour, its dashes and its marker, told apart without colour.
_LINES = [("#2e75b6", "solid", "ellipse"), ("#c0392b", "dashed", "box"),
          ("#1e8449", "dotted", "triangle"), ("#7d3c98", "solid", "diamond"),
          ("#b9770e", "dashed", "ellipse"), ("#555555", "dotted", "box")]


class _Chart:
    """A log-scale chart of norms against steps, drawn on a canvas: the plot area is
    ``width`` x ``height`` pt with its bottom left corner at (0, 0)."""

    def __init__(self, canvas, flows, width, height):
        self.canvas, self.em, self.width, self.height = canvas, canvas.em, width, height
        norms = np.concatenate([np.asarray(f.state_grad_norms, float) for f in flows])
        drawn = norms[np.isfinite(norms) & (norms > 0)]
        low, high = (np.log10(drawn.min()), np.log10(drawn.max())) if drawn.size else (0, 0)
        self.low, self.high = math.floor(low), max(math.ceil(high), math.floor(low) + 1)
        self.steps = sorted({int(t) for f in flows for t in f.steps})

    def x(self, t):
        first, last = self.steps[0], self.steps[-1]
        return self.width * (t - first) / (last - first) if last > first else self.width / 2

    def y(self, value):
        return self.height * (math.log10(value) - self.low) / (self.high - self.low)

    def axes(self):
        """The axes: a grid line and a label at every decade that fits, the steps."""
        self.canvas.line([(0, self.height), (0, 0), (self.width, 0)], "black", width=1.5)
        self._decades()
        self._steps()

    def _decades(self):
        canvas, em = self.canvas, self.em
        decades = range(self.low, self.high + 1)
        every = max(1, math.ceil(len(decades) * 1.6 * em / self.height))
        for d in decades[::-1][::every]:               # from the top decade down
            y = self.y(10.0 ** d)
            if d != self.low:
                canvas.line([(0, y), (self.width, y)], "#dddddd")
            canvas.text(f"ytick_{d - self.low}", f"1e{d}".replace("-", "−"), (-0.4 * em, y),
                        anchor="e", math=False)
        canvas.text("yaxis", "‖dE_T/ds_t‖, log scale", (0, self.height + 1.0 * em), anchor="w")

    def _steps(self):
        canvas, em = self.canvas, self.em
        first, last = self.steps[0], self.steps[-1]
        room = max(canvas.text_size([str(t)])[0] for t in self.steps) + 0.8 * em
        every = next(n for n in (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 10 ** 9)
                     if n >= last - first or self.x(first + n) - self.x(first) >= room)
        ticks = [t for t in self.steps if t == first or t % every == 0]
        if self.x(last) - self.x(ticks[-1]) >= room:
            ticks.append(last)                         # T, where the cost is
        ticks = [t for k, t in enumerate(ticks)        # 1 and 5 may be too close: keep 5
                 if k + 1 == len(ticks) or self.x(ticks[k + 1]) - self.x(t) >= room]
        for t in ticks:
            canvas.line([(self.x(t), 0), (self.x(t), -0.3 * em)], "black")
            canvas.text(f"xtick_{t}", str(t), (self.x(t), -0.9 * em), math=False)
        canvas.text("xaxis", f"step t  (the cost is at the last step, T = {last})",
                    (self.width / 2, -2.3 * em), math=False)

    def plot(self, k, flow, colour, dash, marker):
        """One line: the norms that a log scale can show, a marker at each."""
        points = [(self.x(int(t)), self.y(float(n))) for t, n in
                  zip(flow.steps, flow.state_grad_norms) if np.isfinite(n) and n > 0]
        if len(points) > 1:
            self.canvas.line(points, colour, dashed=dash == "dashed", dotted=dash == "dotted",
                             width=2.5)
        if len(points) <= 60:
            for j, point in enumerate(points):
                self._marker(f"mark_{k}_{j}", point, colour, marker)

    def _marker(self, name, at, colour, marker):
        size = 0.4 * self.em
        self.canvas.figure.node(name, "", shape=marker, width=f"{size / INCH:.3f}",
                                height=f"{size / INCH:.3f}", fixedsize="true",
                                fillcolor=colour, color=colour, pos=pin(at))
        self.canvas.cover(at, (size, size))

    def key(self, k, text, colour, dash, marker):
        """Line k's entry in the key under the chart."""
        em = self.em
        y = -3.8 * em - k * 1.5 * em
        self.canvas.line([(0, y), (2.4 * em, y)], colour, dashed=dash == "dashed",
                         dotted=dash == "dotted", width=2.5)
        self._marker(f"mark_key_{k}", (1.2 * em, y), colour, marker)
        self.canvas.text(f"key_{k}", text, (3.0 * em, y), anchor="w", math=False)
