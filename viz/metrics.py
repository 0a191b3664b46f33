"""Sizes: how wide text is, and the frame a figure is shown in.

Every drawing is laid out by ``viz`` before Graphviz runs, so the sizes of
its text must be known here.  :func:`text_width` gives them in em (the font
size), from the advance widths that Graphviz itself uses for the font
"Helvetica" (measured once with ``dot -Tjson``; Graphviz sizes text a little
wider than a browser's Helvetica, so a box sized by them is never too small).
``check_layout`` reads a drawing back with the same numbers.

A :class:`Frame` is what a figure is shown in: a 1920 × 1080 slide, with the
smallest text and title it allows.  At slide style a figure is drawn in
points on exactly that frame, so a text of 28 pt is 28 px on a 1920 px
projector.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["text_width", "Frame", "SLIDE", "NOTEBOOK", "FRAMES", "LINE"]

# Advance widths in em (Graphviz's, for fontname=Helvetica): printable ASCII and the
# symbols the drawings use.  A character not listed counts as wide (0.84 em).
_WIDTH = {
    " ": 0.316, "!": 0.398, '"': 0.458, "#": 0.84, "$": 0.638, "%": 0.953, "&": 0.781,
    "'": 0.278, "(": 0.39, ")": 0.39, "*": 0.503, "+": 0.84, ",": 0.316, "-": 0.361,
    ".": 0.316, "/": 0.338, ":": 0.338, ";": 0.338, "<": 0.84, "=": 0.84, ">": 0.84,
    "?": 0.533, "@": 0.998, "[": 0.39, "\\": 0.338, "]": 0.39, "^": 0.84, "_": 0.503,
    "`": 0.503, "{": 0.638, "|": 0.338, "}": 0.638, "~": 0.84,
    **dict.fromkeys("0123456789", 0.638),
    "A": 0.712, "B": 0.683, "C": 0.698, "D": 0.773, "E": 0.631, "F": 0.578, "G": 0.773,
    "H": 0.75, "I": 0.293, "J": 0.293, "K": 0.653, "L": 0.556, "M": 0.863, "N": 0.75,
    "O": 0.788, "P": 0.601, "Q": 0.788, "R": 0.698, "S": 0.638, "T": 0.593, "U": 0.736,
    "V": 0.683, "W": 0.991, "X": 0.683, "Y": 0.608, "Z": 0.683,
    "a": 0.615, "b": 0.638, "c": 0.548, "d": 0.638, "e": 0.615, "f": 0.345, "g": 0.638,
    "h": 0.638, "i": 0.278, "j": 0.278, "k": 0.578, "l": 0.278, "m": 0.975, "n": 0.638,
    "o": 0.615, "p": 0.638, "q": 0.638, "r": 0.392, "s": 0.518, "t": 0.39, "u": 0.638,
    "v": 0.593, "w": 0.818, "x": 0.593, "y": 0.593, "z": 0.525,
    "‖": 0.503, "Σ": 0.631, "σ": 0.638, "…": 0.998, "²": 0.398, "∂": 0.518, "δ": 0.615,
    "·": 0.316, "—": 0.998, "–": 0.503, "ᵀ": 0.383, "√": 0.638, "θ": 0.615, "α": 0.66,
    "β": 0.638, "γ": 0.593, "η": 0.638, "ρ": 0.638, "λ": 0.593, "⁻": 0.525, "¹": 0.398,
    "Δ": 0.683, "∑": 0.676, "°": 0.503, "\u00a0": 0.316,
}
_WIDE = 0.84
LINE = 1.25           # the height of a line of text, in em


def text_width(text):
    """The width of one line of ``text`` in em (multiply by the font size).

    >>> round(text_width("W 0.24"), 2)
    3.54
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
