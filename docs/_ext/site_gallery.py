"""The figure gallery: every kind of figure, in both styles, drawn at build time by the
library's own public functions (``bptt_cli.demo.gallery`` and ``viz.draw*``), so that it
always shows what the current code draws.

The directive ``figure-gallery`` draws them into ``_gallery/<style>/`` in the site and
puts one section per figure kind on the page: what it shows, the call that draws it, and
the figure in the notebook style and in the slide style.
"""

import html
import shutil
import tempfile
from pathlib import Path

import numpy as np
from docutils import nodes
from docutils.statemachine import StringList
from sphinx.util.docutils import SphinxDirective
from sphinx.util.nodes import make_id

import minigrad as mg
import rnn
import viz
from bptt_cli.demo import gallery

STYLES = {"notebook": "notebook style (the default)",
          "slides": 'slide style, `style="slides"`: 16:9, for a projector'}
FOLDER = "_gallery"

# What the figures of bptt_cli.demo.gallery() show (the README's figures), by file name.  A
# figure that gallery() draws and this table does not name is shown under its file name.
GALLERY_FIGURES = {
    "unrolled": ("The unrolled graph, op by op", "viz.draw_unrolled(loss)",
                 "A 5-step RNN after `backward()`: every node the equation it computes, the "
                 "shared U, W, V drawn once, each parameter edge labelled with that copy's "
                 "term of the gradient."),
    "unrolled_cells": ("One box per copy of the cell", 'viz.draw_unrolled(loss, detail="cells")',
                       "The textbook figure: x_t → s_t → o_t → E_t per copy."),
    "folded": ("The folded network", "viz.draw_folded(model)",
               "The recurrent cell before unrolling: W as a loop."),
    "gradient_heat": ("Vanishing gradients, as heat",
                      'viz.draw_unrolled(loss, detail="cells", heat=True)',
                      "Spectral radius of W 0.5, a cost at the last step only: ‖dL/ds_t‖ "
                      "on a log colour scale shrinks step by step going back."),
    "gradient_flow": ("Gradient flow for three sizes of W", "viz.draw_gradient_flow(flows)",
                      "`rnn.gradient_flow` for spectral radius 0.5, 1.0 and 1.5 over 16 steps."),
    "truncation": ("One update of truncated BPTT", "viz.draw_truncation(run)",
                   "TBPTT(k1=4, k2=8): the steps whose losses count, the steps the gradient "
                   "flows back through, and the cut."),
    "truncation_graph": ("The graph of that update", "viz.draw_unrolled(run.last_loss_tensor)",
                         "The same update's graph, starting at the detached state."),
}


def _small_rnn_loss():
    """Two steps of a 2-unit RNN after backward, values kept: small enough to read."""
    model = rnn.RNN(1, 2, 1, rng=0)
    with mg.keep_values():
        return rnn.bptt(model, [[0.5], [-1.0]], [[0.2], [0.1]], contributions=True,
                        retain_grads=True).loss_tensor


def _values(style, folder):
    return viz.save(viz.draw_unrolled(_small_rnn_loss(), values=True, style=style),
                    folder / "values.svg")


def _lstm(style, folder):
    model = rnn.LSTM(1, 3, 1, rng=0)
    xs = np.sin(np.linspace(0, 3, 5))[:, None]
    loss = rnn.bptt(model, xs, np.roll(xs, -1, 0), contributions=True,
                    retain_grads=True).loss_tensor
    return viz.save(viz.draw_unrolled(loss, detail="cells", style=style), folder / "lstm.svg")


def _draw(style, folder):
    """One layer by hand: L = Σ (tanh(W x + b) − y)²."""
    W = mg.tensor([[0.5, -0.3], [0.8, 0.1]], requires_grad=True, name="W")
    b = mg.tensor([0.1, -0.2], requires_grad=True, name="b")
    x, y = mg.tensor([1.0, 2.0], name="x"), mg.tensor([0.0, 1.0], name="y")
    loss = ((mg.tanh(W @ x + b) - y) ** 2).sum()
    loss.backward(retain_grads=True)
    return viz.save(viz.draw(loss, style=style), folder / "draw.svg")


def _checkpoints(style, folder):
    return viz.save(viz.draw_checkpoints(rnn.checkpoint_policy(12, 4), style=style),
                    folder / "checkpoints.svg")


