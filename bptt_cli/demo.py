"""The main job (``bptt demo``, ``make demo``) and the README's images (``make docs``)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

import minigrad as mg
import rnn
import viz


def _section(title):
    """'== title =====': the ruler fills the line to 76 characters, and is never shorter
    than four '=' (a long title still gets one)."""
    print(f"\n== {title} " + "=" * max(4, 72 - len(title)))


def gallery(out, formats=("svg", "png"), style="notebook"):
    """Write the teaching drawings into ``out``; returns the paths written.

    ``style="slides"`` draws them for a projector (viz's 16:9 slide style)."""
    out = Path(out)
    written = []

    def save(graph, stem):
        for fmt in formats:
            written.append(viz.save(graph, out / f"{stem}.{fmt}"))

    # A small RNN on a sine wave, after one backward pass: per-copy terms on the edges.
    task = rnn.tasks.SineWave(seq_len=5, batch_size=1)
    xs, ys = task.batch(np.random.default_rng(0))
    model = rnn.RNN(1, 4, 1, rng=0)
    result = rnn.bptt(model, xs, ys, contributions=True, retain_grads=True)
    save(viz.draw_unrolled(result.loss_tensor, style=style), "unrolled")
    save(viz.draw_unrolled(result.loss_tensor, detail="cells", style=style), "unrolled_cells")
    save(viz.draw_folded(model, style=style), "folded")

    # Vanishing gradients: W with spectral radius 0.5, a cost at the last step only.
    model = rnn.RNN(1, 8, 1, rng=1)
    model.W.data *= 0.5 / rnn.spectral_radius(model.W)
    T = 8
    xs = np.random.default_rng(2).normal(size=(T, 1))
    mask = np.zeros(T, bool)
    mask[-1] = True
    result = rnn.bptt(model, xs, np.zeros((T, 1)), mask=mask, contributions=True,
                      retain_grads=True)
    save(viz.draw_unrolled(result.loss_tensor, detail="cells", heat=True, style=style,
                           labels=style != "slides",    # all 8 steps fit a slide without terms
                           title=f"vanishing gradients: RNN over {T} steps, spectral radius "
                                 f"of W = 0.5, cost at t = {T} only"), "gradient_heat")

    # The same measurement for three sizes of W: vanishing, steady, exploding.
    T = 16
    xs = np.random.default_rng(2).normal(size=(T, 1)) * 0.1
    flows = {}
    for radius in (0.5, 1.0, 1.5):
        model = rnn.RNN(1, 8, 1, bias=False, rng=1)
        model.W.data *= radius / rnn.spectral_radius(model.W)
        flows[f"spectral radius of W = {radius}"] = rnn.gradient_flow(model, xs,
                                                                      np.zeros((T, 1)))
    save(viz.draw_gradient_flow(flows, style=style), "gradient_flow")

    # One update of truncated BPTT(4, 8) over 16 steps.
    model = rnn.RNN(1, 4, 1, rng=0)
    wave = np.sin(np.linspace(0, 8, 17))[:, None]
    run = rnn.tbptt(model, wave[:-1], wave[1:], k1=4, k2=8,
                    optimizer=mg.optim.SGD(model.parameters(), lr=0.05))
    last = run.updates[-1]                    # the strip and the graph show the same update
    (b1, b2), (w1, w2) = last.block, last.window
    save(viz.draw_truncation(run, update=-1, style=style,
                             title=f"TBPTT(k1=4, k2=8), update {len(run.updates)} of "
                                   f"{len(run.updates)}: costs of steps {b1}–{b2}, gradient "
                                   f"through steps {w1}–{w2}"), "truncation")
    save(viz.draw_unrolled(run.last_loss_tensor, style=style,
                           title=f"the graph of that update (update {len(run.updates)}): "
                                 f"RNN over steps {w1}–{w2}, starting at the cut state "
                                 f"s{w1 - 1}"), "truncation_graph")
    return written


def plot_losses(losses, path, title, levels=None, log=True, ylabel="loss per step"):
    """Save a loss curve with matplotlib, if it is installed; returns the path or None.

    ``levels`` maps a label to a loss drawn as a dashed line: the task's trivial
    predictor, which the curve must go below, or the echo task's closed-form levels.
    With ``log=False`` the axis is linear and zoomed onto the levels.
    """
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return None
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    losses = np.asarray(losses)
    levels = levels or {}
    fig, ax = plt.subplots(figsize=(6, 3.4), dpi=110)
    ax.plot(losses, lw=0.8, alpha=0.4, color="tab:blue", label="per update")
    window = 50 if len(losses) >= 500 else 20
    if len(losses) >= window:
        smooth = np.convolve(losses, np.ones(window) / window, mode="valid")
        ax.plot(np.arange(window - 1, len(losses)), smooth, lw=1.8, color="tab:orange",
                label=f"mean of {window}")
    for (label, value), ls in zip(levels.items(), ("--", "-.", ":")):
        ax.axhline(value, color="black", ls=ls, lw=1.2, label=label)
    if log:
        ax.set_yscale("log")
    elif levels:                                   # zoom onto the levels
        ax.set_ylim(min(levels.values()) - 0.05,
                    max(max(levels.values()) + 0.06, min(losses.max(), 0.8)))
    ax.set_xlabel("update")
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.2), ncol=3, fontsize="small",
              frameon=False)                      # under the axes, off every curve
    fig.tight_layout()
    fig.savefig(path, bbox_inches="tight")
    plt.close(fig)
    return path


