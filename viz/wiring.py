"""The routes of an unrolled drawing's edges, and where their numbers go.

Given a layout (``viz.layout``), every link that cannot run straight gets a
route, a list of bend points, in ``Link.route``:

* the state passed to the next step leaves its node into the gap under its
  row, runs through the gap between the boxes, and enters the next step's
  node from the gap above it (:func:`states`);
* an edge from a step up to the top level (E_t -> L) rises to the gap under
  its target's row (:func:`up_to_top`);
* an edge between neighbouring rows that would clip a node beside its ends
  turns in the gap between the rows (:func:`around_neighbours`), and one that
  skips rows passes through its vias (:func:`through_vias`).

A link's number (the gradient it sends back) is placed here too
(``Link.label_at``): beside the line, never on it, so the layout check can
hold it to that.
"""

from __future__ import annotations

__all__ = ["route"]


def route(scene, layout, label_sizes, title_width=0.0):
    """Set the route of every link of ``scene`` that bends, and the place of every
    link's label (``label_sizes``: {id(link): (width, height)} in pt); returns where
    each box's title goes {step: (x, y)}."""
    make_room(scene, layout, label_sizes)
    states(scene, layout)
    _choose_title_side(scene, layout, title_width)
    if layout.title_side == "b" and layout.top_rows:      # no titles above the boxes:
        layout.move_rows(range(layout.top_rows),          # the top level comes closer
                         layout.gap("title") - layout.gap("row"))
    up_to_top(scene, layout, title_width)
    around_neighbours(scene, layout)
    through_vias(layout)
    titles = box_titles(scene, layout)
    labels(scene, layout, label_sizes,
           [_band(scene, layout, t, at, title_width) for t, at in titles.items()])
    return titles


def _entry(layout, uid, k):
    """Where along the time axis a state enters a unit: in its left part, one place per
    state (an LSTM's h and c), away from the middle where its own inputs arrive."""
    width = layout.extent(uid)[0]
    return layout.along[uid] - width * (0.3 - 0.12 * k)


def states(scene, layout):
    point, along, row = layout.point, layout.along, layout.row
    for link in scene.links:
        if link.kind != "state":
            continue
        k = layout.state_track[link.track or ""]
        src = scene.units[link.src]
        if row[link.src] == row[link.dst]:        # side by side (a cells view): straight
            continue
        down = layout.gap_below(row[link.src], f"state{k}")
        into = layout.gap_below(row[link.dst] - 1, f"state{k}") if row[link.dst] > 0 else down
        between = layout.spans[src.step][1] + layout.gap("box") * (0.35 + 0.3 * k)
        entry = _entry(layout, link.dst, k)
        link.route = [point(along[link.src], down), point(between, down),
                      point(between, into), point(entry, into)]
        link.label_segment = 0


def up_to_top(scene, layout, title_width=0.0):
    """Links from the steps up to the top level (E_t -> L) rise to a bus just above the
    boxes' titles and run along it, then up to their target: no line crosses the boxes'
    other nodes, nor the legend beside the top level.  A riser that would cross its box's
    title (which sits at the box's top left, ``title_width`` wide) leaves from further
    right."""
    point, along, row = layout.point, layout.along, layout.row
    first = layout.top_rows
    if first >= len(layout.offset):
        return
    above = layout.gap("row" if layout.title_side == "b" else "title")   # the titles' room
    bus = layout.offset[first] - layout.depth[first] / 2 - above - 0.4 * layout.em
    for link in scene.links:
        src, dst = scene.units[link.src], scene.units[link.dst]
        if link.kind == "flow" and src.step in scene.boxes and dst.step is None \
                and row[link.dst] < row[link.src] and not link.invisible:
            a = along[link.src]
            start, end = layout.spans[src.step]
            room = layout.gap("pad") + title_width + 0.5 * layout.em
            half = 0.4 * layout.extent(link.src)[0]
            if layout.title_side == "l" and a < start + room:      # rise right of the title
                a = min(start + room, a + half)
            elif layout.title_side == "r" and a > end - room:     # or left of it
                a = max(end - room, a - half)
            # (under the boxes, "b", the titles are out of the way)
            link.route = [point(a, offset_of(layout, link.src, "top")), point(a, bus),
                          point(along[link.dst], bus)]


def offset_of(layout, uid, side):
    """The r of a unit's side ("top": towards the loss)."""
    r = layout.offset[layout.row[uid]]
    return r - layout.extent(uid)[1] / 2 if side == "top" else r + layout.extent(uid)[1] / 2


