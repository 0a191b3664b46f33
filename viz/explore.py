"""An interactive page that steps through the reverse walk of ``backward()``.

``explore(loss)`` draws the graph (an unrolled network as :func:`viz.draw_unrolled`
does, any other expression as :func:`viz.draw` does), replays the engine's walk
and writes one self-contained HTML file: the Graphviz SVGs (every node, edge and
step box with a stable id), the walk and its numbers as embedded JSON, and a
short script and stylesheet of our own (``viz/explorer/explore.js`` and
``explore.css``, inlined when the page is made).  Nothing is fetched: the file
works offline, opened by double click.

The page calls the gradient arriving at the node being processed δ, for
∂L/∂(that node's output): not g, which is one of the LSTM's gates.  At a_t it is
the course notes' δ_t = ∂L/∂a_t.  ``viz/explorer/rule.py`` writes the chain-rule
panel's texts in the figure's names.
"""

from __future__ import annotations

import html
import itertools
import json
import re
import tempfile
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Callable

import numpy as np

from minigrad.graph import Node

from .browser import chromium
from .draw import graph_figure
from .explorer.rule import Names, loss_text, vjp_text
from .read import as_root, choose_steps, collect, read, recorded_value, step_of
from .render import check_dot
from .scene import Content
from .theme import HeatScale, Look, norm, number_text, shape_text
from .unrolled import check_options, figure_of
from .walk import replay, time_order

__all__ = ["explore", "Explorer"]

WHO = "viz.explore"
LIMIT = 16            # tensors of at most this many elements show their numbers
DIGITS = 6            # significant digits of the printed numbers
ORDERS = ("time", "engine")
PRESENT_BOXES = 12    # presenter mode gets a slide-size drawing when at most this many steps show
# A leaf changed twice since the forward pass (an optimizer's steps): its values now are
# not the ones the gradients were computed at, and those are no longer kept.
STALE = ("  (its values now: it changed after the forward pass, which read other values; "
         "the gradients shown are at those)")


# ------------------------------------------------------------------ the page's object

