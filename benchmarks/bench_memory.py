"""Checkpointed BPTT against full BPTT: peak memory and time, as a user calls it.

Gruslys et al. (2016) store a few states and recompute the rest; for T = 1000
they report 95% less memory for one third more time.  This script measures
``rnn.bptt(model, xs, ys, memory=...)`` against ``rnn.bptt(model, xs, ys)``
(full BPTT) on workload L's shape (a tanh RNN, B=1, D=4, H=16, O=4, squared
loss, mean over t), one thread, the way a user calls it: xs and ys are
ndarrays, and the plan is made inside the call.

Every figure comes from fresh processes, one per measurement and per side:

* peak memory by tracemalloc: the peak of traced memory during the call over
  the traced memory before it;
* peak memory by RSS: ``resource.getrusage``'s peak resident set during the
  call over the resident set before it (the peak is reset first through
  /proc/self/clear_refs, and glibc's free heap is returned with malloc_trim);
* time: the median over alternating rounds of (checkpointed / full), both
  timed in the same round, so that a slow spell of a shared machine hits both.

Each process first runs the same call on the first 50 steps (the code's first
run and Python's lazy set-up are not the call's memory).  Every row is
measured ``--runs`` times (5) and prints the median and [the range].  Before
timing, the gradients and the loss of every checkpointed call are checked to
be *equal* to full BPTT's (the script exits with status 1 if not).

Usage:
    python benchmarks/bench_memory.py               # the table (T = 1000) and the collector's
    python benchmarks/bench_memory.py --long        # also T = 100,000 (3 runs, about 4 minutes)
    python benchmarks/bench_memory.py --million     # also T = 1,000,000 (3 runs of about a
                                                    # minute; --million-runs to change)
    python benchmarks/bench_memory.py --compare     # Revolve against the dynamic program at
                                                    # equal measured memory, T <= 2000
    python benchmarks/bench_memory.py --breakdown   # where the memory is at the peak (sqrt)
    python benchmarks/bench_memory.py --sweep --plot docs/checkpoint_memory.png
                                                    # budget 1..T at T = 1000, plotted
    python benchmarks/bench_memory.py --tiny        # a seconds-long smoke run
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness                       # noqa: E402  one BLAS thread: before NumPy loads

import argparse                      # noqa: E402
import ctypes                        # noqa: E402
import ctypes.util                   # noqa: E402
import gc                            # noqa: E402
import json                          # noqa: E402
import linecache                     # noqa: E402
import math                          # noqa: E402
import resource                      # noqa: E402
import statistics                    # noqa: E402
import subprocess                    # noqa: E402
import time                          # noqa: E402
import tracemalloc                   # noqa: E402

import numpy as np                   # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
import minigrad as mg                # noqa: E402
import rnn                           # noqa: E402

SHAPE = (1, 4, 16, 4)                # workload L: B, D, H, O
ROWS = [(1000, "sqrt"), (1000, 50)]                           # (T, memory=) of the table
LONG = (100_000, "sqrt")                                      # --long: about 4 minutes
TARGETS = {1000: (0.05, 1.33), 100_000: (0.02, 1.5)}          # T: (memory, time) x full BPTT
MILLION = (1_000_000, 100)                                    # T, memory=
MILLION_TARGETS = (16e6, 2.5)        # RSS growth beyond xs and ys; time per step x full's at 1000
GC_SETTINGS = {"default (700, 10, 10)": None, "disabled": "off", "(1, 1, 1)": (1, 1, 1)}
GC_MEMORIES = ("sqrt", 40, 89)
COMPARE = {250: (4, 8, 16, 32, 64), 1000: (8, 16, 32, 64, 128), 2000: (16, 32, 64, 128, 250)}
SWEEP = (1, 2, 3, 4, 6, 8, 12, 16, 24, 32, 48, 64, 96, 128, 192, 256, 384, 512, 768, 1000)
WARM_STEPS = 8


def make_problem(T, seed=0):
    """Workload L's model and data: xs and ys are plain ndarrays, as a user has them."""
    B, D, H, O = SHAPE
    rng = np.random.default_rng(seed)
    model = rnn.RNN(D, H, O, rng=seed)
    return model, rng.normal(size=(T, B, D)), rng.normal(size=(T, B, O))


def call(model, xs, ys, memory):
    return rnn.bptt(model, xs, ys, reduction="mean", memory=memory)


def parse_memory(text):
    return int(text) if text.isdigit() else text


# ------------------------------------------------------- one measurement, one process

