"""The layout check (viz.check_layout) on every kind of figure the library draws.

A figure passes when no two labels, nodes or time-step boxes overlap, no edge
passes through a node it does not connect, and no text is under its style's
size limit (slides: 14 px once scaled to 1920 px wide).  The checker itself is
tested on SVG made to fail.
"""

import re
from pathlib import Path

import numpy as np
import pytest

import minigrad as mg
import rnn
import viz
from viz.layout_check import check_layout, read_svg


def run(cell=rnn.RNN, T=5, retain=True, hidden=4, **kw):
    model = cell(1, hidden, 1, rng=0)
    xs = np.sin(np.linspace(0, 3, T))[:, None]
    return model, rnn.bptt(model, xs, np.cos(xs), contributions=True, retain_grads=retain, **kw)


def weight_decay_loss():
    model, _ = run()
    xs = np.ones((4, 1))
    out = model.unroll(xs)
    terms = []
    for t, o in enumerate(out.outputs, start=1):
        with mg.scope(f"t={t}"):
            terms.append(mg.mse_loss(o, mg.tensor([0.5])))
    loss = mg.stack(terms).sum() + 0.01 * (model.W * model.W).sum()
    loss.backward(contributions=True, retain_grads=True)
    return loss


def truncated():
    model = rnn.RNN(1, 4, 1, rng=0)
    wave = np.sin(np.linspace(0, 8, 17))[:, None]
    return rnn.tbptt(model, wave[:-1], wave[1:], k1=4, k2=8, optimizer=None)


def figures():
    """(name, style, build) for every kind of figure; build() returns the graph."""
    out = []
    for cell in (rnn.RNN, rnn.LSTM, rnn.GRU):
        for detail in ("ops", "cells"):
            for direction in ("LR", "TB"):
                for style in ("notebook", "slides"):
                    out.append((f"{cell.__name__}-{detail}-{direction}-{style}", style,
                                lambda c=cell, d=detail, r=direction, s=style: viz.draw_unrolled(
                                    run(c)[1].loss_tensor, detail=d, direction=r, style=s)))
    for T in (1, 2, 13, 50):
        for elide in (True, False):
            if T == 50 and not elide:
                continue                      # drawn below, with cells
            out.append((f"RNN-T{T}-elide{elide}", "notebook",
                        lambda T=T, e=elide: viz.draw_unrolled(run(T=T)[1].loss_tensor, elide=e)))
    out.append(("RNN-T50-cells-noelide", "notebook", lambda: viz.draw_unrolled(
        run(T=50)[1].loss_tensor, detail="cells", elide=False)))
    for style in ("notebook", "slides"):
        out += [
            (f"heat-{style}", style, lambda s=style: viz.draw_unrolled(
                run(T=8)[1].loss_tensor, detail="cells", heat=True, style=s)),
            (f"heat-ops-{style}", style, lambda s=style: viz.draw_unrolled(
                run(T=4)[1].loss_tensor, heat=True, style=s)),
            (f"weight-decay-{style}", style, lambda s=style: viz.draw_unrolled(
                weight_decay_loss(), style=s)),
            (f"truncation-graph-{style}", style, lambda s=style: viz.draw_unrolled(
                truncated().last_loss_tensor, style=s)),
            (f"truncation-{style}", style, lambda s=style: viz.draw_truncation(
                truncated(), update=3, style=s)),
            (f"folded-{style}", style, lambda s=style: viz.draw_folded(
                rnn.LSTM(3, 8, 2), style=s)),
            (f"gradient-flow-{style}", style, lambda s=style: viz.draw_gradient_flow(
                {"ρ = 0.5": rnn.gradient_flow(rnn.RNN(1, 4, 1, rng=0), np.ones((12, 1)),
                                             np.zeros((12, 1)))}, style=s)),
            (f"values-{style}", style, lambda s=style: viz.draw_unrolled(
                run(T=3, hidden=2)[1].loss_tensor, values=True, style=s)),
            (f"bare-{style}", style, lambda s=style: viz.draw_unrolled(
                run(T=4)[1].loss_tensor, grads=False, labels=False, style=s)),
            (f"draw-{style}", style, lambda s=style: viz.draw(
                run(T=2)[1].loss_tensor, style=s)),
        ]
    for T, budget in ((10, 3), (40, 4)):
        out.append((f"checkpoints-T{T}", "notebook", lambda T=T, b=budget: viz.draw_checkpoints(
            rnn.checkpoint_policy(T, b))))
    return out


