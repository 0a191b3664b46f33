"""How things look: colours, pens and fonts by role, numbers as text, the
gradient-heat scale and the legend.

A scene (``viz.scene``) says what each unit and link *is*; :class:`Look`
turns that into Graphviz attributes.  The reverse walk's colours are one more
layer on top (``viz.walk``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

__all__ = ["COLORS", "STYLES", "shape_text", "value_text", "number_text", "norm", "norm_text",
           "HeatScale", "Look", "legend_label", "pad_to_ratio", "NODE_STYLE", "EDGE_STYLE"]

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
    "block": "#1e8449",
    "walk_now": "#d62728",      # backward, frame by frame: the gradient sent just now
    "walk_done": "#e67e22",     # ... sent at an earlier step of the walk
    "walk_waiting": "#bbbbbb",  # ... not sent yet
}

# The two styles.  "notebook": compact, read on a screen.  "slides": projected; the
# whole figure is scaled to 1920 px wide (a 16:9 slide), and every text must then be
# at least 14 px high: text of ``font`` pt stays >= 14 px while the figure is at most
# ``max_width_pt`` wide (1920 px / 14 px * font pt).
STYLES = {
    "notebook": {"font": 10, "max_steps": 12, "keep": 3, "shapes": True},
    "slides": {"font": 14, "max_steps": 7, "keep": 3, "shapes": False,
               "max_width_pt": 1900},     # measured on the rendered SVG
}

# The defaults of every node and edge (a unit's role adds to them).
NODE_STYLE = {"shape": "box", "style": "filled", "fillcolor": COLORS["op"], "fontsize": "10",
              "height": "0.3", "margin": "0.06,0.03", "fontname": "Helvetica"}
EDGE_STYLE = {"arrowsize": "0.6", "fontsize": "8", "fontname": "Helvetica"}

# Light yellow (small gradients) to dark red (large): ColorBrewer's YlOrRd.
_HEAT = ["#ffffcc", "#ffeda0", "#fed976", "#feb24c", "#fd8d3c", "#fc4e2a", "#e31a1c", "#b10026"]


def shape_text(shape):
    """(8,) for a vector, (2, 8) for a matrix, "scalar" for ()."""
    return "scalar" if shape == () else str(tuple(shape))


def value_text(array, digits=3):
    """A short summary of an array: its values if few, else its range."""
    a = np.asarray(array)
    if a.size == 0:
        return "empty"
    if a.size <= 3:
        return ", ".join(f"{x:.{digits}g}" for x in a.ravel())
    return f"{a.min():.{digits}g} … {a.max():.{digits}g}"


def norm(array):
    """The Frobenius norm, ||g|| = sqrt(Σ g²)."""
    return float(np.linalg.norm(np.asarray(array, dtype=np.float64).ravel()))


def number_text(x):
    """Three significant digits, in scientific notation only when needed."""
    return f"{x:.3g}" if x == 0 or 1e-3 <= abs(x) < 1e4 else f"{x:.2e}"


def norm_text(array):
    """‖g‖ = 1.23, the Frobenius norm, for labels."""
    return number_text(norm(array))


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

    def legend(self):
        """An HTML-like Graphviz label: a strip of colours with powers of ten."""
        decades = range(self.low, self.high + 1)
        step = max(1, (self.high - self.low) // 8)
        cells = "".join(
            f'<TD BGCOLOR="{self.color(10.0 ** d)}" WIDTH="34">1e{d}</TD>'
            for d in decades if (d - self.low) % step == 0 or d == self.high)
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


# The fill of each role of a unit (see viz.scene.Unit).
_FILL = {"op": COLORS["op"], "root": COLORS["root"], "cost": COLORS["loss"],
         "state": COLORS["state"], "cell_state": COLORS["cell_state_fill"],
         "param": COLORS["param"], "data": COLORS["const"], "port": COLORS["state"]}


@dataclass
class Look:
    """Graphviz attributes for the units and links of a scene, at one style.

    ``heat`` (a :class:`HeatScale`, or None) colours by gradient norm; ``walk``
    marks a frame of the reverse walk, whose legend explains the walk's colours."""
    style: str = "notebook"
    heat: HeatScale | None = None
    walk: bool = False

    @property
    def font(self):
        return STYLES[self.style]["font"]

    def unit(self, unit):
        """The attributes of a :class:`viz.scene.Unit`."""
        attrs = self.role(unit.role, unit.lines, unit.heat)
        if unit.invisible:
            attrs.update(label="", style="invis")
        return attrs

    def role(self, role, lines, heat=None):
        """The attributes of a node with this ``role`` and text, coloured by ``heat``
        (a gradient norm) when the look has a heat scale."""
        label = "\n".join(lines)
        heated = self.heat is not None and heat is not None
        if role in ("op", "root", "cost", "state", "cell_state"):
            attrs = {"label": label, "penwidth": "2" if role == "root" else "1",
                     "fillcolor": self.heat.color(heat) if heated else _FILL[role]}
            if heated:
                attrs["fontcolor"] = self.heat.text_color(heat)
            return attrs
        if role in ("param", "data", "cut"):
            attrs = {"label": label, "shape": "ellipse"}
            if role == "param":
                attrs.update(fillcolor=_FILL["param"], penwidth="2")
                if heated:
                    attrs.update(fillcolor=self.heat.color(heat),
                                 fontcolor=self.heat.text_color(heat))
            elif role == "cut":
                attrs.update(fillcolor="white", style="dashed", color=COLORS["cut"])
            else:
                attrs.update(fillcolor=_FILL["data"])
            return attrs
        if role == "chip":
            return {"label": label, "shape": "plaintext", "fontcolor": COLORS["param_edge"],
                    "style": "", "fillcolor": "none", "width": "0", "height": "0",
                    "margin": "0.01"}
        if role == "cell":
            return {"label": label, "shape": "box", "style": "filled,bold",
                    "fillcolor": self.heat.color(heat) if heated else "white",
                    "fontcolor": self.heat.text_color(heat) if heated else "black",
                    "fontsize": str(self.font + 3), "width": "0.8", "height": "0.5"}
        if role == "cell_elided":
            return {"label": label, "shape": "box", "style": "filled,dashed",
                    "fillcolor": "white", "color": "#999999", "width": "0.8", "height": "0.5"}
        if role == "port":
            return {"label": label, "shape": "ellipse", "style": "filled",
                    "fillcolor": self.heat.color(heat) if heated else _FILL["port"],
                    "margin": "0.02",
                    "fontcolor": self.heat.text_color(heat) if heated else "black"}
        raise ValueError(f"viz: no look for a unit of role {role!r}")

    def link(self, link):
        """The attributes of a :class:`viz.scene.Link`."""
        if link.invisible:
            return {"style": "invis"}
        if link.cut:
            return {"style": "dashed", "color": COLORS["cut"], "label": "cut",
                    "fontcolor": COLORS["cut"]}
        colour = COLORS[{"param": "param_edge"}.get(link.colour, link.colour)] \
            if link.colour else None
        attrs = {}
        if self.heat is not None and link.heat is not None:
            attrs.update(color=self.heat.color(link.heat), penwidth="2")
        elif colour:
            attrs["color"] = colour
        if link.kind == "state":
            attrs.setdefault("penwidth", "1.8")
        if link.label is not None:
            attrs["label"] = link.label
            if colour:
                attrs["fontcolor"] = colour
        return attrs