def _frames(style, folder):
    """The first, a middle and the last frame of the reverse walk."""
    frames = viz.backward_frames(_small_rnn_loss(), folder / "frames", format="svg",
                                 style=style)
    return [frames[0], frames[len(frames) // 2], frames[-1]]


def _animation(style, folder):
    return viz.backward_animation(_small_rnn_loss(), folder / "walk.gif", style=style)


def _influence(style, folder):
    """matplotlib's figure has no slide style: drawn once."""
    if style != "notebook":
        return None
    model = rnn.RNN(2, 3, 1, rng=0)
    xs = np.random.default_rng(0).normal(size=(12, 2))
    viz.draw_influence(model, xs, rule="snap-1", steps=[1, 2, 4, 12],
                       path=folder / "influence.svg")
    return folder / "influence.svg"


# The figure kinds that bptt_cli.demo.gallery() does not draw: (name, title, the call, what
# it shows, the function that draws it in a style into a folder: a path, a list of paths,
# or None when the figure has no such style).
MORE_FIGURES = [
    ("values", "A worked example, numbers included", "viz.draw_unrolled(loss, values=True)",
     "Two steps, two units: the signed values and gradients of the small tensors, so that "
     "the board and the figure agree number for number.", _values),
    ("lstm", "An LSTM, one box per step", 'viz.draw_unrolled(loss, detail="cells")',
     "The cell state c_t has a colour of its own beside the hidden state.", _lstm),
    ("draw", "Any minigrad graph", "viz.draw(loss)",
     "L = Σ (tanh(W x + b) − y)², one op per node, with the gradients.", _draw),
    ("checkpoints", "A checkpointing plan", "viz.draw_checkpoints(rnn.checkpoint_policy(12, 4))",
     "Which of 12 states are stored with room for 4, and which segments are recomputed.",
     _checkpoints),
    ("frames", "The reverse walk, frame by frame", 'viz.backward_frames(loss, "frames/")',
     "The first, a middle and the last of the frames that step through `backward()`.",
     _frames),
    ("animation", "The reverse walk as an animation", 'viz.backward_animation(loss, "walk.gif")',
     "The same walk as one GIF.", _animation),
    ("influence", "RTRL's influence matrix and SnAp-1's pattern",
     'viz.draw_influence(model, xs, rule="snap-1", steps=[1, 2, 4, 12])',
     "M_t = ds_t/dΘ over time, dense, above the block-diagonal part that SnAp-1 keeps "
     "(drawn by matplotlib, in one style).", _influence),
]


def draw_everything(folder):
    """Draw every figure in both styles into ``folder/<style>/``; returns
    ``[(name, title, call, text, {style: [paths]})]``, in the page's order."""
    kinds = {}
    for style in STYLES:
        for path in gallery(folder / style, formats=("svg",), style=style):
            title, call, text = GALLERY_FIGURES.get(
                path.stem, (path.stem.replace("_", " "), "bptt_cli.demo.gallery(out)", ""))
            kinds.setdefault(path.stem, (path.stem, title, call, text, {}))[4][style] = [path]
        for name, title, call, text, draw in MORE_FIGURES:
            paths = draw(style, folder / style)
            if paths is not None:
                paths = [Path(p) for p in (paths if isinstance(paths, list) else [paths])]
                kinds.setdefault(name, (name, title, call, text, {}))[4][style] = paths
    return list(kinds.values())


class FigureGallery(SphinxDirective):
    """Draw the figures into the site and show them, one section per kind."""

    def run(self):
        site = Path(self.env.app.outdir)
        with tempfile.TemporaryDirectory() as scratch:
            kinds = draw_everything(Path(scratch))
            for path in Path(scratch).rglob("*"):
                if path.suffix in (".svg", ".gif"):
                    target = site / FOLDER / path.relative_to(scratch)
                    target.parent.mkdir(parents=True, exist_ok=True)
                    shutil.copyfile(path, target)
            return [self._section(kind, Path(scratch)) for kind in kinds]

    def _section(self, kind, scratch):
        name, title, call, text, by_style = kind
        up = "../" * self.env.docname.count("/")
        section = nodes.section(ids=[make_id(self.env, self.state.document, "", name)])
        section += nodes.title(title, title)
        lines = ([text] if text else []) + ["", f"Drawn by `{call}`."]
        self.state.nested_parse(StringList(lines, source=self.env.docname),
                                self.content_offset, section)
        for style, paths in by_style.items():
            label = STYLES[style] if len(by_style) > 1 else "one style only"
            self.state.nested_parse(StringList([f"*{label}*"], source=self.env.docname),
                                    self.content_offset, section)
            sources = [f"{up}{FOLDER}/{html.escape(path.relative_to(scratch).as_posix())}"
                       for path in paths]
            images = "".join(           # each opens at full size when clicked
                f'<a href="{src}"><img class="gallery-figure" src="{src}" '
                f'alt="{html.escape(title)}, {style} style" '
                f'style="max-width:100%;height:auto;display:block;margin:0.5em 0 1.5em"></a>'
                for src in sources)
            section += nodes.raw("", f'<div class="gallery-{style}">{images}</div>',
                                 format="html")
        return section


def setup(app):
    app.add_directive("figure-gallery", FigureGallery)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
