"""The reverse walk of ``backward()`` as one animation for slides: a GIF, or an MP4."""

from __future__ import annotations

import math
from numbers import Real
from pathlib import Path

from .frames import VIDEO, walk_reel

__all__ = ["backward_animation"]

WHO = "viz.backward_animation"
KINDS = (".gif", ".mp4")


def backward_animation(loss, path, *, style="slides", seconds_per_step=0.8, detail=None,
                       elide=True):
    """Write the reverse walk over ``loss``'s unrolled graph as one animation.

    The frames are those of :func:`viz.backward_frames`, each exactly
    1920 × 1080 px (16:9): the seed dL/dL = 1 at the root, then one frame per
    node the walk visits, in the engine's order, with the node outlined in
    red, the edges the gradient has crossed coloured, each node's gradient as
    it arrives, and a caption that counts the frames ("frame 3 of 14") and
    says what the node sends to each input.  Every frame has the same size
    and the nodes stay where they are.

    At ``style="slides"`` every text is at least 28 px high (captions 40 px):
    steps are elided as :func:`viz.draw_unrolled` elides them (the walk through
    the elided stretch is one frame), and when every op does not fit even
    then, ``detail=None`` draws one box f_t per step, one frame per box (an
    LSTM's three steps).  ``style="notebook"`` draws the notebook's figure,
    text of 10 pt at least 10 px, in the same 1920 × 1080 frame.

    ``path`` ends in ``.gif`` (needs Pillow) or ``.mp4`` (H.264, needs
    ``imageio-ffmpeg``, whose wheel carries ffmpeg); both are in the ``plot``
    extra.  Each frame stays ``seconds_per_step`` seconds (the last of a GIF
    four times as long).  The walk is computed afresh: no ``.grad`` changes.
    Returns the path.

    >>> import tempfile, pathlib, numpy as np, rnn, viz
    >>> model = rnn.RNN(1, 2, 1, rng=0)
    >>> result = rnn.bptt(model, np.ones((2, 1)), np.zeros((2, 1)))
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     out = viz.backward_animation(result.loss_tensor, pathlib.Path(folder) / "walk.gif")
    ...     out.stat().st_size > 0
    True
    """
    path = Path(path)
    kind = path.suffix.lower()
    if kind not in KINDS:
        raise ValueError(f"{WHO}: unknown format {path.suffix or '(none)'!r} in {str(path)!r}; "
                         f"write a .gif or an .mp4, e.g. {str(path.with_suffix('.gif'))!r}")
    if isinstance(seconds_per_step, bool) or not isinstance(seconds_per_step, Real) or \
            not math.isfinite(seconds_per_step) or seconds_per_step <= 0:
        raise ValueError(f"{WHO}: seconds_per_step must be a number of seconds > 0 (the "
                         f"frame rate is 1 / seconds_per_step), got {seconds_per_step!r}; "
                         f"e.g. seconds_per_step=0.8")
    Image = _pillow()
    ffmpeg = _imageio_ffmpeg() if kind == ".mp4" else None
    _make_folder(path)
    reel = walk_reel(loss, WHO, style, detail, elide, bounded=True)
    images = (reel.image(k, VIDEO) for k in range(len(reel)))
    if kind == ".gif":
        hold = round(seconds_per_step * 1000)
        # a palette per frame, found fast (the figures have a few flat colours)
        images = (image.quantize(256, method=Image.Quantize.FASTOCTREE,
                                 dither=Image.Dither.NONE) for image in images)
        first = next(images)
        first.save(path, save_all=True, append_images=images, loop=0,
                   duration=[hold] * (len(reel) - 1) + [hold * 4], optimize=True)
    else:
        _mp4(ffmpeg, images, path, 1 / seconds_per_step)
    return path


def _pillow():
    try:
        from PIL import Image
    except ImportError:
        raise ImportError(f"{WHO}: writing an animation needs Pillow: pip install "
                          f"'minigrad-bptt[plot]' (or pip install Pillow)") from None
    return Image


def _imageio_ffmpeg():
    """The ``imageio_ffmpeg`` module, once it has found an ffmpeg program to run."""
    try:
        import imageio_ffmpeg
    except ImportError:
        raise ImportError(f"{WHO}: an .mp4 needs imageio-ffmpeg (its wheel carries ffmpeg): "
                          f"pip install imageio-ffmpeg (or pip install 'minigrad-bptt[plot]'); "
                          f"or write a .gif") from None
    try:
        imageio_ffmpeg.get_ffmpeg_exe()
    except RuntimeError as err:
        raise RuntimeError(f"{WHO}: imageio-ffmpeg found no ffmpeg program ({err}). Install "
                           f"its wheel with the program inside: pip install --force-reinstall "
                           f"imageio-ffmpeg, or set IMAGEIO_FFMPEG_EXE to an ffmpeg; or write "
                           f"a .gif") from None
    return imageio_ffmpeg


def _make_folder(path):
    if path.is_dir():
        raise IsADirectoryError(f"{WHO}: {str(path)!r} is a folder; give a file name, e.g. "
                                f"{str(path / 'walk.gif')!r}")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise PermissionError(f"{WHO}: cannot make the folder {str(path.parent)!r} for "
                              f"{str(path)!r} ({err.strerror or err}); choose a folder you can "
                              f"write to") from None


def _mp4(imageio_ffmpeg, images, path, fps):
    """H.264 in an MP4, one video frame per image (yuv420p, which every player shows)."""
    writer = imageio_ffmpeg.write_frames(str(path), VIDEO, fps=fps, codec="libx264",
                                         pix_fmt_in="rgb24", pix_fmt_out="yuv420p",
                                         macro_block_size=1, ffmpeg_log_level="error")
    writer.send(None)                      # start ffmpeg
    try:
        for image in images:
            writer.send(image.tobytes())
    finally:
        writer.close()