FIGURES = figures()

# Known, and reported rather than hidden: these still fail the check.
KNOWN = {
    "GRU-ops-TB-slides": "a GRU's ops side by side in TB are wider than a slide",
    # found when the check learned 'edge through label'
    "GRU-ops-LR-slides": "the edge from the last step's cost up to L crosses its 't = T' title",
    "GRU-cells-TB-slides": "top to bottom, a parameter's route crosses the elided box's title",
    "weight-decay-slides": "a parameter's route crosses another copy's 'W <term>' label",
}
FIGURES = [pytest.param(*f, marks=pytest.mark.xfail(reason=KNOWN[f[0]], strict=False))
           if f[0] in KNOWN else f for f in FIGURES]


@pytest.mark.parametrize("name, style, build", FIGURES,
                         ids=[f.values[0] if hasattr(f, "values") else f[0] for f in FIGURES])
def test_every_figure_passes_the_layout_check(name, style, build):
    report = check_layout(build(), style)
    assert report.ok, f"{name}: {report}"


# ------------------------------------------------------------------ the checker itself

def svg(body, width=200, height=100):
    return (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}">'
            f'<g id="graph0" class="graph">{body}</g></svg>')


def node(name, x, y, text="a", size=14, w=20, h=10):
    return (f'<g class="node"><title>{name}</title>'
            f'<polygon fill="white" stroke="black" points="{x - w},{y - h} {x + w},{y - h} '
            f'{x + w},{y + h} {x - w},{y + h}"/>'
            f'<text text-anchor="middle" x="{x}" y="{y + 4}" font-size="{size}">{text}</text></g>')


def edge(a, b, d, label=None, at=(0, 0)):
    text = (f'<text text-anchor="middle" x="{at[0]}" y="{at[1]}" font-size="14">{label}</text>'
            if label else "")
    return f'<g class="edge"><title>{a}&#45;&gt;{b}</title><path d="{d}"/>{text}</g>'


def test_the_checker_finds_each_kind_of_problem():
    clean = svg(node("a", 30, 50) + node("b", 150, 50) + edge("a", "b", "M50,50 C80,50 100,50 130,50"))
    assert check_layout(clean).ok
    through = svg(node("a", 30, 50) + node("b", 150, 50) + node("c", 90, 50)
                  + edge("a", "b", "M50,50 C80,50 100,50 130,50"))
    assert check_layout(through).problems == ["edge through node: a->b crosses c"]
    touching = svg(node("a", 30, 50, text="abc") + node("b", 45, 52, text="abc"))
    kinds = {p.split(":")[0] for p in check_layout(touching).problems}
    assert kinds == {"node overlap", "label overlap"}
    label = svg(node("a", 30, 50) + node("b", 150, 50)
                + edge("a", "b", "M50,50 C80,50 100,50 130,50", "0.25", (150, 55)))
    assert [p.split(":")[0] for p in check_layout(label).problems] == ["label overlap",
                                                                       "label on node"]
    boxes = svg('<g class="cluster"><title>cluster_t1</title><polygon fill="none" '
                'stroke="black" points="0,0 100,0 100,90 0,90"/></g>'
                '<g class="cluster"><title>cluster_t2</title><polygon fill="none" '
                'stroke="black" points="90,0 190,0 190,90 90,90"/></g>')
    assert check_layout(boxes).problems == ["box overlap: cluster_t1 and cluster_t2"]
    titled = ('<g class="cluster"><title>cluster_t1</title><polygon fill="none" stroke="black" '
              'points="0,0 180,0 180,90 0,90"/><text text-anchor="middle" x="90" y="20" '
              'font-size="14">t = 1</text></g>')
    crossing = svg(titled + node("a", 90, 70) + node("b", 90, -40)
                   + edge("a", "b", "M90,60 C90,30 90,0 90,-30"))      # up through "t = 1"
    assert check_layout(crossing).problems == [
        "edge through label: a->b crosses 't = 1' (cluster cluster_t1)"]
    beside = svg(titled + node("a", 150, 70) + node("b", 150, -40)
                 + edge("a", "b", "M150,60 C150,30 150,0 150,-30"))    # clear of the title
    assert check_layout(beside).ok


