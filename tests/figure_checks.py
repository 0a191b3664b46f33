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
    texts: list              # every <text>'s content, in document order
    groups: collections.Counter     # Graphviz's <g class="node|edge|cluster"> counts
    titles: list             # every <title> (Graphviz: node names, "a->b" for edges)
    width: float             # in points
    height: float

    def has(self, *texts):
        """True if every one of ``texts`` is one of the figure's texts."""
        return all(t in self.texts for t in texts)


def read_svg(path):
    root = ET.parse(path).getroot()
    assert root.tag == SVG + "svg", f"{path} is not an SVG"
    return SvgFigure(
        texts=["".join(t.itertext()) for t in root.iter(SVG + "text")],
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
