"""Where things go in an unrolled drawing.

Graphviz's ``dot`` lays out clusters in whatever order its crossing
minimisation ends with, which for an unrolled network is often not time
order.  Every time step records the same ops, so a simple layered layout,
computed here, does better: rows by distance from the loss, steps side by
side in time order, each step laid out the same way.  Graphviz then only
draws the boxes and the edges between these fixed positions (``viz.emit``);
the edges' bends are ``viz.wiring``'s.

Coordinates are in inches.  Rows run along the time axis; ``direction``
"LR" puts time left to right with the loss on top, "TB" puts time top to
bottom with the loss on the right.
"""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["Layout", "place", "UNIT_GAP", "BOX_GAP", "BOX_PAD", "ROW_GAP", "LANE"]

UNIT_GAP = 0.3        # between units of one row
BOX_GAP = 0.5         # between the boxes of two steps
BOX_PAD = 0.25        # inside a box, around its units
LABEL = 0.4           # room for a box's label
ROW_GAP = 0.45        # between rows
ELIDED_WIDTH = 1.6    # the box that stands for the elided steps
LANE = 0.08           # between the parallel tracks of two parameters' routed edges


@dataclass
class Slot:
    """Something placed: a unit of the scene, or a "via", an invisible point that a
    link skipping rows passes through (as dot does), placed like a unit."""
    id: object
    step: object
    is_param: bool
    order: int
    beside: object = None


@dataclass
class Layout:
    """Positions, and the grid that the wiring routes edges along."""
    direction: str
    pos: dict = field(default_factory=dict)       # unit id -> (x, y)
    along: dict = field(default_factory=dict)     # unit id -> its coordinate along time
    row: dict = field(default_factory=dict)       # unit id -> its row, 0 at the top
    offset: list = field(default_factory=list)    # each row's centre, across the time axis
    depth: list = field(default_factory=list)     # each row's size across the time axis
    sizes: dict = field(default_factory=dict)     # unit id -> (width, height)
    spans: dict = field(default_factory=dict)     # step -> (start, end) of its box, along
    gaps: dict = field(default_factory=dict)      # row -> the tracks in the gap under it
    params: list = field(default_factory=list)    # the parameters' ids, in order
    lane_row: int = 0                             # the parameters' row
    labels: dict = field(default_factory=dict)    # step -> where its box's title goes
    vias: list = field(default_factory=list)      # (link, [via ids]) for links that skip rows

    @property
    def size_along(self):
        return 0 if self.direction == "LR" else 1

    def point(self, a, r):
        """(x, y) of a point ``a`` along time and ``r`` across it."""
        return (a, -r) if self.direction == "LR" else (-r, -a)

    def gap_below(self, r, track):
        """Across the time axis: the lane of ``track`` in the gap under row ``r``."""
        tracks = self.gaps.get(r, {})
        k = list(tracks).index(track) if track in tracks else 0
        return self.offset[r] + self.depth[r] / 2 + ROW_GAP / 2 + LANE * k


def place(scene, sizes, direction="LR"):
    """Lay out ``scene`` (a :class:`viz.scene.Scene`) whose units have ``sizes``
    {id: (width, height)} in inches: a :class:`Layout`."""
    height = _heights(scene)
    layout = Layout(direction, sizes=dict(sizes))
    slots = [Slot(u.id, u.step, u.role == "param", u.order, u.beside)
             for u in scene.units.values()]
    slots += _vias(scene, height, layout)
    _rows(scene, slots, height, layout)
    _along(scene, slots, layout)
    for s in slots:
        layout.pos[s.id] = layout.point(layout.along[s.id], layout.offset[layout.row[s.id]])
    return layout


