"""The deck as data: :class:`Slide` and :class:`Deck`, written to one HTML file.

A slide is a title, a body (HTML that ``lecture`` made: a figure's SVG, typeset
math, a table of numbers) and the teacher's notes.  :meth:`Deck.save` writes one
self-contained page: the slides, and the stylesheet and script of
``lecture/assets/`` inlined, so the file works offline by double click and asks
the network for nothing.  :meth:`Deck.pdf` prints the same page through headless
Chromium, one 16:9 page per slide.

Text that is not HTML (titles, notes) is escaped on its way in; a figure's SVG
comes from Graphviz, which escapes the names in its labels, and its ids are
prefixed per slide so that two figures never share an id.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

__all__ = ["Slide", "Deck", "figure_html", "framed_page", "paragraphs"]

LAYOUTS = ("text", "figure")


@dataclass
class Slide:
    """One slide.

    Parameters
    ----------
    title : str
        Plain text (escaped).  A ``"text"`` slide shows it as its heading; on a
        ``"figure"`` slide the figure draws it (at the slide style's 40 px title
        size), so the HTML repeats it only for the notes and the page's title.
    body_html : str
        The slide's content, HTML made by ``lecture`` (trusted: build it with
        :func:`figure_html` and ``html.escape`` for any user text).
    notes : str
        What the teacher says, points at and asks; plain text (escaped), a blank
        line between paragraphs.
    name : str
        A short stable name ("folded", "two-paths", ...) for tests and links.
    layout : "text" or "figure"

    >>> Slide("Why <W>?", "<p>body</p>", "Ask the room.").heading()
    '<h1 class="title">Why &lt;W&gt;?</h1>'
    """
    title: str
    body_html: str
    notes: str
    name: str = ""
    layout: str = "text"

    def __post_init__(self):
        for field, value in (("title", self.title), ("body_html", self.body_html),
                             ("notes", self.notes), ("name", self.name)):
            if not isinstance(value, str):
                raise TypeError(f"lecture.Slide: {field} must be a str, got "
                                f"{type(value).__name__} {value!r}")
        if self.layout not in LAYOUTS:
            raise ValueError(f"lecture.Slide: layout must be 'text' (an HTML heading and "
                             f"body) or 'figure' (the figure draws the title), got "
                             f"{self.layout!r}")
        if not self.notes.strip():
            raise ValueError(f"lecture.Slide: slide {self.title!r} has no speaker notes; "
                             f"every slide needs them (what to say, point at, ask)")

    def heading(self):
        """The slide's HTML heading ('' on a figure slide, whose figure draws it)."""
        if self.layout == "figure":
            return ""
        return f'<h1 class="title">{html.escape(self.title)}</h1>'

    def section(self, k, count):
        """The slide as the page's ``<section>``: slide ``k`` of ``count``."""
        name = html.escape(self.name or f"slide-{k}", quote=True)
        return (f'<section class="slide layout-{self.layout}" id="slide-{k}" '
                f'data-name="{name}" data-title="{html.escape(self.title, quote=True)}">\n'
                f'{self.heading()}\n<div class="body">\n{self.body_html}\n</div>\n'
                f'<aside class="notes">{paragraphs(self.notes)}</aside>\n</section>')


def paragraphs(text):
    """Plain text as escaped HTML paragraphs, one per blank-line-separated block.

    >>> paragraphs("Say <this>.\\n\\nThen ask.")
    '<p>Say &lt;this&gt;.</p><p>Then ask.</p>'
    """
    blocks = [" ".join(block.split()) for block in re.split(r"\n\s*\n", text.strip())]
    return "".join(f"<p>{html.escape(block)}</p>" for block in blocks if block)


# ------------------------------------------------------------------ figures

_PREAMBLE = re.compile(r"^.*?(?=<svg)", re.S)
_SIZE = re.compile(r'<svg width="[\d.]+pt" height="[\d.]+pt"')
_PAPER = re.compile(r'(<g id="graph0" class="graph"[^>]*>\s*(?:<title>[^<]*</title>\s*)?)'
                    r'<polygon fill="white" stroke="(?:none|transparent)"[^>]*/>\s*')


