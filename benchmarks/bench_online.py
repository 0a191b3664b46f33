"""The cost of learning online: time and memory per step against the hidden size H.

For every rule of ``rnn.online`` and for BPTT (the hand-written NumPy
``rnn.manual.rnn_bptt``, the baseline), on a tanh RNN with D = O = 4 inputs
and outputs and one sequence (B = 1; ``--batch`` for more):

* time per step: the run's time divided by its T steps (best of a few runs);
* memory: the peak of ``tracemalloc`` during a run of T steps.

It fits the log-log slope of time against H over H >= 32 (below that,
Python's per-call overhead hides the arithmetic) and prints it next to
what theory says: RTRL's influence matrix costs O(H⁴) time and O(H³) memory
per step; KF-RTRL O(H³) time and O(H²) memory; UORO, SnAp-1, RFLO and BPTT
O(H²) time per step.  BPTT's memory
grows with T (it stores every step); the online rules' does not.

Before timing, each exact rule's gradient is checked against BPTT's.

``--echo`` instead trains on the two-lag echo task (``rnn.online.echo``):
RTRL, UORO and SnAp-1 online (an Adam step after every step), and
TBPTT(k, k) for k = 2, 5, 10, 20, on B = 32 streams of T steps, and draws
the loss curves against the three closed-form levels.

Usage:
    python benchmarks/bench_online.py                       # H = 8 .. 128, plot bench_online.png
    python benchmarks/bench_online.py --echo --plot echo.png   # the echo task's loss curves
    python benchmarks/bench_online.py --plot out.png --batch 32   # B = 32 sequences
    python benchmarks/bench_online.py --tiny                # a seconds-long smoke run (a test)
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness                       # noqa: E402  one BLAS thread: before NumPy loads

import argparse                      # noqa: E402
import time                          # noqa: E402
import tracemalloc                   # noqa: E402

import numpy as np                   # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
import rnn                           # noqa: E402
from rnn.manual import rnn_bptt      # noqa: E402
from rnn.online import online_gradient  # noqa: E402

RULES = ("rtrl", "uoro", "kf-rtrl", "snap-1", "rflo", "tbptt-8")
THEORY = {"rtrl": 4, "uoro": 2, "kf-rtrl": 3, "snap-1": 2, "rflo": 2, "tbptt-8": 2, "bptt": 2}
D = O = 4


def problem(H, T, seed=0, B=1):
    model = rnn.RNN(D, H, O, rng=seed)
    rng = np.random.default_rng(seed)
    return model, rng.normal(size=(T, B, D)), rng.normal(size=(T, B, O))


def runner(name, model, xs, ys):
    if name == "bptt":
        params = rnn.manual.model_arrays(model)
        return lambda: rnn_bptt(params, xs, ys)
    return lambda: online_gradient(model, xs, ys, name, rng=0)


def measure(name, H, T, repeats, B=1):
    model, xs, ys = problem(H, T, B=B)
    run = runner(name, model, xs, ys)
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        best = min(best, time.perf_counter() - start)
    tracemalloc.start()
    run()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return best / T, peak


def check_exact(H=6, T=7):
    model, xs, ys = problem(H, T, seed=1)
    exact = rnn.bptt(model, xs, ys).grads
    for name in ("rtrl", f"tbptt-{T}"):
        online = online_gradient(model, xs, ys, name).grads
        for key in exact:
            err = np.linalg.norm(online[key] - exact[key]) / np.linalg.norm(exact[key])
            if err > 1e-12:
                print(f"FAIL: {name} disagrees with BPTT on {key}: relative error {err:.1e}")
                return False
    print(f"check: rtrl and tbptt-{T} equal BPTT to 1e-12 (H={H}, T={T})")
    return True


def slope(hs, values, h_min):
    keep = [i for i, h in enumerate(hs) if h >= h_min]
    if len(keep) < 2:
        keep = list(range(len(hs)))
    return float(np.polyfit(np.log([hs[i] for i in keep]), np.log([values[i] for i in keep]),
                            1)[0])


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tiny", action="store_true", help="H = 4, 8; T = 3: a smoke run")
    parser.add_argument("--plot", default=os.path.join(os.path.dirname(__file__),
                                                       "bench_online.png"))
    parser.add_argument("--no-plot", action="store_true")
    parser.add_argument("--echo", action="store_true", help="train on the echo task instead")
    parser.add_argument("--steps", type=int, default=20000, help="--echo: steps per stream")
    parser.add_argument("--batch", type=int, default=1,
                        help="B sequences per step: more arithmetic per Python call")
    harness.add_allocator_option(parser)
    args = parser.parse_args(argv)
    harness.set_up_allocator(args)
    if args.echo:
        return echo(args)
    hs = [4, 8] if args.tiny else [8, 16, 32, 64, 128]
    T, repeats, h_min = (3, 1, 0) if args.tiny else (20, 3, 32)

    if not check_exact():
        return 1
    names = RULES + ("bptt",)
    times, memory = {n: [] for n in names}, {n: [] for n in names}
    print(f"\ntime per step (ms) and peak memory of a {T}-step run (kB), B = {args.batch}, "
          f"D = O = {D}")
    print("rule       " + "".join(f"{'H=' + str(h):>18}" for h in hs))
    for name in names:
        for H in hs:
            steps = T if not (name == "rtrl" and H >= 64) else max(3, T // 4)
            per_step, peak = measure(name, H, steps, repeats, args.batch)
            times[name].append(per_step)
            memory[name].append(peak)
        print(f"{name:<11}" + "".join(f"{t * 1e3:>9.3f} {m / 1024:>7.0f}k"
                                      for t, m in zip(times[name], memory[name])))

    print(f"\nlog-log slopes of time per step against H (fitted over H >= {h_min}), "
          f"and the ratio to BPTT's time at the largest H")
    print(f"{'rule':<11}{'slope':>8}{'theory':>8}{'x BPTT':>10}{'memory slope':>14}")
    slopes = {}
    for name in names:
        slopes[name] = slope(hs, times[name], h_min)
        ratio = times[name][-1] / times["bptt"][-1]
        print(f"{name:<11}{slopes[name]:>8.2f}{THEORY[name]:>8}{ratio:>10.1f}"
              f"{slope(hs, memory[name], h_min):>14.2f}")

    if not args.no_plot:
        draw(hs, times, slopes, h_min, args.plot)
        print(f"\nplot: {args.plot}")
    return 0


def draw(hs, times, slopes, h_min, path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 5.5))
    for name, values in times.items():
        ax.loglog(hs, np.array(values) * 1e3, "o-", linewidth=2,
                  label=f"{name}: slope {slopes[name]:.2f} (theory {THEORY[name]})")
    ref = np.array([h for h in hs if h >= h_min] or hs, dtype=float)
    base = times["bptt"][hs.index(int(ref[0]))] * 1e3
    for power, style in ((2, ":"), (4, "--")):
        ax.loglog(ref, base * (ref / ref[0]) ** power, "k" + style, linewidth=1,
                  label=f"H^{power}")
    ax.set_xlabel("hidden units H", fontsize=14)
    ax.set_ylabel("time per step (ms)", fontsize=14)
    ax.set_title("the cost of online gradients, per step", fontsize=15)
    ax.tick_params(labelsize=12)
    ax.legend(fontsize=11)
    ax.grid(True, which="both", alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


ECHO_RULES = ("rtrl", "uoro", "snap-1", "TBPTT(2,2)", "TBPTT(5,5)", "TBPTT(10,10)",
              "TBPTT(20,20)")


def echo(args, H=8, B=32, lr=0.003, seed=0):
    """Train every rule on the echo task; print the final losses and draw the curves."""
    import minigrad as mg
    from rnn.online import train_online
    from rnn.online.echo import echo_data, echo_levels

    T = 400 if args.tiny else args.steps
    xs, ys, mask = echo_data(T, batch=B, rng=seed + 1)
    levels = echo_levels()
    curves = {}
    print(f"echo task: H = {H}, B = {B} streams of T = {T} steps, Adam lr = {lr}, seed {seed}")
    print("levels: " + ", ".join(f"{k} {v:.4f}" for k, v in levels.items()))
    for name in ECHO_RULES:
        model = rnn.RNN(1, H, 2, rng=seed)
        optimizer = mg.optim.Adam(model.parameters(), lr=lr)
        start = time.perf_counter()
        if name.startswith("TBPTT"):
            k = int(name[6:].split(",")[0])
            result = rnn.tbptt(model, xs, ys, k, k, optimizer, loss="cross_entropy",
                               reduction="mean", mask=mask)
            losses = np.repeat(np.array(result.losses) / B, k)[:T]     # per step, per stream
            losses[:8] = np.nan
        else:
            losses = train_online(model, xs, ys, name, optimizer, loss="cross_entropy",
                                  mask=mask, rng=seed).losses
            losses[:8] = np.nan
        curves[name] = losses
        tail = np.nanmean(losses[-T // 10:])
        print(f"{name:<13} final loss (last 10% of steps) {tail:.4f}   "
              f"({time.perf_counter() - start:.1f} s)")
    if not args.no_plot:
        draw_echo(curves, levels, args.plot, H, B, lr)
        print(f"plot: {args.plot}")
    return 0


def draw_echo(curves, levels, path, H, B, lr, window=500):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(11, 5.5))
    for name, losses in curves.items():
        valid = np.nan_to_num(losses, nan=levels["neither"])
        w = min(window, max(1, len(valid) // 5))
        smooth = np.convolve(valid, np.ones(w) / w, mode="valid")
        ax.plot(np.arange(len(smooth)) + w, smooth, linewidth=2, label=name)
    for label, level in levels.items():
        ax.axhline(level, color="k", linestyle=":", linewidth=1)
        ax.text(0, level + 0.003, f"{label}: {level:.3f}", fontsize=12)
    ax.set_xlabel("time step (one stream of B sequences)", fontsize=14)
    ax.set_ylabel(f"cross-entropy (nats, mean of {window} steps)", fontsize=13)
    ax.set_title(f"echo task: learning lags 3 and 8 online (H={H}, B={B}, Adam {lr})",
                 fontsize=14)
    ax.tick_params(labelsize=12)
    ax.set_ylim(levels["both"] - 0.03, levels["neither"] + 0.04)
    ax.legend(fontsize=12, loc="upper left", bbox_to_anchor=(1.01, 1.0))   # off the curves
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


if __name__ == "__main__":
    sys.exit(main())
