"""An interactive page that steps through the reverse walk of ``backward()``.

``explore(loss)`` draws the unrolled graph as :func:`viz.draw_unrolled`
does, replays the engine's walk (nodes by decreasing ``seq``) and writes one
self-contained HTML file: the Graphviz SVG (every node, edge and step box
with a stable id), the walk and its numbers as embedded JSON, and a short
script and stylesheet of our own (``viz/explorer/explore.js`` and
``explore.css``, inlined when the page is made).  Nothing is fetched: the
file works offline, opened by double click.
"""

from __future__ import annotations

import html
import json
import re
from importlib import resources
from pathlib import Path

import numpy as np

from minigrad.graph import Node

from .names import node_label
from .read import LOSS_OPS, as_root, choose_steps, collect, read, step_of
from .render import check_dot
from .scene import Content
from .theme import HeatScale, Look, norm, number_text, shape_text
from .unrolled import check_options, figure_of
from .walk import replay

__all__ = ["explore", "Explorer"]

WHO = "viz.explore"
LIMIT = 16            # tensors of at most this many elements show their numbers
DIGITS = 6            # significant digits of the printed numbers

# What each op's vector-Jacobian product computes: g = dL/d(output), one entry per input.
VJP_TEXT = {
    "add": ["g", "g"], "sub": ["g", "−g"], "mul": ["g ⊙ b", "g ⊙ a"],
    "div": ["g / b", "−g ⊙ a / b²"], "neg": ["−g"], "pow": ["g ⊙ b a^(b−1)", "g ⊙ a^b log a"],
    "matmul": ["g Bᵀ", "Aᵀ g"], "exp": ["g ⊙ exp(a)"], "log": ["g / a"],
    "sqrt": ["g / (2 √a)"], "abs": ["g ⊙ sign(a)"], "tanh": ["g ⊙ (1 − s²),  s = tanh(a)"],
    "sigmoid": ["g ⊙ σ(a)(1 − σ(a))"], "relu": ["g ⊙ [a > 0]"],
    "sum": ["g, copied to every element"], "mean": ["g / n, copied to every element"],
    "max": ["g at the largest element, 0 elsewhere"], "reshape": ["g, reshaped back"],
    "transpose": ["gᵀ"], "getitem": ["g placed at the slice, 0 elsewhere"],
    "stack": ["g[i]"], "concat": ["g's slice i"], "astype": ["g"],
    "mse_loss": ["2 (o − y) g", "−2 (o − y) g"],
    "cross_entropy": ["(softmax(o) − onehot(y)) g", "—"],
}


def _vjp_text(node, i):
    if node.op == "linear":        # linear((x_1..x_n), (W_1..W_n), b): inputs, weights, bias
        n = len(node.inputs) // 2
        names = [_name(x) for x in node.inputs]
        if i < n:
            return f"g {names[n + i]}   (y = Σ_i W_i x_i + b, so dL/dx = g W)"
        if i < 2 * n:
            return f"gᵀ {names[i - n]}   (an outer product, summed over the batch)"
        return "g   (summed over the batch)"
    table = VJP_TEXT.get(node.op)
    if table is None:
        return f"vjp[{i}](g)"
    return table[min(i, len(table) - 1)]


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


def _name(x):
    if type(x) is Node:
        return node_label(x).split(" = ")[0] if x.name or x.op in LOSS_OPS else node_label(x)
    return x.name or ("param" if x.requires_grad else "const")


