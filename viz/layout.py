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
LANE = 0.08           # between the parallel tracks of two parameters' routed edges


@dataclass
class Unit:
    """One drawn node: an op, a leaf, a cell box or a parameter."""
    id: str
    step: object            # its time step t; None for the top level; "top"/"bottom" for parameters
    attrs: dict
    order: int = 0          # creation order, to break ties
    beside: str = ""        # the id of a unit whose row this one joins (to its right)


@dataclass
class Link:
    """One drawn edge, from producer to consumer."""
    src: str
    dst: str
    kind: str               # "flow" (inside a step or to the top level), "state", "param", "invis"
    attrs: dict = field(default_factory=dict)
    route: list = field(default_factory=list)     # bends, set by place()
    label_segment: int = -1                       # which segment of a bent link has its label


@dataclass
class Scene:
    units: dict = field(default_factory=dict)     # id -> Unit, in creation order
    links: list = field(default_factory=list)
    boxes: list = field(default_factory=list)     # the drawn steps, in time order
    squeezed: object = None                       # the step drawn as the narrow elision box
    root: str = ""
    notes: dict = field(default_factory=dict)     # lines for the elided box: what it hides

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
    width = max(len(line) for line in lines) * 0.08 * font + 0.3
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


def place(scene, direction="LR"):
    """Positions {unit id: (x, y)} and, per box, where its label spacer goes."""
    height = _heights(scene)
    # A link inside a step that skips rows passes through one invisible "via" per row it
    # crosses, placed like any unit (as dot does), so that it bends around the nodes.
    vias = []
    for link in scene.links:
        src, dst = scene.units[link.src], scene.units[link.dst]
        if (link.kind == "flow" and src.step == dst.step
                and (src.step in scene.boxes or src.step is None)
                and height[link.dst] - height[link.src] > 1
                and link.attrs.get("style") != "invis"):
            chain = []
            for h in range(height[link.src] + 1, height[link.dst]):
                via = Unit(f"via_{len(vias)}_{h}", src.step, {"style": "invis"})
                scene.add(via)
                height[via.id] = h
                chain.append(via.id)
            vias.append((link, chain))
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
        if u.step in ("top", "bottom"):          # below everything: their edges are routed
            row[u.id] = len(keys) - 1
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

    # Parameter edges run in tracks: along a lane above the parameters' row, up a
    # column at the left of each step's box, along the gap under the row they
    # enter.  Each parameter has its own track, so the gaps grow with their number.
    params = [u.id for u in sorted(units, key=lambda u: u.order) if u.step in ("top", "bottom")]
    track = {p: k for k, p in enumerate(params)}
    param_links = [link for link in scene.links if link.kind == "param"]
    gap_tracks = {}                               # row -> the tracks in the gap under it
    for link in param_links:
        gap_tracks.setdefault(row[link.dst], {}).setdefault(link.src, None)
    lane_row = index["params", "bottom"]
    for p in params:
        gap_tracks.setdefault(lane_row - 1, {}).setdefault(p, None)
    # In the cells view a state leaves its port beside E_t down into the gap under
    # that row, runs to the gap between the boxes and enters the next cell from the left.
    state_track = {}
    for link in scene.links:
        if link.kind == "state":
            k = state_track.setdefault(link.attrs.get("_track", ""), len(state_track))
            gap_tracks.setdefault(row[link.src], {}).setdefault(f"state{k}", None)
            gap_tracks.setdefault(row[link.dst], {}).setdefault(f"state{k}", None)
    offset, r = [], 0.0
    last_top = max(i for i, k in enumerate(keys) if k[0] in ("top", "params") and i < lane_row)
    for i, d in enumerate(depth):
        offset.append(r + d / 2)
        r += d + ROW_GAP + LANE * len(gap_tracks.get(i, ()))
        if i == last_top:                         # the boxes' labels go under the top level
            r += LABEL / 2 + (0.6 if scene.squeezed is not None else 0)
    column_room = LANE * (len(params) + 1)

    consumers = {}
    for link in scene.links:
        if link.kind == "flow":
            consumers.setdefault(link.src, []).append(link.dst)
    for link, chain in vias:
        consumers[link.src] = [chain[0] if c == link.dst else c for c in consumers[link.src]]
        for a, b in zip(chain, chain[1:] + [link.dst]):
            consumers.setdefault(a, []).append(b)

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
            width = max(widths.values(), default=1.0) + column_room
            for r_, line in rows.items():
                x = cursor + BOX_PAD + column_room + (width - column_room - widths[r_]) / 2
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
    bottom = sorted((u for u in units if u.step in ("top", "bottom")), key=lambda u: u.order)
    line = sum(sizes[u.id][along] for u in bottom) + UNIT_GAP * 2 * (len(bottom) - 1)
    x = max(middle - line / 2, 0.0)
    for u in bottom:                              # side by side under the middle
        pos_along[u.id] = x + sizes[u.id][along] / 2
        x += sizes[u.id][along] + UNIT_GAP * 2

    def convert(a, r_):
        return (a, -r_) if direction == "LR" else (-r_, -a)

    pos = {}
    for u in units:
        pos[u.id] = convert(pos_along[u.id], offset[row[u.id]])

    # The routes of the parameter edges, as bends between the parameter and its consumer.
    box_left = {t: span[0] for t, span in spans.items()}
    left_of_all = min([0.0] + [pos_along[u.id] - sizes[u.id][along] / 2 for u in units])

    def gap_below(r_, track):
        k = list(gap_tracks.get(r_, {})).index(track) if track in gap_tracks.get(r_, {}) else 0
        return offset[r_] + depth[r_] / 2 + ROW_GAP / 2 + LANE * k

    for link in param_links:
        k = track[link.src]
        dst = scene.units[link.dst]
        if dst.step in scene.boxes:
            column = box_left[dst.step] + BOX_PAD / 2 + LANE * k
            target = pos_along[link.dst]
        else:                                     # the top level: left of all the boxes
            column = left_of_all - BOX_PAD - LANE * k
            target = pos_along[link.dst] + LANE * (k - len(params) / 2)
        lane = gap_below(lane_row - 1, link.src)
        up = gap_below(row[link.dst], link.src)
        link.route = [convert(pos_along[link.src], lane), convert(column, lane),
                      convert(column, up), convert(target, up)]

    # The state runs from the gap under its row to the gap between the boxes, and
    # enters the next step's consumer from the gap under that one's row.
    for link in scene.links:
        if link.kind == "state":
            k = state_track[link.attrs.pop("_track", "")]
            src = scene.units[link.src]
            down = gap_below(row[link.src], f"state{k}")
            into = gap_below(row[link.dst], f"state{k}")
            between = spans[src.step][1] + BOX_GAP / 2 + LANE * (k - 0.5)
            link.route = [convert(pos_along[link.src], down), convert(between, down),
                          convert(between, into),
                          convert(pos_along[link.dst] - LANE * (k + 1), into)]
            link.label_segment = 2

    # Links from the steps up to the top level (E_t -> L) rise to the gap under their
    # target's row and run along it: no line crosses the boxes' other nodes.
    for link in scene.links:
        src, dst = scene.units[link.src], scene.units[link.dst]
        if link.kind == "flow" and src.step in scene.boxes and dst.step is None \
                and row[link.dst] < row[link.src] and link.attrs.get("style") != "invis":
            up = gap_below(row[link.dst], None)
            link.route = [convert(pos_along[link.src], up), convert(pos_along[link.dst], up)]
    labels = {}                                   # room above each box's units for its label
    for t in spans:
        members = [u.id for u in in_steps if u.step == t]
        left = min(pos[m][0] - sizes[m][0] / 2 for m in members)
        right = max(pos[m][0] + sizes[m][0] / 2 for m in members)
        top = max(pos[m][1] + sizes[m][1] / 2 for m in members)
        labels[t] = ((left + right) / 2, top + LABEL)
    # A straight link between neighbouring rows that would clip a node beside its ends
    # (by the estimated sizes) turns in the gap between the rows instead.
    members = {}
    for u in units:
        members.setdefault((u.step, row[u.id]), []).append(u.id)
    for link in scene.links:
        src, dst = scene.units[link.src], scene.units[link.dst]
        if (link.kind != "flow" or link.route or src.step != dst.step or src.step is None
                or row[link.dst] != row[link.src] - 1 or link.attrs.get("style") == "invis"):
            continue
        a0, r0, a1, r1 = pos_along[link.src], offset[row[link.src]], pos_along[link.dst], \
            offset[row[link.dst]]
        others = [m for key in ((src.step, row[link.src]), (src.step, row[link.dst]))
                  for m in members.get(key, ()) if m not in (link.src, link.dst)]
        if any(_crosses(a0, r0, a1, r1, pos_along[m], offset[row[m]], sizes[m][along],
                        sizes[m][across]) for m in others):
            reach = 0.4 * sizes[link.dst][along]
            under = min(max(a0, a1 - reach), a1 + reach)
            gap = gap_below(row[link.dst], None)
            link.route = [convert(a0, gap), convert(under, gap)]

    for link, chain in vias:
        # Between two rows the line turns in the gap: up from one point, along the gap,
        # up into the next, so it never cuts across a neighbour in either row.  It
        # enters the target from below, within the middle of its width.
        reach = 0.4 * sizes[link.dst][along]
        under = min(max(pos_along[chain[-1]], pos_along[link.dst] - reach),
                    pos_along[link.dst] + reach)
        stops = [(pos_along[link.src], row[link.src])] + \
            [(pos_along[v], row[v]) for v in chain] + [(under, row[link.dst])]
        route = []
        for (a, r_a), (b, r_b) in zip(stops, stops[1:]):
            gap = gap_below(r_b, None)
            if route:
                route.append(convert(a, offset[r_a]))
            route += [convert(a, gap), convert(b, gap)]
        link.route = route
        for v in chain:
            del scene.units[v]
            del pos[v]
    return pos, labels


def _crosses(a0, r0, a1, r1, a, r, width, depth):
    """Whether the segment (a0, r0)-(a1, r1) passes through the box centred at (a, r)."""
    for k in range(1, 20):
        f = k / 20
        x, y = a0 + (a1 - a0) * f, r0 + (r1 - r0) * f
        if abs(x - a) < width / 2 and abs(y - r) < depth / 2:
            return True
    return False


def _mean(xs):
    return sum(xs) / len(xs) if xs else float("inf")
