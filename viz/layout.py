"""Where things go in an unrolled drawing.

Graphviz's ``dot`` lays out clusters in whatever order its crossing
minimisation ends with, which for an unrolled network is often not time
order.  Every time step records the same ops, so a simple layered layout,
computed here, does better: rows by distance from the loss, steps side by
side in time order, each step laid out the same way, and under the steps the
parameters' ledger (see ``viz.scene``).  Graphviz then only draws the boxes
and the edges between these fixed positions (``viz.emit``); the edges' bends
are ``viz.wiring``'s.

Sizes are in points and every gap is a multiple of the font size (em), so a
slide's larger text spreads the layout with it.  Rows run along the time
axis; ``direction`` "LR" puts time left to right with the loss on top, "TB"
puts time top to bottom with the loss on the right.  Coordinates are
(a, r): a along the time axis, r across it, growing away from the loss; a
point is (x, y) = (a, −r) for "LR" and (−r, −a) for "TB".
"""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["Layout", "place", "GAPS"]

# Gaps, in em.
GAPS = {
    "unit": 1.0,         # between units of one row
    "box": 1.2,          # between the boxes of two steps
    "pad": 0.4,          # inside a box, around its units
    "row": 1.2,          # between rows (edges and their numbers run in these gaps)
    "title": 2.3,        # a box's title
    "ledger": 0.6,       # above the ledger's rows, inside the boxes
    "ledger_row": 0.15,  # between the ledger's rows
    "elided": 4.0,       # the least width of the box that stands for the elided steps
    "outside": 1.0,      # between the boxes and the ledger's heads and sums
}


@dataclass
class Slot:
    """Something placed: a unit of the scene, or a "via", an invisible point that a
    link skipping rows passes through (as dot does), placed like a unit."""
    id: object
    step: object
    role: str
    order: int
    beside: object = None
    before: bool = False


@dataclass
class Layout:
    """Positions, and the grid that the wiring routes edges along."""
    direction: str
    em: float                                     # the font size, pt
    pos: dict = field(default_factory=dict)       # unit id -> (x, y), pt
    along: dict = field(default_factory=dict)     # unit id -> a
    row: dict = field(default_factory=dict)       # unit id -> its row, 0 at the top
    offset: list = field(default_factory=list)    # each row's centre, r
    depth: list = field(default_factory=list)     # each row's size across the time axis
    sizes: dict = field(default_factory=dict)     # unit id -> (width, height), pt
    spans: dict = field(default_factory=dict)     # step -> (start, end) of its box, along
    gaps: dict = field(default_factory=dict)      # row -> the tracks in the gap under it
    titles: dict = field(default_factory=dict)    # step -> where its box's title goes (x, y)
    vias: list = field(default_factory=list)      # (link, [via ids]) for links that skip rows
    height: dict = field(default_factory=dict)    # unit id -> its height above the inputs
    state_track: dict = field(default_factory=dict)
    label_room: dict = field(default_factory=dict)    # row -> a band under it for numbers
    ledger_rows: list = field(default_factory=list)   # the ledger's rows' indices

    @property
    def size_along(self):
        return 0 if self.direction == "LR" else 1

    def gap(self, name):
        return GAPS[name] * self.em

    def point(self, a, r):
        """(x, y) of a point ``a`` along time and ``r`` across it."""
        return (a, -r) if self.direction == "LR" else (-r, -a)

    def extent(self, uid):
        """(along, across) size of a unit."""
        w, h = self.sizes[uid]
        return (w, h) if self.direction == "LR" else (h, w)

    def gap_below(self, r, track):
        """Across the time axis: the lane of ``track`` in the gap under row ``r`` (the
        gap's middle when it has one track)."""
        tracks = list(self.gaps.get(r, {})) or [None]
        k = tracks.index(track) if track in tracks else 0
        lane = self.gap("row") / (len(tracks) + 1)
        return self.offset[r] + self.depth[r] / 2 + self.label_room.get(r, 0.0) + lane * (k + 1)

    def move_rows(self, rows, by):
        """Move ``rows`` ``by`` pt across the time axis (away from the top level)."""
        for i in rows:
            self.offset[i] += by
        for uid, i in self.row.items():
            if i in rows:
                self.pos[uid] = self.point(self.along[uid], self.offset[i])

    def label_band(self, r):
        """Across the time axis: the middle of the band under row ``r`` kept for the
        numbers of the states that leave it."""
        return self.offset[r] + self.depth[r] / 2 + self.label_room.get(r, 0.0) / 2

    def bounds(self):
        """(left, bottom, right, top) of every unit, pt."""
        xs = [(x - self.sizes[u][0] / 2, x + self.sizes[u][0] / 2)
              for u, (x, _) in self.pos.items() if u in self.sizes]
        ys = [(y - self.sizes[u][1] / 2, y + self.sizes[u][1] / 2)
              for u, (_, y) in self.pos.items() if u in self.sizes]
        return (min(a for a, _ in xs), min(a for a, _ in ys), max(b for _, b in xs),
                max(b for _, b in ys))