def _heights(scene):
    """Each unit's height above the inputs, along data-flow links.

    Inputs are at height 0 and a unit sits one above its highest producer.
    A state arriving from the step before counts as an input, so every step
    gets the same heights, and a truncated window's first steps (which have
    no cost) line up with the others.  Data leaves then move up to just
    below their first use (a target y_t sits beside the output it is
    compared with).  Parameter links do not count.
    """
    producers, consumers, from_state = {}, {}, set()
    for link in scene.links:
        if link.kind == "flow":
            producers.setdefault(link.dst, []).append(link.src)
            consumers.setdefault(link.src, []).append(link.dst)
        elif link.kind == "state":
            from_state.add(link.dst)
    height = {}
    pending = [u for u in scene.units if scene.units[u].role != "param"]
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
    for u in height:                             # data sits just below where it is used
        if u not in producers and u in consumers and u not in from_state:
            height[u] = max(min(height[c] for c in consumers[u]) - 1, 0)
    # The top level's own computation (L, a weight-decay term) goes above the steps.
    steps_top = max([h for u, h in height.items() if scene.units[u].step is not None],
                    default=0)
    top = [u for u in height if scene.units[u].step is None and u in consumers
           and all(scene.units[c].step is None for c in consumers[u])
           or scene.units[u].step is None and u not in consumers]
    for u in sorted(top, key=lambda u: height[u]):
        below = [height[p] for p in producers.get(u, ())]
        height[u] = max([steps_top + 1] + [h + 1 for h in below])
    for u in height:
        other = scene.units[u].beside
        if other in height:
            height[u] = height[other]
    return height


def _vias(scene, height, layout):
    """A link inside a step that skips rows passes through one invisible via per row
    it crosses, placed like any unit, so that it bends around the nodes."""
    slots = []
    for link in scene.links:
        src, dst = scene.units[link.src], scene.units[link.dst]
        if (link.kind == "flow" and src.step == dst.step
                and (src.step in scene.boxes or src.step is None)
                and height[link.dst] - height[link.src] > 1 and not link.invisible):
            chain = []
            for h in range(height[link.src] + 1, height[link.dst]):
                via = f"via_{len(layout.vias)}_{h}"
                slots.append(Slot(via, src.step, False, len(scene.units) + len(slots)))
                height[via] = h
                layout.sizes[via] = (0.1, 0.1)
                chain.append(via)
            layout.vias.append((link, chain))
    layout.height = height
    return slots


def _rows(scene, slots, height, layout):
    """Rows, top to bottom: the top level (the loss), the parameters used near it, the
    steps by height, then the parameters.  The gaps between rows hold the tracks of
    the routed edges, so they grow with their number."""
    in_steps = [s for s in slots if s.step is not None]
    step_heights = sorted({height[s.id] for s in in_steps}, reverse=True)
    top_heights = sorted({height[s.id] for s in slots if s.step is None and not s.is_param
                          and height[s.id] > step_heights[0]}, reverse=True)
    keys = [("top", h) for h in top_heights] or [("params", "top")]
    keys += [("step", h) for h in step_heights] + [("params", "bottom")]
    index = {k: i for i, k in enumerate(keys)}
    for s in slots:
        if s.is_param:                           # below everything: their edges are routed
            layout.row[s.id] = len(keys) - 1
        elif s.step is None:                     # the loss side, or data shared by many steps
            h = height[s.id]
            layout.row[s.id] = index["top", h] if ("top", h) in index else \
                index["params", "bottom"]
        else:
            layout.row[s.id] = index["step", height[s.id]]
    across = 1 - layout.size_along
    layout.depth = [0.0] * len(keys)
    for s in slots:
        r = layout.row[s.id]
        layout.depth[r] = max(layout.depth[r], layout.sizes[s.id][across])
    layout.lane_row = index["params", "bottom"]
    layout.params = [s.id for s in sorted(slots, key=lambda s: s.order) if s.is_param]
    _tracks(scene, layout)
    r = 0.0
    last_top = max(i for i, k in enumerate(keys) if k[0] in ("top", "params")
                   and i < layout.lane_row)
    for i, d in enumerate(layout.depth):
        layout.offset.append(r + d / 2)
        r += d + ROW_GAP + LANE * len(layout.gaps.get(i, ()))
        if i == last_top:                         # the boxes' labels go under the top level
            r += LABEL / 2 + (0.6 if scene.elided_box is not None else 0)