class Explorer:
    """The page made by :func:`explore`: shows itself in Jupyter, ``.save(path)`` writes it."""

    def __init__(self, page, steps=0):
        self.html = page
        self.steps = steps          # nodes in the reverse walk

    def save(self, path):
        """Write the page (one self-contained .html file); returns the path."""
        path = Path(path)
        if path.suffix.lower() not in (".html", ".htm"):
            raise ValueError(f"{WHO}: save to an .html file, got {str(path)!r}")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(self.html, encoding="utf-8")
        return path

    def screenshot(self, path, at=None, size=(1600, 900), heat=False):
        """Save a PNG of the page in headless Chromium, ``at`` walk step k (default: half
        way).  Needs ``selenium`` and Chromium with chromedriver
        (``sh tools/ensure-chromium.sh``).  Returns the path."""
        import shutil
        import tempfile
        try:
            from selenium import webdriver
            from selenium.webdriver.chrome.service import Service
        except ImportError:
            raise FileNotFoundError(f"{WHO}: a screenshot needs selenium: "
                                    f"pip install selenium") from None
        binary = next(filter(None, map(shutil.which, ("chromium", "chromium-browser",
                                                      "google-chrome"))), None)
        driver = "/usr/bin/chromedriver" if Path("/usr/bin/chromedriver").exists() else \
            shutil.which("chromedriver")
        if binary is None or driver is None:
            raise FileNotFoundError(f"{WHO}: a screenshot needs Chromium and chromedriver "
                                    f"(Debian: apt-get install chromium chromium-driver; "
                                    f"or sh tools/ensure-chromium.sh)")
        options = webdriver.ChromeOptions()
        options.binary_location = binary
        for arg in ("--headless=new", "--no-sandbox", "--disable-gpu",
                    "--disable-dev-shm-usage", f"--window-size={size[0]},{size[1]}"):
            options.add_argument(arg)
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        k = self.steps // 2 if at is None else int(at)
        with tempfile.TemporaryDirectory() as folder:
            page = self.save(Path(folder) / "explore.html")
            browser = webdriver.Chrome(service=Service(driver), options=options)
            try:
                browser.get(page.resolve().as_uri())
                if heat:
                    browser.find_element("id", "heat").click()
                browser.execute_script(f"show({k})")
                browser.save_screenshot(str(path))
            finally:
                browser.quit()
        return path

    def _repr_html_(self):
        # In an iframe, so that the page's ids, style and keys stay its own.
        return (f'<iframe srcdoc="{html.escape(self.html, quote=True)}" '
                f'style="width:100%;height:720px;border:1px solid #ccc"></iframe>')

    def __len__(self):
        return len(self.html.encode("utf-8"))


def explore(loss, *, detail="ops", elide=True, max_steps=12, keep=3, direction="LR",
            title=None):
    """An interactive page that steps through the backward pass over ``loss``'s graph.

    The student steps through the reverse walk node by node (buttons, slider,
    arrow keys, play), sees the gradient each crossed edge carries and the
    chain-rule step just applied, watches each shared parameter collect one
    term per copy t (the running sum ends equal to ``.grad``), hovers any
    node or edge for its numbers, switches between op and cell detail, turns
    gradient heat on or off, picks a time step, pans and zooms.

    ``backward()`` is run here with every gradient kept; the leaves' ``.grad``
    are left as they were.  Values show if the forward pass ran inside
    ``minigrad.keep_values()``.  ``detail`` picks the view shown first; both
    are in the page.  ``elide``, ``max_steps`` and ``keep`` elide steps as
    :func:`viz.draw_unrolled` does.

    >>> import numpy as np, rnn, viz
    >>> model = rnn.RNN(2, 3, 1, rng=0)
    >>> result = rnn.bptt(model, np.ones((4, 2)), np.zeros((4, 1)))
    >>> page = viz.explore(result.loss_tensor)
    >>> 'id="walk-data"' in page.html and "<svg" in page.html
    True
    """
    root = as_root(loss, WHO)
    check_options(detail, direction, max_steps, keep, WHO)
    check_dot(WHO)
    graph = collect(root)
    unrolled = read(graph, WHO)
    elision = choose_steps(unrolled, elide, max_steps, keep)
    walk = replay(root, graph)
    views = {}
    for view in ("ops", "cells"):
        content = Content(view, grads=False, contributions=False)
        views[view] = figure_of(unrolled, elision, content, Look(), direction, title)
    data = _walk_data(graph, unrolled, elision, walk, {v: d.scene for v, d in views.items()})
    svgs = {view: _svg(d.figure, d.scene, view) for view, d in views.items()}
    return Explorer(_page(data, svgs, detail, title or "backward pass explorer"),
                    len(walk.order))


