"""The influence matrix M_t = ds_t/dΘ over time: RTRL's carried state, drawn.

RTRL carries every ds_{t,i}/dΘ_jk forward (``rnn.online.RTRL``); SnAp-n
keeps only those on its n-step sparsity pattern (``rnn.online.SnAp``),
SnAp-1 only i = j.  Both are drawn here from the rules' own arrays, step
by step, one above the other::

    M_t = D_t M_{t-1} + M̄_t                 (RTRL, dense: H · H · K numbers)
    M_t = (D_t M_{t-1} + M̄_t) ⊙ P_n         (SnAp-n: zero off the pattern)

Each panel is M_t laid out as an H × (H · K) image: row i is the unit s_{t,i},
the columns come in H blocks, one per unit j whose incoming weights
Θ_j· = [W_j·, U_j·, b_j] they hold (K = H + D + 1 columns a block).  SnAp-1
is therefore block-diagonal: unit i keeps only the influence of its own
weights.  Entries the rule does not keep are white, kept entries that are exactly 0
light grey; the colour is log10 |M|.

:func:`influence_over_time` returns the arrays (what the figure shows);
:func:`draw_influence` draws them with matplotlib (the ``plot`` extra).
"""

from __future__ import annotations

import numpy as np

__all__ = ["influence_over_time", "draw_influence", "InfluenceFrames"]


class InfluenceFrames(dict):
    """``{rule name: [M_t as an (H, H·K) array for t in steps]}``, with ``.steps``,
    ``.H``, ``.K`` and ``.kept[rule]`` (the boolean masks of entries the rule keeps)."""


def _run(model, xs, rule_name, steps):
    """Run one rule over xs (weights fixed) and copy its M_t at the chosen steps."""
    from rnn.manual import model_arrays
    from rnn.online import make_rule
    from rnn.online.base import one_step
    from rnn.online.snap import SnAp, reach
    from rnn.online.rtrl import RTRL

    rule = make_rule(rule_name)
    if not isinstance(rule, (RTRL, SnAp)):
        raise ValueError(f"viz.draw_influence: rule {rule.name!r} carries no influence matrix "
                         f"M_t = ds_t/dΘ; use 'rtrl' or 'snap-<n>' (e.g. 'snap-1')")
    params = model_arrays(model)
    H = params["W"].shape[0]
    K = H + params["U"].shape[1] + 1
    rule.start(params, 1, np.random.default_rng(0))
    s = np.zeros((1, H))
    ys = np.zeros((1, params["V"].shape[0]))
    frames, kept = [], []
    for t in range(1, max(steps) + 1):
        _, s, _ = one_step(rule, params, s, xs[t - 1][None, :], ys, 1.0, "mse",
                           model.activation, model.output_activation)
        if t not in steps:
            continue
        if isinstance(rule, SnAp) and rule.n == 1:          # J[j, k] = ds_j/dΘ_jk
            M = np.einsum("ij,jk->ijk", np.eye(H), rule.J[0])
            mask = np.repeat(np.eye(H, dtype=bool)[:, :, None], K, axis=2)
        else:
            M = rule.M[0].copy()
            mask = (np.repeat(reach(params["W"], rule.n)[:, :, None], K, axis=2)
                    if isinstance(rule, SnAp) else np.ones((H, H, K), bool))
        frames.append(M.reshape(H, H * K))
        kept.append(mask.reshape(H, H * K))
    return rule.name, frames, kept, H, K


def influence_over_time(model, xs, rule="snap-1", steps=None, compare="rtrl"):
    """The influence matrices of ``rule`` (and of ``compare``, the dense reference) at
    ``steps`` (1-based; default the first four), for an ``rnn.RNN`` reading ``xs`` (T, D)
    with its weights held fixed.

    >>> import numpy as np, rnn, viz
    >>> model = rnn.RNN(1, 3, 1, rng=0)
    >>> frames = viz.influence_over_time(model, np.ones((4, 1)), "snap-1", steps=[1, 4])
    >>> sorted(frames), frames["rtrl"][0].shape               # H × H·K = 3 × 3·(3+1+1)
    (['rtrl', 'snap-1'], (3, 15))
    >>> bool((frames["snap-1"][1][~frames.kept["snap-1"][1]] == 0).all())
    True
    """
    from rnn.models import RNN
    if not isinstance(model, RNN):
        raise TypeError(f"viz.draw_influence: expected an rnn.RNN (the online rules are written "
                        f"for the vanilla cell), got {type(model).__name__}")
    xs = np.asarray(xs, dtype=np.float64)
    if xs.ndim == 1:
        xs = xs[:, None]
    if xs.ndim != 2 or xs.shape[1] != model.input_size:
        raise ValueError(f"viz.draw_influence: xs must be (T, {model.input_size}) for this "
                         f"model (one sequence), got shape {xs.shape}")
    steps = list(range(1, min(4, len(xs)) + 1)) if steps is None else sorted(set(steps))
    if not steps or steps[0] < 1 or steps[-1] > len(xs):
        raise ValueError(f"viz.draw_influence: steps must lie in 1..{len(xs)} (the length of "
                         f"xs), got {steps}")
    out = InfluenceFrames()
    out.steps, out.kept = steps, {}
    for name in ([compare] if compare else []) + [rule]:
        name, frames, kept, out.H, out.K = _run(model, xs, name, steps)
        out[name], out.kept[name] = frames, kept
    return out


