"""How things look: colours, pens and fonts by role, text as Graphviz labels, numbers as
text, the gradient-heat scale and the legend.

A scene (``viz.scene``) says what each unit and link *is*; :class:`Look`
turns that into Graphviz attributes, and sizes each node from its text
(``viz.metrics``), so that a layout computed before Graphviz runs is the
layout drawn.  The reverse walk's colours are one more layer on top
(``viz.frames``).

Every text goes into Graphviz as an HTML-like label built here
(:func:`label`), with the user's text escaped: a tensor's name can hold
``<``, ``&``, quotes or backslashes and is drawn as written.  Names written
the way the math writes them are typeset: ``a3`` and ``s_{t−1}`` get their
subscripts.
"""

from __future__ import annotations

import html
import math
import re
from dataclasses import dataclass, field

import numpy as np

from .metrics import LINE, text_width

__all__ = ["COLORS", "STYLES", "shape_text", "value_text", "number_text", "norm", "norm_text",
           "HeatScale", "Look", "legend_label", "pad_to_ratio", "NODE_STYLE", "EDGE_STYLE",
           "escape", "math_html", "label", "INCH"]

COLORS = {
    "op": "white",
    "loss": "#fdebd0",          # per-step costs E_t
    "root": "#f9e79f",          # the tensor being drawn
    "param": "#cfe2f3",         # shared parameters
    "param_edge": "#2e75b6",
    "const": "#eeeeee",         # data: inputs, targets, initial states
    "recurrent": "#c0392b",     # the state passed from step t to t+1 (s, or an LSTM's h)
    "cell_state": "#7d3c98",    # an LSTM's cell state c, passed from step t to t+1
    "state": "#fadbd8",         # s_t, h_t
    "cell_state_fill": "#e8daef",   # c_t
    "cut": "#7f7f7f",           # a truncation boundary
    "elided": "#f2f2f2",
    "window": "#d5f5e3",        # steps a truncated update's gradient reaches
    "block": "#1e8449",         # a truncated update's window (its bracket)
    "loss_edge": "#b9770e",     # ... and its block of losses
    "walk_now": "#d62728",      # backward, frame by frame: the gradient sent just now
    "walk_done": "#e67e22",     # ... sent at an earlier step of the walk
    "walk_waiting": "#bbbbbb",  # ... not sent yet
}

# The two styles, by their text sizes in pt.  "notebook": compact, read on a screen.
# "slides": drawn on a 1920 x 1080 pt frame, so that a pt is a px on a 1920 px
# projector: text of 28 pt (14 pt on a 13.3-inch slide, the back row's limit), titles
# of 40 (see viz.metrics.SLIDE).  ``max_steps`` and ``keep`` are the elision's defaults.
STYLES = {
    "notebook": {"font": 10, "title": 12, "max_steps": 12, "keep": 3, "shapes": True},
    "slides": {"font": 28, "title": 40, "max_steps": 12, "keep": 3, "shapes": False},
}
INCH = 72.0             # points per inch: Graphviz takes sizes and positions in inches

# The defaults of every node and edge (a unit's role adds to them).
NODE_STYLE = {"shape": "box", "style": "filled", "fillcolor": COLORS["op"], "fontsize": "10",
              "height": "0.3", "margin": "0.06,0.03", "fontname": "Arial"}
EDGE_STYLE = {"arrowsize": "0.6", "fontsize": "8", "fontname": "Arial"}

# Light yellow (small gradients) to dark red (large): ColorBrewer's YlOrRd.
_HEAT = ["#ffffcc", "#ffeda0", "#fed976", "#feb24c", "#fd8d3c", "#fc4e2a", "#e31a1c", "#b10026"]


# ------------------------------------------------------------------ numbers as text

def shape_text(shape):
    """(8,) for a vector, (2, 8) for a matrix, "scalar" for ()."""
    return "scalar" if shape == () else str(tuple(shape))


