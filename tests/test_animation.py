"""viz.backward_animation and the frames it plays (viz.backward_frames, viz.frames.walk_reel).

The bar (issue 20, section 4): every frame exactly 1920 x 1080 px (16:9) at the slide
floor (text at least 28 px, captions 40 px), checked by viz.check_layout on each frame's
SVG; one size for every frame, nodes that stay put; captions that count the frames there
are and say what each step sends; the gradients on the last frame equal the engine's; a
GIF and an MP4 (imageio-ffmpeg) with one video frame per frame; clear errors.
"""

import math
import re
import struct
import sys
import xml.etree.ElementTree as ET

import numpy as np
import pytest

import minigrad as mg
import rnn
import viz
from minigrad.graph import Node
from viz.frames import grad_line, walk_reel
from viz.read import collect
from viz.theme import norm_text

Image = pytest.importorskip("PIL.Image", reason="Pillow (the plot extra) writes the GIF")

SVG = "{http://www.w3.org/2000/svg}"


def _plain():
    w = mg.tensor([1.0, -2.0, 0.5], requires_grad=True, name="w")
    return (w * w).tanh().sum()


def _unrolled(steps, cell=rnn.RNN, hidden=2, retain_grads=False):
    model = cell(1, hidden, 1, rng=0)
    result = rnn.bptt(model, np.ones((steps, 1)), np.zeros((steps, 1)), contributions=True,
                      retain_grads=retain_grads)
    return model, result.loss_tensor


CASES = {"plain": _plain, "rnn-3": lambda: _unrolled(3)[1],
         "lstm-3": lambda: _unrolled(3, rnn.LSTM)[1], "rnn-20": lambda: _unrolled(20)[1]}


def png_size(path):
    """(width, height) from a PNG's IHDR chunk."""
    data = path.read_bytes()[:24]
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


def captions(svg):
    """The caption's lines: the texts of the figure's title (an unrolled graph's title
    node, or the graph label of one laid out by dot)."""
    root = ET.fromstring(svg)
    for g in root.iter(SVG + "g"):
        title = g.find(SVG + "title")
        if g.get("class") == "node" and title is not None and title.text == "title":
            return ["".join(t.itertext()).replace("\u00a0", " ").strip()
                    for t in g.iter(SVG + "text")]
    graph = next(g for g in root.iter(SVG + "g") if g.get("class") == "graph")
    return ["".join(t.itertext()).strip() for t in graph.findall(SVG + "text")]


def node_texts(svg):
    """{node id: its lines of text}."""
    out = {}
    for g in ET.fromstring(svg).iter(SVG + "g"):
        title = g.find(SVG + "title")
        if g.get("class") == "node" and title is not None:
            out[title.text] = ["".join(t.itertext()).replace("\u00a0", " ").strip()
                               for t in g.iter(SVG + "text")]
    return out


def node_centres(svg):
    """{node id: the middle of its shape's box (pt)} of the drawn (op and leaf) nodes."""
    out = {}
    for g in ET.fromstring(svg).iter(SVG + "g"):
        title = g.find(SVG + "title")
        if g.get("class") != "node" or title is None or not re.fullmatch(r"[nvfEs][\w]*",
                                                                          title.text):
            continue
        xy = []
        for el in g:
            tag = el.tag.replace(SVG, "")
            if tag == "ellipse":
                xy.append((float(el.get("cx")), float(el.get("cy"))))
            elif tag in ("polygon", "path") and el.get("points", el.get("d")):
                pts = np.array(re.findall(r"(-?[\d.]+),(-?[\d.]+)",
                                          el.get("points") or el.get("d")), float)
                xy.append(tuple((pts.min(axis=0) + pts.max(axis=0)) / 2))
        if xy:
            out[title.text] = xy[0]
    return out


# ------------------------------------------------------------------ the frames at slide style

@pytest.fixture(scope="module", params=list(CASES))
def slide_frames(request, tmp_path_factory):
    folder = tmp_path_factory.mktemp(request.param)
    loss = CASES[request.param]()
    pngs = viz.backward_frames(loss, folder / "png", format="png", style="slides")
    svgs = viz.backward_frames(loss, folder / "svg", format="svg", style="slides")
    return request.param, pngs, [f.read_text() for f in svgs]


def test_slide_frames_are_exactly_1920_by_1080_px(slide_frames):
    _, pngs, _ = slide_frames
    assert len(pngs) >= 4
    assert {png_size(f) for f in pngs} == {(1920, 1080)}


