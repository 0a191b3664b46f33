"""viz.backward_animation: the reverse walk as one GIF at slide style, elided like the drawings."""

import numpy as np
import pytest

import rnn
import viz
from viz.frames import walk_elision
from viz.read import collect, read
from viz.walk import frames, replay

Image = pytest.importorskip("PIL.Image", reason="Pillow (the plot extra) writes the GIF")


def _loss(steps, hidden=2):
    model = rnn.RNN(1, hidden, 1, rng=0)
    result = rnn.bptt(model, np.ones((steps, 1)), np.zeros((steps, 1)), contributions=True)
    return model, result.loss_tensor


def test_a_gif_of_the_walk_at_slide_width(tmp_path):
    model, loss = _loss(3)
    before = {name: p.grad.copy() for name, p in model.named_parameters()}
    path = viz.backward_animation(loss, tmp_path / "walk.gif")
    with Image.open(path) as gif:
        walk = len(collect(loss).nodes)
        # the seed, then one frame per node, but for the stack under L = Σ_t E_t, which is
        # drawn as L and sent on in L's frame
        assert gif.n_frames == walk
        assert gif.size[0] == 1920
    for name, p in model.named_parameters():       # the leaves' .grad are left as they were
        assert np.array_equal(p.grad, before[name])


def test_a_40_step_walk_is_elided_to_a_few_dozen_frames():
    _, loss = _loss(40)
    graph = collect(loss)
    unrolled = read(graph)
    elision = walk_elision(unrolled, "slides", "ops")
    shots = frames(replay(loss, graph), graph, elision.elided, unrolled.where)
    assert elision.elided and len(shots) < 60, len(shots)      # not 163
    captions = [shot.caption for shot in shots]
    assert sum("elided copies" in c for c in captions) >= 1
    assert len(shots[-1].done) == len(graph.nodes)             # the walk ends complete


def test_wrong_suffix_says_what_to_write(tmp_path):
    _, loss = _loss(2)
    with pytest.raises(ValueError, match=r"\.gif"):
        viz.backward_animation(loss, tmp_path / "walk.png")