def number_text(x):
    """Three significant digits, in scientific notation only when needed; a minus
    sign, not a hyphen.

    >>> number_text(-0.012345), number_text(123456.0)
    ('−0.0123', '1.23e+05')
    """
    text = f"{x:.3g}" if x == 0 or 1e-3 <= abs(x) < 1e4 else f"{x:.2e}"
    return text.replace("-", "−")


def value_text(array):
    """A short summary of an array: its values if few, else its range."""
    a = np.asarray(array)
    if a.size == 0:
        return "empty"
    if a.size <= 3:
        return ", ".join(number_text(float(x)) for x in a.ravel())
    return f"{number_text(float(a.min()))} … {number_text(float(a.max()))}"


def norm(array):
    """The Frobenius norm, ||g|| = sqrt(Σ g²)."""
    return float(np.linalg.norm(np.asarray(array, dtype=np.float64).ravel()))


def norm_text(array):
    """‖g‖ = 1.23, the Frobenius norm, for labels."""
    return number_text(norm(array))


# ------------------------------------------------------------------ text as labels

def escape(text):
    """User text made safe inside an HTML-like Graphviz label: ``<``, ``>``, ``&`` and
    quotes become entities, a backslash is doubled, since Graphviz would read ``\\N``
    as the node's id even there, and a newline is a space (Graphviz would drop it: a
    line break is the label's own ``<BR/>``).

    >>> escape('<b>"W"</b> \\\\N')
    '&lt;b&gt;&quot;W&quot;&lt;/b&gt; \\\\\\\\N'
    """
    return html.escape(str(text), quote=True).replace("\\", "\\\\").replace("\n", " ")


# a name as the math writes it: letters and a numeric subscript (a3, s12), or letters,
# "_" and a short subscript (W_r, b_hn, s_{t−1}, z_i,3)
_MATH = re.compile(r"(?<![\w.])([A-Za-zα-ωΑ-Ω]{1,3})(?:(\d+)|_\{([^{}]{1,8})\}|_((?:[\w−+]|,(?=\w)){1,5}))"
                   r"(?![\w{])")


def math_html(text, colour_names=(), colour=None):
    """``text`` escaped for an HTML-like label, its math names typeset (``a3`` gets
    the subscript 3, ``s_{t−1}`` the subscript t−1) and the names in
    ``colour_names`` (the shared parameters) in ``colour``.

    >>> math_html("a3 = U x3 + W s2")
    'a<SUB>3</SUB> = U x<SUB>3</SUB> + W s<SUB>2</SUB>'
    >>> math_html("W s_{t−1}", {"W"}, "#2e75b6")
    '<FONT COLOR="#2e75b6">W</FONT> s<SUB>t−1</SUB>'
    """
    out, at = [], 0
    for m in _MATH.finditer(text):
        out.append(_words(text[at:m.start()], colour_names, colour))
        base, sub = m.group(1), m.group(2) or m.group(3) or m.group(4)
        name = f"{escape(base)}<SUB>{escape(sub)}</SUB>"
        whole = m.group(0)
        if whole in colour_names or (base in colour_names and m.group(4)):
            name = f'<FONT COLOR="{colour}">{name}</FONT>'
        out.append(name)
        at = m.end()
    out.append(_words(text[at:], colour_names, colour))
    return "".join(out)


def _words(text, colour_names, colour):
    """Escaped, with the whole words in ``colour_names`` coloured."""
    if not colour_names:
        return escape(text)
    pieces = re.split(r"(\w+)", text)
    return "".join(f'<FONT COLOR="{colour}">{escape(p)}</FONT>' if p in colour_names
                   else escape(p) for p in pieces)


def label(lines, colour_names=(), colour=None, math=True, bold_first=False):
    """An HTML-like label (``<...>``) of ``lines``, escaped and, with ``math``, typeset."""
    rendered = [math_html(line, colour_names, colour) if math else escape(line)
                for line in lines]
    if bold_first and rendered:
        rendered[0] = f"<B>{rendered[0]}</B>"
    return "<" + "<BR/>".join(rendered) + ">"