def test_every_slide_frame_passes_the_layout_check(slide_frames):
    # the SVG of each frame: text >= 28 px (captions 40 px) on 1920 x 1080, the frame
    # filled, no overlaps, no edge through a node or a label
    name, _, svgs = slide_frames
    for k, svg in enumerate(svgs, start=1):
        report = viz.check_layout(svg, "slides")
        assert report.ok, f"{name}, frame {k}: {report}"
        assert report.min_text_px >= 28


def test_slide_frames_keep_one_size_and_their_nodes_in_place(slide_frames):
    name, _, svgs = slide_frames
    sizes = {re.search(r'viewBox="([^"]+)"', svg).group(1) for svg in svgs}
    assert len(sizes) == 1, (name, sizes)
    width, height = (float(v) for v in sizes.pop().split()[2:])
    assert abs(width / height - 16 / 9) < 2e-3          # 16:9, so 1920 x 1080 px exactly
    first = node_centres(svgs[0])
    assert len(first) >= 4
    for svg in svgs[1:]:
        later = node_centres(svg)
        assert later.keys() == first.keys()
        assert all(abs(a - b) <= 1 for n in later for a, b in zip(later[n], first[n])), name


def test_captions_count_the_frames_there_are(slide_frames):
    name, pngs, svgs = slide_frames
    n = len(svgs)
    heads = [captions(svg)[0] for svg in svgs]
    assert [re.match(r"frame (\d+) of (\d+) · ", h).groups() for h in heads] == \
        [(str(k), str(n)) for k in range(1, n + 1)], name
    assert [f.name for f in pngs] == [f"frame_{k:03d}.png" for k in range(1, n + 1)]
    # and each says what the step does
    assert "the seed: dL/dL = 1" in heads[0]
    for svg in svgs[1:]:
        said = " ".join(captions(svg))
        assert re.search(r"it sends .+ to |sends ∂L/∂|adds its terms to|the walk crosses",
                         said), (name, said)


def test_each_caption_says_what_the_node_sends(tmp_path):
    files = [f.read_text() for f in viz.backward_frames(_plain(), tmp_path / "a",
                                                         format="svg", style="slides")]
    said = [" ".join(captions(svg)) for svg in files]
    assert said[1] == "frame 2 of 4 · step 1 of 3: Σ tanh(w ⊙ w) with δ = dL/dL = 1, it " \
                      "sends δ, copied to every element of tanh(w ⊙ w) to tanh(w ⊙ w)"
    assert "step 2 of 3: tanh(w ⊙ w)" in said[2]
    assert "with δ = ∂L/∂tanh(w ⊙ w), it sends δ ⊙ (1 − tanh(w ⊙ w)²) to w ⊙ w" in said[2]
    assert "with δ = ∂L/∂(w ⊙ w), it sends δ ⊙ w to w (twice)" in said[3]
    _, loss = _unrolled(3)
    said = [" ".join(captions(f.read_text()))
            for f in viz.backward_frames(loss, tmp_path / "b", format="svg", style="slides")]
    linear = next(s for s in said if "a3 = U x3 + W s2 + b" in s)
    assert "δ = ∂L/∂a3" in linear
    for part in ("Wᵀ δ to s2", "δ x3ᵀ to U", "δ s2ᵀ to W", "δ to b"):
        assert part in linear


def test_an_lstm_at_slide_style_is_walked_box_by_box():
    # every op of a 3-step LSTM does not fit a slide at 28 px: the cells view does, one
    # frame per box f_t
    reel = walk_reel(CASES["lstm-3"](), "test", "slides")
    assert reel.detail == "cells"
    heads = [c.split("\n")[0] for c in reel.captions]
    assert [h for h in heads if "the box f" in h] == [
        h for h in heads if re.search(r"the box f[321] \(the cell at t = [321]\)", h)]
    assert sum("the box f" in h for h in heads) == 3
    with pytest.raises(ValueError, match=r"do not fit a 1920 x 1080 frame .*detail='cells'"):
        walk_reel(CASES["lstm-3"](), "test", "slides", detail="ops")


def test_a_20_step_rnn_is_elided_and_walked_op_by_op():
    reel = walk_reel(CASES["rnn-20"](), "test", "slides")
    assert reel.detail == "ops"
    crossed = [c for c in reel.captions if "the elided copies t = " in c]
    assert len(crossed) == 2                 # their losses E_t, then their cells
    assert len(reel) < 30


# ------------------------------------------------------------------ notebook style

