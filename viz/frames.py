"""The reverse walk of ``backward()``, one picture per step, for stepping through in class.

:func:`backward_frames` writes the pictures as numbered files and
:func:`viz.backward_animation` plays them as a GIF or an MP4.  Both draw them
with :func:`walk_reel`:

* the walk is replayed (``viz.walk``: the engine's own order, nothing stored)
  and cut into frames: the seed dL/dL = 1, then one node per frame (in the
  cells view one box f_t per frame), and a run through elided steps in one;
* every frame is the same figure in other colours and numbers: each node is
  sized for the widest text it will ever show, so nodes stay where they are
  and every frame has one size;
* at slide style every frame is a 16:9 figure whose every text is at least
  28 px high on a 1920 × 1080 frame (captions 40 px): steps are elided, then
  the cells view is drawn, until it fits.

Each caption counts the frames there are ("frame 3 of 14") and says what the
step does, in the figure's names: the node visited, δ = ∂L/∂(its output), and
what it sends to each input (the chain rule of ``viz.explorer.rule``).
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from minigrad.graph import Node

from .draw import graph_figure
from .explorer.rule import Names, atom, loss_text, vjp_text
from .metrics import LINE, SLIDE, text_width
from .read import as_root, choose_steps, collect, ends, fewer, read, step_of
from .render import FORMATS, check_dot, save
from .scene import Content, build_scene, term_text, total_text
from .theme import COLORS, INCH, STYLES, Look, escape, label, legend_label, legend_rows, \
    lines_width, norm_text, number_text, pad_to_ratio
from .unrolled import check_style, figure_of
from .walk import frames, replay

__all__ = ["backward_frames", "walk_reel", "Reel", "VIDEO"]

WHO = "viz.backward_frames"
VIDEO = (1920, 1080)        # px: a frame on a projector, and every frame of an animation
CAPTION_EM = 44             # a caption line's widest, in em of the title font (1760 of 1920 pt)
_DONE_INK = "#b35400"       # the number on an edge crossed before: a darker orange


def backward_frames(loss, out_dir, format="png", max_frames=200, scopes=True, style="notebook",
                    elide=True, detail=None):
    """Write one numbered image per frame of the reverse walk over ``loss``'s graph.

    The first frame seeds dL/dL = 1 at the root.  Each next frame shows the
    graph after the walk has processed one more node, exactly in the engine's
    order: that node is outlined in red, every node that has received some
    gradient shows it ("so far" while more may still come), the edges the
    gradient has crossed are coloured, and the caption says what the node
    sends to each input.  All frames of one call have the same size and the
    nodes stay where they are, so a class can flip through them; file k is
    "frame k of N" in its caption.

    An unrolled graph is drawn as :func:`viz.draw_unrolled` draws it at that
    ``style``, eliding the middle steps the same way (``elide=False`` keeps
    them all), and the walk through the elided steps is one frame.  At
    ``style="slides"`` every frame is 16:9 with every text at least 28 px high
    on a 1920 × 1080 frame (a PNG is exactly 1920 × 1080 px): steps are elided
    until it fits, and with ``detail=None`` the cells view (one box f_t per
    step, one frame per box) is drawn when every op does not fit.  ``detail``
    is ``"ops"`` or ``"cells"`` to choose.

    The walk is computed afresh: no ``.grad`` changes.  Returns the list of files.

    >>> import tempfile, minigrad as mg, viz
    >>> w = mg.tensor([1.0, 2.0], requires_grad=True, name="w")
    >>> with tempfile.TemporaryDirectory() as folder:     # the seed, then sum and mul
    ...     files = viz.backward_frames((w * w).sum(), folder)
    ...     print([f.name for f in files], all(f.stat().st_size > 0 for f in files))
    ['frame_001.png', 'frame_002.png', 'frame_003.png'] True
    >>> w.grad is None                  # the leaves' .grad are left as they were
    True
    """
    if format not in FORMATS:
        raise ValueError(f"{WHO}: unknown format {format!r}; use one of {', '.join(FORMATS)}")
    reel = walk_reel(loss, WHO, style, detail, elide, scopes, bounded=style == "slides",
                     max_frames=max_frames)
    out = Path(out_dir)
    paths = []
    for k in range(len(reel)):
        path = out / f"frame_{k + 1:03d}.{format}"
        if format == "png" and style == "slides":        # exactly 1920 x 1080 px
            out.mkdir(parents=True, exist_ok=True)
            path.write_bytes(reel.png(k, VIDEO))
        else:
            save(reel.figures[k], path)
        paths.append(path)
    return paths


# ------------------------------------------------------------------ the reel

@dataclass
class Reel:
    """The frames of one walk, drawn: one Graphviz figure per frame, all of one size
    (``size``, in pt), with the caption each shows."""
    figures: list
    captions: list
    size: tuple
    style: str
    detail: str | None          # "ops" or "cells" (an unrolled graph), None (drawn by dot)

    def __len__(self):
        return len(self.figures)

    def png(self, k, box=None):
        """Frame k as PNG bytes: at its own size (96 dpi), or scaled to fit ``box``
        (width, height) px and centred on a white frame of exactly that size."""
        if box is None:
            return self.figures[k].pipe(format="png")
        png = self._scaled_png(k, box)
        if png_size(png) == tuple(box):
            return png
        out = io.BytesIO()
        self.image(k, box, png).save(out, format="png")
        return out.getvalue()

    def image(self, k, box, png=None):
        """Frame k as a Pillow RGB image of exactly ``box`` px (see :meth:`png`)."""
        Image = _pillow()
        image = Image.open(io.BytesIO(png or self._scaled_png(k, box))).convert("RGB")
        if image.size == tuple(box):
            return image
        if image.width > box[0] or image.height > box[1]:   # Graphviz rounded a pixel up
            image.thumbnail(box)
        frame = Image.new("RGB", tuple(box), "white")
        frame.paste(image, ((box[0] - image.width) // 2, (box[1] - image.height) // 2))
        return frame

    def _scaled_png(self, k, box):
        scale = min(box[0] / self.size[0], box[1] / self.size[1])        # px per pt
        figure = self.figures[k].copy()
        figure.graph_attr["dpi"] = f"{INCH * scale:.6f}"
        return figure.pipe(format="png")


def png_size(png):
    """(width, height) in px, read from a PNG's header (its IHDR chunk)."""
    return int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")