def run_demo(out, fast=False):
    """Unroll a small RNN, compare its gradients four ways, train it, draw it."""
    out = Path(out)
    print("minigrad-bptt demo: backpropagation through time, by hand and by autograd")

    _section("1. a small RNN, unrolled over 6 steps of a sine wave")
    model = rnn.RNN(input_size=1, hidden_size=8, output_size=1, rng=0)
    print("s_t = tanh(U x_t + W s_{t-1} + b),  o_t = V s_t + c,  L = (1/T) sum_t ||o_t - y_t||^2")
    print("parameters: " + ", ".join(f"{n} {p.shape}" for n, p in model.named_parameters()))
    xs, ys = rnn.tasks.SineWave(seq_len=6, batch_size=2).batch(np.random.default_rng(0))

    _section("2. one gradient four ways: autograd, by hand, RTRL, finite differences")
    report = rnn.compare_gradients(model, xs, ys, reduction="mean")
    print(report)
    result = rnn.bptt(model, xs, ys, reduction="mean", contributions=True)
    print("\ndL/dW is the sum of what each copy of the cell sends back:")
    for scope, term in result.contributions["W"].items():
        print(f"  copy {scope:4s}  ||term|| = {np.linalg.norm(term):.3e}")
    total = sum(result.contributions["W"].values())
    print("  (copy t=1 sends nothing to W: its term is δ_1 s_0ᵀ and s_0 = 0)")
    print(f"  sum of the terms equals dL/dW: max |difference| = "
          f"{np.max(np.abs(total - result.grads['W'])):.1e}")

    _section("3. training on the sine task with truncated BPTT(k1=10, k2=20)")
    task = rnn.tasks.SineWave()
    # counted in updates, as the progress bar counts them: each batch of 30 steps makes 3
    trained = rnn.train(model, task, k1=10, k2=20, updates=60 if fast else 900, seed=0)
    losses = trained.losses
    print(f"loss per step: {np.mean(losses[:5]):.4f} at the start -> "
          f"{np.mean(losses[-5:]):.4f} at the end ({len(losses)} updates); baseline "
          f"{task.baseline:.4f} ({task.baseline_rule})")

    _section("4. drawings")
    written = gallery(out)
    curve = plot_losses(losses, out / "loss.png", "sine task, TBPTT(10, 20)",
                        levels={f"baseline: {task.baseline_rule}": task.baseline})
    if curve is None:
        print("(matplotlib is not installed, so no loss curve: pip install "
              "'minigrad-bptt[plot]')")
    else:
        written.append(curve)
    frames = viz.backward_frames(_tiny_graph(), out / "backward_frames", format="png")
    with mg.keep_values():          # the explorer shows values as well as gradients
        walked = rnn.bptt(model, xs, ys, reduction="mean", contributions=True).loss_tensor
    written.append(viz.explore(walked).save(out / "explore.html"))
    try:
        written.append(viz.backward_animation(_tiny_graph() if fast else walked,
                                              out / "backward.gif"))
    except ImportError:
        print("(Pillow is not installed, so no animation: pip install 'minigrad-bptt[plot]')")
    written.append(write_lecture(out))
    print("files written:")
    for path in written:
        print(f"  {path}")
    print(f"  {out / 'backward_frames'}/ ({len(frames)} frames of the reverse walk, "
          f"{frames[0].name} ... {frames[-1].name})")
    return 0 if report.ok() else 1


def write_lecture(out):
    """The lecture deck, ``out/lecture.html`` (what ``bptt lecture`` writes); says so."""
    import lecture
    deck = lecture.build()
    path = deck.save(Path(out) / "lecture.html")
    slides = f"{len(deck)} slide{'s' * (len(deck) != 1)}"
    print(f"the lecture deck: {path} ({slides}, with speaker notes; open it in a "
          f"browser, N shows the notes)")
    return path


def _tiny_graph():
    """Two steps of a 2-unit RNN: small enough to step through frame by frame."""
    model = rnn.RNN(1, 2, 1, rng=0)
    return rnn.bptt(model, [[0.5], [-1.0]], [[0.2], [0.1]]).loss_tensor


def make_slides(out):
    """The README's figures at slide style (16:9, text >= 14 px at 1920 px), SVG and PNG:
    ``make docs`` writes them into docs/slides."""
    for path in gallery(out, formats=("svg", "png"), style="slides"):
        print(f"wrote {path}")
    return 0


def make_docs(out):
    """The README's images, as SVG (small and sharp at any zoom)."""
    written = gallery(out, formats=("svg",))
    for path in written:
        print(f"wrote {path}")
    return 0
