"""A drawing placed by hand: boxes, texts and lines pinned where the code puts them.

The unrolled graph has a layout of its own (``viz.layout``).  The smaller
diagrams (the folded network, one truncated update, the gradient-flow chart,
a checkpointing plan) are placed by a few lines of arithmetic each, on a
:class:`Canvas`: it sizes every text with the drawings' font metrics, pins
every node for Graphviz's ``neato``, remembers how much room the drawing
takes, and frames it (16:9 at slide style, so a slide's text keeps its size).

Coordinates are points, y upwards, as Graphviz's.

>>> from viz.canvas import Canvas
>>> from viz.theme import Look
>>> canvas = Canvas(Look("slides"))
>>> width, height = canvas.box("s1", ["s_1"], (0, 0))
>>> figure = canvas.finish("one box")
>>> "s<SUB>1</SUB>" in figure.source, round(height)      # 28 pt text, typeset
(True, 45)
"""

from __future__ import annotations

import itertools
import re

from .metrics import SLIDE, text_width
from .render import Figure
from .theme import COLORS, EDGE_STYLE, INCH, NODE_STYLE, label, lines_width, pad_to_ratio

__all__ = ["Canvas"]


def pin(point):
    """Graphviz's pinned position of a point in pt."""
    return f"{point[0] / INCH:.3f},{point[1] / INCH:.3f}!"