def _pillow():
    try:
        from PIL import Image
    except ImportError:
        raise ImportError("viz: a frame of exactly 1920 x 1080 px needs Pillow: pip install "
                          "'minigrad-bptt[plot]' (or pip install Pillow)") from None
    return Image


def walk_reel(loss, who, style="slides", detail=None, elide=True, scopes=True, bounded=True,
              max_frames=None):
    """Draw the frames of the reverse walk over ``loss``'s graph: a :class:`Reel`.

    ``bounded``: every frame must fit a 1920 × 1080 frame with its text at least
    its style's size (at slide style 28 pt = 28 px); steps are elided, then (with
    ``detail=None``) the cells view is tried, and a ValueError says what to change
    when nothing fits."""
    root = as_root(loss, who)
    check_style(style, who)
    if detail not in (None, "ops", "cells"):
        raise ValueError(f"{who}: detail must be None (every op if it fits, else one box per "
                         f"step), 'ops' or 'cells', got {detail!r}")
    check_dot(who)
    graph = collect(root)
    walk = replay(root, graph)
    if any(step_of(n.scope) is not None for n in graph.nodes):
        return _unrolled_reel(read(graph, who), walk, who, style, detail, elide, bounded,
                              max_frames)
    return _plain_reel(graph, walk, who, style, scopes, bounded, max_frames)


def _fits(size):
    """Whether a figure of ``size`` pt fits a 1920 × 1080 frame at 1 px per pt or more."""
    return SLIDE.scale(*size) >= 1 - 1e-9


def _check_count(shots, max_frames, who):
    if max_frames is not None and len(shots) > max_frames:
        raise ValueError(f"{who}: the walk takes {len(shots)} frames, more than "
                         f"max_frames={max_frames}; draw a smaller graph (fewer time steps), "
                         f"leave elide=True, or raise max_frames")