def child(spec):
    """Run one measurement in this (fresh) process and print it as JSON."""
    if not spec.get("malloc_default"):
        harness.steady_allocator()
    T, memory = spec["T"], parse_memory(spec["memory"])
    model, xs, ys = make_problem(T)
    call(model, xs[:WARM_STEPS], ys[:WARM_STEPS], memory)       # the code's first run
    call(model, xs[:WARM_STEPS], ys[:WARM_STEPS], "full")
    setting = GC_SETTINGS.get(spec.get("gc"))
    if setting == "off":
        gc.disable()
    elif setting:
        gc.set_threshold(*setting)
    if spec["way"] == "tracemalloc":
        gc.collect()
        tracemalloc.start()
        before = tracemalloc.get_traced_memory()[0]
        result = call(model, xs, ys, memory)
        out = {"peak": tracemalloc.get_traced_memory()[1] - before}
        tracemalloc.stop()
    elif spec["way"] == "rss":
        if spec.get("full_per_step"):
            short = make_problem(1000)
            times = [timed(lambda: call(*short, "full")) for _ in range(spec["full_per_step"])]
        before = reset_peak_rss()
        start = time.perf_counter()
        result = call(model, xs, ys, memory)
        out = {"peak": peak_rss() - before, "seconds": time.perf_counter() - start}
        if spec.get("full_per_step"):          # full BPTT's time per step at T = 1000, timed
            times += [timed(lambda: call(*short, "full")) for _ in range(spec["full_per_step"])]
            out["full_per_step"] = statistics.median(times) / 1000     # before and after
    else:                                      # alternating rounds, checkpointed / full
        full = call(model, xs, ys, "full")
        result = call(model, xs, ys, memory)
        out = {"equal": equal(full, result)}
        del full
        pairs = [(timed(lambda: call(model, xs, ys, "full")),
                  timed(lambda: call(model, xs, ys, memory))) for _ in range(spec["rounds"])]
        out.update(full=statistics.median(f for f, _ in pairs),
                   ckpt=statistics.median(c for _, c in pairs),
                   ratio=statistics.median(c / f for f, c in pairs))
    out["plan"] = describe(result.policy, T)
    print(json.dumps(out))


def timed(fn):
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def equal(full, other):
    return other.loss == full.loss and all(np.array_equal(full.grads[k], other.grads[k])
                                           for k in full.grads)


def describe(policy, T):
    if policy is None:
        return "full BPTT"
    return f"{policy.describe()}, cost {policy.cost / T:.2f}T"


def reset_peak_rss():
    """Return free heap to the system and restart the peak-RSS count at the RSS of now;
    return that RSS (as getrusage counts it)."""
    gc.collect()
    libc = ctypes.CDLL(ctypes.util.find_library("c"))
    if hasattr(libc, "malloc_trim"):
        libc.malloc_trim(0)
    with open("/proc/self/clear_refs", "w") as f:    # Linux: "5" resets the peak RSS
        f.write("5")
    return peak_rss()


def peak_rss():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024     # kB on Linux


def measure(args, **spec):
    """One measurement in a fresh process (this script with --child)."""
    spec["malloc_default"] = args.malloc_default
    done = subprocess.run([sys.executable, os.path.abspath(__file__), "--child", json.dumps(spec)],
                          capture_output=True, text=True)
    if done.returncode:
        sys.exit(f"bench_memory: a measurement failed ({spec}):\n{done.stderr}")
    return json.loads(done.stdout.splitlines()[-1])


def runs(args, n, **spec):
    return [measure(args, **spec) for _ in range(n)]


def spread(values, fmt="{:.3f}"):
    """'median [low-high]'."""
    return (fmt.format(statistics.median(values)) + " [" + fmt.format(min(values)) + "–" +
            fmt.format(max(values)) + "]")


# ------------------------------------------------------------------ the tables

