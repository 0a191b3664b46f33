"""The reverse walk of ``backward()``, one image per step, for stepping through in class."""

from __future__ import annotations

from pathlib import Path

from minigrad.graph import Node

from .draw import graph_figure
from .metrics import LINE, text_width
from .read import as_root, choose_steps, collect, read, step_of
from .render import FORMATS, check_dot, save
from .scene import Content
from .theme import COLORS, Look, escape, label, norm_text
from .unrolled import check_style, figure_of, fitting_elision
from .walk import frames, replay

__all__ = ["backward_frames", "walk_decoration", "scene_overlay", "walk_elision"]

WHO = "viz.backward_frames"


def backward_frames(loss, out_dir, format="png", max_frames=200, scopes=True, style="notebook",
                    elide=True):
    """Write one numbered image per step of the reverse walk over ``loss``'s graph.

    Frame 0 seeds dL/dL = 1 at the root.  Frame k shows the graph after the
    walk has processed its k-th node, newest first, exactly in the engine's
    order: that node is outlined in red, every node that has received some
    gradient shows it ("so far" while more may still come), and the edges
    the gradient has already crossed are coloured.  All frames of one call
    have the same size, and the nodes stay where they are, so a class can
    flip through them.

    An unrolled graph is drawn as :func:`viz.draw_unrolled` draws it at that
    ``style`` (``"notebook"`` or ``"slides"``), eliding the middle steps the
    same way (``elide=False`` keeps them all), and the walk through the
    elided steps is one frame, as in :func:`viz.backward_animation`.

    The walk is computed afresh: no ``.grad`` changes.  Returns the list of files.

    >>> import tempfile, minigrad as mg, viz
    >>> w = mg.tensor([1.0, 2.0], requires_grad=True, name="w")
    >>> with tempfile.TemporaryDirectory() as folder:     # the seed, then mul and sum
    ...     files = viz.backward_frames((w * w).sum(), folder)
    ...     print([f.name for f in files], all(f.stat().st_size > 0 for f in files))
    ['step_000.png', 'step_001.png', 'step_002.png'] True
    >>> w.grad is None                  # the leaves' .grad are left as they were
    True
    """
    root = as_root(loss, WHO)
    if format not in FORMATS:
        raise ValueError(f"{WHO}: unknown format {format!r}; use one of {', '.join(FORMATS)}")
    check_style(style, WHO)
    graph = collect(root)
    unrolled = read(graph) if any(step_of(n.scope) is not None for n in graph.nodes) else None
    elision = (walk_elision(unrolled, style, "ops") if elide else
               choose_steps(unrolled, False)) if unrolled is not None else None
    walk = replay(root, graph)
    shots = frames(walk, graph, elision.elided if elision else (),
                   unrolled.where if unrolled else None, unrolled.fold if unrolled else None)
    if len(shots) > max_frames:
        raise ValueError(f"{WHO}: the walk takes {len(shots)} frames, more than "
                         f"max_frames={max_frames}; draw a smaller graph (fewer time steps), "
                         f"leave elide=True, or raise max_frames")
    check_dot(WHO)
    out = Path(out_dir)
    look = Look(style, walk=True)
    content = Content(grads=False, contributions=False, style=style)
    longest = max(text_width(shot.caption) for shot in shots)
    widest = [max((shot.caption for shot in shots), key=text_width)]
    paths = []
    for k, shot in enumerate(shots):
        # unrolled: pinned positions; otherwise dot lays out every frame again, so every
        # label gets a size that does not change from frame to frame (``fixed``)
        node_extra, edge_extra = walk_decoration(
            graph, content, look, shot, walk, unrolled.reduction if unrolled else None,
            folded=unrolled.fold if unrolled else None, fixed=unrolled is None)
        if unrolled is not None:
            dot = figure_of(unrolled, elision, content, look, "LR", shot.caption,
                            scene_overlay(graph, node_extra, edge_extra, widest)).figure
        else:
            caption = f"<{_table(_cell_row(shot.caption, longest, look.title_font))}>"
            dot = graph_figure(graph, content, look, scopes, False, None, node_extra,
                               edge_extra, title_label=caption)
        paths.append(save(dot, out / f"step_{k:03d}.{format}"))
    return paths


def walk_elision(unrolled, style, detail):
    """The steps a walk's frames keep at ``style``: those :func:`viz.draw_unrolled` keeps."""
    content = Content(detail, grads=False, contributions=False, style=style)
    return fitting_elision(unrolled, content, Look(style), check=style == "slides")[1]


def _table(rows):
    """An HTML-like label's table around ``rows`` (Graphviz's ``<TABLE>``), no borders."""
    return f'<TABLE BORDER="0" CELLSPACING="0" CELLPADDING="0">{rows}</TABLE>'


def _cell_row(text, width_em, font):
    """A table row whose one cell is ``width_em`` wide at ``font`` points, whatever
    ``text``'s own length: it keeps its size from frame to frame."""
    width, height = round(width_em * font) + 2, round(font * LINE)
    return (f'<TR><TD WIDTH="{width}" HEIGHT="{height}" FIXEDSIZE="TRUE">'
            f'{escape(text)}</TD></TR>')