def _walk_data(graph, unrolled, elision, walk, scenes):
    """Everything the page's script needs, as JSON-ready data."""
    def where(view, x):
        """The drawn unit for x in a view, or the elided box if x's step is not drawn."""
        if type(x) is Node and unrolled.where(x) in elision.elided:
            return "box-elided"
        uid = scenes[view].unit_of(x)
        return str(uid) if uid is not None else None

    def links(view, e):
        return [f"{link.src}->{link.dst}" for link in scenes[view].links_of(e)]

    info, heat_fill = _hover(graph, walk, scenes, where)
    return {"walk": _steps(graph, walk, scenes, where, links), "params": _params(graph, walk,
                                                                                 scenes, where),
            "info": info, "edges": _edge_numbers(graph, walk, scenes, links),
            "heat": heat_fill, "steps": unrolled.steps, "hidden": sorted(elision.elided),
            "digits": DIGITS, "links": {view: _link_ends(scene) for view, scene in scenes.items()}}


def _link_ends(scene):
    """{link id: [kind of its source, kind of its target]} (see ``viz.scene.UnitId``), so
    that the page's script never reads meaning out of an id."""
    return {f"{link.src}->{link.dst}": [link.src.kind, link.dst.kind] for link in scene.links}


def _hover(graph, walk, scenes, where):
    """Hover texts: every drawn unit lists what it stands for; and its heat colour."""
    info = {view: {} for view in scenes}
    heat = HeatScale([norm(g) for g in walk.grads.values() if g is not None])
    colours = {view: {} for view in scenes}
    for x in graph.nodes + graph.leaves:
        g = walk.grads.get(id(x))
        if type(x) is Node:
            entry = {"name": node_label(x), "op": x.op, "shape": shape_text(x.shape),
                     "value": _numbers(x.value) if x.value is not None else
                     "not recorded (run the forward pass inside minigrad.keep_values())",
                     "t": step_of(x.scope)}
        else:
            kind = "parameter" if x.requires_grad else "constant"
            entry = {"name": _name(x), "op": kind, "shape": shape_text(x.shape),
                     "value": _numbers(x._data), "t": None}
        entry["grad"] = _numbers(g) if g is not None else "none"
        for view in scenes:
            uid = where(view, x)
            if uid is None or uid == "box-elided":
                continue
            info[view].setdefault(uid, []).append(entry)
            if g is not None:
                colours[view][uid] = max(colours[view].get(uid, 0.0), norm(g))
    heat_fill = {view: {uid: heat.color(v) for uid, v in c.items()}
                 for view, c in colours.items()}
    return info, heat_fill


def _edge_numbers(graph, walk, scenes, links):
    """{view: {link id: the gradients it carries}}, for hovering over an edge."""
    out = {view: {} for view in scenes}
    for e in graph.edges:
        g = walk.sent.get(id(e))
        for view in scenes:
            for lid in links(view, e) if g is not None else ():
                out[view].setdefault(lid, []).append(
                    {"from": _name(e.src), "to": _name(e.dst),
                     "grad": _numbers(g), "norm": number_text(norm(g))})
    return out


def _steps(graph, walk, scenes, where, links):
    """The walk, step by step: the node, its incoming gradient, what it sends where."""
    out = []
    into = {}
    for e in graph.edges:
        into.setdefault(id(e.dst), []).append(e)
    for node in walk.order:
        incoming = walk.grads.get(id(node))
        sends = []
        for e in into.get(id(node), ()):
            if id(e) not in walk.sent:
                continue
            g = walk.sent[id(e)]
            sends.append({"to": _name(e.src), "vjp": _vjp_text(node, e.index),
                          "result": _numbers(g), "norm": number_text(norm(g)),
                          "links": {view: links(view, e) for view in scenes},
                          "targets": {view: where(view, e.src) for view in scenes}})
        out.append({"name": node_label(node), "op": node.op, "t": step_of(node.scope),
                    "unit": {view: where(view, node) for view in scenes},
                    "g": _numbers(incoming) if incoming is not None else "none",
                    "sends": sends})
    return out


