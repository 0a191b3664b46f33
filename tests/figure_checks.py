"""What a written figure shows, read back from the file, for the tests that write one.

A file that merely exists (or is not empty) says little: these read the SVG's
texts and Graphviz groups, and a PNG's size and pixels.
"""

import collections
import xml.etree.ElementTree as ET
from dataclasses import dataclass

import numpy as np

SVG = "{http://www.w3.org/2000/svg}"


@dataclass
class SvgFigure:
    texts: list              # every line of text, in document order
    groups: collections.Counter     # Graphviz's <g class="node|edge|cluster"> counts
    titles: list             # every <title> (Graphviz: node names, "a->b" for edges)
    width: float             # in points
    height: float

    def has(self, *texts):
        """True if every one of ``texts`` is one of the figure's texts."""
        return all(t in self.texts for t in texts)


def _lines(root):
    """Every line of text: the <text> elements of one group on one baseline, joined in
    document order (a typeset subscript, a3, is its own element beside the a)."""
    lines = []
    for g in root.iter(SVG + "g"):
        current, at = [], None
        for t in g.findall(SVG + "text"):
            if at is not None and t.get("y") != at:
                lines.append("".join(current))
                current = []
            text = "".join(t.itertext())
            if t.get("baseline-shift") == "sub" and not text.isdigit():
                text = "_" + text                 # U_r; a3 reads inline
            current.append(text)
            at = t.get("y")
        if current:
            lines.append("".join(current))
    return lines


def read_svg(path):
    root = ET.parse(path).getroot()
    assert root.tag == SVG + "svg", f"{path} is not an SVG"
    return SvgFigure(
        texts=_lines(root),
        groups=collections.Counter(g.get("class") for g in root.iter(SVG + "g")),
        titles=[t.text for t in root.iter(SVG + "title")],
        width=float(root.get("width").removesuffix("pt")),
        height=float(root.get("height").removesuffix("pt")))


def read_png(path):
    """The PNG's pixels as an (height, width, channels) array (needs Pillow)."""
    from PIL import Image
    with Image.open(path) as image:
        assert image.format == "PNG", f"{path} is a {image.format}, not a PNG"
        return np.asarray(image.convert("RGB"))


def assert_drawn(pixels, min_size=(100, 100), min_ink=0.01):
    """A real picture: at least ``min_size`` (height, width) pixels, more than two
    colours, and at least ``min_ink`` of the pixels not background (the corner)."""
    h, w = pixels.shape[:2]
    assert h >= min_size[0] and w >= min_size[1], f"only {w} x {h} pixels"
    background = pixels[0, 0]
    ink = np.any(pixels != background, axis=-1).mean()
    assert ink >= min_ink, f"blank: {ink:.2%} of the pixels differ from the background"
    colours = np.unique(pixels.reshape(-1, pixels.shape[-1]), axis=0)
    assert len(colours) > 2, "one or two colours only"