@pytest.mark.parametrize("name", list(CASES))
def test_notebook_frames_pass_the_notebook_check_in_one_size(name, tmp_path):
    reel = walk_reel(CASES[name](), "test", "notebook")
    files = viz.backward_frames(CASES[name](), tmp_path, format="svg", style="notebook")
    texts = [f.read_text() for f in files]
    assert len({re.search(r'viewBox="([^"]+)"', t).group(1) for t in texts}) == 1
    for k, svg in enumerate(texts, start=1):
        report = viz.check_layout(svg, "notebook")
        assert report.ok, f"{name}, frame {k}: {report}"
    # in the animation's 1920 x 1080 frame the notebook's 10 pt text is at least 10 px
    assert min(1920 / reel.size[0], 1080 / reel.size[1]) >= 1


# ------------------------------------------------------------------ the numbers

def _engine_grads(loss):
    """{node or leaf id in the figure: its .grad}, after backward(retain_grads=True)."""
    graph = collect(loss)
    return graph, {id(x): x.grad for x in graph.nodes + graph.leaves}


def test_the_last_frame_shows_the_engines_gradients(tmp_path):
    model, loss = _unrolled(3, retain_grads=True)       # .grad of every node kept
    graph, grads = _engine_grads(loss)
    last = viz.backward_frames(loss, tmp_path, format="svg", style="slides")[-1].read_text()
    texts = node_texts(last)
    by_seq = {f"n{n.seq}": n for n in graph.nodes}
    checked = 0
    for ident, lines in texts.items():
        node = by_seq.get(ident)
        if node is not None and lines:
            assert lines[-1] == grad_line(grads[id(node)]), (ident, lines)
            checked += 1
    assert checked >= 10
    params = dict(model.named_parameters())
    for lines in texts.values():           # each parameter shows its whole gradient
        if lines and lines[0] in params:
            assert lines[-1] == grad_line(params[lines[0]].grad), lines
            checked += 1
    assert checked >= 10 + len(params)


def test_the_last_frame_of_a_plain_graph_shows_the_engines_gradients(tmp_path):
    loss = _plain()
    loss.backward(retain_grads=True)
    graph, grads = _engine_grads(loss)
    last = viz.backward_frames(loss, tmp_path, format="svg", style="slides")[-1].read_text()
    texts = node_texts(last)
    for node in graph.nodes:
        assert texts[f"n{node.seq}"][-1] == grad_line(grads[id(node)])
    w = graph.leaves[0]
    assert texts["v0"] == ["w", grad_line(w.grad)]
    by_hand = 2 * w._data * (1 - np.tanh(w._data ** 2) ** 2)      # d/dw Σ tanh(w ⊙ w)
    assert texts["v0"][-1] == "‖grad‖ " + norm_text(by_hand)


def test_frames_show_only_what_the_walk_has_sent_so_far(tmp_path):
    _, loss = _unrolled(3)                  # backward() ran: every parameter has a .grad
    texts = [node_texts(f.read_text())
             for f in viz.backward_frames(loss, tmp_path, format="svg", style="slides")]
    lines = [line for t in texts[:1] for ls in t.values() for line in ls]
    assert sum(bool(re.match(r"(‖grad‖|grad) [\d−]", line)) for line in lines) == 1   # L's 1
    assert any("so far" in line for t in texts[1:-1] for ls in t.values() for line in ls)
    assert not any("so far" in line for ls in texts[-1].values() for line in ls)


# ------------------------------------------------------------------ GIF and MP4

def test_a_gif_of_the_walk_at_1920_by_1080(tmp_path):
    model, loss = _unrolled(3)
    before = {name: p.grad.copy() for name, p in model.named_parameters()}
    path = viz.backward_animation(loss, tmp_path / "walk.gif", seconds_per_step=0.5)
    frames = len(viz.backward_frames(loss, tmp_path / "f", format="svg", style="slides"))
    with Image.open(path) as gif:
        # the seed, then one frame per node, but for the stack under L = Σ_t E_t, which is
        # drawn as L and sent on in L's frame
        assert gif.n_frames == frames == len(collect(loss).nodes)
        assert gif.size == (1920, 1080)
        assert gif.info["duration"] == 500
    for name, p in model.named_parameters():       # the leaves' .grad are left as they were
        assert np.array_equal(p.grad, before[name])


