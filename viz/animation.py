"""The reverse walk of ``backward()`` as one animation for slides (GIF, or MP4 with ffmpeg)."""

from __future__ import annotations

import io
import shutil
import subprocess
import tempfile
from pathlib import Path

from .frames import scene_overlay, walk_decoration, walk_elision
from .metrics import text_width
from .read import as_root, collect, read
from .render import check_dot
from .scene import Content
from .theme import STYLES, Look
from .unrolled import check_style, figure_of
from .walk import frames, replay

__all__ = ["backward_animation"]

WHO = "viz.backward_animation"


def backward_animation(loss, path, *, style="slides", seconds_per_step=0.8, width=1920,
                       detail="ops"):
    """Write the reverse walk over ``loss``'s unrolled graph as one animation.

    Frame 0 seeds dL/dL = 1 at the root; each next frame outlines in red the
    node the walk visits (in the engine's order, by decreasing ``seq``),
    colours the edges the gradient has crossed and shows each node's
    gradient as it arrives.  Steps are elided as :func:`viz.draw_unrolled`
    elides them at that ``style`` (at ``"slides"``: until every text is at
    least 14 px high at 1920 px), and the walk through the elided stretch is
    one frame, so a 40-step graph gives a few dozen frames, not hundreds.

    ``path`` ends in ``.gif`` (Pillow) or ``.mp4`` (needs the ``ffmpeg``
    program).  ``backward()`` is run here with every gradient kept; the
    leaves' ``.grad`` are left as they were.  Returns the path.

    >>> import tempfile, pathlib, numpy as np, rnn, viz
    >>> model = rnn.RNN(1, 2, 1, rng=0)
    >>> result = rnn.bptt(model, np.ones((2, 1)), np.zeros((2, 1)))
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     out = viz.backward_animation(result.loss_tensor, pathlib.Path(folder) / "walk.gif")
    ...     out.stat().st_size > 0
    True
    """
    try:
        from PIL import Image
    except ImportError:
        raise ImportError(f"{WHO}: writing an animation needs Pillow: "
                          f"pip install 'minigrad-bptt[plot]' (or pip install Pillow)") from None
    path = Path(path)
    kind = path.suffix.lower()
    if kind not in (".gif", ".mp4"):
        raise ValueError(f"{WHO}: write a .gif (or .mp4 with ffmpeg installed), got {str(path)!r}")
    if kind == ".mp4" and shutil.which("ffmpeg") is None:
        raise FileNotFoundError(f"{WHO}: an .mp4 needs the ffmpeg program (Debian: apt-get "
                                f"install ffmpeg); or write a .gif")
    root = as_root(loss, WHO)
    check_style(style, WHO)
    check_dot(WHO)
    graph = collect(root)
    unrolled = read(graph, WHO)
    elision = walk_elision(unrolled, style, detail)
    walk = replay(root, graph)
    shots = frames(walk, graph, elision.elided, unrolled.where, unrolled.fold)
    widest = [max((shot.caption for shot in shots), key=text_width)]
    pngs = [_frame_image(unrolled, elision, style, detail, shot, walk, widest)
            for shot in shots]
    images = [_scaled(Image.open(io.BytesIO(png)).convert("RGB"), width) for png in pngs]
    size = (max(i.width for i in images), max(i.height for i in images))
    images = [_padded(Image, i, size) for i in images]
    path.parent.mkdir(parents=True, exist_ok=True)
    if kind == ".gif":
        hold = int(seconds_per_step * 1000)
        images[0].save(path, save_all=True, append_images=images[1:], loop=0,
                       duration=[hold] * (len(images) - 1) + [hold * 4], optimize=True)
    else:
        _mp4(images, path, seconds_per_step)
    return path


def _frame_image(unrolled, elision, style, detail, shot, walk, title_room):
    look = Look(style, walk=True)
    content = Content(detail, grads=False, contributions=False, style=style)
    node_extra, edge_extra = walk_decoration(
        unrolled.graph, content, look, shot, walk, reduction=unrolled.reduction,
        lines=1 if STYLES[style]["shapes"] is False else 2, widths=("4", "2.5"),
        edge_fontcolor=True, folded=unrolled.fold)
    dot = figure_of(unrolled, elision, content, look, "LR", shot.caption,
                    scene_overlay(unrolled.graph, node_extra, edge_extra, title_room)).figure
    return dot.pipe(format="png")


def _scaled(image, width):
    if image.width == width:
        return image
    height = max(1, round(image.height * width / image.width))
    return image.resize((width, height))


def _padded(Image, image, size):
    if image.size == size:
        return image
    frame = Image.new("RGB", size, "white")
    frame.paste(image, (0, 0))
    return frame


def _mp4(images, path, seconds_per_step):
    with tempfile.TemporaryDirectory() as folder:
        for k, image in enumerate(images):
            image.save(Path(folder) / f"f{k:04d}.png")
        w, h = images[0].size
        subprocess.run(["ffmpeg", "-loglevel", "error", "-y", "-framerate",
                        f"{1 / seconds_per_step:g}", "-i", str(Path(folder) / "f%04d.png"),
                        "-vf", f"scale={w - w % 2}:{h - h % 2}", "-pix_fmt", "yuv420p",
                        str(path)], check=True)
