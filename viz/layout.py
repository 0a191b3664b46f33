"""Where things go in an unrolled drawing.

Graphviz's ``dot`` lays out clusters in whatever order its crossing
minimisation ends with, which for an unrolled network is often not time
order.  Every time step records the same ops, so a simple layered layout,
computed here, does better: rows by distance from the loss, steps side by
side in time order, each step laid out the same way.  Graphviz then only
draws the boxes and routes the edges between these fixed positions.

Coordinates are in inches.  Rows run along the time axis; ``direction``
"LR" puts time left to right with the loss on top, "TB" puts time top to
bottom with the loss on the right.
"""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["Unit", "Link", "Scene", "place"]

UNIT_GAP = 0.3        # between units of one row
BOX_GAP = 0.5         # between the boxes of two steps
BOX_PAD = 0.25        # inside a box, around its units
LABEL = 0.4           # room for a box's label
ROW_GAP = 0.45        # between rows
ELIDED_WIDTH = 1.6    # the box that stands for the elided steps


@dataclass
class Unit:
    """One drawn node: an op, a leaf, a cell box or a parameter."""
    id: str
    step: object            # its time step t; None for the top level; "top"/"bottom" for parameters
    attrs: dict
    order: int = 0          # creation order, to break ties


@dataclass
class Link:
    """One drawn edge, from producer to consumer."""
    src: str
    dst: str
    kind: str               # "flow" (inside a step or to the top level), "state", "param", "invis"
    attrs: dict = field(default_factory=dict)


@dataclass
class Scene:
    units: dict = field(default_factory=dict)     # id -> Unit, in creation order
    links: list = field(default_factory=list)
    boxes: list = field(default_factory=list)     # the drawn steps, in time order
    squeezed: object = None                       # the step drawn as the narrow elision box
    root: str = ""

    def add(self, unit):
        if unit.id not in self.units:
            unit.order = len(self.units)
            self.units[unit.id] = unit
        return self.units[unit.id]


def _size(attrs):
    """An estimate of a node's size in inches (width, height) from its label."""
    if attrs.get("style") == "invis":
        return 0.1, 0.1
    lines = str(attrs.get("label", "")).split("\n") or [""]
    font = float(attrs.get("fontsize", 10)) / 10
    width = max(len(line) for line in lines) * 0.075 * font + 0.3
    height = len(lines) * 0.17 * font + 0.14
    if attrs.get("shape") == "ellipse":
        width, height = width * 1.25, height * 1.2
    return max(width, float(attrs.get("width", 0))), max(height, float(attrs.get("height", 0)))


def _heights(scene):
    """Each unit's height above the inputs, along data-flow links.

    Inputs are at height 0 and a unit sits one above its highest producer.
    A state arriving from the step before counts as an input, so every step
    gets the same heights, and a truncated window's first steps (which have
    no cost) line up with the others.  Data leaves then move up to just
    below their first use (a target y_t sits beside the output it is
    compared with).  Parameter links do not count.
    """
    producers, from_state = {}, set()
    for link in scene.links:
        if link.kind == "flow":
            producers.setdefault(link.dst, []).append(link.src)
        elif link.kind == "state":
            from_state.add(link.dst)
    height = {}
    pending = [u for u in scene.units if scene.units[u].step not in ("top", "bottom")]
    while pending:                               # a DAG: each pass settles at least one level
        later = []
        for u in pending:
            ps = producers.get(u, ())
            if all(p in height for p in ps):
                height[u] = max([height[p] + 1 for p in ps] + [1 if u in from_state else 0])
            else:
                later.append(u)
        if len(later) == len(pending):
            raise AssertionError("internal: the data-flow links of a drawing form a cycle")
        pending = later
    consumers = {}
    for link in scene.links:
        if link.kind == "flow":
            consumers.setdefault(link.src, []).append(link.dst)
    for u in height:                             # data sits just below where it is used
        if u not in producers and u in consumers and u not in from_state:
            height[u] = max(min(height[c] for c in consumers[u]) - 1, 0)
    return height


