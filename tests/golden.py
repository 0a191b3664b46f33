"""Golden figures: the DOT text of every kind of figure, kept in tests/golden/.

A restructuring of ``viz`` must leave every figure as it was; a change that
means to change a figure regenerates the files and shows the difference in
review:

    .venv/bin/python tests/golden.py --update        # rewrite tests/golden/*
    .venv/bin/python tests/golden.py --diff NAME     # what changed in one figure

What is kept is what does not depend on the fonts of the machine that renders:
the DOT source of each figure (positions are computed by viz and pinned), the
DOT of every frame of a walk, and for the explorer its embedded JSON and the
ids of the SVG elements it moves classes over.
"""

from __future__ import annotations

import difflib
import itertools
import json
import re
import sys
import tempfile
from pathlib import Path

import graphviz
import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

import minigrad as mg  # noqa: E402
import minigrad.graph  # noqa: E402
import rnn  # noqa: E402
import viz  # noqa: E402

FOLDER = HERE / "golden"


# ------------------------------------------------------------------ the models drawn

def _run(cell=rnn.RNN, T=5, hidden=4, values=False, **kw):
    model = cell(1, hidden, 1, rng=0)
    xs = np.sin(np.linspace(0, 3, T))[:, None]
    if values:
        with mg.keep_values():
            return rnn.bptt(model, xs, np.cos(xs), contributions=True, retain_grads=True, **kw)
    return rnn.bptt(model, xs, np.cos(xs), contributions=True, retain_grads=True, **kw)


def _truncated():
    model = rnn.RNN(1, 4, 1, rng=0)
    wave = np.sin(np.linspace(0, 8, 17))[:, None]
    return rnn.tbptt(model, wave[:-1], wave[1:], k1=4, k2=8, optimizer=None)


def weight_decay():
    """An RNN whose loss adds a weight-decay term on W: a use of W outside the steps."""
    model = rnn.RNN(1, 4, 1, rng=0)
    out = model.unroll(np.ones((4, 1)))
    terms = []
    for t, o in enumerate(out.outputs, start=1):
        with mg.scope(f"t={t}"):
            terms.append(mg.mse_loss(o, mg.tensor([0.5])))
    loss = mg.stack(terms).sum() + 0.01 * (model.W * model.W).sum()
    loss.backward(contributions=True, retain_grads=True)
    return loss


def _expression():
    w = mg.tensor([1.0, -2.0], requires_grad=True, name="w")
    x = mg.tensor([0.5, 3.0], name="x")
    return ((w * x).tanh() + w).sum()


def _vanishing():
    model = rnn.RNN(1, 8, 1, rng=1)
    model.W.data *= 0.5 / rnn.spectral_radius(model.W)
    T = 8
    xs = np.random.default_rng(2).normal(size=(T, 1))
    mask = np.zeros(T, bool)
    mask[-1] = True
    return rnn.bptt(model, xs, np.zeros((T, 1)), mask=mask, contributions=True,
                    retain_grads=True)


def _flows():
    T = 12
    xs = np.random.default_rng(2).normal(size=(T, 1)) * 0.1
    out = {}
    for radius in (0.5, 1.5):
        model = rnn.RNN(1, 4, 1, bias=False, rng=1)
        model.W.data *= radius / rnn.spectral_radius(model.W)
        out[f"radius {radius}"] = rnn.gradient_flow(model, xs, np.zeros((T, 1)))
    return out


# ------------------------------------------------------------------ the figures

def _numbered_from_zero(build):
    """``build`` with the engine's node numbers (``seq``, in ids such as ``n17``) counted
    from 0, so that a figure's text does not depend on what ran before it."""
    def run():
        counter = minigrad.graph._next_seq
        minigrad.graph._next_seq = itertools.count().__next__
        try:
            return build()
        finally:
            minigrad.graph._next_seq = counter
    return run


def figures():
    """{name: a function returning the figure's golden text}."""
    return {name: _numbered_from_zero(build) for name, build in _figures().items()}