def test_text_size_is_measured_at_the_styles_scale():
    # 14 pt text in a 1920 pt wide figure is 14 px at 1920 px; in a 3840 pt one, 7 px
    small = svg(node("a", 30, 50, size=14), width=3840)
    report = check_layout(small, "slides")
    assert report.min_text_px == pytest.approx(7.0)
    assert report.problems == ["small text: 'a' (node a) is 7.0 px, under 14 px"]
    assert check_layout(svg(node("a", 30, 50, size=14), width=1920), "slides").ok
    # notebook: 10 px at the figure's own size (1 pt = 4/3 px)
    assert not check_layout(svg(node("a", 30, 50, size=7)), "notebook").ok
    assert check_layout(svg(node("a", 30, 50, size=8)), "notebook").ok


def test_read_svg_reads_what_graphviz_writes():
    _, result = run(T=2)
    fig = read_svg(viz.draw_unrolled(result.loss_tensor).pipe(format="svg"))
    assert {"cluster_t1", "cluster_t2"} <= set(fig.clusters)
    assert any(t.text.startswith("s2 = tanh(a2)") for t in fig.texts)
    assert fig.edges and all(len(points) for _, _, points in fig.edges)


def test_a_figure_too_wide_for_a_slide_says_so_in_its_title():
    _, result = run(rnn.GRU, T=5)
    graph = viz.draw_unrolled(result.loss_tensor, direction="TB", style="slides")
    assert "too wide for a slide" in graph.graph_attr["label"]
    assert "try detail='cells' or direction='LR'" in graph.graph_attr["label"]
    assert "not drawn (to fit a slide)" in graph.graph_attr["label"]
    # the hint offers only what was not tried already
    every = viz.draw_unrolled(result.loss_tensor, detail="cells", style="slides", elide=False)
    title = every.graph_attr["label"]
    assert "with every step drawn (elide=False): draw fewer steps" in title and "try" not in title


def test_per_copy_terms_are_left_out_when_steps_alone_do_not_fit():
    # a GRU's ops top to bottom: even one step at each end is too wide, so the per-copy
    # numbers go too, and the title says both
    _, result = run(rnn.GRU, T=5)
    graph = viz.draw_unrolled(result.loss_tensor, detail="ops", direction="TB", style="slides")
    title = graph.graph_attr["label"]
    assert "per-copy terms left out to fit a slide" in title and "too wide" in title
    # the notebook figure keeps them
    notebook = viz.draw_unrolled(result.loss_tensor, detail="ops", direction="TB").source
    assert "W 0." in notebook and "W 0." not in graph.source


DOCS = Path(__file__).resolve().parent.parent / "docs"


@pytest.mark.parametrize("path", sorted(DOCS.glob("*.svg")) + sorted(DOCS.glob("slides/*.svg")),
                         ids=lambda p: f"{p.parent.name}/{p.name}")
def test_the_readme_figures_in_docs_pass_the_layout_check(path):
    """The committed figures themselves (made by `make docs`), not just fresh drawings."""
    style = "slides" if path.parent.name == "slides" else "notebook"
    report = check_layout(path.read_bytes(), style)
    assert report.ok, f"{path.name}: {report}"


def test_a_slide_that_fits_only_three_steps_keeps_the_first_two_and_the_last():
    # one step at each end would show no hand-over of the state at all: 1, 2 and T do
    _, result = run(rnn.RNN, T=8)
    graph = viz.draw_unrolled(result.loss_tensor, detail="cells", style="slides")
    steps = sorted(int(t) for t in re.findall(r"cluster_t(\d+)", graph.source))
    assert steps == [1, 2, 8]
    assert check_layout(graph.pipe(format="svg").decode(), "slides").ok