def _unrolled_reel(unrolled, walk, who, style, detail, elide, bounded, max_frames):
    """The frames of an unrolled graph: the first elision and view that fit."""
    look = Look(style, walk=True)
    tried = []
    for view in (detail,) if detail else ("ops", "cells"):
        keep, max_steps, shown = STYLES[style]["keep"], STYLES[style]["max_steps"], None
        while True:
            elision = choose_steps(unrolled, elide, max_steps, keep)
            # simplify before eliding: the ledger's per-copy terms and sums go before a step
            # does (the parameters then show their gradient themselves), then the numbers
            # on the edges (the nodes still show their gradients)
            for terms, numbers in ((True, True), (False, True), (False, False)) \
                    if elision.shown != shown else ():
                content = Content(view, grads=terms, labels=False, contributions=terms,
                                  style=style)
                plan = _Plan(unrolled, walk, elision, content, numbers)
                first = figure_of(unrolled, elision, content, look, "LR", plan.captions[0],
                                  plan.overlay(0))
                size = first.extent.size
                if not bounded or _fits(size):
                    _check_count(plan.shots, max_frames, who)
                    figures = [first.figure] + [
                        figure_of(unrolled, elision, content, look, "LR", plan.captions[k],
                                  plan.overlay(k)).figure for k in range(1, len(plan.shots))]
                    return Reel(figures, plan.captions, size, style, view)
                tried.append(f"{view}, {len(elision.boxes())} boxes"
                             f"{'' if terms else ', no terms'}{'' if numbers else ', no numbers'}"
                             f": {size[0]:.0f} x {size[1]:.0f} pt")
            shown = elision.shown
            if not elide or fewer(keep) is None:
                break
            keep = fewer(keep)
            max_steps = sum(ends(keep)) + 1
    floor = f"{STYLES[style]['font']} px"
    raise ValueError(
        f"{who}: the walk's frames do not fit a 1920 x 1080 frame with text of at least "
        f"{floor} ({'; '.join(tried)}, the frame at most 1920 x 1080 pt). Fix: "
        + ("leave elide=True, " if not elide else "")
        + ("leave detail=None or use detail='cells', " if detail == "ops" else "")
        + ("use style='notebook' (smaller text), " if style == "slides" else "")
        + "or draw fewer time steps")


