"""Names are user text (issue 22 §2): a tensor's, a scope's, a parameter's or a figure's
title.  Every drawing shows each name as written, and no name can turn into markup: a
link, an image, a script, or Graphviz's own escapes (``\\N`` is the node's id to dot).

The explorer page is tested the same way, in Chromium, in test_explore_browser.py."""

import html
import subprocess
import xml.etree.ElementTree as ET

import numpy as np
import pytest

import minigrad as mg
import rnn
import viz
from viz.render import check_dot

NAMES = {
    "html-like label": '<<TABLE><TR><TD HREF="javascript:alert(7)">W</TD></TR></TABLE>>',
    "image": '<IMG SRC="/etc/passwd"/>',
    "comment": "<!--<script>",
    "script": "</script><script>alert(1)</script>",
    "attribute": '"onmouseover="alert(1)',
    "dot escapes": "\\N \\G \\E \\T \\H \\L",
    "backslash": "back\\slash",
    "braces": "{braces} [x] |y|",
    "entities": "&amp; &lt; &#60;",
    "quotes": "it's \"quoted\"",
    "newline": "two\nlines",
    "long": "x" * 300,
    "non-ASCII": "σ₁ ü 漢",
}


def hostile_figures(name):
    """(what, figure) for every kind of drawing, with ``name`` wherever a user can put one."""
    model = rnn.RNN(1, 2, 1, rng=0)
    model.W.name = name                     # a parameter, drawn in every figure of the model
    with mg.keep_values():
        result = rnn.bptt(model, np.ones((3, 1)), np.zeros((3, 1)), contributions=True,
                          retain_grads=True)
    loss = result.loss_tensor
    yield "draw", viz.draw(loss, values=True, title=name)
    yield "draw_unrolled", viz.draw_unrolled(loss, values=True, title=name)
    yield "draw_unrolled slides", viz.draw_unrolled(loss, style="slides", title=name)
    yield "draw_unrolled cells", viz.draw_unrolled(loss, detail="cells", heat=True, title=name)
    yield "draw_folded", viz.draw_folded(model, title=name)
    flow = rnn.gradient_flow(model, np.ones((4, 1)), np.zeros((4, 1)))
    yield "draw_gradient_flow", viz.draw_gradient_flow({name: flow}, title=name)
    run = rnn.tbptt(model, np.ones((8, 1)), np.zeros((8, 1)), 2, 4, None)
    yield "draw_truncation", viz.draw_truncation(run, title=name)
    yield "draw_checkpoints", viz.draw_checkpoints(rnn.checkpoint_policy(6, 2), title=name)
    w = mg.tensor([1.0, 2.0], requires_grad=True, name=name)
    with mg.scope(name.replace("/", "|")):          # a scope's name has no "/" (a path)
        h = (w * 3).tanh()
    h.name = name                                   # an intermediate result, named
    yield "draw, named op and scope", viz.draw(h.sum())


def rendered(figure):
    """Graphviz's SVG of ``figure``, and what it printed on stderr."""
    check_dot("test")
    done = subprocess.run(["dot", "-Tsvg", f"-K{figure.engine}"], input=figure.source.encode(),
                          capture_output=True, check=True)
    return done.stdout.decode(), done.stderr.decode()


def shown_texts(svg):
    """Every text the SVG draws, as a reader sees it (entities read back once)."""
    root = ET.fromstring(svg[svg.index("<svg"):])
    return ["".join(el.itertext()) for el in root.iter() if el.tag.endswith("}text")], root


@pytest.mark.parametrize("name", NAMES.values(), ids=list(NAMES))
def test_every_drawing_shows_a_hostile_name_as_written_and_nothing_else(name):
    for what, figure in hostile_figures(name):
        svg, warnings = rendered(figure)
        assert warnings == "", (what, warnings)          # drawn, and sized for its text
        texts, root = shown_texts(svg)
        # no markup got through: no link, image, script or event handler
        for el in root.iter():
            tag = el.tag.split("}")[-1]
            assert tag not in ("a", "image", "script", "foreignObject"), (what, tag)
            assert not [k for k in el.attrib if "href" in k or k.lower().startswith("on")], \
                (what, tag, el.attrib)
        # the name itself, line by line, in some text of the figure, read back exactly
        joined = "\n".join(texts)
        for line in filter(None, name.split("\n")):
            assert line.replace(" ", "\xa0") in joined.replace(" ", "\xa0"), (what, line)
        if "\n" in name:                   # a line break, or a space: never dropped
            assert name.replace("\n", "") not in joined, what
        if "\\" in name:                    # a backslash is one backslash, not two
            assert "\\\\" not in joined, what
        if "&" in name:                     # an entity is shown, not read: "&amp;" stays
            assert html.unescape(name) not in joined.replace(name, ""), what


def test_a_scope_name_with_a_slash_is_refused_clearly():
    with pytest.raises(ValueError, match="scope\\(\\): the name must be a non-empty string "
                                         "without '/'"):
        with mg.scope("a/b"):
            pass