def around_neighbours(scene, layout):
    """A straight link between neighbouring rows that would clip a node beside its ends
    (by their sizes) turns in the gap between the rows instead."""
    point, along, row, offset = layout.point, layout.along, layout.row, layout.offset
    members = {}
    for u in scene.units.values():
        members.setdefault((u.step, row[u.id]), []).append(u.id)
    for link, chain in layout.vias:
        for v in chain:
            members.setdefault((scene.units[link.src].step, row[v]), []).append(v)
    for link in scene.links:
        src, dst = scene.units[link.src], scene.units[link.dst]
        if (link.kind != "flow" or link.route or src.step != dst.step or src.step is None
                or row[link.dst] != row[link.src] - 1 or link.invisible):
            continue
        a0, r0, a1, r1 = along[link.src], offset[row[link.src]], along[link.dst], \
            offset[row[link.dst]]
        others = [m for key in ((src.step, row[link.src]), (src.step, row[link.dst]))
                  for m in members.get(key, ()) if m not in (link.src, link.dst)]
        if any(_crosses(a0, r0, a1, r1, along[m], offset[row[m]], *layout.extent(m))
               for m in others):
            reach = 0.4 * layout.extent(link.dst)[0]
            under = min(max(a0, a1 - reach), a1 + reach)
            gap = layout.gap_below(row[link.dst], None)
            link.route = [point(a0, gap), point(under, gap)]


def through_vias(layout):
    """Between two rows the line turns in the gap: up from one point, along the gap, up
    into the next, so it never cuts across a neighbour in either row.  It enters the
    target from below, within the middle of its width.  The vias are then dropped."""
    point, along, row, offset = layout.point, layout.along, layout.row, layout.offset
    for link, chain in layout.vias:
        reach = 0.4 * layout.extent(link.dst)[0]
        under = min(max(along[chain[-1]], along[link.dst] - reach), along[link.dst] + reach)
        stops = [(along[link.src], row[link.src])] + [(along[v], row[v]) for v in chain] + \
            [(under, row[link.dst])]
        bends = []
        for (a, r_a), (b, r_b) in zip(stops, stops[1:]):
            gap = layout.gap_below(r_b, None)
            if bends:
                bends.append(point(a, offset[r_a]))
            bends += [point(a, gap), point(b, gap)]
        link.route = bends
        for v in chain:
            del layout.pos[v]
            del layout.sizes[v]


def make_room(scene, layout, label_sizes):
    """A link between neighbouring rows that asks for room (``Link.make_room``: the
    explorer's numbers) and whose label has no place clear of the units beside its line
    gets a band under the upper row, as a state's number has (``Layout.label_room``):
    the rows below move away."""
    row = layout.row
    for link in scene.links:
        if not link.make_room or link.kind != "flow" or link.invisible \
                or link.label is None or id(link) not in label_sizes \
                or abs(row[link.src] - row[link.dst]) != 1:
            continue
        upper = min(row[link.src], row[link.dst])
        size = label_sizes[id(link)]
        units = [_box_of(layout.pos[u], layout.sizes[u]) for u in layout.sizes
                 if u in layout.pos]
        if upper in layout.label_room or any(_clear(_box_of(c, size), units, [])
                                             for c in _candidates(scene, layout, link, size)):
            continue
        room = 1.4 * layout.em
        layout.label_room[upper] = room
        layout.move_rows(range(upper + 1, len(layout.offset)), room)


def labels(scene, layout, label_sizes, titles=()):
    """Each labelled link's number beside its line, in the first of a few candidate
    places that is clear of every unit, every box's title (``titles``: their bands),
    every other label and every line: above the first stretch of a state's route (inside
    the box it leaves), or to either side of a link's visible stretch, a parameter's name
    nearer where it starts.  A label with no clear place is left out (a cramped figure:
    the node still shows its gradient)."""
    blocked = [_box_of(layout.pos[u], layout.sizes[u]) for u in layout.sizes
               if u in layout.pos] + list(titles)
    lines = {id(link): _polyline(layout, link) for link in scene.links if not link.invisible}
    # a state's number first: it has two places, in the band under its row
    for link in sorted(scene.links, key=lambda link: link.kind != "state"):
        if link.label is None or link.invisible or id(link) not in label_sizes:
            continue
        size = label_sizes[id(link)]
        candidates = _candidates(scene, layout, link, size)
        # a straight link's own line must not cross its number; a bent one's number sits
        # beside one stretch, and the figure draws it as that chain's own (viz.emit); the
        # explorer's numbers (make_room) are drawn above the lines, on a white halo
        own = lines[id(link)] if link.route or link.make_room else None
        link.label_at = next((c for c in candidates if _clear(_box_of(c, size), blocked,
                                                              lines.values(), own)), None)
        if link.label_at is None:             # nowhere clear: better no number than one
            link.label = None                 # on a node or under a line
            continue
        blocked.append(_box_of(link.label_at, size))


