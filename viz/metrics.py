"""Sizes: how wide text is, and the frame a figure is shown in.

Every drawing is laid out by ``viz`` before Graphviz runs, so the sizes of
its text must be known here.  :func:`text_width` gives them in em (the font
size), from the advance widths of Arial, the drawings' font: Graphviz measures
it with these widths (``dot -Tjson``), and a browser draws it with them, so a
line set in several pieces (a typeset subscript, a coloured name) keeps its
pieces together on every screen.  ``check_layout`` reads a drawing back with
the same numbers.

A :class:`Frame` is what a figure is shown in: a 1920 × 1080 slide, with the
smallest text and title it allows.  At slide style a figure is drawn in
points on exactly that frame, so a text of 28 pt is 28 px on a 1920 px
projector.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["text_width", "Frame", "SLIDE", "NOTEBOOK", "FRAMES", "LINE"]

# Advance widths in em: Arial's, which Graphviz measures for fontname=Arial and browsers
# draw (Liberation Sans on Linux has the same widths), for printable ASCII and the
# symbols the drawings use.  A character not listed counts as wide (0.84 em).  A backslash
# counts twice: Graphviz sizes a label before it reads "\\" back as one.
_WIDTH = {
    " ": 0.278, "!": 0.278, '"': 0.353, "#": 0.556, "$": 0.556, "%": 0.893, "&": 0.668,
    "'": 0.188, "(": 0.331, ")": 0.331, "*": 0.39, "+": 0.586, ",": 0.278, "-": 0.331,
    ".": 0.278, "/": 0.278, ":": 0.278, ";": 0.278, "<": 0.586, "=": 0.586, ">": 0.586,
    "?": 0.556, "@": 1.013, "[": 0.278, "\\": 0.556, "]": 0.278, "^": 0.473, "_": 0.556,
    "`": 0.331, "{": 0.338, "|": 0.263, "}": 0.338, "~": 0.586,
    **dict.fromkeys("0123456789", 0.556),
    "A": 0.668, "B": 0.668, "C": 0.721, "D": 0.721, "E": 0.668, "F": 0.608, "G": 0.781,
    "H": 0.721, "I": 0.278, "J": 0.503, "K": 0.668, "L": 0.556, "M": 0.833, "N": 0.721,
    "O": 0.781, "P": 0.668, "Q": 0.781, "R": 0.721, "S": 0.668, "T": 0.608, "U": 0.721,
    "V": 0.668, "W": 0.946, "X": 0.668, "Y": 0.668, "Z": 0.608,
    "a": 0.556, "b": 0.556, "c": 0.503, "d": 0.556, "e": 0.556, "f": 0.278, "g": 0.556,
    "h": 0.556, "i": 0.226, "j": 0.226, "k": 0.503, "l": 0.226, "m": 0.833, "n": 0.556,
    "o": 0.556, "p": 0.556, "q": 0.556, "r": 0.331, "s": 0.503, "t": 0.278, "u": 0.556,
    "v": 0.503, "w": 0.721, "x": 0.503, "y": 0.503, "z": 0.503,
    "‖": 0.413, "Σ": 0.615, "σ": 0.615, "…": 0.998, "²": 0.331, "∂": 0.496, "δ": 0.556,
    "·": 0.331, "—": 0.998, "–": 0.556, "ᵀ": 0.435, "√": 0.548, "θ": 0.556, "α": 0.578,
    "β": 0.578, "γ": 0.503, "η": 0.556, "ρ": 0.57, "λ": 0.503, "⁻": 0.525, "¹": 0.331,
    "Δ": 0.668, "∑": 0.713, "°": 0.398, "\u00a0": 0.278, "−": 0.586, "×": 0.586,
    "→": 0.998, "←": 0.998, "≈": 0.548, "≤": 0.548, "≥": 0.548, "±": 0.548,
}
_WIDE = 0.84
LINE = 1.25           # the height of a line of text, in em


def text_width(text):
    """The width of one line of ``text`` in em (multiply by the font size).

    >>> round(text_width("W 0.24"), 2)
    3.17
    """
    return sum(_WIDTH.get(c, _WIDE) for c in text)


@dataclass(frozen=True)
class Frame:
    """Where a figure is shown, and the smallest text it may have there.

    ``width`` × ``height`` in px, or None for a figure read at its own size
    (a notebook); ``min_text`` and ``min_title`` in px."""
    name: str
    width: float | None
    height: float | None
    min_text: float
    min_title: float
    min_fill: float = 0.0        # the drawn content's share of the frame's area

    def scale(self, width_pt, height_pt):
        """px per pt when a figure of that size is shown in this frame (fitted, its
        proportions kept); 4/3 at its own size."""
        if self.width is None:
            return 4 / 3
        return min(self.width / width_pt, self.height / height_pt)


# A slide: 1920 x 1080 px, text at least 28 px (14 pt on a 13.3-inch slide, readable
# from the back of a lecture hall), titles at least 40 px, the figure filling the frame.
SLIDE = Frame("slides", 1920.0, 1080.0, 28.0, 40.0, 0.55)
NOTEBOOK = Frame("notebook", None, None, 10.0, 10.0)
FRAMES = {"slides": SLIDE, "notebook": NOTEBOOK}