def place(scene, sizes, direction="LR", em=10.0, header=0.0):
    """Lay out ``scene`` (a :class:`viz.scene.Scene`) whose units have ``sizes``
    {id: (width, height)} in pt, with text of ``em`` pt: a :class:`Layout`.  The band
    above the steps, beside the top level, is at least ``header`` pt high (room for
    the legend)."""
    layout = Layout(direction, em, sizes=dict(sizes))
    layout.header = header
    layout.height = _heights(scene)
    slots = [Slot(u.id, u.step, u.role, u.order, u.beside, u.before)
             for u in scene.units.values()]
    slots += _vias(scene, layout)
    _rows(scene, slots, layout)
    _across(scene, layout)
    _along(scene, slots, layout)
    for s in slots:
        layout.pos[s.id] = layout.point(layout.along[s.id], layout.offset[layout.row[s.id]])
    return layout


_LEDGER = ("param", "term", "total")


def _heights(scene):
    """Each unit's height above the inputs, along data-flow links.

    Inputs are at height 0 and a unit sits one above its highest producer.
    A state arriving from the step before counts as an input, so every step
    gets the same heights, and a truncated window's first steps (which have
    no cost) line up with the others.  Data leaves then move up to just
    below their first use (a target y_t sits beside the output it is
    compared with).  The ledger is not in the flow.
    """
    producers, consumers, from_state = {}, {}, set()
    for link in scene.links:
        if link.kind == "flow":
            producers.setdefault(link.dst, []).append(link.src)
            consumers.setdefault(link.src, []).append(link.dst)
        elif link.kind == "state":
            from_state.add(link.dst)
    height = {}
    pending = [u for u in scene.units if scene.units[u].role not in _LEDGER]
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
    _top_level_above(scene, height, producers, consumers)
    for u in height:
        other = scene.units[u].beside
        if other in height:
            height[u] = height[other]
    return height


def _top_level_above(scene, height, producers, consumers):
    """The top level's own computation (L, a weight-decay term) goes above the steps."""
    steps_top = max([h for u, h in height.items() if scene.units[u].step is not None],
                    default=0)
    top = [u for u in height if scene.units[u].step is None and u in consumers
           and all(scene.units[c].step is None for c in consumers[u])
           or scene.units[u].step is None and u not in consumers]
    for u in sorted(top, key=lambda u: height[u]):
        below = [height[p] for p in producers.get(u, ())]
        height[u] = max([steps_top + 1] + [h + 1 for h in below])


def _vias(scene, layout):
    """A link inside a step that skips rows passes through one invisible via per row
    it crosses, placed like any unit, so that it bends around the nodes."""
    slots, height = [], layout.height
    for link in scene.links:
        src, dst = scene.units[link.src], scene.units[link.dst]
        if (link.kind == "flow" and src.step == dst.step
                and (src.step in scene.boxes or src.step is None)
                and height[link.dst] - height[link.src] > 1 and not link.invisible):
            chain = []
            for h in range(height[link.src] + 1, height[link.dst]):
                via = f"via_{len(layout.vias)}_{h}"
                slots.append(Slot(via, src.step, "via", len(scene.units) + len(slots)))
                height[via] = h
                layout.sizes[via] = (1.0, 1.0)
                chain.append(via)
            layout.vias.append((link, chain))
    return slots