def _figures():
    out = {}

    def dot(name, build):
        out[name] = lambda: build().source

    for cell in (rnn.RNN, rnn.LSTM, rnn.GRU):
        c = cell.__name__
        for detail in ("ops", "cells"):
            for style in ("notebook", "slides"):
                dot(f"unrolled-{c}-{detail}-{style}", lambda cell=cell, d=detail, s=style:
                    viz.draw_unrolled(_run(cell).loss_tensor, detail=d, style=s))
        dot(f"unrolled-{c}-ops-TB", lambda cell=cell: viz.draw_unrolled(
            _run(cell, T=3).loss_tensor, direction="TB"))
        dot(f"unrolled-{c}-cells-TB-slides", lambda cell=cell: viz.draw_unrolled(
            _run(cell, T=3).loss_tensor, detail="cells", direction="TB", style="slides"))
        dot(f"folded-{c}", lambda cell=cell: viz.draw_folded(cell(3, 8, 2)))
    for style in ("notebook", "slides"):
        dot(f"heat-cells-{style}", lambda s=style: viz.draw_unrolled(
            _vanishing().loss_tensor, detail="cells", heat=True, style=s,
            labels=s != "slides"))
        dot(f"heat-ops-{style}", lambda s=style: viz.draw_unrolled(
            _run(T=4).loss_tensor, heat=True, style=s))
        dot(f"values-{style}", lambda s=style: viz.draw_unrolled(
            _run(T=3, hidden=2, values=True).loss_tensor, values=True, style=s))
        dot(f"values-H1-{style}", lambda s=style: viz.draw_unrolled(
            _run(T=2, hidden=1, values=True).loss_tensor, values=True, style=s))
        dot(f"bare-{style}", lambda s=style: viz.draw_unrolled(
            _run(T=4).loss_tensor, grads=False, labels=False, style=s))
        dot(f"weight-decay-{style}", lambda s=style: viz.draw_unrolled(
            weight_decay(), style=s))
        dot(f"truncation-graph-{style}", lambda s=style: viz.draw_unrolled(
            _truncated().last_loss_tensor, style=s))
        dot(f"truncation-{style}", lambda s=style: viz.draw_truncation(
            _truncated(), update=3, style=s))
        dot(f"gradient-flow-{style}", lambda s=style: viz.draw_gradient_flow(_flows(), style=s))
        dot(f"checkpoints-{style}", lambda s=style: viz.draw_checkpoints(
            rnn.checkpoint_policy(10, 3), style=s))
        dot(f"draw-rnn-{style}", lambda s=style: viz.draw(_run(T=2).loss_tensor, style=s))
        dot(f"draw-expression-{style}", lambda s=style: viz.draw(_expression(), style=s))
    dot("folded-RNN-slides", lambda: viz.draw_folded(rnn.RNN(1, 4, 1), style="slides"))
    dot("draw-heat-values", lambda: _draw_heat_values())
    for T in (1, 2, 13, 30):
        dot(f"unrolled-T{T}", lambda T=T: viz.draw_unrolled(_run(T=T).loss_tensor))
    dot("unrolled-T14-cells-noelide", lambda: viz.draw_unrolled(
        _run(T=14).loss_tensor, detail="cells", elide=False))
    dot("unrolled-T20-LSTM-slides", lambda: viz.draw_unrolled(
        _run(rnn.LSTM, T=20).loss_tensor, style="slides"))
    dot("unrolled-keep1", lambda: viz.draw_unrolled(
        _run(T=9).loss_tensor, max_steps=3, keep=1))
    dot("unrolled-no-contributions", lambda: viz.draw_unrolled(
        _run(T=3).loss_tensor, contributions=False, title="a title of my own"))
    dot("unrolled-batch-mean", lambda: viz.draw_unrolled(
        _run(T=3, reduction="mean").loss_tensor))
    out["frames-rnn"] = lambda: _frames(lambda: rnn.bptt(
        rnn.RNN(1, 2, 1, rng=0), [[0.5], [-1.0]], [[0.2], [0.1]]).loss_tensor)
    out["frames-rnn-slides"] = lambda: _frames(lambda: _run(T=3, hidden=2).loss_tensor, style="slides")
    out["frames-expression"] = lambda: _frames(_expression)
    out["animation-rnn"] = lambda: _animation(lambda: rnn.bptt(
        rnn.RNN(1, 2, 1, rng=0), [[0.5], [-1.0]], [[0.2], [0.1]]).loss_tensor)
    out["explore-rnn"] = lambda: _explore(lambda: _run(T=4, values=True).loss_tensor)
    out["explore-lstm-elided"] = lambda: _explore(
        lambda: _run(rnn.LSTM, T=6).loss_tensor, max_steps=5, keep=2)
    out["explore-truncated"] = lambda: _explore(lambda: _truncated().last_loss_tensor)
    return out


def _draw_heat_values():
    with mg.keep_values():
        loss = _expression()
    loss.backward(retain_grads=True)
    return viz.draw(loss, heat=True, values=True)


class _Recorder:
    """Records the DOT of every figure rendered to PNG (frames and animations are;
    the fit checks render SVG and are not recorded)."""

    def __init__(self):
        self.sources = []

    def __enter__(self):
        self.pipe = graphviz.Digraph.pipe
        recorder = self

        def pipe(graph, *args, **kw):
            if kw.get("format", args[0] if args else None) == "png":
                recorder.sources.append(graph.source)
            return recorder.pipe(graph, *args, **kw)

        graphviz.Digraph.pipe = pipe
        return self

    def __exit__(self, *exc):
        graphviz.Digraph.pipe = self.pipe