def _params(graph, walk, scenes, where):
    """Each shared parameter: its term per copy t as the walk delivers them, the running
    sum, and its total."""
    out = []
    for p in graph.leaves:
        if not p.requires_grad or walk.grads.get(id(p)) is None:
            continue
        terms, events = {}, []
        for e in sorted((e for e in graph.edges if e.src is p and id(e) in walk.sent),
                        key=lambda e: walk.step_of(e.dst)):
            t = step_of(e.dst.scope)
            terms[t] = terms.get(t, 0) + walk.sent[id(e)]
            running = sum(terms.values())
            events.append({"k": walk.step_of(e.dst), "t": t, "term": norm(terms[t]),
                           "sum": norm(running)})
        total = walk.grads[id(p)]
        steps = sorted(terms, key=lambda t: (t is None, t))
        out.append({
            "name": _name(p), "shape": shape_text(p.shape),
            "unit": {view: where(view, p) for view in scenes},
            "terms": [{"t": t, "norm": norm(terms[t]), "numbers": _flat(terms[t]),
                       "text": _numbers(terms[t])} for t in steps],
            "events": events,
            "grad": {"norm": norm(total), "text": _numbers(total), "numbers": _flat(total),
                     "difference": float(np.max(np.abs(sum(terms.values()) - total),
                                                initial=0.0))},
        })
    return out


_NODE = re.compile(r'<g id="[^"]*" class="node">\s*<title>([^<]*)</title>')
_EDGE = re.compile(r'<g id="[^"]*" class="edge">\s*<title>([^<]*)</title>')
_BOX = re.compile(r'<g id="[^"]*" class="cluster">\s*<title>([^<]*)</title>')


def _svg(dot, scene, view):
    """Graphviz's SVG with stable ids: units ``<view>-u-<id>``, links, step boxes."""
    svg = dot.pipe(format="svg").decode("utf-8")
    svg = svg[svg.index("<svg"):]
    chains = {}            # bend_k_* segments belong to scene.links[k]
    for k, link in enumerate(scene.links):
        chains[k] = f"{link.src}->{link.dst}"

    def node(m):
        uid = html.unescape(m.group(1))
        if uid.startswith(("bend_", "label_room_", "corner_")) or uid == "legend":
            return f'<g class="node deco" data-deco="{html.escape(uid)}">'
        return f'<g id="{view}-u-{html.escape(uid)}" class="node unit" data-unit="{html.escape(uid)}">'

    def edge(m):
        a, b = html.unescape(m.group(1)).split("->")
        bend = re.match(r"bend_(\d+)_", a) or re.match(r"bend_(\d+)_", b)
        lid = chains[int(bend.group(1))] if bend else f"{a}->{b}"
        return (f'<g id="{view}-e-{html.escape(a)}-{html.escape(b)}" class="edge link" '
                f'data-link="{html.escape(lid)}">')

    def box(m):
        name = html.unescape(m.group(1))
        t = "elided" if name == "cluster_elided" else name.removeprefix("cluster_t")
        return f'<g id="{view}-box-{t}" class="cluster box" data-box="{t}">'

    svg = _BOX.sub(box, _EDGE.sub(edge, _NODE.sub(node, svg)))
    svg = svg.replace('<g id="graph0" class="graph"', f'<g id="{view}-graph" class="graph"', 1)
    svg = re.sub(r"<title>[^<]*</title>\n?", "", svg)
    svg = re.sub(r"<!--.*?-->\n?", "", svg, flags=re.S)
    # Smaller, same picture: invisible helper points go, the font is set once in the
    # stylesheet, coordinates keep one decimal (a tenth of a point).
    svg = re.sub(r'<g class="node deco" data-deco="(?:bend_|label_room_|corner_)[^"]*">\s*</g>\n?',
                 "", svg)
    svg = svg.replace(' font-family="Helvetica,sans-Serif"', "")
    return _COORDS.sub(lambda m: m.group(1) + _DECIMALS.sub(r"\1", m.group(2)) + '"', svg)


_COORDS = re.compile(r'( (?:d|points|x|y)=")([^"]*)"')
_DECIMALS = re.compile(r"([0-9]+\.[0-9])[0-9]+")


def _asset(name):
    return resources.files("viz.explorer").joinpath(name).read_text(encoding="utf-8")


def _page(data, svgs, detail, title):
    blob = json.dumps(data, separators=(",", ":"), allow_nan=False,
                      default=lambda o: float(o)).replace("</", "<\\/")
    page = _asset("explore.html")
    parts = {"TITLE": html.escape(title), "STYLE": _asset("explore.css"),
             "SCRIPT": _asset("explore.js").replace("</", "<\\/"), "DATA": blob,
             "SVG_OPS": svgs["ops"], "SVG_CELLS": svgs["cells"], "DETAIL": detail}
    return re.sub(r"\{\{(\w+)\}\}", lambda m: parts[m.group(1)], page)