class Explorer:
    """The page made by :func:`explore`: shows itself in Jupyter, ``.save(path)`` writes
    it.  ``.html`` is the page, ``len(page)`` its length (``len(page.html)``), and
    ``.steps`` the number of steps of its walk."""

    def __init__(self, page, steps=0):
        self.html = page
        self.steps = steps          # steps of the walk the page steps through

    def save(self, path):
        """Write the page (one self-contained .html file); returns the path."""
        if not isinstance(path, (str, Path)):
            raise TypeError(f"Explorer.save: path must be a file name ending in .html (a str "
                            f"or pathlib.Path), got {type(path).__name__} {path!r}. Fix: "
                            f"page.save('explore.html').")
        path = Path(path)
        if path.suffix.lower() not in (".html", ".htm"):
            raise ValueError(f"Explorer.save: the page is HTML, so save it to an .html file, "
                             f"got {str(path)!r}. Fix: page.save('{path.stem or 'page'}.html').")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(self.html, encoding="utf-8")
        return path

    def screenshot(self, path, at=None, size=(1600, 900), heat=False):
        """Save a PNG of the page in headless Chromium, ``at`` walk step k (default: half
        way), ``size`` = (width, height) of the page in pixels.  Needs ``selenium`` and
        Chromium with chromedriver (``sh tools/ensure-chromium.sh``).  Returns the path."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        k = self.steps // 2 if at is None else int(at)
        with tempfile.TemporaryDirectory() as folder, \
                chromium(*size, purpose=f"{WHO}: a screenshot") as browser:
            page = self.save(Path(folder) / "explore.html")
            browser.get(page.resolve().as_uri())
            if heat:
                browser.find_element("id", "heat").click()
            browser.execute_script(f"show({k})")
            browser.save_screenshot(str(path))
        return path

    def _repr_html_(self):
        # In an iframe, so that the page's ids, style and keys stay its own.
        return (f'<iframe srcdoc="{html.escape(self.html, quote=True)}" '
                f'style="width:100%;height:720px;border:1px solid #ccc"></iframe>')

    def __len__(self):
        return len(self.html)


# ------------------------------------------------------------------ the front door

def explore(loss, *, detail="ops", elide=True, max_steps=12, keep=3, direction="LR",
            title=None, present=False, order="time"):
    """An interactive page that steps through the backward pass over ``loss``'s graph.

    The student steps through the reverse walk node by node (buttons, slider,
    arrow keys, play), sees the gradient each crossed edge carries and the
    chain-rule step just applied, watches each shared parameter collect one
    term per copy t (the running sum ends equal to ``.grad``), hovers any
    node or edge for its numbers, switches between op and cell detail, turns
    gradient heat on or off, picks a time step, pans and zooms (+ and −).

    The chain-rule panel calls the gradient arriving at the node δ = ∂L/∂(its
    output), and each input's share the vector-Jacobian product, in the
    figure's names (``Vᵀ δ`` for ``o3 = V s3 + c``).

    ``backward()`` is run here with every gradient kept; the leaves' ``.grad``
    are left as they were.  Values show if the forward pass ran inside
    ``minigrad.keep_values()``; a leaf shows the values the forward pass read, even
    after an optimizer's step, or, changed twice since, its values now and a note
    saying so.  An expression without time steps (no
    ``t=<k>`` scopes) is drawn as one graph, as :func:`viz.draw` does.

    Parameters
    ----------
    detail : "ops" or "cells"
        The view shown first: every op, or one box per step (both are in the page).
    elide, max_steps, keep :
        Elide steps as :func:`viz.draw_unrolled` does.
    direction : "LR" or "TB"
        Time runs left to right, or top to bottom.
    title : str, optional
        The page's title (and the figure's).
    present : bool
        Open in presenter mode (the key P or the button toggles it): large text for a
        projector, the graph drawn at slide size and fitted to the screen's height.
    order : "time" or "engine"
        ``"time"``: back in time step by step, as a textbook teaches it: L, then
        E_T, o_T, s_T, a_T, then step T-1, ...  ``"engine"``: the engine's own
        order, newest node first (creation order, reversed).  Both visit every node
        after all its users, so every node's gradient is complete when visited, and
        the numbers are the same.  L = Σ_t E_t is one step (its sum and the stack
        under it).

    >>> import numpy as np, rnn, viz
    >>> model = rnn.RNN(2, 3, 1, rng=0)
    >>> result = rnn.bptt(model, np.ones((4, 2)), np.zeros((4, 1)))
    >>> page = viz.explore(result.loss_tensor)
    >>> 'id="walk-data"' in page.html and "<svg" in page.html
    True
    >>> page.steps            # L, then E_t, o_t, s_t, a_t for t = 4, 3, 2, 1
    17
    """
    root = _check_arguments(loss, detail, direction, max_steps, keep, title, present, order)
    check_dot(WHO)
    graph = collect(root)
    walk = replay(root, graph)
    if order == "time":
        walk = walk.reordered(time_order(graph))
    if any(step_of(n.scope) is not None for n in graph.nodes):
        unrolled = read(graph, WHO)
        elision = choose_steps(unrolled, elide, max_steps, keep)
        drawings = _unrolled_drawings(unrolled, elision, direction, title, walk)
    else:
        unrolled, elision = None, None
        drawings = _plain_drawings(graph, title, walk)
    data = _walk_data(graph, unrolled, elision, walk, drawings)
    page = _page(data, drawings, detail if unrolled is not None else "ops", present,
                 title or "backward pass explorer")
    return Explorer(page, len(data["walk"]))


def _check_arguments(loss, detail, direction, max_steps, keep, title, present, order):
    root = as_root(loss, WHO)
    if root._data.size != 1:
        raise ValueError(
            f"{WHO}: the tensor has shape {root.shape}, but the walk starts from one number, "
            f"the loss L (dL/dL = 1). Fix: explore a scalar, e.g. viz.explore(y.sum()) or "
            f"viz.explore(y.mean()).")
    check_options(detail, direction, max_steps, keep, WHO)
    if title is not None and not isinstance(title, str):
        raise TypeError(f"{WHO}: title must be a string (or None for the default), got "
                        f"{type(title).__name__} {title!r}. Fix: title=str(...).")
    if not isinstance(present, (bool, np.bool_)):
        raise TypeError(f"{WHO}: present must be True (open in presenter mode) or False, "
                        f"got {present!r}")
    if order not in ORDERS:
        raise ValueError(f"{WHO}: order must be 'time' (back in time step by step, as a "
                         f"textbook teaches it) or 'engine' (the engine's creation order, "
                         f"newest first), got {order!r}")
    return root


# ------------------------------------------------------------------ the drawings

@dataclass
class _Drawing:
    """One SVG in the page and how the graph maps onto it: ``unit_of(x)`` is the id of
    the drawn unit of a node or leaf (None if not drawn; ``"box-elided"`` in an elided
    step), ``links_of(edge)`` the ids of the drawn links that edge's gradient crosses."""
    key: str                    # its name in the page: "ops", "cells", "ops-present"
    view: str                   # the view it draws: "ops" or "cells"
    svg: str
    unit_of: Callable
    links_of: Callable