class _Plan:
    """What each frame of an unrolled graph's walk shows: the scene's units and links,
    the frames, their captions, and every unit's text in every frame."""

    def __init__(self, unrolled, walk, elision, content, numbers=True):
        self.unrolled, self.walk, self.elision = unrolled, walk, elision
        self.numbered = numbers
        graph = self.graph = unrolled.graph
        self.look = Look(content.style, walk=True)
        scene = self.scene = build_scene(unrolled, elision, content)
        unit_of = (lambda n: scene.unit_of_node.get(id(n))) if content.detail == "cells" \
            else None
        self.shots = frames(walk, graph, elision.elided, unrolled.where, unrolled.fold, unit_of)
        self.consumers = _consumers(graph)
        self._what_units_show()
        self._carriers()
        self.captions = _captions(self.shots, walk, graph, unrolled, scene if unit_of else None)
        self.room = _room(self.captions)
        texts = [self.texts(shot) for shot in self.shots]
        self.widest = {uid: max((t[uid] for t in texts), key=lines_width) for uid in texts[0]}
        self.texts_of = texts

    def _what_units_show(self):
        """{unit: the node or leaf whose gradient it shows}, the ledger's totals and terms."""
        scene, u, elided = self.scene, self.unrolled, self.elision.elided
        visible = {uid for uid, unit in scene.units.items() if not unit.invisible}
        by_id = {id(x): x for x in self.graph.nodes + self.graph.leaves}
        self.shows = {}
        for x in self.graph.nodes:
            uid = scene.unit_of(x)
            if uid in visible and uid.kind in ("op", "cost") and scene.drawn_as_itself(x) \
                    and u.where(x) not in elided:
                self.shows[uid] = x
        for node_id, port in scene.ports.items():
            if port in visible and u.where(by_id[node_id]) not in elided:
                self.shows[port] = by_id[node_id]
        self.totals, self.terms = {}, {}
        for head, terms, total in scene.ledger:
            p = next(x for x in self.graph.leaves if scene.unit_of_node.get(id(x)) == head)
            if total is None:
                self.shows[head] = p                    # no sum cell: the head shows it
            else:
                self.totals[total] = p
            for term in terms:
                self.terms[term] = (p, term.key[1])

    def _carriers(self):
        """{(src, dst) of a drawn link: the graph's edges whose gradient crosses it}, the
        links whose numbers the frames show, and their numbers."""
        scene, sent = self.scene, self.walk.sent
        self.carriers = {}
        for e in self.graph.edges:
            if id(e) in sent:
                for link in scene.links_of(e):
                    self.carriers.setdefault((link.src, link.dst), []).append(e)
        # in the cells view, f_t -> s_t: s_t's gradient goes back into the box f_t
        node_of_port = {port: n for n in self.graph.nodes
                        for port in [scene.ports.get(id(n))] if port is not None}
        self.port_links = {(link.src, link.dst): node_of_port[link.dst] for link in scene.links
                           if link.dst.kind == "port" and link.dst in node_of_port}
        self.numbers = self._state_parts() if self.numbered and not any(
            uid.kind == "cell" for uid in scene.units) else {}   # cells: the ports show them

    def _state_parts(self):
        """{(src, dst): the number on a link leaving a state}: the parts of the state's
        gradient, s_t's from o_t and from a_{t+1}."""
        scene, sent, numbers = self.scene, self.walk.sent, {}
        leaving = {}
        for src, dst in self.carriers:
            leaving[src] = leaving.get(src, 0) + 1
        for link in scene.links:
            key = (link.src, link.dst)
            unit = scene.units.get(link.src)
            if key in self.carriers and unit is not None and \
                    unit.role in ("state", "cell_state") and not link.invisible and \
                    not link.cut and link.label is None and \
                    (link.kind == "state" or leaving[link.src] > 1):
                numbers[key] = total_text(sum(sent[id(e)] for e in self.carriers[key]))
        return numbers

    def texts(self, shot):
        """{unit: its lines in the frame ``shot``}."""
        got = self.walk.received(self.graph, shot.done)
        out = {}
        for uid, x in self.shows.items():
            out[uid] = self.scene.units[uid].lines + [
                grad_line(got.get(id(x)), self._complete(x, shot.done))]
        for uid, p in self.totals.items():
            g = got.get(id(p))
            out[uid] = ["\u00a0" if g is None else "= " + total_text(g) +
                        ("" if self._complete(p, shot.done) else " so far")]
        terms = self._terms(shot.done)
        for uid, key in self.terms.items():
            out[uid] = [term_text(terms[key]) if key in terms else "\u00a0"]
        return out

    def _complete(self, x, done):
        return x is self.graph.root or all(id(c) in done for c in self.consumers.get(id(x), ()))

    def _terms(self, done):
        """{(parameter, column): the sum of its terms sent so far from that column's copies}."""
        u, box_of = self.unrolled, self.elision.box_of
        terms = {}
        for e in self.graph.edges:
            if id(e) in self.walk.sent and id(e.dst) in done and type(e.src) is not Node \
                    and e.src.requires_grad:
                t = u.where(e.dst)
                key = (e.src, None if t is None else box_of(t))
                terms[key] = terms.get(key, 0) + self.walk.sent[id(e)]
        return terms

    def overlay(self, k):
        """The overlay (see :func:`viz.unrolled.figure_of`) of frame k."""
        shot, plan = self.shots[k], self
        now = {id(n) for n in shot.nodes}
        widths = ("4", "2.5") if self.look.style == "slides" else ("3", "2")

        def state(ids):                        # the gradient crossed now, before, not yet
            return "now" if ids & now else "done" if ids & shot.done else "waiting"

        def overlay(scene):
            for link in scene.links:                     # the numbers: placed by the wiring
                if (link.src, link.dst) in plan.numbers:
                    link.label = plan.numbers[link.src, link.dst]
            units = {}
            current = scene.unit_of(shot.current) if shot.current is not None else None
            if current is not None:
                units[current] = {"color": COLORS["walk_now"], "penwidth": widths[0]}
            links = {}
            for key, edges in plan.carriers.items():
                links[key] = _link_look(state({id(e.dst) for e in edges}), widths[1],
                                        key in plan.numbers)
            for key, node in plan.port_links.items():
                links[key] = _link_look(state({id(node)}), widths[1], False)
            return {"units": units, "lines": plan.texts_of[k], "size_lines": plan.widest,
                    "links": links, "title_room": plan.room}
        return overlay