def place(scene, direction="LR"):
    """Positions {unit id: (x, y)} and, per box, where its label spacer goes."""
    height = _heights(scene)
    units = scene.units.values()
    sizes = {u.id: _size(u.attrs) for u in units}
    along = 0 if direction == "LR" else 1        # the size along the time axis
    across = 1 - along

    # Rows, top to bottom: the top level (the loss), the parameters used near it,
    # the steps by height, then the parameters used near the inputs.
    in_steps = [u for u in units if u.step not in (None, "top", "bottom")]
    step_heights = sorted({height[u.id] for u in in_steps}, reverse=True)
    top_heights = sorted({height[u.id] for u in units if u.step is None
                          and height[u.id] > step_heights[0]}, reverse=True)
    keys = [("top", h) for h in top_heights] or [("params", "top")]
    keys += [("step", h) for h in step_heights] + [("params", "bottom")]
    index = {k: i for i, k in enumerate(keys)}
    row = {}
    for u in units:
        if u.step == "top":                      # beside the loss, out of the way of its edges
            row[u.id] = 0
        elif u.step == "bottom":
            row[u.id] = index["params", "bottom"]
        elif u.step is None:                     # the loss side, or data shared by many steps
            h = height[u.id]
            row[u.id] = index["top", h] if ("top", h) in index else index["params", "bottom"]
        else:
            row[u.id] = index["step", height[u.id]]
    n_rows = len(keys)
    depth = [0.0] * n_rows                        # each row's size across the time axis
    for u in units:
        depth[row[u.id]] = max(depth[row[u.id]], sizes[u.id][across])
    offset, r = [], 0.0
    for d in depth:
        offset.append(r + d / 2)
        r += d + ROW_GAP

    consumers = {}
    for link in scene.links:
        if link.kind == "flow":
            consumers.setdefault(link.src, []).append(link.dst)

    # Along the time axis: the steps side by side, each laid out row by row.
    pos_along, cursor, spans = {}, 0.0, {}
    for t in scene.boxes:
        members = sorted((u for u in in_steps if u.step == t), key=lambda u: u.order)
        rows = {}
        for u in members:
            rows.setdefault(row[u.id], []).append(u)
        if t == scene.squeezed:                   # everything at the centre of a narrow box
            width = ELIDED_WIDTH
            for u in members:
                pos_along[u.id] = cursor + BOX_PAD + width / 2
        else:
            fraction = {}
            for r_ in sorted(rows):               # order each row by where its consumers are
                line = rows[r_]
                line.sort(key=lambda u: (_mean([fraction[c] for c in consumers.get(u.id, ())
                                                if c in fraction]), u.order))
                for i, u in enumerate(line):
                    fraction[u.id] = (i + 0.5) / len(line)
            widths = {r_: sum(sizes[u.id][along] for u in line) + UNIT_GAP * (len(line) - 1)
                      for r_, line in rows.items()}
            width = max(widths.values(), default=1.0)
            for r_, line in rows.items():
                x = cursor + BOX_PAD + (width - widths[r_]) / 2
                for u in line:
                    pos_along[u.id] = x + sizes[u.id][along] / 2
                    x += sizes[u.id][along] + UNIT_GAP
        spans[t] = (cursor, cursor + width + 2 * BOX_PAD)
        cursor += width + 2 * BOX_PAD + BOX_GAP
    middle = (cursor - BOX_GAP) / 2

    # The top level centred; the parameters spread along their row, so that their edges
    # fan out to the copies without crossing the nodes in the middle.
    width = cursor - BOX_GAP
    others = {}
    for u in units:
        if u.step is None:
            others.setdefault(row[u.id], []).append(u)
    for line in others.values():
        line.sort(key=lambda u: u.order)
        total = sum(sizes[u.id][along] for u in line) + UNIT_GAP * 2 * (len(line) - 1)
        x = middle - total / 2
        for u in line:
            pos_along[u.id] = x + sizes[u.id][along] / 2
            x += sizes[u.id][along] + UNIT_GAP * 2
    top = sorted((u for u in units if u.step == "top"), key=lambda u: u.order)
    for i, u in enumerate(top):                   # left and right of the loss, alternately
        side = -1 if i % 2 == 0 else 1
        pos_along[u.id] = middle + side * width * (0.25 + 0.12 * (i // 2))
    bottom = sorted((u for u in units if u.step == "bottom"), key=lambda u: u.order)
    for i, u in enumerate(bottom):                # evenly across the drawing
        pos_along[u.id] = width * (i + 1) / (len(bottom) + 1)

    pos = {}
    for u in units:
        a, r_ = pos_along[u.id], offset[row[u.id]]
        pos[u.id] = (a, -r_) if direction == "LR" else (-r_, -a)
    labels = {}                                   # room above each box's units for its label
    for t in spans:
        members = [u.id for u in in_steps if u.step == t]
        left = min(pos[m][0] - sizes[m][0] / 2 for m in members)
        right = max(pos[m][0] + sizes[m][0] / 2 for m in members)
        top = max(pos[m][1] + sizes[m][1] / 2 for m in members)
        labels[t] = ((left + right) / 2, top + LABEL)
    return pos, labels


def _mean(xs):
    return sum(xs) / len(xs) if xs else float("inf")
