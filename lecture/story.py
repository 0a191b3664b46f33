"""The lecture, slide by slide: each slide runs the library and shows what it computed.

:func:`build` makes the deck.  Each ``_slide_*`` function below builds one slide (or
two) from a model it makes with the given seed: the figure comes from ``viz`` at
slide style, and every number on the slide and in its notes is computed here, when
the deck is built.  ``cell``, ``steps``, ``hidden`` and ``seed`` rebuild the main
slides (the folded network, unfolding, the sum over copies, the explorer) for a
teacher's own sizes; the worked examples, the vanishing-gradient figures and the
LSTM and GRU slides keep their sizes, chosen so that every number can be read.
"""

from __future__ import annotations

import functools
import html
import io
import re
from contextlib import redirect_stderr
from dataclasses import dataclass

import numpy as np

import minigrad as mg
import rnn
import viz

from .deck import Deck, Slide, figure_html, framed_page

__all__ = ["build", "CELLS"]

WHO = "lecture.build"
CELLS = {"RNN": rnn.RNN, "LSTM": rnn.LSTM, "GRU": rnn.GRU}
INPUTS, OUTPUTS = 2, 2          # the main model: x_t and o_t of two numbers each
STEPS = {"cells": 6, "ops": 4}  # T of the unfolding slide and of the op-level slides
MAX_STEPS, MAX_HIDDEN = 12, 32
SEEDS = 8                       # seeds of the stochastic online rules
TOO_BIG = "too big for a slide"  # what viz's title notes say when a figure overflows
LEFT_OUT = "gradients on nodes left out"   # ... and when it dropped the nodes' gradients


# ------------------------------------------------------------------ the front door

@dataclass(frozen=True)
class Sizes:
    """What the caller chose: the main cell, T of the two unrolled views, H, the seed."""
    cell: str
    cells_T: int
    ops_T: int
    hidden: int
    seed: int


def build(cell="RNN", steps=None, hidden=3, seed=0, title="Backpropagation through time"):
    """The lecture deck: 20 slides with their speaker notes, built with a fixed seed.

    Parameters
    ----------
    cell : "RNN", "LSTM" or "GRU"
        The cell of the main slides: the folded network, unfolding in time, the
        gradient as a sum over copies and the explorer.  The slides on the backward
        recursion, vanishing gradients, TBPTT, LSTM and GRU, RTRL and
        checkpointing keep their own models.
    steps : int, optional
        T of the main unrolled slides, 2 to 12 (default: 6 for the unfolding slide,
        one box per step; 4 for the op-level slide and the explorer).  A slide
        figure that cannot show every step at 28 px elides some, and says so.
    hidden : int
        Hidden units H of the main model, 1 to 32 (default 3).
    seed : int
        Seeds the weights and the data (0 or more).
    title : str
        The deck's title (the first slide and the page's title).

    Returns
    -------
    lecture.Deck

    >>> import lecture
    >>> deck = lecture.build(cell="GRU", steps=5)
    >>> [slide.name for slide in deck][:4]
    ['title', 'folded', 'unfolding', 'sum-over-copies']
    >>> deck[2].title
    'Unfolding in time: T = 5 copies of one GRU cell'
    >>> deck.save("out/gru_lecture.html")                   # doctest: +SKIP
    """
    sizes = _checked(cell, steps, hidden, seed, title)
    slides = [_slide_title(sizes, title), _slide_folded(sizes), _slide_unfolding(sizes),
              _slide_sum_over_copies(sizes), _slide_recursion(sizes)]
    slides += _slides_worked(sizes)                         # two paths, worked example, ds/dU
    slides += [_slide_explorer(sizes)]
    slides += _slides_vanishing(sizes)                      # vanishing, exploding, the flow
    slides += _slides_truncation(sizes)                     # TBPTT, its graph, the echo task
    slides += _slides_gated(sizes)                          # LSTM, GRU, LSTM over 3 steps
    slides += [_slide_online(sizes), _slide_checkpoints(sizes)]
    return Deck(slides, title=title)


def _whole(value, name, low, high, meaning, fix):
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{WHO}: {name} must be a whole number ({meaning}), got "
                        f"{type(value).__name__} {value!r}. Fix: {fix}")
    if not low <= value <= (high if high is not None else value):
        span = f"from {low} to {high}" if high is not None else f"{low} or more"
        raise ValueError(f"{WHO}: {name} must be {span} ({meaning}), got {value}. Fix: {fix}")
    return int(value)


def _checked(cell, steps, hidden, seed, title):
    if not isinstance(cell, str) or cell.upper() not in CELLS:
        raise ValueError(f"{WHO}: cell must be one of {', '.join(map(repr, CELLS))} (the "
                         f"main slides' recurrent cell), got {cell!r}. Fix: cell='LSTM'")
    if not isinstance(title, str):
        raise TypeError(f"{WHO}: title must be a str, got {type(title).__name__} {title!r}")
    if steps is not None:
        steps = _whole(steps, "steps", 2, MAX_STEPS, "T of the unrolled slides; a slide "
                       f"shows at most {MAX_STEPS} and elides what does not fit at 28 px",
                       "steps=6, or leave it out for the defaults (6 and 4)")
    hidden = _whole(hidden, "hidden", 1, MAX_HIDDEN, "hidden units of the main model",
                    "hidden=3")
    seed = _whole(seed, "seed", 0, None, "seeds the weights and the data", "seed=0")
    cells_T, ops_T = (steps, steps) if steps is not None else (STEPS["cells"], STEPS["ops"])
    return Sizes(cell.upper(), cells_T, ops_T, hidden, seed)


# ------------------------------------------------------------------ numbers and math as HTML

def num(x, digits=3):
    """A number as the figures write it: ``digits`` significant digits, a minus sign
    (not a hyphen), scientific notation only for very small or large numbers.

    >>> num(-0.012345), num(2.2e-16), num(0.0)
    ('−0.0123', '2.2e−16', '0')
    """
    x = float(x)
    if x != 0 and not 1e-3 <= abs(x) < 1e5:
        mantissa, exponent = f"{x:.{max(digits - 1, 1)}e}".split("e")
        text = f"{float(mantissa):g}e{int(exponent)}"
    else:
        text = f"{x:.{digits}g}"
    return text.replace("-", "−")