def _rows(scene, slots, layout):
    """Rows, top to bottom: the top level (the loss), the steps by height, then one row
    per parameter of the ledger."""
    keys, top_rows, ledger_rows = _row_keys(scene, slots, layout.height)
    index = {k: i for i, k in enumerate(keys)}
    for k, (head, terms, total) in enumerate(scene.ledger):
        for uid in [head, *terms] + ([total] if total else []):
            layout.row[uid] = index["ledger", min(k, ledger_rows - 1)]
    for s in slots:
        if s.role not in _LEDGER:
            h = layout.height[s.id]
            top = s.step is None and ("top", h) in index
            layout.row[s.id] = index["top", h] if top else index["step", h]
    layout.depth = [0.0] * len(keys)
    for s in slots:
        r = layout.row[s.id]
        layout.depth[r] = max(layout.depth[r], layout.extent(s.id)[1])
    layout.ledger_rows = [index["ledger", k] for k in range(ledger_rows)]
    layout.top_rows = top_rows
    _tracks(scene, layout)


def _row_keys(scene, slots, height):
    """The rows' keys in order, ("top" | "step" | "ledger", height or k), with how many
    rows the top level and the ledger take."""
    flow = [s for s in slots if s.role not in _LEDGER]
    step_heights = sorted({height[s.id] for s in flow if s.step is not None}, reverse=True)
    top_heights = sorted({height[s.id] for s in flow if s.step is None
                          and height[s.id] > step_heights[0]}, reverse=True)
    # a row per parameter; without terms or sums, the parameters side by side in one
    ledger_rows = len(scene.ledger) if scene.has_terms() else min(len(scene.ledger), 1)
    keys = [("top", h) for h in top_heights] + [("step", h) for h in step_heights] + \
        [("ledger", k) for k in range(ledger_rows)]
    return keys, len(top_heights), ledger_rows


def _tracks(scene, layout):
    """Which tracks run in the gap under each row: the states passed to the next step
    (each state its own track, so that an LSTM's h and c run side by side)."""
    row = layout.row
    for link in scene.links:
        if link.kind == "state":
            k = layout.state_track.setdefault(link.track or "", len(layout.state_track))
            layout.gaps.setdefault(row[link.src], {}).setdefault(f"state{k}", None)
            layout.gaps.setdefault(row[link.dst], {}).setdefault(f"state{k}", None)
            if link.label is not None and row[link.src] != row[link.dst]:
                layout.label_room[row[link.src]] = 1.4 * layout.em


def _across(scene, layout):
    """Each row's centre across the time axis: the rows and the gaps between them (the
    boxes' titles under the top level, a little room above the ledger)."""
    ledger = set(layout.ledger_rows)
    r = 0.0 if layout.top_rows else layout.gap("title")
    for i, d in enumerate(layout.depth):
        if i in ledger and i - 1 not in ledger:       # the first of the ledger's rows
            # (one row of parameters under the boxes: room for titles under the boxes)
            r += layout.gap("ledger" if scene.has_terms() else "title") - layout.gap("row")
        layout.offset.append(r + d / 2)
        r += d + (layout.gap("ledger_row") if i in ledger else layout.gap("row"))
        r += layout.label_room.get(i, 0.0)
        if i == layout.top_rows - 1:
            r = max(r, layout.header + layout.gap("row")) + layout.gap("title")


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
    """Along the time axis: the ledger's heads first, then the steps side by side, each
    laid out row by row, then the ledger's sums; the top level centred above the steps."""
    first = _heads(scene, slots, layout)
    cursor = _steps_along(scene, slots, layout, first)
    _sums(scene, slots, layout, cursor + layout.gap("outside") - layout.gap("box"))
    _top_level(slots, layout, (first + cursor - layout.gap("box")) / 2)