def _candidates(scene, layout, link, size):
    """Where the label of ``link`` may go, best first."""
    w, h = size
    along, across = (w, h) if layout.direction == "LR" else (h, w)
    em = layout.em
    if link.kind == "state" and link.route:
        # above the line's first stretch, inside the box it leaves: against the box's
        # right side, or just right of the line's start
        start = layout.along[link.src] + 0.3 * em + along / 2
        end = layout.spans[scene.units[link.src].step][1] - layout.gap("pad") - along / 2
        band = layout.label_band(layout.row[link.src])
        return [layout.point(max(start, end), band), layout.point(start, band)]
    (x0, y0) = layout.pos[link.src]
    (x1, y1) = layout.pos[link.dst] if not link.route else link.route[0]
    # the visible stretch: from where the line leaves its source to where it meets its
    # target (a bent link: its first stretch)
    f0 = _leaving(layout, link.src, (x0, y0), (x1, y1))
    f1 = 1.0 - _leaving(layout, link.dst, (x1, y1), (x0, y0)) if not link.route else 1.0
    if link.route and f0 >= 1.0:          # it bends on its source's side (a riser up to
        (x0, y0), (x1, y1) = link.route[0], (link.route + [layout.pos[link.dst]])[1]
        f0 = 0.0                          # the top level): beside the stretch after the bend
    preferred = (0.3, 0.5, 0.15, 0.7) if link.label_colour else (0.5, 0.3, 0.7)
    out = []
    for f, away in [(f, 0.3) for f in preferred] + \
            [(f / 10, away) for away in (0.3, 1.2, 2.5) for f in range(1, 10)]:
        g = f0 + (f1 - f0) * f
        a, r = _a(layout, (x0 + (x1 - x0) * g, y0 + (y1 - y0) * g)), \
            _r(layout, (x0 + (x1 - x0) * g, y0 + (y1 - y0) * g))
        if layout.row[link.src] == layout.row[link.dst]:     # a level line: above, below
            out += [layout.point(a, r - across / 2 - away / 2 * em),
                    layout.point(a, r + across / 2 + away / 2 * em)]
        else:                                                 # beside it, either side
            lean = -1 if _a(layout, (x0, y0)) < _a(layout, (x1, y1)) - 1 else 1
            out += [layout.point(a + side * (along / 2 + away * em), r)
                    for side in (lean, -lean)]
    return out


def _box_of(centre, size):
    (x, y), (w, h) = centre, size
    return (x - w / 2, y - h / 2, x + w / 2, y + h / 2)


def _polyline(layout, link):
    """The points a link's line passes through, from its source to its target."""
    return [layout.pos[link.src]] + list(link.route) + [layout.pos[link.dst]]


def _clear(box, blocked, lines, own=None):
    """Whether ``box`` overlaps no blocked box and none of ``lines`` but ``own``."""
    x0, y0, x1, y1 = box
    if any(min(x1, b[2]) > max(x0, b[0]) and min(y1, b[3]) > max(y0, b[1]) for b in blocked):
        return False
    return not any(_crosses_box(a, b, box) for line in lines if line is not own
                   for a, b in zip(line, line[1:]))


def _crosses_box(a, b, box):
    """Whether the segment a-b passes through the inside of ``box`` (Liang-Barsky: clip
    the segment's parameter range to each of the box's four sides)."""
    (ax, ay), (bx, by), (x0, y0, x1, y1) = a, b, box
    low, high = 0.0, 1.0
    for d, start, lo, hi in ((bx - ax, ax, x0, x1), (by - ay, ay, y0, y1)):
        if abs(d) < 1e-12:
            if not lo < start < hi:
                return False
            continue
        t0, t1 = sorted(((lo - start) / d, (hi - start) / d))
        low, high = max(low, t0), min(high, t1)
    return high - low > 1e-9