def _tracks(scene, layout):
    """Which tracks run in the gap under each row.  Parameter edges run along a lane
    above the parameters' row, up a column at the left of each step's box, along the
    gap under the row they enter: each parameter has its own track.  In the cells view
    a state leaves its port into the gap under its row, runs to the gap between the
    boxes and enters the next cell from the gap under that one's row."""
    gaps, row = layout.gaps, layout.row
    for link in scene.links:
        if link.kind == "param":
            gaps.setdefault(row[link.dst], {}).setdefault(link.src, None)
    for p in layout.params:
        gaps.setdefault(layout.lane_row - 1, {}).setdefault(p, None)
    layout.state_track = {}
    for link in scene.links:
        if link.kind == "state":
            k = layout.state_track.setdefault(link.track or "", len(layout.state_track))
            gaps.setdefault(row[link.src], {}).setdefault(f"state{k}", None)
            gaps.setdefault(row[link.dst], {}).setdefault(f"state{k}", None)


def _consumers(scene, layout):
    """{id: the ids its flow links lead to}, through the vias of links that skip rows."""
    consumers = {}
    for link in scene.links:
        if link.kind == "flow":
            consumers.setdefault(link.src, []).append(link.dst)
    for link, chain in layout.vias:
        consumers[link.src] = [chain[0] if c == link.dst else c for c in consumers[link.src]]
        for a, b in zip(chain, chain[1:] + [link.dst]):
            consumers.setdefault(a, []).append(b)
    return consumers


def _along(scene, slots, layout):
    """Along the time axis: the steps side by side, each laid out row by row; the top
    level centred above them; the parameters side by side under the middle."""
    along, sizes, a = layout.along, layout.sizes, layout.size_along
    consumers = _consumers(scene, layout)
    column_room = LANE * (len(layout.params) + 1)
    cursor = 0.0
    for t in scene.boxes:
        members = sorted((s for s in slots if s.step == t), key=lambda s: s.order)
        if t == scene.elided_box:                 # everything at the centre of a narrow box
            width = ELIDED_WIDTH
            for s in members:
                along[s.id] = cursor + BOX_PAD + width / 2
        else:
            width = _box(members, consumers, layout, cursor, column_room)
        layout.spans[t] = (cursor, cursor + width + 2 * BOX_PAD)
        cursor += width + 2 * BOX_PAD + BOX_GAP
    middle = (cursor - BOX_GAP) / 2
    others = {}
    for s in slots:
        if s.step is None and not s.is_param:
            others.setdefault(layout.row[s.id], []).append(s)
    for line in others.values():                  # the top level centred
        line.sort(key=lambda s: s.order)
        total = sum(sizes[s.id][a] for s in line) + UNIT_GAP * 2 * (len(line) - 1)
        x = middle - total / 2
        for s in line:
            along[s.id] = x + sizes[s.id][a] / 2
            x += sizes[s.id][a] + UNIT_GAP * 2
    params = sorted((s for s in slots if s.is_param), key=lambda s: s.order)
    line = sum(sizes[s.id][a] for s in params) + UNIT_GAP * 2 * (len(params) - 1)
    x = max(middle - line / 2, 0.0)
    for s in params:                              # side by side under the middle
        along[s.id] = x + sizes[s.id][a] / 2
        x += sizes[s.id][a] + UNIT_GAP * 2


def _box(members, consumers, layout, cursor, column_room):
    """Place the units of one step's box, row by row, each row ordered by where its
    consumers are; returns the box's width inside its padding."""
    along, sizes, a = layout.along, layout.sizes, layout.size_along
    rows = {}
    for s in members:
        rows.setdefault(layout.row[s.id], []).append(s)
    fraction = {}
    for r in sorted(rows):
        line = rows[r]
        line.sort(key=lambda s: (_mean([fraction[c] for c in consumers.get(s.id, ())
                                        if c in fraction]), s.order))
        for i, s in enumerate(line):
            fraction[s.id] = (i + 0.5) / len(line)
    widths = {r: sum(sizes[s.id][a] for s in line) + UNIT_GAP * (len(line) - 1)
              for r, line in rows.items()}
    width = max(widths.values(), default=1.0) + column_room
    for r, line in rows.items():
        x = cursor + BOX_PAD + column_room + (width - column_room - widths[r]) / 2
        for s in line:
            along[s.id] = x + sizes[s.id][a] / 2
            x += sizes[s.id][a] + UNIT_GAP
    return width


def _mean(xs):
    return sum(xs) / len(xs) if xs else float("inf")
