"""The routes of an unrolled drawing's edges: where they bend.

Given a layout (``viz.layout``), every link that cannot run straight gets a
route, a list of bend points, in ``Link.route``:

* a shared parameter's edge to each copy runs along its own track: a lane
  above the parameters, a column at the left of the copy's box, the gap under
  the row it enters (:func:`parameters`);
* the state passed to the next step runs down into the gap under its row,
  through the gap between the boxes, and into the next step (:func:`states`);
* an edge from a step up to the top level (E_t -> L) rises to the gap under
  its target's row (:func:`up_to_top`);
* an edge between neighbouring rows that would clip a node beside its ends
  turns in the gap between the rows (:func:`around_neighbours`), and one that
  skips rows passes through its vias (:func:`through_vias`).
"""

from __future__ import annotations

from .layout import BOX_GAP, BOX_PAD, LABEL, LANE

__all__ = ["route"]


def route(scene, layout):
    """Set the route of every link of ``scene`` that bends; returns where each box's
    title goes {step: (x, y)}."""
    parameters(scene, layout)
    states(scene, layout)
    up_to_top(scene, layout)
    titles = box_titles(scene, layout)
    around_neighbours(scene, layout)
    through_vias(layout)
    return titles


def parameters(scene, layout):
    point, along, sizes, a = layout.point, layout.along, layout.sizes, layout.size_along
    track = {p: k for k, p in enumerate(layout.params)}
    left_of_all = min([0.0] + [along[u] - sizes[u][a] / 2 for u in along])
    for link in scene.links:
        if link.kind != "param":
            continue
        k = track[link.src]
        dst = scene.units[link.dst]
        if dst.step in scene.boxes:
            column = layout.spans[dst.step][0] + BOX_PAD / 2 + LANE * k
            target = along[link.dst]
        else:                                     # the top level: left of all the boxes
            column = left_of_all - BOX_PAD - LANE * k
            target = along[link.dst] + LANE * (k - len(layout.params) / 2)
        lane = layout.gap_below(layout.lane_row - 1, link.src)
        up = layout.gap_below(layout.row[link.dst], link.src)
        link.route = [point(along[link.src], lane), point(column, lane), point(column, up),
                      point(target, up)]


def states(scene, layout):
    point, along = layout.point, layout.along
    for link in scene.links:
        if link.kind != "state":
            continue
        k = layout.state_track[link.track or ""]
        src = scene.units[link.src]
        down = layout.gap_below(layout.row[link.src], f"state{k}")
        into = layout.gap_below(layout.row[link.dst], f"state{k}")
        between = layout.spans[src.step][1] + BOX_GAP / 2 + LANE * (k - 0.5)
        link.route = [point(along[link.src], down), point(between, down),
                      point(between, into), point(along[link.dst] - LANE * (k + 1), into)]
        link.label_segment = 2


def up_to_top(scene, layout):
    """Links from the steps up to the top level (E_t -> L) rise to the gap under their
    target's row and run along it: no line crosses the boxes' other nodes."""
    point, along, row = layout.point, layout.along, layout.row
    for link in scene.links:
        src, dst = scene.units[link.src], scene.units[link.dst]
        if link.kind == "flow" and src.step in scene.boxes and dst.step is None \
                and dst.role != "param" and row[link.dst] < row[link.src] and not link.invisible:
            up = layout.gap_below(row[link.dst], None)
            link.route = [point(along[link.src], up), point(along[link.dst], up)]


def box_titles(scene, layout):
    """Room above each box's units for its title: {step: (x, y)}."""
    pos, sizes = layout.pos, layout.sizes
    titles = {}
    for t in layout.spans:
        members = [u.id for u in scene.units.values() if u.step == t] + \
            [v for link, chain in layout.vias for v in chain
             if scene.units[link.src].step == t]
        left = min(pos[m][0] - sizes[m][0] / 2 for m in members)
        right = max(pos[m][0] + sizes[m][0] / 2 for m in members)
        top = max(pos[m][1] + sizes[m][1] / 2 for m in members)
        titles[t] = ((left + right) / 2, top + LABEL)
    return titles


def around_neighbours(scene, layout):
    """A straight link between neighbouring rows that would clip a node beside its ends
    (by the estimated sizes) turns in the gap between the rows instead."""
    point, along, row, offset, sizes = (layout.point, layout.along, layout.row, layout.offset,
                                        layout.sizes)
    a, across = layout.size_along, 1 - layout.size_along
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
        if any(_crosses(a0, r0, a1, r1, along[m], offset[row[m]], sizes[m][a], sizes[m][across])
               for m in others):
            reach = 0.4 * sizes[link.dst][a]
            under = min(max(a0, a1 - reach), a1 + reach)
            gap = layout.gap_below(row[link.dst], None)
            link.route = [point(a0, gap), point(under, gap)]


def through_vias(layout):
    """Between two rows the line turns in the gap: up from one point, along the gap, up
    into the next, so it never cuts across a neighbour in either row.  It enters the
    target from below, within the middle of its width.  The vias are then dropped."""
    point, along, row, offset, sizes = (layout.point, layout.along, layout.row, layout.offset,
                                        layout.sizes)
    for link, chain in layout.vias:
        reach = 0.4 * sizes[link.dst][layout.size_along]
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


def _crosses(a0, r0, a1, r1, a, r, width, depth):
    """Whether the segment (a0, r0)-(a1, r1) passes through the box centred at (a, r)."""
    for k in range(1, 20):
        f = k / 20
        x, y = a0 + (a1 - a0) * f, r0 + (r1 - r0) * f
        if abs(x - a) < width / 2 and abs(y - r) < depth / 2:
            return True
    return False