def _heads(scene, slots, layout):
    """The ledger's heads: a column left of the boxes (with terms), else one row under
    them, each head with its sum.  Returns where the boxes start."""
    heads = [s for s in slots if s.role == "param"]
    if heads and scene.has_terms():
        room = max(layout.extent(s.id)[0] for s in heads)
        for s in heads:
            layout.along[s.id] = room / 2
        return room + layout.gap("outside")
    x = layout.gap("pad")
    for head, _, total in scene.ledger if heads else ():
        for uid in (head, total) if total else (head,):
            layout.along[uid] = x + layout.extent(uid)[0] / 2
            x += layout.extent(uid)[0] + layout.gap("unit") * (0.4 if uid == head else 1.5)
    return 0.0


def _steps_along(scene, slots, layout, cursor):
    """The boxes of the steps side by side from ``cursor``; returns where the next box
    would start."""
    consumers = _consumers(scene, layout)
    for t in scene.boxes:
        if layout.direction == "TB":              # the box's title goes first along time
            cursor += layout.gap("title")
        members = sorted((s for s in slots if s.step == t), key=lambda s: s.order)
        width = _box(members, consumers, layout, cursor, minimum=layout.gap("elided")
                     if t == scene.elided_box else 0.0)
        layout.spans[t] = (cursor, cursor + width + 2 * layout.gap("pad"))
        cursor += width + 2 * layout.gap("pad") + layout.gap("box")
    return cursor


def _sums(scene, slots, layout, cursor):
    """Right of the boxes from ``cursor``: the terms of uses outside the steps, then the
    ledger's sums, flush left in one column."""
    outside = [s for s in slots if s.role == "term" and s.step is None]
    if outside:
        room = max(layout.extent(s.id)[0] for s in outside)
        for s in outside:
            layout.along[s.id] = cursor + room / 2
        cursor += room + layout.gap("unit")
    if scene.has_terms():
        for s in slots:
            if s.role == "total":
                layout.along[s.id] = cursor + layout.extent(s.id)[0] / 2


def _top_level(slots, layout, middle):
    """The top level's units side by side in each row, centred on the steps."""
    others = {}
    for s in slots:
        if s.step is None and s.role not in _LEDGER:
            others.setdefault(layout.row[s.id], []).append(s)
    for line in others.values():
        line.sort(key=lambda s: s.order)
        total = sum(layout.extent(s.id)[0] for s in line) + \
            2 * layout.gap("unit") * (len(line) - 1)
        x = middle - total / 2
        for s in line:
            layout.along[s.id] = x + layout.extent(s.id)[0] / 2
            x += layout.extent(s.id)[0] + 2 * layout.gap("unit")


def _box(members, consumers, layout, cursor, minimum=0.0):
    """Place the units of one step's box, row by row, each row ordered by where its
    consumers are, and centred; returns the box's width inside its padding."""
    along = layout.along
    rows = {}
    for s in members:
        rows.setdefault(layout.row[s.id], []).append(s)
    fraction = {}
    for r in sorted(rows):
        line = rows[r]
        line.sort(key=lambda s: (not s.before, _mean([fraction[c] for c in
                                                      consumers.get(s.id, ()) if c in fraction]),
                                 s.order))
        for i, s in enumerate(line):
            fraction[s.id] = (i + 0.5) / len(line)
    widths = {r: sum(layout.extent(s.id)[0] for s in line) +
              layout.gap("unit") * (len(line) - 1) for r, line in rows.items()}
    width = max([minimum] + list(widths.values()))
    for r, line in rows.items():
        x = cursor + layout.gap("pad") + (width - widths[r]) / 2
        for s in line:
            along[s.id] = x + layout.extent(s.id)[0] / 2
            x += layout.extent(s.id)[0] + layout.gap("unit")
    return width


def _mean(xs):
    return sum(xs) / len(xs) if xs else float("inf")