def table(args):
    print(f"workload L's shape (B, D, H, O) = {SHAPE}, float64, one thread; xs and ys "
          f"ndarrays; median [range] over {args.runs} runs, each side in its own process")
    print(f"{'T':>9} {'memory=':>8} {'plan (made in the call)':<44} {'full BPTT':>18} "
          f"{'peak x full, tracemalloc':>25} {'peak x full, RSS':>36} {'time x full':>20}  "
          f"targets")
    ok = True
    for T, memory in args.rows:
        n = args.runs if T <= 10_000 else max(1, min(args.runs, 3))
        full_tm = [m["peak"] for m in runs(args, n, T=T, memory="full", way="tracemalloc")]
        ckpt_tm = runs(args, n, T=T, memory=str(memory), way="tracemalloc")
        full_rss = [m["peak"] for m in runs(args, n, T=T, memory="full", way="rss")]
        ckpt_rss = [m["peak"] for m in runs(args, n, T=T, memory=str(memory), way="rss")]
        timing = runs(args, n, T=T, memory=str(memory), way="time",
                      rounds=args.rounds if T <= 10_000 else 3)
        ok &= all(t["equal"] for t in timing)
        tm = [c["peak"] / f for c, f in zip(ckpt_tm, full_tm)]
        # a tiny T can fit in pages the process holds: no growth on either side is 0,
        # growth only when checkpointing is infinitely worse
        rs = [c / f if f else (0.0 if c == 0 else math.inf) for c, f in zip(ckpt_rss, full_rss)]
        ratio = [t["ratio"] for t in timing]
        verdict = "gradients DIFFER" if not all(t["equal"] for t in timing) else ""
        if T in TARGETS:
            memory_target, time_target = TARGETS[T]
            met = (statistics.median(tm) <= memory_target and
                   statistics.median(rs) <= memory_target and
                   statistics.median(ratio) <= time_target)
            verdict = verdict or (f"<= {memory_target} and <= {time_target}: "
                                  f"{'met' if met else 'MISSED'}")
        full_text = (f"{statistics.median(full_tm) / 1e6:.2f} MB, "
                     f"{statistics.median(t['full'] for t in timing) * 1e3:.0f} ms")
        rss_text = (f"{spread(rs)} ({statistics.median(ckpt_rss) / 1e3:.0f} of "
                    f"{statistics.median(full_rss) / 1e3:.0f} kB)")
        print(f"{T:>9,} {json.dumps(memory):>8} {ckpt_tm[0]['plan']:<44} {full_text:>18} "
              f"{spread(tm):>25} {rss_text:>36} {spread(ratio, '{:.2f}'):>20}  {verdict}")
    return ok


def million(args):
    T, memory = args.million_size
    n = args.million_runs
    print(f"\nT = {T:,} steps of L's shape, memory={memory}, {n} run(s), each in its own "
          f"process; xs and ys ({2 * T * 4 * 8 / 1e6:.0f} MB) are made before the baseline")
    rows = runs(args, n, T=T, memory=str(memory), way="rss", full_per_step=7)
    growth = [r["peak"] for r in rows]
    per_step = [r["seconds"] / T / r["full_per_step"] for r in rows]
    met = statistics.median(growth) <= MILLION_TARGETS[0] and \
        statistics.median(per_step) <= MILLION_TARGETS[1]
    print(f"  plan: {rows[0]['plan']}")
    print(f"  peak RSS growth {spread([g / 1e6 for g in growth], '{:.1f}')} MB; "
          f"{spread([r['seconds'] for r in rows], '{:.0f}')} s, "
          f"{spread([r['seconds'] / T * 1e6 for r in rows], '{:.1f}')} µs a step, "
          f"{spread(per_step, '{:.2f}')} x full BPTT's time a step at T = 1000 "
          f"({spread([r['full_per_step'] * 1e6 for r in rows], '{:.1f}')} µs); targets "
          f"<= {MILLION_TARGETS[0] / 1e6:.0f} MB and <= {MILLION_TARGETS[1]}: "
          f"{'met' if met else 'MISSED'}")
    return True


def collector(args):
    """The same calls under three collector settings: the peak must not depend on them."""
    T = 1000
    full = statistics.median(m["peak"] for m in runs(args, args.runs, T=T, memory="full",
                                                       way="tracemalloc"))
    print(f"\nthe garbage collector, T = {T}: peak x full BPTT's ({full / 1e6:.2f} MB, default "
          f"collector) by tracemalloc, median [range] over {args.runs} runs")
    print(f"{'memory=':>8} " + "".join(f"{name:>26}" for name in GC_SETTINGS) +
          f"{'largest / smallest':>20}")
    for memory in args.gc_memories:
        cells, medians = [], []
        for name in GC_SETTINGS:
            peaks = [m["peak"] / full for m in runs(args, args.runs, T=T, memory=str(memory),
                                                     way="tracemalloc", gc=name)]
            cells.append(spread(peaks))
            medians.append(statistics.median(peaks))
        print(f"{json.dumps(memory):>8} " + "".join(f"{c:>26}" for c in cells) +
              f"{max(medians) / min(medians):>20.3f}")
    return True