def draw_influence(model, xs, rule="snap-1", steps=None, compare="rtrl", path=None):
    """Draw M_t = ds_t/dΘ at ``steps``: ``compare`` (dense RTRL) above ``rule`` (SnAp's
    pattern).  Returns a matplotlib Figure whose ``.influence`` holds the arrays drawn
    (an :class:`~viz.influence.InfluenceFrames`); ``path`` also saves it (.png, .svg, .pdf).

    >>> import numpy as np, rnn, viz
    >>> model = rnn.RNN(1, 3, 1, rng=0)
    >>> fig = viz.draw_influence(model, np.ones((6, 1)), "snap-1", steps=[1, 3, 6])
    >>> len(fig.influence["snap-1"]), len(fig.axes) >= 6
    (3, True)
    """
    try:
        import matplotlib
        if path is not None:
            matplotlib.use("Agg", force=False)
        import matplotlib.pyplot as plt
        from matplotlib.colors import ListedColormap
    except ImportError:
        raise ImportError("viz.draw_influence needs matplotlib, the optional 'plot' extra: "
                          "pip install -e \".[plot]\"") from None
    frames = influence_over_time(model, xs, rule, steps, compare)
    names = list(frames)
    H, K = frames.H, frames.K
    logs = [np.log10(np.abs(M[M != 0])) for name in names for M in frames[name]]
    logs = np.concatenate(logs) if any(len(a) for a in logs) else np.zeros(1)
    vmin, vmax = np.floor(np.percentile(logs, 2)), np.ceil(logs.max())
    cols = len(frames.steps)
    fig, axes = plt.subplots(len(names), cols, figsize=(2.6 * cols + 1.2, 2.2 * len(names) + 0.8),
                             squeeze=False, dpi=110, constrained_layout=True)
    cmap = plt.get_cmap("viridis").with_extremes(bad=(1, 1, 1, 0))   # masked: see through
    image = None
    for r, name in enumerate(names):
        for c, t in enumerate(frames.steps):
            M, kept = frames[name][c], frames.kept[name][c]
            shown = np.ma.masked_where(~kept | (M == 0), np.log10(np.abs(M) + (M == 0)))
            ax = axes[r][c]
            ax.imshow(np.ma.masked_where(~kept, np.ones(kept.shape)), cmap=ListedColormap(["0.85"]),
                      aspect="auto", interpolation="nearest")   # kept: light grey
            image = ax.imshow(shown, cmap=cmap, vmin=vmin, vmax=vmax, aspect="auto",
                              interpolation="nearest")
            for j in range(1, H):                           # block edges: one block per unit j
                ax.axvline(j * K - 0.5, color="0.6", lw=0.6)
            ax.set_xticks([j * K + (K - 1) / 2 for j in range(H)])
            ax.set_xticklabels([f"Θ{j + 1}·" if H <= 6 else "" for j in range(H)], fontsize=8)
            ax.set_yticks(range(H))
            ax.set_yticklabels([f"s{i + 1}" for i in range(H)] if H <= 8 else [""] * H,
                               fontsize=8)
            kept_share = kept.mean()
            ax.set_title(f"{name}, t = {t}" + ("" if kept_share == 1 else
                                               f"  ({kept_share:.0%} kept)"), fontsize=10)
    fig.suptitle("influence matrix M_t = ds_t/dΘ: row i = unit s_i, a block of K columns per "
                 "unit j's weights Θ_j·;\nwhite: not kept by the rule; light grey: kept, exactly 0",
                 fontsize=10)
    fig.colorbar(image, ax=axes, shrink=0.8, label="log10 |ds_i/dΘ_jk|")
    fig.influence = frames
    if path is not None:
        from pathlib import Path
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(path, bbox_inches="tight")
    return fig