def lines_width(lines):
    """The widest of ``lines`` in em (a typeset subscript is as wide as its text)."""
    return max((text_width(_MATH.sub(lambda m: m.group(0).replace("_{", "").replace(
        "}", "").replace("_", ""), line)) for line in lines), default=0.0)


# ------------------------------------------------------------------ the heat scale

class HeatScale:
    """Maps gradient norms to colours on a log scale, with a legend."""

    def __init__(self, norms):
        positive = [n for n in norms if n > 0 and math.isfinite(n)]
        if positive:
            self.low = math.floor(math.log10(min(positive)))
            self.high = math.ceil(math.log10(max(positive)))
        else:
            self.low, self.high = 0, 1
        if self.high <= self.low:
            self.high = self.low + 1

    def color(self, value):
        if not value > 0 or not math.isfinite(value):
            return "white"
        x = (math.log10(value) - self.low) / (self.high - self.low)
        return _interpolate(min(max(x, 0.0), 1.0))

    def text_color(self, value):
        """White on the darkest reds, black elsewhere: text stays readable on its fill."""
        if not value > 0 or not math.isfinite(value):
            return "black"
        return "white" if (math.log10(value) - self.low) / (self.high - self.low) > 0.7 \
            else "black"

    def decades(self):
        """The powers of ten the legend's strip shows."""
        step = max(1, (self.high - self.low) // 8)
        return [d for d in range(self.low, self.high + 1)
                if (d - self.low) % step == 0 or d == self.high]

    def legend(self, font=10):
        """An HTML-like Graphviz label: a strip of colours with powers of ten."""
        cells = "".join(f'<TD BGCOLOR="{self.color(10.0 ** d)}" WIDTH="{round(2.6 * font)}">'
                        f'1e{d}</TD>'.replace("-", "−") for d in self.decades())
        return ('<<TABLE BORDER="0" CELLBORDER="1" CELLSPACING="0" CELLPADDING="3">'
                '<TR><TD COLSPAN="40" BORDER="0"><B>gradient norm (log scale)</B></TD></TR>'
                f'<TR>{cells}</TR></TABLE>>')


def _interpolate(x):
    pos = x * (len(_HEAT) - 1)
    i = min(int(pos), len(_HEAT) - 2)
    f = pos - i
    a = [int(_HEAT[i][k:k + 2], 16) for k in (1, 3, 5)]
    b = [int(_HEAT[i + 1][k:k + 2], 16) for k in (1, 3, 5)]
    return "#" + "".join(f"{round(p + (q - p) * f):02x}" for p, q in zip(a, b))


def pad_to_ratio(width, height, ratio):
    """The smallest (width, height) at least as big as given with width / height = ratio.

    >>> pad_to_ratio(8, 2, 16 / 9)
    (8, 4.5)
    """
    if width / height >= ratio:
        return width, width / ratio
    return height * ratio, height


# ------------------------------------------------------------------ roles

# The fill of each role of a unit (see viz.scene.Unit).
_FILL = {"op": COLORS["op"], "root": COLORS["root"], "cost": COLORS["loss"],
         "state": COLORS["state"], "cell_state": COLORS["cell_state_fill"],
         "param": COLORS["param"], "data": COLORS["const"], "port": COLORS["state"]}
# Padding around a node's text, in em (across, along): boxes, ellipses and bare text.
_PAD = {"box": (0.45, 0.18), "ellipse": (0.3, 0.05), "plaintext": (0.15, 0.05),
        "param": (0.3, 0.08)}
_SHAPE = {"data": "ellipse", "cut": "ellipse", "port": "ellipse", "term": "plaintext",
          "total": "plaintext"}


@dataclass
class Look:
    """Graphviz attributes and sizes for the units and links of a scene, at one style.

    ``heat`` (a :class:`HeatScale`, or None) colours by gradient norm; ``walk``
    marks a frame of the reverse walk, whose legend explains the walk's colours;
    ``params`` are the shared parameters' names, coloured where an equation names
    them."""
    style: str = "notebook"
    heat: HeatScale | None = None
    walk: bool = False
    params: frozenset = field(default_factory=frozenset)

    @property
    def font(self):
        return STYLES[self.style]["font"]

    @property
    def title_font(self):
        return STYLES[self.style]["title"]

    def size(self, role, lines, font=None):
        """(width, height) in pt of a node of this role with these lines."""
        font = font or (self.font * 1.2 if role == "cell" else self.font)
        shape = _SHAPE.get(role, "box")
        pad_x, pad_y = _PAD.get(role, _PAD[shape])
        bold = 1.12 if role in ("param", "total") else 1.0      # their text is bold
        width = (lines_width(lines) * bold + 2 * pad_x) * font
        height = (max(len(lines), 1) * LINE + 2 * pad_y) * font
        if shape == "ellipse":                  # the ellipse around that box
            width, height = width * 1.25, height * 1.2
        if role in ("cell", "cell_elided"):
            width, height = max(width, 2.6 * self.font), max(height, 1.9 * self.font)
        return width, height

    def unit(self, unit, size, lines=None):
        """The attributes of a :class:`viz.scene.Unit` of ``size`` (pt), with its own text
        or ``lines``."""
        attrs = self.role(unit.role, unit.lines if lines is None else lines, unit.heat)
        attrs.update(width=f"{size[0] / INCH:.3f}", height=f"{size[1] / INCH:.3f}",
                     fixedsize="true")
        if unit.invisible:
            attrs.update(label="", style="invis")
        return attrs

    def text(self, lines, **kw):
        """The HTML-like label of ``lines``, the parameters' names in their colour."""
        return label(lines, self.params, COLORS["param_edge"], **kw)

    def role(self, role, lines, heat=None):
        """The attributes of a node with this ``role`` and text, coloured by ``heat``
        (a gradient norm) when the look has a heat scale."""
        heated = self.heat is not None and heat is not None
        fill = self.heat.color(heat) if heated else _FILL.get(role, "white")
        ink = self.heat.text_color(heat) if heated else "black"
        attrs = {"label": self.text(lines), "fillcolor": fill, "fontcolor": ink,
                 "shape": _SHAPE.get(role, "box"), "margin": "0"}
        if role in ("op", "root", "cost", "state", "cell_state"):
            attrs["penwidth"] = "2" if role == "root" else "1"
        elif role == "param":
            attrs.update(penwidth="2", style="rounded,filled", label=label(lines, bold_first=True))
        elif role == "cut":
            attrs.update(fillcolor="white", style="dashed", color=COLORS["cut"])
        elif role in ("term", "total"):
            attrs.update(fontcolor=COLORS["param_edge"], fillcolor="none", style="",
                         label=label(lines, math=False, bold_first=role == "total"))
        elif role == "cell":
            attrs.update(style="filled,bold", fontsize=f"{self.font * 1.2:g}")
        elif role == "cell_elided":
            attrs.update(style="filled,dashed", fillcolor="white", color="#999999")
        elif role == "port":
            attrs["style"] = "filled"
        elif role not in ("data",):
            raise ValueError(f"viz: no look for a unit of role {role!r}")
        return attrs

    def link(self, link):
        """The attributes of a :class:`viz.scene.Link`."""
        if link.invisible:
            return {"style": "invis"}
        if link.cut:
            attrs = {"style": "dashed", "color": COLORS["cut"], "fontcolor": COLORS["cut"]}
            if link.label is not None:
                attrs["label"] = label([link.label])
            return attrs
        colour = COLORS[{"param": "param_edge"}.get(link.colour, link.colour)] \
            if link.colour else None
        attrs = {}
        if self.heat is not None and link.heat is not None:
            attrs.update(color=self.heat.color(link.heat), penwidth="2")
        elif colour:
            attrs["color"] = colour
        if link.kind == "state":
            attrs.setdefault("penwidth", "2")
        if link.label is not None:
            attrs["label"] = label([link.label], math=link.label_colour is not None)
            ink = COLORS["param_edge"] if link.label_colour == "param" else colour
            if ink:
                attrs["fontcolor"] = ink
        return attrs


# ------------------------------------------------------------------ the legend

def legend_rows(look, kinds=(), cell_state=False, cut=False, ledger=False, norms=False,
                edge_numbers=False, elided=None, notes=()):
    """The legend's rows, as (key, colour, dashed, text): what each colour means; the key
    is "line" (a line in that colour) or a sample of the text it explains."""
    rows = []
    if look.walk:                                 # a frame of the reverse walk
        rows += [("line", COLORS["walk_now"], False, "gradient sent at this step"),
                 ("line", COLORS["walk_done"], False, "gradient sent earlier in the walk"),
                 ("line", COLORS["walk_waiting"], False, "no gradient sent yet")]
        kinds = ()
    if "state" in kinds:
        rows.append(("line", COLORS["recurrent"], False,
                     "state passed on" + (" (h)" if cell_state else "")))
    if cell_state and not look.walk:
        rows.append(("line", COLORS["cell_state"], False, "cell state c passed on"))
    if cut:
        rows.append(("line", COLORS["cut"], True, "cut: no gradient crosses"))
    if edge_numbers:
        rows.append(("0.95", "black", False, "gradient sent back along the edge"))
    if ledger:
        rows.append(("+0.3", COLORS["param_edge"], False, "a copy's term of dL/dθ; = their sum"))
    if norms:
        rows.append(("‖·‖", COLORS["param_edge"], False, "a norm: terms add up, norms do not"))
    if elided:
        rows.append(("…", "black", False, f"{elided}: not drawn, terms summed"))
    rows += [("!", "black", False, note) for note in notes]
    return rows


def legend_label(look, rows):
    """An HTML-like Graphviz label for the legend's rows (and the heat strip)."""
    font, pad = look.font, _legend_pad(look.font)
    cells = []
    for key, colour, dashed, text in rows:
        mark = ("- - -" if dashed else "———") if key == "line" else key
        cells.append(f'<TR><TD><FONT COLOR="{colour}"><B>{escape(mark)}</B></FONT></TD>'
                     f'<TD ALIGN="LEFT"><FONT COLOR="{colour}">{escape(text)}</FONT></TD></TR>')
    table = "".join(cells)
    if look.heat is not None:
        strip = look.heat.legend(font)[1:-1]      # the table inside the <...>
        table += f'<TR><TD COLSPAN="2">{strip}</TD></TR>'
    if not table:
        return None
    return ('<<TABLE BORDER="1" COLOR="#999999" CELLBORDER="0" CELLSPACING="0" '
            f'CELLPADDING="{pad}">{table}</TABLE>>')


def _legend_pad(font):
    return max(1, round(font / 14))


def legend_size(look, rows):
    """(width, height) in pt of :func:`legend_label`'s table."""
    font, pad = look.font, _legend_pad(look.font)
    keys = max((text_width("———" if key == "line" else key) for key, _, _, _ in rows),
               default=0.0)
    texts = [keys + 0.3 + text_width(text) for _, _, _, text in rows]
    width = max(texts, default=0.0) * font + 4 * pad + 4
    height = len(rows) * (LINE * font + 2 * pad) + 4
    if look.heat is not None:
        width = max(width, len(look.heat.decades()) * 2.6 * font + 4 * pad,
                    text_width("gradient norm (log scale)") * font)
        height += 2 * (LINE * font + 2 * 3) + 2 * pad
    return width, height