def signed(x, digits=3):
    """``num`` with a plus sign on positive numbers: terms a student adds up.

    >>> signed(1.34), signed(-0.5), signed(0.0)
    ('+1.34', '−0.5', '0')
    """
    return ("+" if x > 0 else "") + num(x, digits)


_SCRIPT = re.compile(r"([_^])(?:\{([^{}]*)\}|([A-Za-z0-9]))")


def m(text):
    """Math written with ``_`` and ``^`` as HTML: text escaped, sub- and superscripts set.

    >>> m("s_{t−1} = W^T δ_t < 1")
    's<sub>t−1</sub> = W<sup>T</sup> δ<sub>t</sub> &lt; 1'
    """
    out, at = [], 0
    for found in _SCRIPT.finditer(text):
        out.append(html.escape(text[at:found.start()]))
        tag = "sub" if found.group(1) == "_" else "sup"
        inner = found.group(2) if found.group(2) is not None else found.group(3)
        out.append(f"<{tag}>{html.escape(inner)}</{tag}>")
        at = found.end()
    out.append(html.escape(text[at:]))
    return "".join(out)


def _eq(formula, why=""):
    """An equation on its own line, with what it says in grey."""
    note = f'   <span class="why">{m(why)}</span>' if why else ""
    return f'<div class="eq">{m(formula)}{note}</div>'