_GRAD_LINE = "‖grad‖ −9.99e−04 so far"       # the widest gradient line a frame shows


def walk_decoration(graph, content, look, shot, walk, reduction=None, lines=2,
                    widths=("3.5", "2"), edge_fontcolor=False, folded=None, fixed=False):
    """The node and edge attributes of one frame (``shot``) of the reverse walk.

    A node shows the first ``lines`` lines of its label and the gradient it has
    received so far (its sum over the edges already crossed); the node just
    processed is outlined in red, and the edges crossed are red (just now) or
    orange (before), labelled with their gradient's norm.  ``folded``
    ({id(node): the node drawn in its place}) makes the edges into a node folded
    into the current one red too: they are drawn as edges into it.  ``fixed``, for
    a graph dot lays out again in every frame: the gradient line sits in a cell of
    fixed width, and an edge not crossed yet already carries its label, in no
    colour, so that every frame gets the same layout.  ``backward_frames`` and
    ``backward_animation`` draw their frames with it.
    """
    done, current, sent = shot.done, shot.current, walk.sent
    consumers = {}                   # a frame shows only what the walk has sent so far,
    for e in graph.edges:            # never a .grad stored by an earlier backward()
        consumers.setdefault(id(e.src), []).append(e.dst)
    received = walk.received(graph, done)
    node_width, edge_width = widths
    folded = folded or {}
    will_receive = {id(graph.root)} | {id(e.src) for e in graph.edges if id(e) in sent}

    def sent_now(e):
        return current is not None and (e.dst is current or folded.get(id(e.dst)) is current)

    def node_extra(x):
        """{"lines": the node's text in this frame, and its colours}."""
        text = (content.op_lines(x, reduction if x is graph.root else None) if type(x) is Node
                else content.leaf_lines(x, graph))[:lines]
        g = received.get(id(x))
        if g is not None:
            complete = x is graph.root or all(id(c) in done for c in consumers.get(id(x), ()))
            line = f"‖grad‖ {norm_text(g)}" + ("" if complete else " so far")
        else:
            line = "‖grad‖ –"                   # none yet
        # the gradient line is there in every frame, as wide, so the frames keep one size
        attrs = {"lines": text}
        if id(x) in will_receive:
            attrs["lines"] = text + [line]
            attrs["size_lines"] = text + [_GRAD_LINE]          # the widest it will be
            if fixed:
                rows = "".join(f"<TR><TD>{escape(t)}</TD></TR>" for t in text)
                attrs["label"] = f"<{_table(rows + _cell_row(line, text_width(_GRAD_LINE), look.font))}>"
        if x is current:
            attrs.update(color=COLORS["walk_now"], penwidth=node_width)
        return attrs

    def edge_extra(e):
        if id(e) not in sent:
            return {"color": COLORS["walk_waiting"]}
        into_root = bool(folded) and (e.dst is graph.root or folded.get(id(e.dst)) is graph.root)
        label = "" if into_root else norm_text(sent[id(e)])   # L's fan-out: E_t shows it
        if id(e.dst) not in done:
            return ({"color": COLORS["walk_waiting"], "label": label, "fontcolor": "transparent"}
                    if fixed else {"color": COLORS["walk_waiting"]})
        now = sent_now(e)
        attrs = {"color": COLORS["walk_now"] if now else COLORS["walk_done"],
                 "penwidth": edge_width, "label": label}
        if edge_fontcolor:
            attrs["fontcolor"] = COLORS["walk_now"] if now else "#b35400"   # darker orange
        return attrs

    return node_extra, edge_extra


def scene_overlay(graph, node_extra, edge_extra, title_room=None):
    """The overlay (see :func:`viz.unrolled.figure_of`) that puts a frame's node and edge
    attributes on an unrolled scene; ``title_room``, the widest caption of the walk, sizes
    the caption's place, so that every frame has one size."""
    def overlay(scene):
        units, lines, sizing, links = {}, {}, {}, {}
        for x in graph.nodes + graph.leaves:
            uid = scene.unit_of(x)
            if uid is not None and (type(x) is not Node or scene.drawn_as_itself(x)):
                extra = dict(node_extra(x))
                lines[uid] = extra.pop("lines")
                sizing[uid] = extra.pop("size_lines", lines[uid])
                extra.pop("label", None)
                units.setdefault(uid, {}).update(extra)
        drawn = {(link.src, link.dst) for link in scene.links}
        for e in graph.edges:
            src, dst = scene.unit_of_node.get(id(e.src)), scene.unit_of_node.get(id(e.dst))
            if (src, dst) in drawn:
                links.setdefault((src, dst), {}).update(edge_extra(e))
        return {"units": units, "lines": lines, "size_lines": sizing, "links": links,
                "title_room": title_room}
    return overlay