def legend_label(look, kinds, cell_state=False, cut=False, terms=False, elided=None):
    """An HTML-like Graphviz label explaining the colours of an unrolled drawing."""
    rows = []

    def row(colour, text, dashed=False):
        line = "- - -" if dashed else "———"
        rows.append(f'<TR><TD><FONT COLOR="{colour}"><B>{line}</B></FONT></TD>'
                    f'<TD ALIGN="LEFT">{text}</TD></TR>')

    if look.walk:                                 # a frame of the reverse walk
        row(COLORS["walk_now"], "gradient sent at this step, ‖dL/d·‖")
        row(COLORS["walk_done"], "gradient sent earlier in the walk")
        row(COLORS["walk_waiting"], "no gradient sent yet")
        kinds = ()
    if "state" in kinds:
        row(COLORS["recurrent"], "state passed to the next step" +
            (" (h)" if cell_state else ""))
    if cell_state:
        row(COLORS["cell_state"], "cell state c passed to the next step")
    if "param" in kinds:
        row(COLORS["param_edge"], "shared parameter" +
            (": name, ‖this copy's term of dL/dθ‖" if terms else ""))
    if cut:
        row(COLORS["cut"], "cut: no gradient crosses", dashed=True)
    if elided and elided[1]:                      # what the elided copies add up to
        rows.append(f'<TR><TD COLSPAN="2" ALIGN="LEFT">{elided[0]}, not drawn, '
                    f'add:</TD></TR>')
        for line in elided[1]:
            rows.append(f'<TR><TD></TD><TD ALIGN="LEFT"><FONT COLOR="{COLORS["param_edge"]}">'
                        f'{line}</FONT></TD></TR>')
    table = "".join(rows)
    if look.heat is not None:
        strip = look.heat.legend()[1:-1]          # the table inside the <...>
        table += f'<TR><TD COLSPAN="2">{strip}</TD></TR>'
    if not table:
        return None
    return ('<<TABLE BORDER="1" COLOR="#999999" CELLBORDER="0" CELLSPACING="2" '
            f'CELLPADDING="2">{table}</TABLE>>')