def _link_look(state, width, numbered):
    """A link's colours in a frame: red (the gradient crossed it now), orange (before),
    grey (not yet); its number, if it has one, only once it has been crossed."""
    if state == "waiting":
        attrs = {"color": COLORS["walk_waiting"]}
    else:
        attrs = {"color": COLORS["walk_now" if state == "now" else "walk_done"],
                 "penwidth": width}
    if numbered:
        attrs["fontcolor"] = {"now": COLORS["walk_now"], "done": _DONE_INK}.get(state,
                                                                                "transparent")
    return attrs


def _consumers(graph):
    out = {}
    for e in graph.edges:
        out.setdefault(id(e.src), []).append(e.dst)
    return out


def grad_line(g, complete=True):
    """A node's gradient in a frame: signed if it is a number (``grad −0.671``), else its
    norm (``‖grad‖ 0.671``); ``so far`` while more is still to come; ``–`` for none yet.

    >>> import numpy as np
    >>> grad_line(np.array(-0.6712)), grad_line(np.array([3.0, 4.0]), complete=False)
    ('grad −0.671', '‖grad‖ 5 so far')
    >>> grad_line(None)
    '‖grad‖ –'
    """
    if g is None:
        return "‖grad‖ –"
    g = np.asarray(g)
    text = f"grad {number_text(float(g.ravel()[0]))}" if g.size == 1 else \
        f"‖grad‖ {norm_text(g)}"
    return text + ("" if complete else " so far")


# ------------------------------------------------------------------ captions

def _captions(shots, walk, graph, unrolled, cells_scene=None, width=CAPTION_EM):
    """Each frame's caption: "frame k of N", the walk's step and the node, then what the
    node sends to each input (δ = ∂L/∂ its output), wrapped to lines of at most
    ``CAPTION_EM`` em and padded to one number of lines, so that it keeps its place."""
    names = Names(graph, unrolled)
    into = {}
    for e in graph.edges:
        into.setdefault(id(e.dst), []).append(e)
    total, steps, out = len(shots), len(walk.order), []
    hidden = sorted({unrolled.where(n) for s in shots for n in s.nodes
                     if s.current is None}) if unrolled is not None else []
    for k, shot in enumerate(shots, start=1):
        head = f"frame {k} of {total} · "
        if not shot.steps:
            root = "L" if unrolled is not None and unrolled.fold else names.of(graph.root)
            lines = [head + f"the seed: dL/dL = 1 at {root}",
                     "no gradient has been sent yet"]
        elif shot.current is None:
            a, b = shot.steps
            lines = [head + f"steps {a}–{b} of {steps}: the elided copies "
                     f"t = {hidden[0]} … {hidden[-1]}",
                     "the walk crosses them in one frame; the grey box stands for them"]
        else:
            a, b = shot.steps
            where = f"step {a} of {steps}" if a == b else f"steps {a}–{b} of {steps}"
            node = shot.current
            unit = cells_scene.unit_of(node) if cells_scene is not None else None
            if unit is not None and unit.kind == "cell":
                lines = [head + f"{where}: the box f{unit.key} (the cell at t = {unit.key})",
                         _cell_sends(shot, into, walk, names)]
            else:
                lines = [head + f"{where}: {names.heading(node)}",
                         _sends(shot, into, walk, names, graph, unrolled)]
        out.append([piece for line in lines for piece in _wrap(line, width)])
    height = max(len(c) for c in out)
    return ["\n".join(c + [""] * (height - len(c))) for c in out]


