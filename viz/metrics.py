"""Sizes: how wide text is, how big a node is, and the frame a slide is projected on.

Graphviz sizes a node from its text with the font's metrics; a layout computed
before Graphviz runs needs the same numbers, so they are estimated here, in
em (the font size), from the characters: narrow, ordinary and wide letters of
Helvetica.  ``check_layout`` reads a drawing back with the same model.
"""

from __future__ import annotations

import re

from .theme import pad_to_ratio

__all__ = ["text_width", "node_size", "label_half_width", "legend_size", "slide_width",
           "cell_width"]

_NARROW = set("iljtfr.,:;!|'()[] ·")
_WIDE = set("mwMWOQGDH‖⊙—")


def text_width(text):
    """The width of ``text`` in em, in Helvetica: narrow, ordinary and wide letters.

    >>> round(text_width("W 0.24"), 2)      # W is wide; the space, "." and "2" narrower
    3.13
    """
    return sum(0.3 if c in _NARROW else 0.85 if c in _WIDE else 0.56 for c in text)


def node_size(attrs):
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


def label_half_width(label, font):
    """Half the width of a plain label's longest line, in inches (0 for an HTML-like one)."""
    if not label or label.startswith("<"):
        return 0.0
    return max(map(len, label.split("\n"))) * 0.56 * font / 72 / 2 + 0.05


def legend_size(legend, font):
    """(half its width, its height) of an HTML-like legend table, in inches."""
    texts = re.findall(r">([^<>]+)<", legend)
    half = (max(map(len, texts)) * 0.56 * font / 72 + 0.8) / 2
    tall = legend.count("<TR>") * (font + 6) / 72 + 0.3
    return half, tall


def slide_width(width, height):
    """The width of a figure once padded to 16:9, as a slide frame pads it (inches)."""
    return pad_to_ratio(width + 0.9, height + 1.2, 16 / 9)[0]


def cell_width(chars, font):
    """The width in points of a table cell that holds ``chars`` characters at ``font``."""
    return round(chars * 0.62 * font)