def _table(head, rows, total=None, caption=""):
    """A table of numbers; cells are HTML already (made with ``m`` or ``num``)."""
    cap = f'<caption class="small muted">{caption}</caption>' if caption else ""
    lines = ["<tr>" + "".join(f"<th>{h}</th>" for h in head) + "</tr>"]
    lines += ["<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in rows]
    if total is not None:
        lines.append('<tr class="total">' + "".join(f"<td>{c}</td>" for c in total) + "</tr>")
    return f'<table class="numbers">{cap}{"".join(lines)}</table>'


def _figure_slide(name, title, figure, notes, caption=""):
    return Slide(title, figure_html(figure, name, caption), notes, name=name, layout="figure")


def _max_diff(a, b):
    return float(np.max(np.abs(np.asarray(a) - np.asarray(b)), initial=0.0))


# ------------------------------------------------------------------ models and data

def _model(sizes, kind=None):
    """The main model: the chosen cell (or ``kind``), 2 inputs, H hidden units, 2 outputs;
    no biases, as the course notes' s_t = tanh(U x_t + W s_{t−1}), o_t = V s_t."""
    return CELLS[kind or sizes.cell](INPUTS, sizes.hidden, OUTPUTS, bias=False, rng=sizes.seed)


def _data(T, seed, inputs=INPUTS, outputs=OUTPUTS):
    """T steps of inputs and targets, standard normal, seeded by ``seed``."""
    rng = np.random.default_rng(seed + 1)
    return rng.normal(size=(T, inputs)), rng.normal(size=(T, outputs))


def _every_step(loss, **options):
    """``viz.draw_unrolled`` with every step drawn, if that fits a slide at 28 px; else
    the library's own choice of steps (it elides and says so in the legend)."""
    figure = viz.draw_unrolled(loss, style="slides", elide=False, **options)
    if any(TOO_BIG in text for text in figure.texts()):
        figure = viz.draw_unrolled(loss, style="slides", **options)
    return figure


def _quiet_stderr():
    """Hold back what Graphviz prints ("Warning: cell size too small for content", once per
    table cell; the graphviz package passes it on to sys.stderr) while a figure is drawn."""
    return redirect_stderr(io.StringIO())


def _state(kind):
    return "s" if kind == "RNN" else "h"


# ------------------------------------------------------------------ 1. the title

AGENDA = ["the folded network and its equations", "unfolding in time",
          "one gradient, a sum over copies", "the backward recursion, and the notes' forward way",
          "live: the backward-pass explorer", "vanishing and exploding gradients",
          "truncated BPTT(k1, k2) and the echo task", "LSTM and GRU",
          "RTRL and the online rules", "memory and checkpointing"]


def _slide_title(sizes, title):
    items = "".join(f"<li>{html.escape(item)}</li>" for item in AGENDA)
    made = (f"Every figure and number in this deck was computed by minigrad-bptt "
            f"{html.escape(mg.__version__)} when the deck was built: main cell "
            f"{sizes.cell}, H = {sizes.hidden}, seed {sizes.seed}.")
    body = (f'<p class="lead">How a recurrent network learns from a sequence: unfold it, '
            f'add up what each copy sends back, and see where that breaks.</p>'
            f'<ol class="agenda">{items}</ol><p class="small muted made">{made}</p>')
    notes = """
    Fifty minutes, ten parts, one idea: a recurrent network is trained by unfolding it into
    a feed-forward graph with one copy of the cell per time step, and every shared weight
    collects one gradient term from every copy.

    Everything on these slides was computed by the library when the deck was built (the
    line at the bottom says with which model and seed), so any number can be reproduced in
    a notebook and checked four ways.

    Ask the room before starting: who has trained a feed-forward network with
    backpropagation? The lecture assumes the chain rule on a graph; nothing else.
    """
    return Slide(title, body, notes, name="title")


# ------------------------------------------------------------------ 2. the folded network

def _slide_folded(sizes):
    model = _model(sizes)
    s = _state(sizes.cell)
    title = f"The folded {sizes.cell}: one cell, reused at every step"
    figure = viz.draw_folded(model, style="slides", title=title)
    caption = (m(f"E_t = ‖o_t − y_t‖²,   L = Σ_t E_t,   {s}_0 = 0.   ") +
               m("The course notes write s_{t+1} = g(U x_t + W s_t): the same model, "
                 "the state's index shifted by one."))
    if sizes.cell != "RNN":
        caption = m(f"{sizes.cell}: the state is h_t; U, W, V stack the gates' weights.   ") \
            + caption
    params = ", ".join(f"{name} {p.shape[0]}×{p.shape[1]}" if p.ndim == 2 else
                       f"{name} ({p.shape[0]})" for name, p in model.named_parameters())
    notes = f"""
    Start from the picture before unrolling: one cell with a loop. The loop is W: it feeds
    the state {s}_{{t−1}} back into the cell one step later. Point at the three matrices: U
    reads the input, W reads the previous state, V makes the output. This model's parameters:
    {params}; it has no biases, as in the course notes.

    Write the equations once on the board. Say the one thing about indexing that confuses
    students later: the notes write s_{{t+1}} = g(U x_t + W s_t); that is this model with
    the state's index shifted by one, nothing more.

    Ask: a sequence of 1000 steps, how many weight matrices does the network use? (Still
    three. The rest of the lecture is what that sharing does to the gradient.)
    """
    return _figure_slide("folded", title, figure, notes, caption)


# ------------------------------------------------------------------ 3. unfolding

def _slide_unfolding(sizes):
    T = sizes.cells_T
    model = _model(sizes)
    xs, ys = _data(T, sizes.seed)
    result = rnn.bptt(model, xs, ys)
    title = f"Unfolding in time: T = {T} copies of one {sizes.cell} cell"
    figure = _every_step(result.loss_tensor, detail="cells", grads=False, title=title)
    s = _state(sizes.cell)
    caption = m(f"Copy f_t reads x_t and {s}_{{t−1}} with the same U and W; "
                f"{s}_0 = 0. An ordinary feed-forward graph: backpropagation applies to it "
                f"as it is.")
    notes = f"""
    Unroll the loop for T = {T}: one copy f_t of the cell per time step, each reading its
    input x_t and the state the copy before it passed on (the red arrows). The first copy
    reads s_0 = 0, the encyclopedia article's "zero vector".

    Point at the blue parameter names: every copy uses the same U, W and V, drawn once
    each below the strip. Nothing in the unrolled graph is recurrent any more; it is a deep
    feed-forward network whose layers share their weights.

    Ask: if this were a feed-forward network, how would you compute dL/dW? (Backpropagate
    through the graph; W is used {T} times, so its gradient has {T} parts. Next slide.)
    """
    return _figure_slide("unfolding", title, figure, notes, caption)


# ------------------------------------------------------------------ 4. the sum over copies

def _slide_sum_over_copies(sizes):
    T = sizes.ops_T
    model = _model(sizes)
    xs, ys = _data(T, sizes.seed)
    result = rnn.bptt(model, xs, ys, contributions=True, retain_grads=True)
    detail = "ops" if sizes.cell == "RNN" else "cells"      # a gated cell's ops fill a slide
    title = f"One W, {T} copies: dL/dW is a sum over the copies"
    figure = _every_step(result.loss_tensor, detail=detail, title=title)
    terms = list(result.contributions["W"].values())
    total = result.grads["W"]
    norms = [float(np.linalg.norm(term)) for term in terms]
    gap = _max_diff(sum(terms), total)
    caption = m(f"‖Σ_t term_t‖ = ‖W.grad‖ = {num(np.linalg.norm(total))}, but "
                f"Σ_t ‖term_t‖ = {num(sum(norms))}: the terms add, their norms do not.")
    s = _state(sizes.cell)
    first = ("Point at copy 1's term of dL/dW: zero. Ask: why, when copy 1 used W like the "
             f"others? (Its term multiplies the state copy 1 reads, and {s}_0 = 0.)"
             if norms[0] == 0 else
             f"Copy 1's term of dL/dW has norm {num(norms[0])}. Ask: which state does it "
             f"multiply? (The initial state, here not zero.)")
    notes = f"""
    The chain rule on the unrolled graph: W is used by every copy, so dL/dW is the sum
    over copies of what flows into W through each one. The encyclopedia article says it in
    one line: the weight changes of the copies are summed.

    Point at W's row under the boxes: one term per copy t, written as a norm because each
    term is a {total.shape[0]}×{total.shape[1]} matrix, and the total at the right end of
    the row. The norms are {', '.join(num(n) for n in norms)}; they add to {num(sum(norms))},
    not to ‖W.grad‖ = {num(np.linalg.norm(total))}, because matrices add entry by entry. The
    terms themselves add up to W.grad exactly (to {num(gap, 2)}).

    {first}
    """
    return _figure_slide("sum-over-copies", title, figure, notes, caption)


# ------------------------------------------------------------------ 5. the backward recursion

def _slide_recursion(sizes):
    T = sizes.ops_T
    model = _model(sizes, kind="RNN")
    xs, ys = _data(T, sizes.seed)
    auto = rnn.bptt(model, xs, ys, contributions=True)
    hand = rnn.manual.backward(model, xs, ys)
    rows, worst_term = [], 0.0
    for name, grad in auto.grads.items():
        per_copy = max(_max_diff(hand.per_step[name][t - 1], auto.contributions[name][f"t={t}"])
                       for t in range(1, T + 1))
        worst_term = max(worst_term, per_copy)
        rows.append([m(f"dL/d{name}"), num(np.linalg.norm(grad)),
                     num(_max_diff(hand.grads[name], grad), 2), num(per_copy, 2)])
    body = (_eq("∂L/∂o_t = 2 (o_t − y_t)", "from E_t = ‖o_t − y_t‖²") +
            _eq("∂L/∂s_t = Vᵀ ∂L/∂o_t + Wᵀ δ_{t+1}", "its own output, and step t + 1") +
            _eq("δ_t = ∂L/∂a_t = (1 − s_t²) ⊙ ∂L/∂s_t", "tanh′ = 1 − tanh², δ_{T+1} = 0") +
            _eq("copy t adds  δ_t x_tᵀ to dL/dU,  δ_t s_{t−1}ᵀ to dL/dW,  ∂L/∂o_t s_tᵀ to dL/dV") +
            _table(["", "norm", "max |by hand − autograd|", "worst per-copy term"], rows,
                   caption=f"these lines in NumPy (rnn.manual) against autograd: RNN, "
                           f"T = {T}, H = {sizes.hidden}"))
    notes = f"""
    Derive it on the board from the unrolled graph, backwards from t = T: s_t reaches the
    loss along two paths, through its own output o_t and through the next state s_{{t+1}}.
    So ∂L/∂s_t is a sum of two terms, and δ_t = ∂L/∂a_t multiplies it by tanh's slope.
    Then each copy's term of each gradient is an outer product, one line each.

    Point at the table: the four lines, written in NumPy in rnn.manual, against the
    engine's autograd on this RNN: the totals agree to the last bits, and so does every
    copy's term (worst difference {num(worst_term, 2)}), so the hand recursion and the
    engine compute the same sum term by term, not just in total.

    Ask: why is δ_{{T+1}} = 0? (There is no step T + 1: nothing flows back from the future of
    the last step.)
    """
    return Slide("The backward recursion, from t = T down to 1", body, notes, name="recursion")


# ------------------------------------------------------------------ 6-8. one hidden unit

def _slides_worked(sizes):
    """The two paths into ∂L/∂s_t, the worked example and the course notes' ds_t/dU
    forward in time, on one-unit RNNs whose every number is a scalar."""
    paths, run = _slide_two_paths(sizes)
    return [paths, _slide_worked_example(sizes), _slide_forward_in_time(sizes, *run)]


def _two_paths_figure(sizes, title):
    """The two-paths figure: an RNN of one unit without biases, values and signed
    gradients on every node.  Whether the gradients fit beside the values depends on how
    many digits the numbers take, so the first of a few fixed draws of data that fits is
    used (T = 3, else T = 2); if none does, the gradients alone (their norms)."""
    model = rnn.RNN(1, 1, 1, bias=False, rng=sizes.seed)
    for attempt in range(6):
        for T in (3, 2):
            rng = np.random.default_rng((sizes.seed, attempt))
            xs, ys = rng.normal(size=(T, 1)), rng.normal(size=(T, 1))
            with mg.keep_values():
                result = rnn.bptt(model, xs, ys, contributions=True, retain_grads=True)
            figure = viz.draw_unrolled(result.loss_tensor, values=True, style="slides",
                                       title=title(T))
            if not any(LEFT_OUT in text for text in figure.texts()):
                return figure, (model, xs, ys, result), True
    # the values crowd out the gradients, which are the lesson: draw the gradients only
    return viz.draw_unrolled(result.loss_tensor, style="slides", title=title(T)), \
        (model, xs, ys, result), False


def _slide_two_paths(sizes):
    def title(T):
        return f"Two paths into ∂L/∂s{T - 1}"       # longer titles crowd out the gradients

    figure, run, signed_on_nodes = _two_paths_figure(sizes, title)
    model, xs, ys, result = run
    states, outputs = result.run.states, result.run.outputs
    T = len(xs)
    W, V = float(model.W.data[0, 0]), float(model.V.data[0, 0])
    t = T - 1                                    # a step with both paths: not the last
    from_output = V * float(outputs[t - 1].grad[0])
    s_next = float(states[t].data[0])
    delta_next = (1 - s_next ** 2) * float(states[t].grad[0])
    from_next = W * delta_next
    drawn = float(states[t - 1].grad[0])
    on_node = (f"the figure draws {signed(drawn)} on s{t}" if signed_on_nodes else
               f"the figure draws its norm on s{t}")
    notes = f"""
    One hidden unit, so every number is a plain signed number a student can check with a
    calculator. Point at s{t}: its gradient ({signed(drawn)}) arrives along two edges. From
    its own output: V times ∂L/∂o{t}, {signed(from_output)}. From the next step: W times
    δ{t + 1}, {signed(from_next)}. They add to {signed(from_output + from_next)}, and
    {on_node}: ∂L/∂s{t} = V ∂L/∂o{t} + W δ{t + 1}. Both parts are written on the two edges
    out of s{t}.

    This is the recursion of the last slide, in numbers. The last step, t = {T}, has only
    the first path: there is no step {T + 1}.

    Ask: which of the two paths would vanish if W were small? (The one from the next
    step: it is multiplied by W at every step back.)
    """
    return _figure_slide("two-paths", title(T), figure, notes), run


def _slide_worked_example(sizes):
    """T = 2 with biases, every number signed on the figure."""
    example = rnn.RNN(1, 1, 1, rng=sizes.seed)
    xs, ys = _data(2, sizes.seed + 1, 1, 1)
    with mg.keep_values():
        worked = rnn.bptt(example, xs, ys, contributions=True, retain_grads=True)
    w_terms = [float(v[0, 0]) for v in worked.contributions["W"].values()]
    w_grad = float(worked.grads["W"][0, 0])
    title = "A worked example: T = 2, one hidden unit"
    figure = viz.draw_unrolled(worked.loss_tensor, values=True, style="slides", title=title)
    s1 = float(worked.run.states[0].data[0])
    notes = f"""
    The whole forward and backward pass of a two-step RNN with biases, one hidden unit, in
    signed numbers: values on the nodes, each copy's term of each gradient in the rows
    below, their sum at the right.

    Do one forward step with the room: s1 = tanh(U x1 + W s0 + b) = {num(s1)}. Then one
    row of the ledger: W's terms are {' and '.join(signed(v) for v in w_terms)}, and they add
    up to W.grad = {signed(w_grad)} at the right end of the row, the number an optimizer
    would use. Copy 1 sends {signed(w_terms[0])} to W because s0 = 0.

    Ask: which of these numbers would change if s0 were not zero? (Copy 1's term of
    dL/dW, which is δ1 s0.)
    """
    return _figure_slide("worked-example", title, figure, notes)


def _slide_forward_in_time(sizes, model, xs, ys, result):
    """The course notes' ds_t/dU carried forward, on the two-paths model."""
    states, outputs = result.run.states, result.run.outputs
    W, V = float(model.W.data[0, 0]), float(model.V.data[0, 0])
    sens, rows, total = 0.0, [], 0.0
    for k in range(1, len(xs) + 1):
        s_k = float(states[k - 1].data[0])
        x_k = float(xs[k - 1, 0])
        sens = (1 - s_k ** 2) * (x_k + W * sens)        # ds_k/dU = g'(a_k)(x_k + W ds_{k-1}/dU)
        dE_ds = V * 2 * (float(outputs[k - 1].data[0]) - float(ys[k - 1, 0]))
        total += dE_ds * sens
        rows.append([str(k), signed(x_k), signed(s_k), signed(sens), signed(dE_ds),
                     signed(dE_ds * sens)])
    u_grad = float(result.grads["U"][0, 0])
    body = (_eq("dE_t/dU = ∂E_t/∂o_t · ∂o_t/∂s_t · ds_t/dU", "the course notes' chain rule") +
            _eq("ds_t/dU = g′(a_t) ⊙ (∂a_t/∂U + W ds_{t−1}/dU),   ds_0/dU = 0",
                "U directly, and again through s_{t−1}") +
            _table(["t", m("x_t"), m("s_t"), m("ds_t/dU"), m("∂E_t/∂s_t"), "product"], rows,
                   total=["", "", "", "", m("Σ_t = dL/dU"), signed(total)],
                   caption=f"the two-paths RNN (one unit, T = {len(xs)}), forward in time: "
                           f"autograd's U.grad = {signed(u_grad)}, difference "
                           f"{num(abs(total - u_grad), 2)}"))
    notes = f"""
    The course notes compute the same gradient the other way round. s_t depends on U
    directly and again through s_{{t−1}}, which depends on U, so the total derivative
    ds_t/dU obeys a recursion and can be carried forward, step by step, while the sequence
    is read: "computed in an inductive manner".

    Point at the table: ds_t/dU is carried from row to row, each row uses only the row
    above, and nothing from the future is needed. The products add to
    dL/dU = {signed(total)}, the number backpropagation gave (U.grad = {signed(u_grad)}).

    Say what it costs: for a whole W this is a sensitivity of every state to every weight,
    H·H² numbers, updated at every step. That is RTRL (the slide before checkpointing).
    Ask: why does nobody train big networks this way? (O(H⁴) work per step, against O(H²)
    for BPTT.)
    """
    return Slide("The course notes' way: ds_t/dU, forward in time", body, notes,
                 name="forward-in-time")


# ------------------------------------------------------------------ 9. the explorer

def _slide_explorer(sizes):
    T = sizes.ops_T
    model = _model(sizes)
    xs, ys = _data(T, sizes.seed)
    with mg.keep_values():
        result = rnn.bptt(model, xs, ys, contributions=True)
    page = viz.explore(result.loss_tensor, present=True,
                       title=f"{sizes.cell}, T = {T}: the backward pass, node by node")
    # the whole slide below its title for the page: its graph is fitted to the height
    # (the keys are in the notes)
    frame = f'<div class="explorer-box">{framed_page(page.html, "backward-pass explorer")}</div>'

    notes = f"""
    The explorer, live, inside the deck: the same {sizes.cell} over {T} steps, and the
    walk that backward() makes through its graph, {page.steps} steps from L back to the
    first copy. Click into the page, then press the right arrow: the node being processed
    is outlined, the panel shows the chain-rule step just applied, and each shared
    parameter's bar grows by one term per copy until it equals .grad.

    Stop the first time W's bar grows and ask: which copy sent that term, and why does the
    walk reach the last copy first? (Copy {T}: backward() starts at the loss and visits a
    node only after everything that used it.) Press Esc to give the keys back to the
    slides (PageDown also moves on from inside the page).

    The same page is written by bptt explore (out/explore.html), for students to take home.
    """
    return Slide("Live: step through the backward pass", frame, notes, name="explorer")


# ------------------------------------------------------------------ 10-12. vanishing, exploding

def _slides_vanishing(sizes):
    T, H = 8, 8
    mask = np.zeros(T, bool)
    mask[-1] = True                                     # a cost at the last step only
    slides = []
    for radius, name in ((0.5, "vanishing"), (1.5, "exploding")):
        model = rnn.RNN(1, H, 1, bias=False, rng=sizes.seed)
        model.W.data *= radius / rnn.spectral_radius(model.W)
        xs = np.random.default_rng(sizes.seed + 2).normal(size=(T, 1)) * 0.1
        ys = np.zeros((T, 1))
        result = rnn.bptt(model, xs, ys, mask=mask, retain_grads=True)
        flow = rnn.gradient_flow(model, xs, ys)
        first, last = flow.state_grad_norms[0], flow.state_grad_norms[-1]
        title = (f"{name.capitalize()} gradients: spectral radius of W = {radius}, "
                 f"a cost at t = {T} only")
        figure = viz.draw_unrolled(result.loss_tensor, detail="cells", heat=True,
                                   style="slides", title=title)
        caption = m(f"‖∂E_{T}/∂s_1‖ = {num(first)} against ‖∂E_{T}/∂s_{T}‖ = {num(last)}: "
                    f"×{num(flow.decay_per_step(), 2)} per step back, "
                    f"{num(first / last, 2)} after {T - 1} steps.")
        decay, ratio = flow.decay_per_step(), first / last
        if name == "vanishing":
            notes = f"""
            One step back multiplies the gradient by diag(1 − s_k²) Wᵀ. With W's spectral
            radius {radius}, each step {_trend(decay)}: ×{num(decay, 2)} per step here. There
            is a cost at t = {T} only, so every gradient comes from E_{T}.

            Point at the colours, from t = {T} back to t = 1 (one log scale, legend at the
            left). ‖∂E_{T}/∂s_1‖ is {num(ratio, 2)} times ‖∂E_{T}/∂s_{T}‖: the copies at the
            start learn {"almost nothing" if ratio < 0.05 else "little"} from E_{T}.

            Ask: what does this mean for a task whose answer at t = {T} depends on x_1?
            (The gradient that would teach it is {num(ratio, 2)} of the one at t = {T}.)
            """
        else:
            notes = f"""
            The same network and inputs with W scaled to spectral radius {radius}: now one
            step back multiplies the gradient by about ×{num(decay, 2)}, so the gradient at
            t = 1 is {num(ratio, 2)} times the one at t = {T}: it {_trend(decay)}.

            Point at the colours: compare them with the last slide's, from t = {T} back to
            t = 1. Over a long sequence a growth per step grows without bound; the usual
            cure is clipping the gradient's norm before the update.

            Warn before a student finds it: with larger inputs and biases the states
            saturate, 1 − s² gets small, and the gradient can vanish even with a radius
            above 1 (notebook 3 shows both cases). Ask: why does tanh's slope matter here?
            (Each step back multiplies by it as well as by W.)
            """
        slides.append(_figure_slide(name, title, figure, notes, caption))

    # The README's setup, whatever the deck's sizes: 8 units and small inputs keep the
    # states out of tanh's flat ends, so a radius of 1.5 shows growth, not saturation
    T = 16
    xs = np.random.default_rng(2).normal(size=(T, 1)) * 0.1
    flows, trends = {}, []
    for radius in (0.5, 1.0, 1.5):
        model = rnn.RNN(1, 8, 1, bias=False, rng=1)
        model.W.data *= radius / rnn.spectral_radius(model.W)
        flows[f"spectral radius of W = {radius}"] = flow = rnn.gradient_flow(
            model, xs, np.zeros((T, 1)))
        trends.append(f"at {radius} it {_trend(flow.decay_per_step())} "
                      f"(×{num(flow.decay_per_step(), 2)} per step)")
    title = f"How far back the last step's error reaches, over {T} steps: three sizes of W"
    figure = viz.draw_gradient_flow(flows, style="slides", title=title)
    notes = f"""
    The same measurement for three sizes of W, over {T} steps: each line is ‖dE_T/ds_t‖,
    the part of the last step's error that reaches step t, on a log scale, read from the
    right (t = {T}) to the left. A straight line is the same factor at every step back.

    Point at each line: {'; '.join(trends)}. A line that falls is why gated cells exist; a
    line that rises is why gradients are clipped. (With large inputs the states saturate,
    1 − s² gets small, and even a radius of 1.5 can vanish: notebook 3 shows both.)

    Ask: which line would learn a dependency 15 steps long, and which would blow up on a
    sequence of 1000?
    """
    slides.append(_figure_slide("gradient-flow", title, figure, notes))
    return slides


def _trend(decay):
    """What a gradient does per step back, in words: ×0.5 shrinks, ×1.3 grows."""
    if decay < 0.9:
        return "shrinks"
    return "grows" if decay > 1.1 else "holds roughly steady"


# ------------------------------------------------------------------ 13-15. truncated BPTT

def _slides_truncation(sizes):
    k1, k2, T = 4, 8, 16
    model = rnn.RNN(1, 4, 1, rng=sizes.seed)
    wave = np.sin(np.linspace(0, 8, T + 1))[:, None]
    run = rnn.tbptt(model, wave[:-1], wave[1:], k1=k1, k2=k2,
                    optimizer=mg.optim.SGD(model.parameters(), lr=0.05))
    last = run.updates[-1]
    (b1, b2), (w1, w2) = last.block, last.window
    n = len(run.updates)
    title = (f"Truncated BPTT(k1 = {k1}, k2 = {k2}), as the tutorial defines it: "
             f"update {n} of {n}")
    # the figure is the definition: its brackets say what k1 and k2 count, its key every
    # shade; the slide gives it all its room (the three rules are in the notes)
    strip = viz.draw_truncation(run, update=-1, style="slides", title=title)
    notes = f"""
    The tutorial's two numbers: k1 is the number of forward steps between updates, k2 the
    number of steps that BPTT runs back through. Say the three rules: run forward one step
    at a time, carrying the state s_t; every k1 steps, back-propagate the losses of those
    k1 steps through the last k2 steps only (the window), and update U, W, V; the state
    entering the window is cut, so no gradient flows past it. k1 = k2 = T is full BPTT;
    k1 = k2 = k is chunked training with the state carried over.

    Then point at the strip: update {n} of this run over {T} steps. Its block is steps
    {b1}–{b2}, with their losses E_t above them (the k1 bracket); its window, the steps the
    gradient flows back through, is steps {w1}–{w2} (green, the k2 bracket), the arrows
    pointing back in time; the state entering the window, s{w1 - 1}, is a dashed cut.

    The encyclopedia article's pseudocode is another truncation: a window of k steps
    sliding by one, the error taken at its end (rnn.sliding_window_bptt). Say which one a
    paper means before comparing numbers.

    Ask: with k1 = {k1} and k2 = {k2}, how many times is each loss back-propagated? (Once:
    the blocks do not overlap; only the windows do.)
    """
    slides = [_figure_slide("truncation", title, strip, notes)]

    title = (f"The same update as a graph: steps {w1}–{w2}, starting from the cut "
             f"state s{w1 - 1}")
    graph = viz.draw_unrolled(run.last_loss_tensor, style="slides", title=title)
    notes = f"""
    The graph that update {n} back-propagates through: only the {w2 - w1 + 1} steps of its
    window were recorded, starting from the state s{w1 - 1} carried in from before, which is
    a constant here (detached). The losses of steps {b1}–{b2} are the only costs in L.

    Point at the ledger: the per-copy terms exist for the window's steps only; steps
    before {w1} contribute nothing to this update, however much they mattered.

    Ask: what is the cost of one update in time and memory? (k2 steps of the backward
    pass, every k1 steps of input: both independent of the sequence's length.)
    """
    slides.append(_figure_slide("truncation-graph", title, graph, notes))
    slides.append(_slide_echo(sizes))
    return slides


def _slide_echo(sizes):
    from rnn.online.echo import LAGS, echo_probability

    task = rnn.tasks.EchoTask()
    levels = task.levels
    short, long = LAGS
    base = float(echo_probability(0, 0))
    a, b = float(echo_probability(1, 0)) - base, float(echo_probability(0, 1)) - base
    runs = _echo_runs(sizes.seed, (2, short + 2, long + 2))
    reach = {"neither": "any k2", f"lag {short} only": f"k2 > {short}", "both": f"k2 > {long}"}
    level_rows = [[html.escape(name), num(value, 4), m(reach.get(name, ""))]
                  for name, value in levels.items()]
    run_rows = [[f"TBPTT(2, {k2})", m(f"x_{{t−{k2 - 1}}}"), num(loss, 3),
                 html.escape(_among(loss, levels))] for k2, loss in runs]
    lesson = m("A window of k2 steps takes the gradient of E_t back to x_{t−k2+1} only: it "
               "cannot teach a lag of k2 or more.")
    body = (_eq(f"x_t ∈ {{0, 1}} by coin flip,   P(y_t = 1) = {num(base)} {_plus(a)} "
                f"x_{{t−{short}}} {_plus(b)} x_{{t−{long}}}", "cross-entropy, in nats") +
            '<div class="columns">' +
            _table(["knowing", "best loss", "needs"], level_rows,
                   caption="closed-form levels (rnn.tasks.EchoTask)") +
            _table(["trained with", "reaches", "loss", "where"], run_rows,
                   caption=f"{task.updates} updates, mean of the last 50") + "</div>" +
            f'<p class="lead">{lesson}</p>')
    verdicts = [f"TBPTT(2, {k2}) ends at {num(loss, 3)}, {_among(loss, levels)}"
                for k2, loss in runs]
    notes = f"""
    A task that tests the window. The inputs are coin flips, and the target echoes the
    input {short} steps back and, more weakly, {long} steps back. Because the data are
    known, so are the best losses: {num(levels['neither'], 4)} nats knowing neither lag,
    {num(levels['lag 3 only'], 4)} knowing lag {short}, {num(levels['both'], 4)} knowing both.

    A window of k2 steps carries the gradient of E_t back to x_{{t−k2+1}} only, so it cannot
    teach a lag of k2 or more (the state may still carry it by luck). Measured when this
    deck was built: {'; '.join(verdicts)}.

    To run it live: bptt train --task echo --k1 2 --k2 2, then --k2 {short + 2} (about a
    second each). Ask first: which of the three levels will each run reach?
    """
    return Slide("What the window can learn: the echo task", body, notes, name="echo")


@functools.lru_cache(maxsize=8)
def _echo_runs(seed, windows):
    """(k2, the loss at the end) of TBPTT(2, k2) on the echo task, for each k2 in
    ``windows``: ``bptt train --task echo --k1 2 --k2 <k2> --seed <seed>``, measured.
    About a second each, so kept for the next deck built with the same seed."""
    task = rnn.tasks.EchoTask()
    runs = []
    for k2 in windows:
        model = rnn.RNN(task.input_size, task.hidden_size, task.output_size, rng=seed)
        trained = rnn.train(model, task, k1=2, k2=k2, updates=task.updates, seed=seed,
                            progress=False)
        runs.append((k2, float(np.mean(trained.losses[-50:]))))
    return tuple(runs)


def _plus(x):
    """'+ 0.5' or '− 0.25': a term of a sum, spaced."""
    return f"{'+' if x >= 0 else '−'} {num(abs(x))}"


def _among(loss, levels):
    """Where a loss sits among the echo task's levels (highest first)."""
    names = sorted(levels, key=levels.get, reverse=True)
    if loss >= levels[names[0]] - 0.01:
        return f"at '{names[0]}'"
    if loss <= levels[names[-1]] + 0.01:
        return f"at '{names[-1]}'"
    upper = max(i for i, name in enumerate(names) if loss <= levels[name])
    return f"between '{names[upper]}' and '{names[upper + 1]}'"


# ------------------------------------------------------------------ 16-18. LSTM and GRU

def _slides_gated(sizes):
    slides = []
    xs, ys = _data(3, sizes.seed)
    for kind, name in (("LSTM", "lstm-step"), ("GRU", "gru-step")):
        model = CELLS[kind](INPUTS, 3, OUTPUTS, rng=sizes.seed)
        result = rnn.bptt(model, xs[:1], ys[:1], contributions=True, retain_grads=True)
        title = f"{kind}: one step, every op"
        figure = viz.draw_unrolled(result.loss_tensor, style="slides", title=title)
        params = ", ".join(p.name or name for name, p in model.named_parameters())
        if kind == "LSTM":
            caption = m("Along the cell state, one step back multiplies ∂L/∂c_t by the forget "
                        "gate f_t: no W, no squashing slope.")
            notes = f"""
            One LSTM step with every op: the four gates, each with its own pre-activation
            (input i, forget f, candidate g, output o), the cell state c_t (purple) and the
            output h_t. Its parameters: {params}.

            Point at c1 = f1 ⊙ c0 + i1 ⊙ g1: going back along c, the gradient is multiplied
            by the forget gate f_t and nothing else. No W and no tanh slope on that path, so
            when f_t stays near 1 the gradient survives many steps.

            Ask: what should the forget gate's bias be at the start of training? (Positive,
            1 to 3, so that the gate starts open: bptt render --cell lstm --forget-bias 3.)
            """
        else:
            caption = m("h_t = (1 − z_t) ⊙ n_t + z_t ⊙ h_{t−1}: where the update gate z_t "
                        "is near 1, the state and its gradient pass through unchanged.")
            notes = f"""
            One GRU step: the reset gate r, the update gate z and the candidate n; three
            gates where the LSTM has four, and no separate cell state. Its parameters:
            {params}.

            Point at the last line, h_t = (1 − z_t) ⊙ n_t + z_t ⊙ h_{{t−1}}: the update gate
            mixes the old state and the candidate, and where z_t is near 1 the gradient
            passes back unchanged, as along the LSTM's cell state.

            Ask: which is cheaper per step, and by how much? (The GRU: three blocks of
            weights against four.)
            """
        slides.append(_figure_slide(name, title, figure, notes, caption))

    model = rnn.LSTM(INPUTS, 3, OUTPUTS, rng=sizes.seed)
    result = rnn.bptt(model, xs, ys, contributions=True, retain_grads=True)
    title = "LSTM over three steps: h and c passed along"
    figure = _every_step(result.loss_tensor, detail="cells", title=title)
    notes = """
    Three LSTM steps, one box per step: two states pass from step to step, h_t in red and
    the cell state c_t in purple, and the same U, W, V collect one term per copy, as in the
    vanilla RNN.

    Point at the purple line: it is the path along which the gradient is multiplied by
    the forget gates only. The red line goes through W and the gates' slopes, as before.

    Ask: BPTT for the LSTM, is it a different algorithm? (No: the same unrolling and the
    same sum over copies, over a bigger cell.)
    """
    slides.append(_figure_slide("lstm-cells", title, figure, notes))
    return slides


# ------------------------------------------------------------------ 19. RTRL and online rules

ONLINE = (("rtrl", "all of ds_t/dθ", "O(H⁴)"), ("uoro", "a rank-one estimate", "O(H²)"),
          ("kf-rtrl", "a Kronecker product", "O(H³)"), ("snap-1", "a sparse ds_t/dθ", "O(H²)"),
          ("rflo", "a local trace", "O(H²)"), ("tbptt-4", "the last 4 steps", "O(4 H²)"))


def _slide_online(sizes):
    T = STEPS["cells"]
    model = _model(sizes, kind="RNN")
    xs, ys = _data(T, sizes.seed)
    report = rnn.compare_gradients(model, xs, ys)
    exact = [["by hand (rnn.manual)", "manual"], ["RTRL (rnn.rtrl)", "rtrl"],
             ["finite differences", "numeric"]]
    rows = [[label, num(max(a.max_abs for a in report.errors[key].values()), 2)]
            for label, key in exact]
    jvp = rnn.rtrl.rtrl_jvp(model, xs, ys)
    rows.insert(2, ["RTRL by forward mode", num(max(_max_diff(jvp.grads[k], g)
                                                    for k, g in report.reference.items()), 2)])
    online = rnn.compare_online(model, xs, ys, rules=[rule for rule, _, _ in ONLINE],
                                seeds=range(SEEDS))
    online_rows = []
    for rule, keeps, cost in ONLINE:
        stats = online.stats(rule)
        online_rows.append([rule, m(keeps), cost, signed(stats.alignment, 3)])
    body = ('<p class="lead">BPTT is reverse mode over the unrolled graph; RTRL is forward '
            'mode over it: the same gradient, with nothing stored from the past.</p>'
            '<div class="columns">' +
            _table(["method", "max |difference|"], rows,
                   caption=f"against autograd: RNN, T = {T}, H = {sizes.hidden}") +
            _table(["rule", "keeps", "cost", "alignment"], online_rows,
                   caption=f"online rules: cosine with BPTT's gradient, {SEEDS} seeds") +
            "</div>" +
            _eq("ds_t/dθ = g′(a_t) ⊙ (∂a_t/∂θ + W ds_{t−1}/dθ)",
                "RTRL: the notes' recursion, for every weight θ"))
    rflo = online.stats("rflo").alignment
    snap = online.stats("snap-1").alignment
    notes = f"""
    RTRL is the course notes' forward recursion carried for every weight: exact, it needs
    nothing from the past, so it can learn online while the sequence streams in, but it
    keeps H·H·(number of weights) sensitivities and costs O(H⁴) per step.

    Point at the left table: four ways to the same gradient, all against autograd on this
    RNN, to rounding (finite differences to about 1e-9, as expected of them). BPTT is
    reverse mode over the unrolled graph and RTRL is forward mode over it.

    Then the right table: the cheaper online rules, and how well each one's gradient
    points the same way as the exact one (1 is perfect). Here SnAp-1 reaches {num(snap, 3)}
    and RFLO {num(rflo, 3)}: they trade bias or noise for cost. Notebook 5 and bptt compare
    --online go further. Ask: when would you pay O(H⁴)? (For a tiny network that must learn
    while it runs, without storing the past.)
    """
    return Slide("RTRL and the online rules: the gradient forward in time", body, notes,
                 name="online")


# ------------------------------------------------------------------ 20. checkpointing

def _slide_checkpoints(sizes):
    T, budget = 10, 3
    policy = rnn.checkpoint_policy(T, budget)
    title = (f"Checkpointing T = {T} steps in a memory of {budget}: {policy.cost} forward "
             f"steps instead of {T}")
    with _quiet_stderr():          # viz measures this figure with Graphviz, which complains
        figure = viz.draw_checkpoints(policy, style="slides", title=title)
    model = _model(sizes, kind="RNN")
    xs, ys = _data(T, sizes.seed)
    full = rnn.bptt(model, xs, ys)
    kept = rnn.bptt(model, xs, ys, memory=budget)
    gap = max(_max_diff(kept.grads[k], g) for k, g in full.grads.items())
    long = rnn.sqrt_policy(100)
    caption = m(f"The same gradients, bit for bit: max |checkpointed − full| = {num(gap, 2)}. "
                f"For T = 100, √T checkpoints hold {long.peak_memory()} steps and run "
                f"{long.cost} forward steps.")
    notes = f"""
    Full BPTT keeps the record of every step until the backward pass: memory grows like T.
    Checkpointing stores a few states and recomputes the steps in between when the backward
    pass needs them (Gruslys et al. 2016; Griewank's revolve is the classic).

    Read the plan row by row: grey runs forward without recording, orange keeps a state,
    green records a segment and back-propagates it. With a memory of {budget} steps this
    plan runs {policy.cost} forward steps for T = {T}, and the gradients are not close to
    full BPTT's but equal (max difference {num(gap, 2)}): the same ops on the same numbers.

    Ask: for T = 100, how much must a √T plan hold? ({long.peak_memory()} steps, for
    {long.cost} forward steps instead of 100.) Close: everything today was one idea, the
    chain rule on the unrolled graph, and what its cost in time, memory and distance does.
    Then questions, and the lab.
    """
    return _figure_slide("checkpoints", title, figure, notes, caption)