def _sends(shot, into, walk, names, graph, unrolled):
    """What the node of ``shot`` sends to its inputs, in the figure's names."""
    node = shot.current
    parts = {}
    if node is graph.root and len(shot.nodes) > 1:       # L = Σ_t E_t: the stack folded in
        for n in shot.nodes[1:]:
            for e in into.get(id(n), ()):
                if id(e) in walk.sent:
                    parts.setdefault(loss_text(unrolled.reduction), []).append(names.of(e.src))
    else:
        for e in into.get(id(node), ()):
            if id(e) in walk.sent:
                parts.setdefault(vjp_text(node, e.index, names)[0], []).append(names.of(e.src))
    delta = "δ = dL/dL = 1" if node is graph.root else f"δ = ∂L/∂{atom(names.of(node))}"
    said = "; ".join(f"{text} to {_targets(whom)}" for text, whom in parts.items())
    return f"with {delta}, it sends {said}" if said else f"with {delta}: no input needs it"


def _cell_sends(shot, into, walk, names):
    """Where the gradient leaves a box f_t: the states it came from, the parameters."""
    inside = {id(n) for n in shot.nodes}
    states, params = [], []
    for n in shot.nodes:
        for e in into.get(id(n), ()):
            if id(e) in walk.sent and id(e.src) not in inside:
                whom = params if type(e.src) is not Node else states
                name = names.of(e.src)
                if name not in whom:
                    whom.append(name)
    said = []
    if states:
        said.append(f"sends ∂L/∂ to {', '.join(states)}")
    if params:
        said.append(f"adds its terms to {', '.join(params)}")
    return " and ".join(said) or "sends nothing on"


def _targets(whom):
    """``a, b`` (each name once, "(twice)" for an input used twice); a long list as its
    first two and its last: ``E1, E2, …, E20``."""
    counts = {}
    for w in whom:
        counts[w] = counts.get(w, 0) + 1
    names = [w + {1: "", 2: " (twice)"}.get(c, f" ({c} times)") for w, c in counts.items()]
    return ", ".join(names if len(names) <= 4 else names[:2] + ["…", names[-1]])


def _wrap(line, width=CAPTION_EM):
    """``line`` broken into lines of at most ``width`` em, at "; " or else at spaces."""
    if text_width(line) <= width:
        return [line]
    out, current = [], ""
    for sep in ("; ", " "):
        pieces = line.split(sep)
        if len(pieces) > 1 and all(text_width(p) <= width for p in pieces):
            for piece in pieces:
                trial = current + sep + piece if current else piece
                if text_width(trial + sep.strip()) <= width:
                    current = trial
                else:
                    out.append(current + sep.strip())
                    current = piece
            return out + [current]
    return [line]


def _room(captions):
    """The place the captions need: as many lines as the longest, as wide as the widest."""
    lines = [line for c in captions for line in c.split("\n")]
    widest = max(lines, key=text_width)
    return [widest] * max(c.count("\n") + 1 for c in captions)


# ------------------------------------------------------------------ a graph without steps

def _plain_reel(graph, walk, who, style, scopes, bounded, max_frames):
    """The frames of a graph without time steps, laid out by dot: every label in cells
    of fixed size, so that dot lays out every frame alike."""
    look = Look(style, walk=True)
    content = Content(grads=False, contributions=False, style=style)
    shots = frames(walk, graph)
    _check_count(shots, max_frames, who)
    captions = _captions(shots, walk, graph, None, width=30)   # narrower than the slide:
    consumers = _consumers(graph)
    receiving = {id(graph.root)} | {id(e.src) for e in graph.edges if id(e) in walk.sent}

    def lines_of(x, done):
        text = content.op_lines(x) if type(x) is Node else content.leaf_lines(x, graph)
        if id(x) not in receiving:
            return text
        got = walk.received(graph, done).get(id(x))
        complete = x is graph.root or all(id(c) in done for c in consumers.get(id(x), ()))
        return text + [grad_line(got, complete)]

    every = graph.nodes + graph.leaves
    texts = [{id(x): lines_of(x, shot.done) for x in every} for shot in shots]
    widest = {key: max(text_width(t[key][-1]) for t in texts) for key in texts[0]}
    numbers = {id(e): total_text(walk.sent[id(e)]) for e in graph.edges if id(e) in walk.sent}
    room = _room(captions)
    width_em = max(text_width(line) for line in room)
    widths = ("4", "2.5") if style == "slides" else ("3", "2")
    figures = []
    for k, shot in enumerate(shots):
        now = {id(n) for n in shot.nodes}

        def node_extra(x, k=k, shot=shot):
            lines = texts[k][id(x)]
            rows = "".join(f"<TR><TD>{escape(t)}</TD></TR>" for t in lines[:-1])
            rows += _cell_row(lines[-1], widest[id(x)], look.font)   # its widest, every frame
            attrs = {"label": f"<{_table(rows)}>"}
            if x is shot.current:
                attrs.update(color=COLORS["walk_now"], penwidth=widths[0])
            return attrs

        def edge_extra(e, shot=shot, now=now):
            if id(e) not in numbers:
                return {"color": COLORS["walk_waiting"]}
            crossed = "now" if id(e.dst) in now else "done" if id(e.dst) in shot.done \
                else "waiting"
            return {**_link_look(crossed, widths[1], True),
                    "label": label([numbers[id(e)]], math=False)}

        caption = "".join(_cell_row(line, width_em, look.title_font)
                          for line in captions[k].split("\n"))
        figure = graph_figure(graph, content, look, scopes, False, None, node_extra,
                              edge_extra, title_label=f"<{_table(caption)}>")
        figure.node("legend", legend_label(look, legend_rows(look, edge_numbers=True)),
                    shape="plaintext", style="", margin="0")      # what the colours mean
        figures.append(figure)
    size = _frame_plain(figures, style, _ranks(graph))
    if bounded and not _fits(size):
        raise ValueError(f"{who}: the walk's frames are {size[0]:.0f} x {size[1]:.0f} pt, "
                         f"more than a 1920 x 1080 frame holds with text of at least "
                         f"{look.font} px. Fix: draw a smaller graph"
                         + (", or use style='notebook' (smaller text)" if style == "slides"
                            else ""))
    return Reel(figures, captions, size, style, None)