def _unrolled_drawings(unrolled, elision, direction, title, walk):
    """Every op and one box per step at notebook size, and for presenter mode every op
    at slide size (when at most PRESENT_BOXES steps show: a page of 50 steps drawn in
    full stays under 2 MB, and presenter mode then enlarges the notebook drawing).
    Each gradient's norm is written on its link by the layout (see :class:`_Numbers`)."""
    wanted = [("ops", "ops", "notebook"), ("cells", "cells", "notebook")]
    if len(elision.boxes()) <= PRESENT_BOXES:
        wanted.append(("ops-present", "ops", "slides"))
    drawings = []
    for key, view, style in wanted:
        content = Content(view, grads=False, contributions=False, style=style)
        numbers = _Numbers(unrolled.graph, walk)
        # The page's one use of the unrolled figure: Graphviz's figure and its scene.
        drawing = figure_of(unrolled, elision, content, Look(style), direction, title,
                            overlay=numbers.overlay)
        figure, scene = drawing.figure, drawing.scene
        drawings.append(_Drawing(key, view, _svg(figure, scene.links, key, numbers.placed(scene)),
                                 *_scene_maps(scene, unrolled, elision)))
    return drawings


class _Numbers:
    """Each gradient's norm on the link it crosses, as the figure's label of that link:
    the layout places it beside its line, clear of every node, line and other label
    (``viz.wiring.labels``), and the page shows it once the walk has crossed the link.
    One number per graph edge, on the last link it crosses; a link that already has a
    name (the cells view's W and V) shows the name, then the number."""

    def __init__(self, graph, walk):
        self.graph, self.walk, self.texts = graph, walk, {}

    def overlay(self, scene):
        """The hook :func:`viz.unrolled.figure_of` calls before the layout."""
        for e in self.graph.edges:
            links = scene.links_of(e) if id(e) in self.walk.sent else []
            if not links or links[-1].invisible or links[-1].cut or id(links[-1]) in self.texts:
                continue
            link, number = links[-1], number_text(norm(self.walk.sent[id(e)]))
            self.texts[id(link)] = number
            link.label = number if link.label is None else f"{link.label} {number}"
            link.make_room = True
        return None

    def placed(self, scene):
        """{index of a link in scene.links: its number}, for the links whose label the
        layout found a place for (a label with no clear place is left out)."""
        return {k: self.texts[id(link)] for k, link in enumerate(scene.links)
                if id(link) in self.texts and link.label_at is not None}


def _scene_maps(scene, unrolled, elision):
    def unit_of(x):
        if type(x) is Node and unrolled.where(x) in elision.elided:
            return "box-elided"
        uid = scene.unit_of(x)
        return str(uid) if uid is not None else None

    def links_of(edge):
        return [f"{link.src}->{link.dst}" for link in scene.links_of(edge)]
    return unit_of, links_of


def _plain_drawings(graph, title, walk):
    """A graph without time steps (a warm-up example), drawn as ``viz.draw`` draws it,
    at notebook size and at slide size for presenter mode; dot places each gradient's
    norm as its edge's label."""
    leaf_ids = {id(leaf): f"v{k}" for k, leaf in enumerate(graph.leaves)}   # draw's names

    def unit_of(x):
        return f"n{x.seq}" if type(x) is Node else leaf_ids[id(x)]

    def links_of(edge):                 # draw writes each edge from consumer to producer
        return [f"{unit_of(edge.dst)}->{unit_of(edge.src)}"]

    def number(edge):
        g = walk.sent.get(id(edge))
        return {"label": number_text(norm(g))} if g is not None else {}

    drawings = []
    for key, style in (("ops", "notebook"), ("ops-present", "slides")):
        figure = graph_figure(graph, Content(grads=False, style=style), Look(style),
                              scopes=True, edge_grads=False, title=title, edge_extra=number)
        drawings.append(_Drawing(key, "ops", _svg(figure, (), key, None), unit_of, links_of))
    return drawings


_GROUP = re.compile(r'<g id="[^"]*" class="(node|edge|cluster)">\s*<title>([^<]*)</title>\n?'
                    r'(.*?)</g>', re.S)