def _leaving(layout, uid, p, q):
    """The fraction of the way from ``p`` (the middle of unit ``uid``) to ``q`` at which
    the line leaves the unit's box."""
    w, h = layout.sizes[uid]
    dx, dy = abs(q[0] - p[0]), abs(q[1] - p[1])
    fractions = [w / 2 / dx if dx else 1.0, h / 2 / dy if dy else 1.0]
    return min(min(fractions), 1.0)


def _a(layout, point):
    return point[0] if layout.direction == "LR" else -point[1]


def _r(layout, point):
    return -point[1] if layout.direction == "LR" else -point[0]


def box_titles(scene, layout):
    """Room above each box's units for its title: {step: (x, y)} of the title's middle."""
    pos, sizes = layout.pos, layout.sizes
    titles = {}
    for t in layout.spans:
        members = [u.id for u in scene.units.values() if u.step == t and u.id in pos]
        left = min(pos[m][0] - sizes[m][0] / 2 for m in members)
        right = max(pos[m][0] + sizes[m][0] / 2 for m in members)
        top = max(pos[m][1] + sizes[m][1] / 2 for m in members)
        # the box's top is at this point (or a few pt above it: Graphviz's margin), and
        # its title (a line and its padding) hangs from that top: just clear of the units
        if getattr(layout, "title_side", "l") == "b":      # under the box instead
            bottom = min(pos[m][1] - sizes[m][1] / 2 for m in members)
            titles[t] = ((left + right) / 2, bottom - title_height(layout.em) - 0.15 * layout.em)
        else:
            titles[t] = ((left + right) / 2, top + title_height(layout.em) + 0.15 * layout.em)
    return titles


def _band(scene, layout, t, at, width):
    """Where box t's title ("t = 3", ``width`` pt wide) is drawn: in the room kept for it
    from the units' top (or bottom) to ``at`` (see :func:`box_titles`), at the box's left
    or right."""
    pos, sizes = layout.pos, layout.sizes
    members = [u.id for u in scene.units.values() if u.step == t and u.id in pos]
    left = min(pos[m][0] - sizes[m][0] / 2 for m in members) - layout.gap("pad")
    right = max(pos[m][0] + sizes[m][0] / 2 for m in members) + layout.gap("pad")
    side = getattr(layout, "title_side", "l")
    width += 2 * layout.gap("pad") + 1.5 * layout.em     # the box's margin, the title's padding
    if side == "r":
        left = right - width
    else:
        right = left + width
    room = title_height(layout.em) + 0.15 * layout.em   # from the units' edge to ``at``
    if side == "b":
        return (left, at[1], right, at[1] + room)
    return (left, at[1] - room, right, at[1])


def title_height(em):
    """The height of a box's title: a line of text and its padding (see viz.emit)."""
    return 1.25 * em + 2 * round(em / 5) + 2


def title_side(scene, layout, t=None):
    """Where the boxes' titles go, the same for every box: top left ("l"), top right
    ("r") when an edge rising from a box to the top level would cross a left title and
    none a right one, and under the box ("b") when both would be crossed."""
    return getattr(layout, "title_side", "l")


def _choose_title_side(scene, layout, title_width):
    """Set ``layout.title_side`` from where the edges up to the top level leave the boxes."""
    room = title_width + layout.gap("pad") + 0.5 * layout.em
    left = right = False
    for link in scene.links:
        src, dst = scene.units[link.src], scene.units[link.dst]
        if link.kind == "flow" and src.step in scene.boxes and dst.step is None \
                and not link.invisible:
            start, end = layout.spans[src.step]
            half = layout.extent(link.src)[0] / 2
            a = layout.along[link.src]
            left |= a - half < start + room          # its riser could meet a left title
            right |= a + half > end - room
    if layout.direction == "TB":              # the states come in from the box before,
        layout.title_side = "r"               # on the left: the titles go right
    elif left and right:
        layout.title_side = "b"               # both sides crossed: under the boxes
    else:
        layout.title_side = "r" if left and not right else "l"


def _crosses(a0, r0, a1, r1, a, r, width, depth):
    """Whether the segment (a0, r0)-(a1, r1) passes through the box centred at (a, r)."""
    for k in range(1, 20):
        f = k / 20
        x, y = a0 + (a1 - a0) * f, r0 + (r1 - r0) * f
        if abs(x - a) < width / 2 and abs(y - r) < depth / 2:
            return True
    return False