def _frame_plain(figures, style, ranks):
    """Every frame's size in pt (dot lays them out alike: the first is measured); at slide
    style each is padded to exactly 16:9, with a margin of half an em, its ``ranks`` rows
    spread so that the drawing fills the frame."""
    figures[0].graph_attr["pad"] = "0"
    head = figures[0].pipe(format="svg")[:3000].decode("utf-8", "replace")
    view = head.split('viewBox="', 1)[1].split('"', 1)[0].split()
    width, height = float(view[2]), float(view[3])
    if style != "slides":
        pad = 4.0                                   # Graphviz's own default, in pt
        for figure in figures:
            figure.graph_attr["pad"] = f"{pad / INCH:.4f}"
        return width + 2 * pad, height + 2 * pad
    em = STYLES[style]["font"]
    wanted = 0.9 * width * 9 / 16
    if height < wanted - 1 and ranks > 1:     # a short drawing under a wide caption: the
        sep = float(figures[0].graph_attr.get("ranksep", "0.3"))      # ranks spread apart
        sep += (wanted - height) / (ranks - 1) / INCH
        for figure in figures:
            figure.graph_attr["ranksep"] = f"{sep:.3f}"
        return _frame_plain(figures, style, 1)
    frame_w, frame_h = pad_to_ratio(width + em, height + em, 16 / 9)
    for figure in figures:
        figure.graph_attr["pad"] = (f"{(frame_w - width) / 2 / INCH:.5f},"
                                    f"{(frame_h - height) / 2 / INCH:.5f}")
    return frame_w, frame_h


def _ranks(graph):
    """The rows dot draws the graph in: its longest path, plus one."""
    depth = {}
    for node in sorted(graph.nodes, key=lambda n: n.seq):
        depth[id(node)] = 1 + max((depth.get(id(x), 0) for x in node.inputs), default=0)
    return 1 + max(depth.values(), default=0)


def _table(rows):
    """An HTML-like label's table around ``rows`` (Graphviz's ``<TABLE>``), no borders."""
    return f'<TABLE BORDER="0" CELLSPACING="0" CELLPADDING="0">{rows}</TABLE>'


def _cell_row(text, width_em, font):
    """A table row whose one cell is ``width_em`` wide at ``font`` points, whatever
    ``text``'s own length: it keeps its size from frame to frame."""
    width, height = round(width_em * font * 1.05) + 2, round(font * LINE) + 4
    return (f'<TR><TD WIDTH="{width}" HEIGHT="{height}" FIXEDSIZE="TRUE">'
            f'{escape(text)}</TD></TR>')