_STEP_BOX = re.compile(r"cluster_t(-?\d+)|cluster_(elided)")
_LAST_TEXT = re.compile(r"(<text[^>]*>)([^<]*)(</text>)(?!.*<text)", re.S)


def _svg(figure, links, key, numbers):
    """Graphviz's SVG with stable ids: units ``<key>-u-<id>``, links, step boxes, and
    each gradient's number wrapped in ``<tspan class="grad-label" data-link=…>`` (the
    page shows it once the walk has crossed that link).  ``links`` are the scene's links:
    the segments ``bend_<k>_…`` and the label ``label_<k>`` belong to links[k].
    ``numbers``: {k: the number on links[k]'s label}; None for a figure dot laid out,
    where the numbers are the edges' own labels."""
    svg = figure.pipe(format="svg").decode("utf-8")
    svg = svg[svg.index("<svg"):]
    chains = [f"{link.src}->{link.dst}" for link in links]
    used, scopes = {}, itertools.count(1)

    def unique(name):                   # a + a: two edges between the same two nodes
        used[name] = used.get(name, 0) + 1
        return name if used[name] == 1 else f"{name}-{used[name]}"

    def node(uid, body):
        label = re.fullmatch(r"label_(\d+)", uid)
        if label:                       # a link's label, placed by the layout
            k = int(label.group(1))
            lid = html.escape(chains[k])
            if numbers is not None and k in numbers:
                body = _mark_number(body, numbers[k], lid)
            return f'<g class="node link-label" data-link="{lid}">\n{body}</g>'
        if uid.startswith(("bend_", "label_room_", "corner_")) or uid == "legend":
            return f'<g class="node deco" data-deco="{html.escape(uid)}">\n{body}</g>'
        uid = html.escape(uid)
        return f'<g id="{unique(f"{key}-u-{uid}")}" class="node unit" data-unit="{uid}">\n{body}</g>'

    def edge(name, body):
        a, b = name.split("->")
        bend = re.match(r"bend_(\d+)_", a) or re.match(r"bend_(\d+)_", b)
        lid = html.escape(chains[int(bend.group(1))] if bend else f"{a}->{b}")
        if numbers is None and "<text" in body:      # dot's label of the edge: its number
            body = _mark_number(body, None, lid)
        return (f'<g id="{unique(f"{key}-e-{html.escape(a)}-{html.escape(b)}")}" '
                f'class="edge link" data-link="{lid}">\n{body}</g>')

    def box(name, body):
        step = _STEP_BOX.fullmatch(name)
        t = (step.group(1) or step.group(2)) if step else f"scope-{next(scopes)}"
        label = t if step else html.escape(name.removeprefix("cluster "))
        return f'<g id="{unique(f"{key}-box-{t}")}" class="cluster box" data-box="{label}">\n{body}</g>'

    kinds = {"node": node, "edge": edge, "cluster": box}
    svg = _GROUP.sub(lambda m: kinds[m.group(1)](html.unescape(m.group(2)), m.group(3)), svg)
    svg = svg.replace('<g id="graph0" class="graph"', f'<g id="{key}-graph" class="graph"', 1)
    svg = re.sub(r"<title>[^<]*</title>\n?", "", svg)
    svg = re.sub(r"<!--.*?-->\n?", "", svg, flags=re.S)
    # Smaller, same picture: invisible helper points go, the font is set once in the
    # stylesheet, coordinates keep one decimal (a tenth of a point).
    svg = re.sub(r'<g class="node deco" data-deco="(?:bend_|label_room_|corner_)[^"]*">\s*</g>\n?',
                 "", svg)
    svg = svg.replace(' font-family="Arial"', "")
    # at slide size (presenter mode) a subscript keeps the line's size: the 28 px floor
    scale = 1.0 if key.endswith("present") else 0.8
    svg = _SUB.sub(lambda m: _subscript(m, scale), svg)
    return _COORDS.sub(lambda m: m.group(1) + _DECIMALS.sub(r"\1", m.group(2)) + '"', svg)


def _mark_number(body, number, lid):
    """The group's last text ends with the number (a label "W 0.24": the name, then the
    number): wrap the number in a tspan the page shows and hides."""
    def wrap(m):
        text = html.unescape(m.group(2))
        cut = len(text) - len(number) if number is not None else 0
        if number is not None and not text.endswith(number):
            raise AssertionError(f"internal: {WHO}: the label {text!r} does not end with "
                                 f"its number {number!r}")
        return (f'{m.group(1)}{html.escape(text[:cut], quote=False)}<tspan class="grad-label" '
                f'data-link="{lid}">{html.escape(text[cut:], quote=False)}</tspan>{m.group(3)}')
    return _LAST_TEXT.sub(wrap, body, count=1)