def figure_html(figure, key, caption_html=""):
    """A ``viz.draw*`` figure as inline SVG for a slide, and an optional caption.

    The SVG keeps Graphviz's viewBox (its units are the figure's points, so its
    text of 28 pt is 28 px when the figure is shown 1920 px wide); the page's
    script crops the viewBox to what is drawn and the stylesheet scales the
    figure to the room the slide leaves.  Ids get the prefix ``key``, tooltips
    (``<title>``) and comments go.

    >>> import minigrad as mg, viz
    >>> w = mg.tensor([1.0, -2.0], requires_grad=True, name="w")
    >>> part = figure_html(viz.draw((w * w).sum(), style="slides"), "demo", "w ⊙ w, summed")
    >>> part.count("<svg"), 'id="demo-graph0"' in part, part.endswith('summed</div>')
    (1, True, True)
    """
    svg = figure.pipe(format="svg", quiet=True).decode("utf-8")
    svg = _PREAMBLE.sub("", svg, count=1)
    svg = _SIZE.sub('<svg class="figure-svg" preserveAspectRatio="xMidYMid meet"', svg, count=1)
    svg = _PAPER.sub(r"\1", svg, count=1)            # the white page under the drawing
    svg = re.sub(r"<title>[^<]*</title>\n?", "", svg)
    svg = re.sub(r"<!--.*?-->\n?", "", svg, flags=re.S)
    prefix = re.sub(r"[^A-Za-z0-9_-]", "-", key)
    svg = re.sub(r'\bid="', f'id="{prefix}-', svg)
    svg = svg.replace('url(#', f'url(#{prefix}-').replace('href="#', f'href="#{prefix}-')
    caption = f'\n<div class="caption">{caption_html}</div>' if caption_html else ""
    return f'<div class="figure">{svg.strip()}</div>{caption}'


# ------------------------------------------------------------------ the deck

def _asset(name):
    return resources.files("lecture").joinpath("assets", name).read_text(encoding="utf-8")


def framed_page(page_html, title):
    """Another page of ours (the explorer's) inside a slide: an ``<iframe srcdoc>``, so
    that it runs offline in the deck with its own ids, style and keys.  Its SVG text gets
    the deck's rules (``svgtext.css``)."""
    page_html = page_html.replace("</style>", _asset("svgtext.css") + "</style>", 1)
    return (f'<iframe class="explorer" title="{html.escape(title, quote=True)}" '
            f'srcdoc="{html.escape(page_html, quote=True)}"></iframe>')


class Deck(list):
    """A list of :class:`Slide` with a title; ``save`` writes the page, ``pdf`` prints it.

    >>> deck = Deck([Slide("One", "<p>1</p>", "Say one.")], title="A <tiny> deck")
    >>> page = deck.html()
    >>> page.count('class="slide '), "<title>A &lt;tiny&gt; deck</title>" in page
    (1, True)
    """

    def __init__(self, slides=(), title="Backpropagation through time"):
        super().__init__(slides)
        if not isinstance(title, str):
            raise TypeError(f"lecture.Deck: title must be a str, got {type(title).__name__}")
        self.title = title

    def html(self):
        """The whole page: one self-contained HTML document."""
        for k, slide in enumerate(self, start=1):
            if not isinstance(slide, Slide):
                raise TypeError(f"lecture.Deck: item {k} is a {type(slide).__name__}, not a "
                                f"lecture.Slide")
        if not self:
            raise ValueError("lecture.Deck: the deck has no slides")
        sections = "\n".join(slide.section(k, len(self)) for k, slide in enumerate(self, 1))
        parts = {"TITLE": html.escape(self.title),
                 "STYLE": _asset("deck.css") + "\n" + _asset("svgtext.css"),
                 "SCRIPT": _asset("deck.js").replace("</", "<\\/"), "SLIDES": sections,
                 "COUNT": str(len(self))}
        return re.sub(r"\{\{(\w+)\}\}", lambda m: parts[m.group(1)], _asset("deck.html"))

    def save(self, path):
        """Write the deck to ``path`` (an .html file; folders are created).  Returns
        the path."""
        path = _checked_path(path, (".html", ".htm"), "Deck.save", "lecture.html")
        path.write_text(self.html(), encoding="utf-8")
        return path

    def pdf(self, path):
        """Print the deck to ``path`` (a .pdf file) through headless Chromium: one
        16:9 page (20 × 11.25 in) per slide; the explorer's page shows as a still.
        Needs selenium, Chromium and chromedriver.  Returns the path."""
        from .browser import print_pdf
        path = _checked_path(path, (".pdf",), "Deck.pdf", "lecture.pdf")
        path.write_bytes(print_pdf(self.html()))
        return path

    def __repr__(self):
        return f"Deck({len(self)} slides: {', '.join(s.name or s.title for s in self)})"


def _checked_path(path, suffixes, who, example):
    if not isinstance(path, (str, Path)):
        raise TypeError(f"lecture.{who}: path must be a file name (str or pathlib.Path), got "
                        f"{type(path).__name__} {path!r}. Fix: deck.{who.split('.')[1]}"
                        f"('out/{example}').")
    path = Path(path)
    if path.suffix.lower() not in suffixes:
        raise ValueError(f"lecture.{who}: the file name must end in {' or '.join(suffixes)}, "
                         f"got {str(path)!r}. Fix: 'out/{example}'.")
    if path.is_dir():
        raise IsADirectoryError(f"lecture.{who}: {str(path)!r} is a folder; give a file name, "
                                f"e.g. {str(path / example)!r}")
    path.parent.mkdir(parents=True, exist_ok=True)
    return path
