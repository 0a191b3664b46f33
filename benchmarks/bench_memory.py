"""Checkpointed BPTT against full BPTT: peak memory and time, in one run.

Gruslys et al. (2016) store a few states and recompute the rest; for T = 1000
they report 95% less memory for one third more time.  This script measures
``rnn.bptt(..., memory=...)`` against ``rnn.bptt(...)`` (full BPTT) on
workload L's shape (a tanh RNN, B=1, D=4, H=16, O=4, squared loss, mean over
t), on the same data, one thread:

* peak memory of the call, as growth over the memory before it (tracemalloc);
* time: the median over rounds of (checkpointed / full) timed in the same
  round, so that a slow spell of a shared machine hits both.

The inputs are made before the call (xs a Tensor, ys read-only), so neither
side copies the data set into its figure.  Before timing, the gradients of
every checkpointed run are checked to be *equal* to full BPTT's.

T = 1000 uses the dynamic program's plan (``rnn.checkpoint_policy``) for a
budget of 2% of full BPTT's memory, counted in stored states, with a
recorded step weighing ``record_size`` states (measured here).  T = 100,000
uses ``memory="sqrt"`` (the dynamic program is T²-sized).

Usage:
    python benchmarks/bench_memory.py                   # the table: T = 1000 and 100,000
    python benchmarks/bench_memory.py --sweep --plot docs/checkpoint_memory.png
                                                        # budget 1..T at T = 1000, plotted
    python benchmarks/bench_memory.py --tiny            # a seconds-long smoke run
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness                       # noqa: E402  one BLAS thread: before NumPy loads

import argparse                      # noqa: E402
import gc                            # noqa: E402
import statistics                    # noqa: E402
import time                          # noqa: E402
import tracemalloc                   # noqa: E402

import numpy as np                   # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
import minigrad as mg                # noqa: E402
import rnn                           # noqa: E402

SHAPE = (1, 4, 16, 4)                # workload L: B, D, H, O
TARGETS = {1000: (0.05, 1.33), 100_000: (0.02, 1.5)}     # T: (memory, time) x full BPTT
SWEEP = (1, 2, 3, 4, 6, 8, 12, 16, 24, 32, 48, 64, 96, 128, 192, 256, 384, 512, 768, 1000)


def make_problem(T, seed=0):
    B, D, H, O = SHAPE
    rng = np.random.default_rng(seed)
    model = rnn.RNN(D, H, O, rng=seed)
    xs = mg.tensor(rng.normal(size=(T, B, D)))          # the data, made before the call
    ys = rng.normal(size=(T, B, O))
    ys.flags.writeable = False
    return model, xs, ys


def step(model, xs, ys, memory="full"):
    return rnn.bptt(model, xs, ys, reduction="mean", memory=memory)


def peak_growth(fn):
    """Peak bytes allocated during fn(), over what was allocated before it."""
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    fn()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak - before


def median_times(fns, repeats, samples=None):
    """Median seconds per call, the functions called in alternating rounds."""
    samples = {label: [] for label in fns} if samples is None else samples
    for _ in range(repeats):
        for label, fn in fns.items():
            t0 = time.perf_counter()
            fn()
            samples[label].append(time.perf_counter() - t0)
    return {label: statistics.median(ts) for label, ts in samples.items()}


def median_ratio(full, other, repeats):
    """Median over rounds of (other's time / full's time in the same round): a slow
    spell of the machine hits both calls of a round, and drops out of the ratio."""
    samples = {"full": [], "other": []}
    times = median_times({"full": full, "other": other}, repeats, samples)
    ratio = statistics.median(o / f for f, o in zip(samples["full"], samples["other"]))
    return times["full"], times["other"], ratio


def record_size(n=200):
    """α: bytes of one recorded step (full BPTT over n steps, per step) over the bytes
    of one stored state (n states kept from a forward pass without recording)."""
    model, xs, ys = make_problem(n)
    recorded = peak_growth(lambda: step(model, xs, ys)) / n
    s = model.zero_state((SHAPE[0],))
    kept = []

    def keep_states():
        state = s
        with mg.no_grad():
            for x_t in mg.unbind(xs):
                state = model.step(x_t, state)
                kept.append(state)
    stored = peak_growth(keep_states) / n
    return max(1, round(recorded / stored)), recorded, stored


def check_equal(full, other, label):
    if other.loss != full.loss or any(not np.array_equal(full.grads[k], other.grads[k])
                                      for k in full.grads):
        print(f"  {label}: GRADIENTS DIFFER from full BPTT's")
        return False
    return True


def compare(T, memory, repeats):
    """Memory and time of one checkpointed call against full BPTT, same model, same data."""
    model, xs, ys = make_problem(T)
    full = step(model, xs, ys)
    ok = check_equal(full, step(model, xs, ys, memory), f"T={T}")
    del full
    t_full, t_ckpt, ratio = median_ratio(lambda: step(model, xs, ys),
                                         lambda: step(model, xs, ys, memory), repeats)
    mem_full = peak_growth(lambda: step(model, xs, ys))
    mem_ckpt = peak_growth(lambda: step(model, xs, ys, memory))
    return ok, t_full, t_ckpt, ratio, mem_full, mem_ckpt


def table(sizes, repeats, alpha, stored_bytes, recorded_bytes):
    print(f"workload L's shape (B, D, H, O) = {SHAPE}, float64, one thread; "
          f"a recorded step holds {recorded_bytes / 1e3:.2f} kB, a stored state "
          f"{stored_bytes:.0f} B: record_size α = {alpha}")
    print(f"{'T':>8} {'plan':>34} {'full mem':>10} {'ckpt mem':>10} {'x full':>7} "
          f"{'full time':>10} {'ckpt time':>10} {'x full':>7}  targets")
    all_ok = True
    for T in sizes:
        if T <= 1000:                      # the dynamic program is T²·budget: short T only
            budget = max(alpha, int(0.02 * recorded_bytes * T / stored_bytes))
            memory = rnn.checkpoint_policy(T, budget, record_size=alpha)   # planned before
            plan = f"DP budget {budget} (α={alpha}), cost {memory.cost / T:.2f}T"
        else:
            memory = "sqrt"
            plan = f"sqrt: {len(rnn.sqrt_policy(T).stored)} checkpoints"
        ok, t_full, t_ckpt, time_ratio, m_full, m_ckpt = compare(T, memory,
                                                                 repeats if T <= 1000 else 3)
        mem_ratio = m_ckpt / m_full
        target = TARGETS.get(T)
        verdict = ""
        if target:
            met = mem_ratio <= target[0] and time_ratio <= target[1]
            verdict = (f"<= {target[0]} and <= {target[1]}: " + ("met" if met else "MISSED"))
            all_ok &= met
        all_ok &= ok
        print(f"{T:>8,} {plan:>34} {m_full / 1e6:8.2f}MB {m_ckpt / 1e6:8.3f}MB "
              f"{mem_ratio:7.3f} {t_full:9.3f}s {t_ckpt:9.3f}s {time_ratio:7.2f}  {verdict}")
    return all_ok


def sweep(T, budgets, repeats, plot):
    """Budget 1..T (α = 1, the issue's counting): measured time and memory against the
    dynamic program's predictions (its cost in forward steps, and the steps it holds)."""
    model, xs, ys = make_problem(T)
    full = step(model, xs, ys)
    t_full = median_times({"full": lambda: step(model, xs, ys)}, repeats)["full"]
    m_full = peak_growth(lambda: step(model, xs, ys))
    print(f"\nsweep at T={T} (record_size 1): full BPTT {t_full * 1e3:.1f} ms, "
          f"{m_full / 1e6:.2f} MB")
    print(f"{'budget':>7} {'DP cost/T':>10} {'time x full':>12} {'held/T':>8} {'mem x full':>11}")
    rows = []
    for budget in budgets:
        policy = rnn.checkpoint_policy(T, budget)
        if not check_equal(full, step(model, xs, ys, policy), f"budget {budget}"):
            return False
        n = 1 if policy.cost > 20 * T else repeats
        ratio = median_ratio(lambda: step(model, xs, ys),
                             lambda: step(model, xs, ys, policy), n)[2]
        m = peak_growth(lambda: step(model, xs, ys, policy))
        rows.append((budget, policy.cost / T, ratio, policy.peak_memory() / T, m / m_full))
        print(f"{budget:>7} {rows[-1][1]:>10.2f} {rows[-1][2]:>12.2f} {rows[-1][3]:>8.3f} "
              f"{rows[-1][4]:>11.3f}")
    if plot:
        draw(rows, T, plot)
    return True


def draw(rows, T, path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    budget, cost, t, held, m = (np.array(col) for col in zip(*rows))
    fig, (left, right) = plt.subplots(1, 2, figsize=(12, 4.6))
    left.loglog(budget, t, "o-", color="tab:red", label="measured time")
    left.loglog(budget, cost, "--", color="black", label="dynamic program: forward steps / T")
    left.set(xlabel="budget (steps held at once)", ylabel="× full BPTT",
             title=f"time, T = {T}")
    right.loglog(budget, m, "o-", color="tab:blue", label="measured peak memory")
    right.loglog(budget, held, "--", color="black", label="steps held / T (the plan)")
    right.set(xlabel="budget (steps held at once)", ylabel="× full BPTT",
              title=f"memory, T = {T}")
    for ax in (left, right):
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=11)
    fig.suptitle("Checkpointed BPTT (Gruslys et al. 2016): store a few states, recompute "
                 "the rest", fontsize=13)
    fig.tight_layout()
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    fig.savefig(path, dpi=120)
    print(f"plot written to {path}")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="1000,100000", help="comma-separated T values")
    parser.add_argument("--repeats", type=int, default=11)
    parser.add_argument("--sweep", action="store_true", help="budget 1..T at T = 1000")
    parser.add_argument("--plot", help="write the sweep's plot here (implies --sweep)")
    parser.add_argument("--tiny", action="store_true", help="tiny sizes: a smoke test")
    harness.add_allocator_option(parser)
    args = parser.parse_args(argv)
    harness.set_up_allocator(args)
    sizes = [int(s) for s in args.sizes.split(",")]
    sweep_T, budgets = 1000, SWEEP
    if args.tiny:
        sizes, args.repeats, sweep_T, budgets = [60, 2000], 1, 40, (1, 3, 8, 40)
    alpha, recorded, stored = record_size()
    ok = table(sizes, args.repeats, alpha, stored, recorded)
    if args.sweep or args.plot:
        ok &= sweep(sweep_T, budgets, args.repeats, args.plot)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