# ------------------------------------------ Revolve against the dynamic program, T <= 2000

def compare(args):
    """Both planners at the same budgets (counted in steps, α = 1): forward steps, and peak
    memory measured with the plan made before the call (the plan's own memory is
    reported apart: the dynamic program's tables while it plans).  Then Revolve's cost
    at the dynamic program's measured peak, read off Revolve's curve (log-linear)."""
    print("\nRevolve against the dynamic program (budget counted in steps, α = 1): cost in "
          "forward steps / T, peak by tracemalloc with the plan made before the call")
    print(f"{'T':>6} {'budget':>7} {'DP cost':>8} {'DP peak':>9} {'DP planning':>12} "
          f"{'Revolve':>8} {'Rv peak':>9} {'Revolve cost at DP peak':>24}")
    for T, budgets in args.compare_sizes.items():
        rows = [compare_one(T, budget) for budget in budgets]
        revolve = sorted((r["revolve_peak"], r["revolve_cost"]) for r in rows)
        for budget, r in zip(budgets, rows):
            at = np.interp(np.log(r["dp_peak"]), np.log([p for p, _ in revolve]),
                           [c for _, c in revolve], left=np.nan, right=np.nan)
            at_text = "outside its range" if np.isnan(at) else \
                f"{at:.2f} ({at / r['dp_cost']:.2f} x DP)"
            print(f"{T:>6} {budget:>7} {r['dp_cost']:>8.2f} {r['dp_peak'] / 1e3:>7.0f}kB "
                  f"{r['dp_planning'] / 1e3:>10.0f}kB {r['revolve_cost']:>8.2f} "
                  f"{r['revolve_peak'] / 1e3:>7.0f}kB {at_text:>24}")
    return True


def compare_one(T, budget):
    model, xs, ys = make_problem(T)
    call(model, xs[:WARM_STEPS], ys[:WARM_STEPS], 4)
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    dp = rnn.checkpoint_policy(T, budget)
    planning = tracemalloc.get_traced_memory()[1] - before
    tracemalloc.stop()
    revolve = rnn.revolve_policy(T, budget)
    full = call(model, xs, ys, "full")
    out = {"dp_planning": planning}
    for name, plan in (("dp", dp), ("revolve", revolve)):
        if not equal(full, call(model, xs, ys, plan)):
            sys.exit(f"bench_memory: {plan!r}: gradients DIFFER from full BPTT's")
        gc.collect()
        tracemalloc.start()
        before = tracemalloc.get_traced_memory()[0]
        call(model, xs, ys, plan)
        out[f"{name}_peak"] = tracemalloc.get_traced_memory()[1] - before
        tracemalloc.stop()
        out[f"{name}_cost"] = plan.cost / T
    return out


# ------------------------------------------------------- where the memory is at the peak

def breakdown(args, memory="sqrt", T=1000, lines=14):
    """A tracemalloc snapshot when the traced memory is highest at the start of a
    segment's backward pass (its record complete), grouped by the line of the
    repository that allocated it."""
    model, xs, ys = make_problem(T)
    call(model, xs[:WARM_STEPS], ys[:WARM_STEPS], memory)
    engine_backward = mg.graph.backward
    best = {"memory": -1, "snapshot": None}

    def watched_backward(*a, **k):
        now = tracemalloc.get_traced_memory()[0]
        if now > best["memory"]:
            best.update(memory=now, snapshot=tracemalloc.take_snapshot())
        return engine_backward(*a, **k)

    gc.collect()
    tracemalloc.start(12)
    before = tracemalloc.get_traced_memory()[0]
    mg.graph.backward = watched_backward
    try:
        call(model, xs, ys, memory)
    finally:
        mg.graph.backward = engine_backward
    peak = tracemalloc.get_traced_memory()[1] - before
    tracemalloc.stop()
    snapshot = best["snapshot"].filter_traces([tracemalloc.Filter(False, tracemalloc.__file__)])
    sites = {}
    for trace in snapshot.traces:
        files = [(os.path.relpath(os.path.abspath(f.filename), ROOT), f.lineno)
                 for f in trace.traceback]
        frames = [(name, line) for name, line in files
                  if name.split(os.sep)[0] in ("rnn", "minigrad")]
        if not frames:
            continue
        name, line = frames[-1]             # oldest first: the last is where it was allocated
        key = f"{name}:{line}"
        size, count = sites.get(key, (0, 0))
        sites[key] = (size + trace.size, count + 1)
    total = sum(size for size, _ in sites.values())
    print(f"\nwhere the memory is: memory={memory!r}, T = {T}; peak {peak / 1e3:.1f} kB; at the "
          f"start of the fullest segment's backward pass {total / 1e3:.1f} kB, by the line "
          f"that allocated it:")
    for key, (size, count) in sorted(sites.items(), key=lambda kv: -kv[1][0])[:lines]:
        name, line = key.rsplit(":", 1)
        code = linecache.getline(os.path.join(ROOT, name), int(line)).strip()
        print(f"  {size / 1e3:7.1f} kB {count:6d} blocks  {key:<26} {code[:60]}")
    return True