# Graphviz writes a subscript (s<SUB>3</SUB>) as a text of the line's font size with
# baseline-shift="sub", and leaves it the room of a smaller one; a browser draws it full
# size and half a line down, into the line below.  Drawn as Graphviz's own renderer draws
# it: a quarter of the size lower, and smaller (``scale``) but on a slide.
_SUB = re.compile(r' baseline-shift="sub" font-size="([0-9.]+)"')


def _subscript(m, scale):
    size = float(m.group(1))
    return f' baseline-shift="{-0.25 * size:.2f}" font-size="{scale * size:.2f}"'


_COORDS = re.compile(r'( (?:d|points|x|y)=")([^"]*)"')
_DECIMALS = re.compile(r"([0-9]+\.[0-9])[0-9]+")


# ------------------------------------------------------------------ the numbers

def _numbers(a):
    """A tensor as text: its numbers if small, else its shape and norm."""
    a = np.asarray(a, dtype=np.float64)
    if a.size <= LIMIT:
        if a.ndim == 0:
            return f"{float(a):.{DIGITS}g}"
        return np.array2string(a, precision=DIGITS - 2, separator=", ",
                               formatter={"float_kind": lambda v: f"{v:.{DIGITS}g}"})
    return f"‖·‖ = {number_text(norm(a))}  ({a.size} numbers)"


def _flat(a):
    """The numbers of a small tensor as printed (DIGITS significant digits), else None."""
    a = np.asarray(a, dtype=np.float64)
    return [f"{v:.{DIGITS}g}" for v in a.ravel()] if a.size <= LIMIT else None


def _groups(walk, graph, unrolled):
    """The page's steps: one per node of the walk, except that the stack under
    L = Σ_t E_t is part of L's step (the figure draws them as one node, L)."""
    folded = unrolled.fold if unrolled is not None else {}
    groups, of_root = [], []
    for node in walk.order:
        if folded.get(id(node)) is graph.root:
            of_root.append(node)
        else:
            groups.append([node])
    for group in groups:
        if group[0] is graph.root:
            group.extend(of_root)
    return groups


def _walk_data(graph, unrolled, elision, walk, drawings):
    """Everything the page's script needs, as JSON-ready data."""
    names = Names(graph, unrolled)
    groups = _groups(walk, graph, unrolled)
    step = {id(n): k for k, group in enumerate(groups, start=1) for n in group}
    info, heat = _hover(graph, walk, drawings, names)
    return {"walk": _steps(graph, walk, groups, drawings, names, unrolled),
            "params": _params(graph, walk, step, drawings, names, unrolled is not None),
            "info": info, "heat": heat, "edges": _edge_numbers(graph, walk, drawings, names),
            "drawings": {d.key: d.view for d in drawings},
            "steps": unrolled.steps if unrolled is not None else [],
            "hidden": sorted(elision.elided) if elision is not None else [], "digits": DIGITS}


def _hover(graph, walk, drawings, names):
    """Hover texts: every drawn unit lists what it stands for; and its heat colour."""
    info = {d.key: {} for d in drawings}
    heat = HeatScale([norm(g) for g in walk.grads.values() if g is not None])
    colours = {d.key: {} for d in drawings}
    for x in graph.nodes + graph.leaves:
        g = walk.grads.get(id(x))
        if type(x) is Node:
            entry = {"name": names.heading(x), "op": x.op, "shape": shape_text(x.shape),
                     "value": _numbers(x.value) if x.value is not None else
                     "not recorded (run the forward pass inside minigrad.keep_values())",
                     "t": step_of(x.scope)}
        else:
            kind = "parameter" if x.requires_grad else "constant"
            value, known = recorded_value(x, graph)      # what the forward pass read
            entry = {"name": names.of(x), "op": kind, "shape": shape_text(x.shape),
                     "value": _numbers(value) + ("" if known else STALE), "t": None}
        entry["grad"] = _numbers(g) if g is not None else "none"
        for d in drawings:
            uid = d.unit_of(x)
            if uid is None or uid == "box-elided":
                continue
            info[d.key].setdefault(uid, []).append(entry)
            if g is not None:
                colours[d.key][uid] = max(colours[d.key].get(uid, 0.0), norm(g))
    heat_fill = {key: {uid: heat.color(v) for uid, v in c.items()} for key, c in colours.items()}
    return info, heat_fill


