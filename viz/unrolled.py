"""The time-step view of an unrolled network: one box per step "t = k".

A drawing flows one way: the graph is read by time step (``viz.read``), the
steps to draw are chosen (``read.elide``), the scene says what is drawn
(``viz.scene``), the layout where (``viz.layout``), the wiring how the edges
bend (``viz.wiring``), and ``viz.emit`` writes the Graphviz figure in the
theme's colours (``viz.theme``).  :func:`figure_of` runs that pipeline; the
front doors (:func:`draw_unrolled`, the walk's frames, the explorer) call it.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from .emit import (box_title, fits, label_sizes, legend_of, measure, title_extent,
                   unit_sizes, unrolled_figure)
from .layout import place
from .metrics import text_width
from .read import as_root, choose_steps, collect, ends, fewer, gradient_norms, read
from .scene import Content, build_scene
from .theme import STYLES, HeatScale, Look
from .wiring import route

__all__ = ["draw_unrolled", "figure_of", "fitting_elision", "check_options", "check_style"]

WHO = "viz.draw_unrolled"


@dataclass
class Drawing:
    """A drawn unrolled graph: the Graphviz figure, the scene it shows, its extent."""
    figure: object
    scene: object
    extent: object


def figure_of(unrolled, elision, content, look, direction="LR", title=None, overlay=None):
    """Draw ``unrolled`` with ``elision``: a :class:`Drawing`.

    ``overlay(scene)``, if given, returns what to put on top of the look's
    attributes ({"units": {id: attrs}, "lines": {id: lines}, "links": {(src, dst):
    attrs}}): a frame of the walk."""
    look = replace(look, params=frozenset(p.name for p in unrolled.params if p.name))
    scene = build_scene(unrolled, elision, content)
    extra = overlay(scene) if overlay is not None else None
    one_line = None
    if not title:                 # None or "": the default (Graphviz refuses an empty label)
        title = describe(unrolled, elision, content)
        if look.style == "slides":
            one_line = title.replace("\n", ", ")
    room = (extra or {}).get("title_room")
    header = max(legend_of(scene, look)[1][1], title_extent(room or title.split("\n"), look)[1])
    layout = place(scene, unit_sizes(scene, look, extra), direction, look.font, header)
    titles = route(scene, layout, label_sizes(scene, look),
                   title_width=look.font * max(text_width(box_title(scene, t))
                                               for t in scene.boxes))
    extent = measure(scene, layout, titles, look, title, room, one_line)
    return Drawing(unrolled_figure(scene, layout, titles, look, extent, extra), scene, extent)


def fitting_elision(unrolled, content, look, direction="LR", elide=True, max_steps=None,
                    keep=None, check=True, title=None, drop_labels=False):
    """Draw ``unrolled`` so that it fits its style: at slide style (``check``), simplify
    before eliding (the guide's rule: a step may carry the lesson).  With
    ``drop_labels`` the numbers on the nodes and edges go first; then steps are elided,
    fewer at each end; then the per-copy terms go (the ledger's sums stay); then every
    gradient.  Returns (drawing, elision, fits); ``content`` says what was kept, and its
    notes (shown in the legend) what was left out."""
    style = STYLES[content.style]
    keep = style["keep"] if keep is None else keep
    max_steps = style["max_steps"] if max_steps is None else max_steps
    while True:
        elision = choose_steps(unrolled, elide, max_steps, keep)
        drawing = figure_of(unrolled, elision, content, look, direction, title)
        fit = not check or fits(drawing.extent, content.style)
        if fit:
            return drawing, elision, fit
        if drop_labels and content.grads and content.labels:
            content.labels = False                # the numbers on nodes and edges
            content.notes += ("gradients on nodes left out to fit a slide",)
        elif drop_labels and content.heat and content.contributions:
            content.contributions = False         # heat's lesson is every step's colour:
            content.notes += ("per-copy terms left out to fit a slide",)   # terms go first
        elif elide and fewer(keep) is not None:
            keep = fewer(keep)                    # fewer steps, same text size
            max_steps = sum(ends(keep)) + 1
        elif drop_labels and content.contributions:   # the per-copy terms
            content.contributions = False
            content.notes += ("per-copy terms left out to fit a slide",)
        elif drop_labels and content.grads:       # every gradient
            content.grads = False
            content.notes = content.notes[:-2] + ("gradients left out to fit a slide",)
        else:
            return drawing, elision, fit


def check_style(style, who=WHO):
    if style not in STYLES:
        raise ValueError(f"{who}: style must be one of {', '.join(map(repr, STYLES))}, got "
                         f"{style!r}")
    return STYLES[style]


def check_options(detail, direction, max_steps, keep, who=WHO):
    if detail not in ("ops", "cells"):
        raise ValueError(f"{who}: detail must be 'ops' (every op) or 'cells' (one box per "
                         f"step), got {detail!r}")
    if direction not in ("LR", "TB"):
        raise ValueError(f"{who}: direction must be 'LR' (time runs left to right) or 'TB' "
                         f"(top to bottom), got {direction!r}")
    if not isinstance(keep, int) or keep < 1:
        raise ValueError(f"{who}: keep must be an integer >= 1, got {keep!r}")
    if not isinstance(max_steps, int) or max_steps < 2 * keep + 1:
        raise ValueError(f"{who}: max_steps must be an integer >= 2*keep+1 = {2 * keep + 1} "
                         f"(an elided drawing keeps {keep} step(s) at each end and one box for "
                         f"the rest), got {max_steps!r}. Fix: max_steps={2 * keep + 1} or more, "
                         f"a smaller keep (keep=1 allows max_steps=3), or elide=False to draw "
                         f"every step.")


def draw_unrolled(loss, *, detail="ops", direction="LR", contributions=True, heat=False,
                  elide=True, max_steps=None, keep=None, values=False, grads=True, labels=True,
                  style="notebook", title=None):
    """Draw an unrolled network by time step.

    Every step t recorded under ``minigrad.scope("t=<t>")`` becomes a box
    "t = k", in time order.  Nodes show the math's names: what each model
    step computes (``a3 = U x3 + W s2 + b``, ``s3 = tanh(a3)``, an LSTM's
    gates ``i3 = σ(z3)`` … ``c3 = f3 ⊙ c2 + i3 ⊙ g3``), the per-step costs
    ``E3`` and the loss ``L = Σ_t E_t``; slicing and constants are folded
    away (name your own tensors with ``t.name = "h_t"``).  Each shared
    parameter is drawn once, as a row of a ledger under the boxes: after
    ``backward(contributions=True)``, each step's column holds that copy's
    term of the parameter's gradient (signed for a scalar, else its norm
    ``‖0.24‖``) and the row ends with their sum, the gradient.  The state
    passed from step to step is drawn in its own colour (an LSTM's cell
    state c in a second one), detached states (truncation boundaries) as
    dashed "cut" edges, and a legend says which colour is which.

    Parameters
    ----------
    detail : "ops" or "cells"
        Every op, or one box f_t per step (the textbook figure).
    direction : "LR" or "TB"
        Time runs left to right, or top to bottom.
    contributions : bool
        Show the ledger's per-copy terms, when recorded (else only the sums).
    heat : bool
        Colour by gradient norm on a log scale, with a legend (needs
        ``backward(retain_grads=True)``): vanishing gradients fade to pale yellow.
    elide, max_steps, keep :
        With more than ``max_steps`` steps, draw the first and last ``keep``
        steps and one "... n steps ..." box for the rest (defaults: 12 and 3
        for a notebook; at slide style, as many as fit on a slide).
    values : bool
        Show values (recorded inside ``minigrad.keep_values()``) and gradients:
        signed numbers for tensors of up to 4 elements, else a summary / norm.
    grads : bool
        Show gradients at all (off: a structural figure).
    labels : bool
        Label edges with numbers (off: only the parameters' names).
    style : "notebook" or "slides"
        ``"slides"``: a 16:9 figure whose every text stays at least 28 px high
        when projected on a 1920 x 1080 frame (numbers, then steps are left out
        to fit, and the legend says so).  ``"notebook"``: compact, for reading on a screen.

    Positions are computed here and pinned, so the graph is laid out by
    Graphviz's ``neato`` engine (set on the returned graph).

    >>> import numpy as np, rnn, viz
    >>> model = rnn.RNN(2, 3, 1, rng=0)
    >>> result = rnn.bptt(model, np.ones((20, 2)), np.zeros((20, 1)), contributions=True)
    >>> graph = viz.draw_unrolled(result.loss_tensor)
    >>> graph.source.count("subgraph cluster_t")      # 3 + 3 of the 20 steps
    6
    >>> "s20 = tanh(a20)" in graph.texts()          # what the figure says
    True
    """
    look_style = check_style(style)
    graph = collect(as_root(loss, WHO))
    unrolled = read(graph, WHO)
    user_limits = max_steps is not None or keep is not None
    check_options(detail, direction, look_style["max_steps"] if max_steps is None else max_steps,
                  look_style["keep"] if keep is None else keep)
    look = Look(style, HeatScale(gradient_norms(graph, WHO)) if heat else None)
    content = Content(detail, values, grads, heat, labels, contributions and labels, style)
    drawing, elision, fit = fitting_elision(unrolled, content, look, direction, elide,
                                            max_steps, keep, check=style == "slides"
                                            and not user_limits, title=title,
                                            drop_labels=True)
    if not fit:                           # say so, rather than shrink the text
        content.notes += (_too_wide_hint(detail, direction, elide),)
        drawing = figure_of(unrolled, elision, content, look, direction, title)
    return drawing.figure


def _too_wide_hint(detail, direction, elide):
    """The title's note on a slide figure that does not fit: what else to try."""
    tries = [option for option, used in (("detail='cells'", detail == "cells"),
                                         ("direction='LR'", direction == "LR")) if not used]
    done = "even with steps elided" if elide else "with every step drawn (elide=False)"
    if tries:
        return f"too big for a slide {done}: try {' or '.join(tries)}"
    return f"too big for a slide {done}: draw fewer steps, or style='notebook'"


def describe(unrolled, elision, content):
    """The default title: the cell and T, then the settings that matter."""
    steps = unrolled.steps
    title = f"{unrolled.cell()} unrolled over {len(steps)} step{'s' * (len(steps) != 1)}"
    if steps[0] != 1:
        title += f" (t = {steps[0]} … {steps[-1]})"
    extras = ["one box per step" if content.detail == "cells" else "every op"]
    done = any(p.grad is not None for p in unrolled.params)
    if content.heat:                  # heat shows the gradients: after backward() anyway
        extras.append("coloured by ‖grad‖")
    else:
        extras.append("after backward()" if done else "before backward()")
    return title + "\n" + ", ".join(extras)