@pytest.mark.parametrize("name", ["plain", "lstm-3"])
def test_an_mp4_of_the_walk(name, tmp_path):
    ffmpeg = pytest.importorskip("imageio_ffmpeg", reason="imageio-ffmpeg (the plot extra) "
                                 "writes the .mp4; CI installs it")
    path = viz.backward_animation(CASES[name](), tmp_path / "walk.mp4", seconds_per_step=0.5)
    data = path.read_bytes()
    assert data[4:8] == b"ftyp"                     # an ISO-BMFF file starts with its ftyp box
    frames = len(walk_reel(CASES[name](), "test", "slides"))
    count, seconds = ffmpeg.count_frames_and_secs(str(path))
    assert count == frames and math.isclose(seconds, frames * 0.5, rel_tol=0.05)
    reader = ffmpeg.read_frames(str(path))
    assert next(reader)["size"] == (1920, 1080)
    reader.close()


# ------------------------------------------------------------------ errors

def test_a_40_step_walk_is_elided_to_a_few_dozen_frames():
    _, loss = _unrolled(40)
    reel = walk_reel(loss, "test", "slides")
    assert len(reel) < 60, len(reel)                 # not 163
    assert sum("elided copies" in c for c in reel.captions) >= 1


def test_wrong_suffix_says_what_to_write(tmp_path):
    _, loss = _unrolled(2)
    with pytest.raises(ValueError, match=r"unknown format '\.png'.*\.gif or an \.mp4"):
        viz.backward_animation(loss, tmp_path / "walk.png")
    with pytest.raises(ValueError, match=r"unknown format '\(none\)'"):
        viz.backward_animation(loss, tmp_path / "walk")


@pytest.mark.parametrize("seconds", [0, -1.0, float("nan"), float("inf"), "fast", True])
def test_a_frame_rate_must_be_positive(seconds, tmp_path):
    _, loss = _unrolled(2)
    with pytest.raises(ValueError, match=r"seconds_per_step must be a number of seconds > 0"):
        viz.backward_animation(loss, tmp_path / "walk.gif", seconds_per_step=seconds)
    assert not (tmp_path / "walk.gif").exists()


def test_a_folder_that_cannot_be_made(tmp_path):
    _, loss = _unrolled(2)
    (tmp_path / "notes.txt").write_text("a file, not a folder")
    with pytest.raises(PermissionError, match=r"cannot make the folder .*notes\.txt"):
        viz.backward_animation(loss, tmp_path / "notes.txt" / "walk.gif")
    (tmp_path / "out.gif").mkdir()
    with pytest.raises(IsADirectoryError, match="is a folder; give a file name"):
        viz.backward_animation(loss, tmp_path / "out.gif")


def test_without_imageio_ffmpeg_an_mp4_says_what_to_install(tmp_path, monkeypatch):
    _, loss = _unrolled(2)
    monkeypatch.setitem(sys.modules, "imageio_ffmpeg", None)        # import fails
    with pytest.raises(ImportError, match=r"pip install imageio-ffmpeg"):
        viz.backward_animation(loss, tmp_path / "walk.mp4")
    assert not (tmp_path / "walk.mp4").exists()
    viz.backward_animation(loss, tmp_path / "walk.gif")             # a GIF still works


def test_when_imageio_ffmpeg_finds_no_program(tmp_path, monkeypatch):
    ffmpeg = pytest.importorskip("imageio_ffmpeg", reason="imageio-ffmpeg not installed")

    def missing():
        raise RuntimeError("No ffmpeg exe could be found.")
    monkeypatch.setattr(ffmpeg, "get_ffmpeg_exe", missing)
    _, loss = _unrolled(2)
    with pytest.raises(RuntimeError, match=r"found no ffmpeg program .*IMAGEIO_FFMPEG_EXE"):
        viz.backward_animation(loss, tmp_path / "walk.mp4")


def test_bad_style_and_detail(tmp_path):
    _, loss = _unrolled(2)
    with pytest.raises(ValueError, match="style must be one of 'notebook', 'slides'"):
        viz.backward_animation(loss, tmp_path / "walk.gif", style="poster")
    with pytest.raises(ValueError, match="detail must be None .* 'ops' or 'cells'"):
        viz.backward_animation(loss, tmp_path / "walk.gif", detail="gates")


def test_every_node_of_a_frame_is_a_node_of_the_graph(tmp_path):
    # the ops view's node ids are the graph's: n<seq> for an op
    _, loss = _unrolled(3)
    graph = collect(loss)
    seqs = {f"n{n.seq}" for n in graph.nodes if type(n) is Node}
    svg = viz.backward_frames(loss, tmp_path, format="svg", style="slides")[0].read_text()
    drawn = {k for k in node_texts(svg) if re.fullmatch(r"n\d+", k)}
    assert drawn and drawn <= seqs