# ------------------------------------------------------------ the sweep and its plot

def sweep(T, budgets, repeats, plot):
    """Budget 1..T (α = 1, the dynamic program's plans): measured time and memory against
    the dynamic program's predictions (its cost in forward steps, and the steps it holds)."""
    model, xs, ys = make_problem(T)
    full = call(model, xs, ys, "full")
    t_full = statistics.median(timed(lambda: call(model, xs, ys, "full"))
                               for _ in range(repeats))
    m_full = traced_peak(lambda: call(model, xs, ys, "full"))
    print(f"\nsweep at T={T} (record_size 1): full BPTT {t_full * 1e3:.1f} ms, "
          f"{m_full / 1e6:.2f} MB")
    print(f"{'budget':>7} {'DP cost/T':>10} {'time x full':>12} {'held/T':>8} {'mem x full':>11}")
    rows = []
    for budget in budgets:
        policy = rnn.checkpoint_policy(T, budget)
        if not equal(full, call(model, xs, ys, policy)):
            print(f"  budget {budget}: GRADIENTS DIFFER from full BPTT's")
            return False
        n = 1 if policy.cost > 20 * T else repeats
        ratio = statistics.median(timed(lambda: call(model, xs, ys, policy)) /
                                  timed(lambda: call(model, xs, ys, "full")) for _ in range(n))
        m = traced_peak(lambda: call(model, xs, ys, policy))
        rows.append((budget, policy.cost / T, ratio, policy.peak_memory() / T, m / m_full))
        print(f"{budget:>7} {rows[-1][1]:>10.2f} {rows[-1][2]:>12.2f} {rows[-1][3]:>8.3f} "
              f"{rows[-1][4]:>11.3f}")
    if plot:
        draw(rows, T, plot)
    return True


def traced_peak(fn):
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    fn()
    peak = tracemalloc.get_traced_memory()[1] - before
    tracemalloc.stop()
    return peak


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
    parser.add_argument("--runs", type=int, default=5, help="runs per row (median, range)")
    parser.add_argument("--rounds", type=int, default=11, help="alternating timing rounds")
    parser.add_argument("--long", action="store_true", help="also T = 100,000")
    parser.add_argument("--million", action="store_true", help="also T = 1,000,000")
    parser.add_argument("--million-runs", type=int, default=3)
    parser.add_argument("--no-collector", action="store_true", help="skip the collector table")
    parser.add_argument("--compare", action="store_true", help="Revolve against the DP")
    parser.add_argument("--breakdown", action="store_true", help="what is held at the peak")
    parser.add_argument("--sweep", action="store_true", help="budget 1..T at T = 1000")
    parser.add_argument("--plot", help="write the sweep's plot here (implies --sweep)")
    parser.add_argument("--tiny", action="store_true", help="tiny sizes: a smoke test")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    harness.add_allocator_option(parser)
    args = parser.parse_args(argv)
    if args.child:
        return child(json.loads(args.child))
    harness.set_up_allocator(args)
    args.rows, sweep_T, budgets = ROWS + ([LONG] if args.long else []), 1000, SWEEP
    args.gc_memories, args.million_size, args.compare_sizes = GC_MEMORIES, MILLION, COMPARE
    if args.tiny:
        args.rows, args.runs, args.rounds = [(120, "sqrt"), (600, 8)], 2, 2
        sweep_T, budgets = 40, (1, 3, 8, 40)
        args.gc_memories, args.million_size, args.compare_sizes = ("sqrt",), (3000, 20), \
            {60: (3, 8)}
        args.million_runs = 1
    ok = table(args)
    if args.million:
        ok &= million(args)
    if not args.no_collector:
        ok &= collector(args)
    if args.compare:
        ok &= compare(args)
    if args.breakdown:
        ok &= breakdown(args)
    if args.sweep or args.plot:
        ok &= sweep(sweep_T, budgets, args.rounds, args.plot)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