class Canvas:
    """Nodes, texts and lines at given places, in one style (``look``), and the
    rectangle they cover.  ``names`` are the colour-coded parameter names of texts."""

    def __init__(self, look, names=frozenset(), name_colour=COLORS["param_edge"]):
        self.look, self.em = look, look.font
        self.names, self.name_colour = names, name_colour
        self.figure = Figure(
            engine="neato",
            graph_attr={"splines": "line", "overlap": "true", "outputorder": "edgesfirst",
                        "pad": "0", "fontname": "Arial"},
            node_attr={**NODE_STYLE, "fontsize": str(self.em)},
            edge_attr={**EDGE_STYLE, "fontsize": str(self.em),
                       "arrowsize": f"{0.6 * max(1.0, self.em / 14):.2f}"})
        self.covered = None                      # (left, bottom, right, top), pt
        self._points = itertools.count()

    # ------------------------------------------------------------------ what is drawn

    def box(self, name, lines, centre, role="op", size=None, **attrs):
        """A node of ``role`` (a box, an ellipse for "data"…) with ``lines`` centred at
        ``centre``; ``size`` (pt) or the size its text needs.  Returns the size."""
        size = size or self.look.size(role, lines)
        node = {**self.look.role(role, lines), "label": label(lines, self.names, self.name_colour),
                "width": f"{size[0] / INCH:.3f}", "height": f"{size[1] / INCH:.3f}",
                "fixedsize": "true", "pos": pin(centre)}
        self.figure.node(name, **{**node, **attrs})
        self.cover(centre, size)
        return size

    def text_size(self, lines, font=None, math=True):
        """(width, height) in pt of bare text (``math``: its names typeset, ``a_t`` as
        wide as ``at``)."""
        width, height = self.look.size("term", lines, font=font)
        if not math:
            width += (max(text_width(line) for line in lines) - lines_width(lines)) * (
                font or self.em)
        # Graphviz's sums run over ours: by 1% at slide sizes, by up to 5% at 10 pt, where
        # it rounds each glyph to the pixel grid
        return width * 1.05, height

    def text(self, name, lines, at, colour="black", anchor="c", font=None, math=True):
        """Bare text, its ``anchor`` ("c" middle, "w" left end, "e" right end) at ``at``.
        Returns (width, height)."""
        lines = [lines] if isinstance(lines, str) else list(lines)
        width, height = self.text_size(lines, font, math)
        text = label(lines, self.names, self.name_colour, math=math)
        # Graphviz rounds each span of an HTML label (a coloured name, a subscript) up
        # to a whole pt: room for that
        width += text.count("<FONT") + 2 * text.count("<SUB>")
        x = at[0] + {"c": 0.0, "w": width / 2, "e": -width / 2}[anchor]
        if anchor != "c":        # flush against ``at``, every line: a cell as wide as the node
            side = "LEFT" if anchor == "w" else "RIGHT"
            text = (f'<<TABLE BORDER="0" CELLBORDER="0" CELLPADDING="0" CELLSPACING="0"><TR>'
                    f'<TD WIDTH="{int(width)}" HEIGHT="{int(height)}" FIXEDSIZE="TRUE" '
                    f'ALIGN="{side}" BALIGN="{side}">{text[1:-1]}</TD></TR></TABLE>>')
        attrs = {"shape": "plaintext", "fontcolor": colour, "margin": "0",
                 "width": f"{width / INCH:.3f}", "height": f"{height / INCH:.3f}",
                 "fixedsize": "true", "style": ""}
        if font is not None:
            attrs["fontsize"] = str(font)
        self.figure.node(name, text, pos=pin((x, at[1])), **attrs)
        self.cover((x, at[1]), (width, height))
        return width, height

    def line(self, points, colour="black", dashed=False, arrow=False, width=1.0,
             dotted=False):
        """A line through ``points`` (pt), an arrowhead at its end with ``arrow``."""
        names = [f"p{next(self._points)}" for _ in points]
        for name, point in zip(names, points):
            self.point(name, point)
        style = "dashed" if dashed else "dotted" if dotted else "solid"
        for k, (a, b) in enumerate(zip(names, names[1:])):
            last = k == len(names) - 2
            self.figure.edge(a, b, color=colour, style=style,
                             penwidth=f"{width * max(1.0, self.em / 14):.2f}",
                             dir="forward" if arrow and last else "none")

    def point(self, name, at):
        """An invisible point: the end of a line."""
        self.figure.node(name, "", shape="point", style="invis", width="0", height="0",
                         pos=pin(at))
        self.cover(at, (0.0, 0.0))

    def cover(self, centre, size):
        """Count a rectangle as part of the drawing."""
        (x, y), (w, h) = centre, size
        rect = (x - w / 2, y - h / 2, x + w / 2, y + h / 2)
        if self.covered is None:
            self.covered = rect
        else:
            a = self.covered
            self.covered = (min(a[0], rect[0]), min(a[1], rect[1]), max(a[2], rect[2]),
                            max(a[3], rect[3]))

    # ------------------------------------------------------------------ the frame

    def _wrapped(self, line, width, math):
        """A title's line broken after a comma or colon where it is wider than the
        drawing (so that a long title does not widen it)."""
        font = self.look.title_font
        parts = re.split(r"(?<=[,:]) ", line)
        out = [parts[0]]
        for part in parts[1:]:
            if self.text_size([f"{out[-1]} {part}"], font, math)[0] <= width:
                out[-1] = f"{out[-1]} {part}"
            else:
                out.append(part)
        return out

    def _fits(self, title_lines, math):
        """Whether the drawing and this title, framed 16:9, keep the slide's text size."""
        left, bottom, right, top = self.covered
        width, height = self.text_size(title_lines, self.look.title_font, math)
        width = max(right - left, width) + self.em
        height = top - bottom + height + 1.6 * self.em
        return SLIDE.scale(*pad_to_ratio(width, height, 16 / 9)) * self.em >= SLIDE.min_text

    def finish(self, title, math=False):
        """The figure, with ``title`` centred above everything drawn and its frame: at
        slide style padded to 16:9 (pinned corners), else the drawing and a margin.
        A user's title is shown as written; ``math`` typesets the names in ours."""
        left, bottom, right, top = self.covered
        lines = [part for line in title.split("\n")
                 for part in self._wrapped(line, right - left, math)]
        if self.look.style == "slides" and not self._fits(lines, math):
            lines.append("(too big for a slide: its text would be under 28 px)")
        size = self.text_size(lines, self.look.title_font, math)
        at = ((left + right) / 2, top + 0.6 * self.em + size[1] / 2)
        self.text("title", lines, at, font=self.look.title_font, math=math)
        left, bottom, right, top = self.covered
        width, height = right - left + self.em, top - bottom + self.em
        if self.look.style == "slides":
            width, height = pad_to_ratio(width, height, 16 / 9)
        cx, cy = (left + right) / 2, (top + bottom) / 2
        self.point("corner_a", (cx - width / 2, cy - height / 2))
        self.point("corner_b", (cx + width / 2, cy + height / 2))
        return self.figure