def _edge_numbers(graph, walk, drawings, names):
    """{drawing: {link id: the gradients it carries}}, for hovering over an edge."""
    out = {d.key: {} for d in drawings}
    for e in graph.edges:
        g = walk.sent.get(id(e))
        for d in drawings:
            for lid in d.links_of(e) if g is not None else ():
                out[d.key].setdefault(lid, []).append(
                    {"from": names.of(e.src), "to": names.of(e.dst), "grad": _numbers(g)})
    return out


def _steps(graph, walk, groups, drawings, names, unrolled):
    """The walk, step by step: the node, its incoming gradient δ, what it sends where."""
    into = {}
    for e in graph.edges:
        into.setdefault(id(e.dst), []).append(e)
    out = []
    for group in groups:
        node, inside = group[0], {id(n) for n in group}
        sends = []
        for n in group:
            for e in into.get(id(n), ()):
                if id(e) not in walk.sent or id(e.src) in inside:
                    continue                        # no gradient, or inside this step (L)
                if n is node:
                    vjp, hint = vjp_text(n, e.index, names)
                else:                               # the stack under L = Σ_t E_t (or mean)
                    vjp, hint = loss_text(unrolled.reduction), names.heading(node)
                g = walk.sent[id(e)]
                sends.append({"to": names.of(e.src), "vjp": vjp, "hint": hint,
                              "result": _numbers(g),
                              "links": {d.key: d.links_of(e) for d in drawings}})
        incoming = walk.grads.get(id(node))
        out.append({"name": names.heading(node), "short": names.of(node), "op": node.op,
                    "t": step_of(node.scope),
                    "unit": {d.key: d.unit_of(node) for d in drawings},
                    "delta": _numbers(incoming) if incoming is not None else "none",
                    "sends": sends})
    return out


def _params(graph, walk, step, drawings, names, unrolled):
    """Each parameter: its term per copy t (per use, in a graph without time steps) as
    the walk delivers them, the running sum, and its total."""
    out = []
    for p in graph.leaves:
        if not p.requires_grad or walk.grads.get(id(p)) is None:
            continue
        uses = sorted((e for e in graph.edges if e.src is p and id(e) in walk.sent),
                      key=lambda e: step[id(e.dst)])
        terms, events = {}, []
        for n, e in enumerate(uses, start=1):
            key = step_of(e.dst.scope) if unrolled else n
            terms[key] = terms.get(key, 0) + walk.sent[id(e)]
            events.append({"k": step[id(e.dst)], "t": key, "term": norm(terms[key]),
                           "sum": norm(sum(terms.values()))})
        total = walk.grads[id(p)]
        keys = sorted(terms, key=lambda t: (t is None, t))
        out.append({
            "name": names.of(p), "shape": shape_text(p.shape),
            "unit": {d.key: d.unit_of(p) for d in drawings},
            "terms": [{"t": t, "label": _term_label(t, unrolled), "norm": norm(terms[t]),
                       "numbers": _flat(terms[t]), "text": _numbers(terms[t])} for t in keys],
            "events": events,
            "grad": {"norm": norm(total), "text": _numbers(total), "numbers": _flat(total),
                     "difference": float(np.max(np.abs(sum(terms.values()) - total),
                                                initial=0.0))},
        })
    return out


def _term_label(key, unrolled):
    if not unrolled:
        return f"use {key}"
    return "outside the steps" if key is None else f"t = {key}"


# ------------------------------------------------------------------ the file

def _asset(name):
    return resources.files("viz.explorer").joinpath(name).read_text(encoding="utf-8")


def _json_in_html(data):
    """JSON that a <script> element holds safely: no <, > or & in it (names are user
    text; ``<!--<script>`` would otherwise swallow the rest of the page)."""
    text = json.dumps(data, separators=(",", ":"), allow_nan=False,
                      default=lambda o: float(o))
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _page(data, drawings, detail, present, title):
    views = "\n".join(f'<div class="view" data-view="{d.view}" data-drawing="{d.key}">'
                      f'{d.svg}</div>' for d in drawings)
    parts = {"TITLE": html.escape(title), "STYLE": _asset("explore.css"),
             "SCRIPT": _asset("explore.js").replace("</", "<\\/"), "DATA": _json_in_html(data),
             "DRAWINGS": views, "DETAIL": detail, "PRESENT": "true" if present else "false"}
    return re.sub(r"\{\{(\w+)\}\}", lambda m: parts[m.group(1)], _asset("explore.html"))