def _frames(build, style="notebook"):
    with tempfile.TemporaryDirectory() as folder, _Recorder() as rec:
        viz.backward_frames(build(), folder, format="png", style=style)
    return "\n// ---- next frame\n".join(rec.sources)


def _animation(build):
    with tempfile.TemporaryDirectory() as folder, _Recorder() as rec:
        viz.backward_animation(build(), Path(folder) / "walk.gif")
    return "\n// ---- next frame\n".join(rec.sources)


def _explore(build, **kw):
    page = viz.explore(build(), **kw).html
    data = re.search(r'id="walk-data">(.*?)</script>', page, re.S).group(1)
    ids = re.findall(r'<g id="([^"]*)" class="([^"]*)"(?: data-\w+="([^"]*)")?', page)
    decos = re.findall(r'data-deco="([^"]*)"', page)
    return (json.dumps(json.loads(data), indent=1, sort_keys=True)
            + "\n// ---- svg ids\n" + "\n".join(" ".join(i) for i in ids)
            + "\n// ---- decorations\n" + "\n".join(decos))


# ------------------------------------------------------------------ comparing

def _attribute_lists(text):
    """``text`` split into (outside, inside) pieces: inside is the text of one DOT
    attribute list ``[...]``; quoted strings and HTML-like ``<...>`` labels are kept whole."""
    pieces, start, k, depth, quoted = [], 0, 0, 0, False
    opened = None
    while k < len(text):
        c = text[k]
        if quoted:
            if c == "\\":
                k += 1
            elif c == '"':
                quoted = False
        elif depth:
            depth += {"<": 1, ">": -1}.get(c, 0)
        elif c == '"':
            quoted = True
        elif c == "<" and opened is not None:
            depth = 1
        elif c == "[" and opened is None:
            opened = k
        elif c == "]" and opened is not None:
            pieces += [(text[start:opened + 1], text[opened + 1:k])]
            start, opened = k, None
        k += 1
    return pieces + [(text[start:], None)]


_ATTRIBUTE = re.compile(r'(\w+)=("(?:[^"\\]|\\.)*"|<(?:[^<>]|<(?:[^<>]|<[^<>]*>)*>)*>|[^\s\]]+)',
                        re.S)


_UNSEEN = {"color", "fillcolor", "fontcolor", "penwidth"}    # not drawn on an invisible thing


def canonical(text):
    """The DOT text with each attribute list in sorted order: the order of attributes
    means nothing to Graphviz, the order of statements does (it is the drawing order).
    The colours and pens of an invisible node or edge are left out: nothing shows them."""
    out = []
    for outside, inside in _attribute_lists(text):
        out.append(outside)
        if inside is not None:
            attrs = dict(_ATTRIBUTE.findall(inside))
            if attrs.get("style") == "invis":
                attrs = {a: v for a, v in attrs.items() if a not in _UNSEEN}
            out.append(" ".join(sorted(f"{a}={v}" for a, v in attrs.items())))
    return "".join(out)


def same(name, text):
    """Whether ``text`` draws what the kept golden text of ``name`` draws."""
    return path_of(name).exists() and \
        canonical(path_of(name).read_text(encoding="utf-8")) == canonical(text)


# ------------------------------------------------------------------ files

def path_of(name):
    return FOLDER / f"{name}.txt"


def difference(name, text, context=2, limit=60):
    """A unified diff between the kept golden text and ``text`` (first ``limit`` lines)."""
    kept = path_of(name).read_text(encoding="utf-8") if path_of(name).exists() else ""
    lines = list(difflib.unified_diff(kept.splitlines(), text.splitlines(),
                                      f"golden/{name}", "now", n=context, lineterm=""))
    return "\n".join(lines[:limit]) + (f"\n… {len(lines) - limit} more lines" if
                                        len(lines) > limit else "")


def main(argv):
    cases = figures()
    if "--update" in argv:
        FOLDER.mkdir(exist_ok=True)
        names = [a for a in argv if not a.startswith("--")] or list(cases)
        for name in names:
            path_of(name).write_text(cases[name](), encoding="utf-8")
            print(f"wrote {path_of(name).relative_to(HERE.parent)}")
        return 0
    if "--diff" in argv:
        for name in [a for a in argv if not a.startswith("--")]:
            print(difference(name, cases[name]()))
        return 0
    changed = [name for name, build in cases.items() if not same(name, build())]
    print("\n".join(changed) or "every figure is as kept")
    return 1 if changed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
