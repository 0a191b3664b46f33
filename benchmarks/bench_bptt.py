"""Full-BPTT forward + backward of a tanh RNN, timed side by side on one thread.

    s_t = tanh(U x_t + W s_{t-1} + b),   o_t = V s_t + c,
    L = (1/T) Σ_t ½ ||o_t - y_t||²      (the squared norm summed over batch and outputs)

Every engine computes the gradients of U, W, V, b and c.  Before anything
is timed, each engine's gradients are checked against the hand-written
NumPy BPTT; the script exits with status 1 if any disagrees.

The baseline is hand-written NumPy that runs one copy of the cell per step,
as the unrolled graph does and as min-char-rnn does.  A second NumPy version
that moves U x_t and V s_t out of the time loop (one big matmul each) is
printed for reference: no engine that records one node per step can match
it, and the ratios are not taken against it.

minigrad runs three ways: through the library (rnn.RNN + rnn.bptt), as raw
ops with the multi-input ``linear`` and ``mse_loss`` (fewer, bigger ops),
and on the plain loop every peer runs, written the same way in each engine:

    s = (x_t @ U.T + s @ W.T + b).tanh();  loss += 0.5 * ((s @ V.T + c - y_t) ** 2).sum()

A second table times single ops: µs per op, forward plus backward, on a
chain of 20,000 ops (y = y * w + w) of small arrays (4 numbers; micrograd's
scalar Value holds one).

Usage:
    python benchmarks/bench_bptt.py                 # workloads S, M, L, and the per-op table
    python benchmarks/bench_bptt.py --long          # also T = 100,000 steps of L's shape
    python benchmarks/bench_bptt.py --tiny          # a seconds-long smoke run (used by a test)
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

WORKLOADS = {            # B, D, H, O, T
    "S": (1, 65, 100, 65, 25),       # min-char-rnn sized: overhead-bound
    "M": (32, 16, 128, 16, 50),      # a classroom mini-batch: compute-bound
    "L": (1, 4, 16, 4, 1000),        # a long sequence of tiny steps: per-op cost
}
# (rnn.bptt, raw ops) time targets, x NumPy; issue 16 restated M's for rnn.bptt as 1.25
TARGETS = {"S": (2.0, 2.0), "M": (1.25, 1.15), "L": (4.0, 4.0)}
MEMORY_TARGETS = {"M": 2.0, "L": 15.0}
NAMES = ("U", "W", "V", "b", "c")


def make_problem(B, D, H, O, T, seed=0):
    rng = np.random.default_rng(seed)
    bound = 1 / np.sqrt(H)
    params = {"U": rng.uniform(-bound, bound, (H, D)), "W": rng.uniform(-bound, bound, (H, H)),
              "V": rng.uniform(-bound, bound, (O, H)), "b": rng.uniform(-bound, bound, H),
              "c": rng.uniform(-bound, bound, O)}
    return params, rng.normal(size=(T, B, D)), rng.normal(size=(T, B, O))


# ------------------------------------------------------------------ NumPy

def numpy_bptt(P, xs, ys):
    """The baseline: one copy of the cell per step, forward then backward."""
    U, W, V, b, c = (P[n] for n in NAMES)
    T, B = xs.shape[:2]
    s = np.zeros((B, W.shape[0]))
    states, errors, loss = [s], [], 0.0
    for t in range(T):
        s = np.tanh(xs[t] @ U.T + s @ W.T + b)
        e = s @ V.T + c - ys[t]                 # o_t - y_t
        loss += 0.5 * np.vdot(e, e)
        states.append(s)
        errors.append(e)
    dU, dW, dV = np.zeros_like(U), np.zeros_like(W), np.zeros_like(V)
    db, dc = np.zeros_like(b), np.zeros_like(c)
    d_next = np.zeros_like(s)
    for t in reversed(range(T)):
        do = errors[t] / T                      # dL/do_t
        dV += do.T @ states[t + 1]
        dc += do.sum(axis=0)
        ds = do @ V + d_next                    # dL/ds_t
        da = ds * (1 - states[t + 1] ** 2)      # through tanh
        dU += da.T @ xs[t]
        dW += da.T @ states[t]
        db += da.sum(axis=0)
        d_next = da @ W
    return loss / T, {"U": dU, "W": dW, "V": dV, "b": db, "c": dc}


def numpy_hoisted(P, xs, ys):
    """Reference only: U x_t and V s_t for all t in one matmul each."""
    U, W, V, b, c = (P[n] for n in NAMES)
    T, B, D = xs.shape
    H = W.shape[0]
    pre = (xs.reshape(-1, D) @ U.T + b).reshape(T, B, H)
    S = np.empty((T + 1, B, H))
    S[0] = 0
    for t in range(T):
        S[t + 1] = np.tanh(pre[t] + S[t] @ W.T)
    E = S[1:] @ V.T + c - ys
    loss = 0.5 * np.vdot(E, E) / T
    dO = E / T
    dV = dO.reshape(-1, dO.shape[-1]).T @ S[1:].reshape(-1, H)
    dS = dO @ V
    dA = np.empty_like(dS)
    d_next = np.zeros((B, H))
    for t in reversed(range(T)):
        dA[t] = (dS[t] + d_next) * (1 - S[t + 1] ** 2)
        d_next = dA[t] @ W
    flat = dA.reshape(-1, H)
    return loss, {"U": flat.T @ xs.reshape(-1, D), "W": flat.T @ S[:-1].reshape(-1, H),
                  "V": dV, "b": flat.sum(axis=0), "c": dO.sum(axis=(0, 1))}


# --------------------------------------------------------------- minigrad

def minigrad_rnn(P, xs, ys, contributions=False):
    """Through the library: rnn.RNN + rnn.bptt.  Its E_t = ||o_t - y_t||² has no ½,
    so its loss and gradients are twice the workload's (the same ops, one factor
    apart).  The check divides by ``scale``; the timed call does only the library's work."""
    mine = _MINIGRAD[id(P)]
    result = rnn.bptt(mine["model"], mine["xs"], mine["ys"], loss="mse", reduction="mean",
                      contributions=contributions)
    return result.loss, result.grads


minigrad_rnn.scale = 2.0


def minigrad_ops(P, xs, ys):
    """Raw tensor ops: the same loop written against minigrad directly."""
    mine = _MINIGRAD[id(P)]
    params = mine["raw"]
    U, W, V, b, c = params
    for p in params:
        p.grad = None
    T, B = xs.shape[:2]
    s = mg.zeros(B, W.shape[0])
    costs = []
    for x_t, y_t in zip(mg.unbind(mine["xs"]), mg.unbind(mine["ys"])):   # the steps' slices
        s = mg.linear((x_t, s), (U, W), b).tanh()
        costs.append(mg.mse_loss(mg.linear(s, V, c), y_t, reduction="sum"))
    loss = mg.stack(costs).sum() * (0.5 / T)
    loss.backward()
    return loss.item(), {n: p.grad for n, p in zip(NAMES, params)}


def minigrad_plain(P, xs, ys):
    """The peers' plain loop, line for line, on minigrad tensors."""
    mine = _MINIGRAD[id(P)]
    U, W, V, b, c = mine["plain"]
    for p in (U, W, V, b, c):
        p.grad = None
    txs, tys = mine["xs"], mine["ys"]
    s = mg.zeros(xs.shape[1], W.shape[0])
    loss = 0
    for t in range(xs.shape[0]):
        s = (txs[t] @ U.T + s @ W.T + b).tanh()
        loss = loss + 0.5 * ((s @ V.T + c - tys[t]) ** 2).sum()
    loss = loss / xs.shape[0]
    loss.backward()
    return loss.item(), {n: p.grad for n, p in zip(NAMES, (U, W, V, b, c))}


_MINIGRAD = {}


def prepare_minigrad(P, xs, ys):
    """minigrad's parameters, and the data as tensors, made before timing: every engine
    gets its data in its own tensor type (PyTorch's rows get torch.tensor(xs) in the
    same way), so no timed call copies the data set."""
    H, D = P["U"].shape
    model = rnn.RNN(D, H, P["V"].shape[0])
    for name in NAMES:
        getattr(model, name).data[...] = P[name]
    _MINIGRAD[id(P)] = {
        "model": model, "xs": mg.tensor(xs), "ys": mg.tensor(ys),
        "raw": [mg.tensor(P[n], requires_grad=True) for n in NAMES],
        "plain": [mg.tensor(P[n], requires_grad=True) for n in NAMES]}


# ------------------------------------------------------------ the peers

def torch_engines():
    try:
        import torch
    except ImportError:
        return {}
    torch.set_num_threads(1)
    torch.set_default_dtype(torch.float64)

    def eager(P, xs, ys):
        U, W, V, b, c = (_TORCH[id(P)][n] for n in NAMES)
        for p in (U, W, V, b, c):
            p.grad = None
        txs, tys = _TORCH[id(P)]["xs"], _TORCH[id(P)]["ys"]
        s = torch.zeros(xs.shape[1], W.shape[0])
        loss = 0
        for t in range(xs.shape[0]):
            s = torch.tanh(txs[t] @ U.T + s @ W.T + b)
            loss = loss + 0.5 * ((s @ V.T + c - tys[t]) ** 2).sum()
        loss = loss / xs.shape[0]
        loss.backward()
        return loss.item(), {n: _TORCH[id(P)][n].grad.numpy() for n in NAMES}

    def fused(P, xs, ys):
        cell, head = _TORCH[id(P)]["fused"]
        cell.zero_grad()
        head.zero_grad()
        out, _ = cell(_TORCH[id(P)]["xs"])
        e = head(out) - _TORCH[id(P)]["ys"]
        loss = 0.5 * (e ** 2).sum() / xs.shape[0]
        loss.backward()
        b = cell.bias_ih_l0.grad.numpy()
        return loss.item(), {"U": cell.weight_ih_l0.grad.numpy(),
                             "W": cell.weight_hh_l0.grad.numpy(),
                             "V": head.weight.grad.numpy(), "b": b,
                             "c": head.bias.grad.numpy()}

    def prepare(P, xs, ys):
        tensors = {n: torch.tensor(P[n], requires_grad=True) for n in NAMES}
        tensors["xs"], tensors["ys"] = torch.tensor(xs), torch.tensor(ys)
        H, D = P["U"].shape
        cell = torch.nn.RNN(D, H)
        head = torch.nn.Linear(H, P["V"].shape[0])
        with torch.no_grad():
            cell.weight_ih_l0.copy_(torch.tensor(P["U"]))
            cell.weight_hh_l0.copy_(torch.tensor(P["W"]))
            cell.bias_ih_l0.copy_(torch.tensor(P["b"]))
            cell.bias_hh_l0.zero_()
            head.weight.copy_(torch.tensor(P["V"]))
            head.bias.copy_(torch.tensor(P["c"]))
        tensors["fused"] = (cell, head)
        _TORCH[id(P)] = tensors

    return {"PyTorch eager f64 (cell loop)": (eager, prepare),
            "PyTorch fused nn.RNN (reference)": (fused, prepare)}


_TORCH = {}


def autograd_engine():
    try:
        import autograd
        import autograd.numpy as anp
    except ImportError:
        return {}

    def loss_fn(params, xs, ys):
        U, W, V, b, c = params
        s = anp.zeros((xs.shape[1], W.shape[0]))
        total = 0.0
        for t in range(xs.shape[0]):
            s = anp.tanh(anp.dot(xs[t], U.T) + anp.dot(s, W.T) + b)
            e = anp.dot(s, V.T) + c - ys[t]
            total = total + 0.5 * anp.sum(e * e)
        return total / xs.shape[0]

    value_and_grad = autograd.value_and_grad(loss_fn)

    def run(P, xs, ys):
        loss, grads = value_and_grad([P[n] for n in NAMES], xs, ys)
        return loss, dict(zip(NAMES, grads))

    return {"HIPS autograd": (run, None)}


def mygrad_engine():
    try:
        import mygrad
    except ImportError:
        return {}

    def run(P, xs, ys):
        U, W, V, b, c = (mygrad.tensor(P[n]) for n in NAMES)
        s = mygrad.zeros((xs.shape[1], W.shape[0]))
        total = 0
        for t in range(xs.shape[0]):
            s = mygrad.tanh(mygrad.matmul(xs[t], U.T) + mygrad.matmul(s, W.T) + b)
            e = mygrad.matmul(s, V.T) + c - ys[t]
            total = total + 0.5 * mygrad.sum(e * e)
        loss = total / xs.shape[0]
        loss.backward()
        return loss.item(), {n: p.grad for n, p in zip(NAMES, (U, W, V, b, c))}

    return {"MyGrad": (run, None)}


# ------------------------------------------------------------- measuring

def median_times(fns, repeats, budget):
    """Median seconds per call for each function, timed in interleaved rounds.

    Each round calls every function once, so all of them see the same
    machine: a slow spell hits every engine, not just one.
    """
    for fn in fns.values():
        fn()                                      # warm up
    samples = {label: [] for label in fns}
    start = time.perf_counter()
    rounds = 0
    while rounds < repeats or (time.perf_counter() - start < budget * len(fns)
                               and rounds < 200):
        for label, fn in fns.items():
            t0 = time.perf_counter()
            fn()
            samples[label].append(time.perf_counter() - t0)
        rounds += 1
    return {label: statistics.median(ts) for label, ts in samples.items()}


def peak_memory(fn):
    gc.collect()
    tracemalloc.start()
    fn()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak


def agree(loss, grads, ref_loss, ref_grads, rtol=1e-9):
    worst = abs(loss - ref_loss) / max(abs(ref_loss), 1e-300)
    for n in NAMES:
        scale = max(np.max(np.abs(ref_grads[n])), 1e-300)
        worst = max(worst, float(np.max(np.abs(np.asarray(grads[n]) - ref_grads[n])) / scale))
    return worst <= rtol, worst


def run_workload(name, shape, engines, repeats, budget, report_memory=True):
    B, D, H, O, T = shape
    P, xs, ys = make_problem(B, D, H, O, T)
    prepare_minigrad(P, xs, ys)
    print(f"\n== workload {name}: B={B} D={D} H={H} O={O} T={T} "
          f"(float64, one thread) ==")
    ref_loss, ref_grads = numpy_bptt(P, xs, ys)
    ok = True
    checked = {}
    for label, (fn, prepare) in engines.items():    # gradients first, then timings
        if prepare is not None:
            prepare(P, xs, ys)
        loss, grads = fn(P, xs, ys)
        scale = getattr(fn, "scale", 1.0)          # this engine's L / the workload's L
        good, err = agree(loss / scale, {n: np.asarray(g) / scale for n, g in grads.items()},
                          ref_loss, ref_grads)
        if not good:
            print(f"  {label}: GRADIENTS DISAGREE with the NumPy baseline "
                  f"(max relative error {err:.2e})")
            ok = False
            continue
        checked[label] = (lambda fn=fn: fn(P, xs, ys), err)
    seconds = median_times({label: run for label, (run, _) in checked.items()}, repeats,
                           budget)
    rows = []
    for label, (run, err) in checked.items():
        memory = peak_memory(run) if report_memory and not label.startswith("PyTorch") \
            else None
        rows.append((label, seconds[label], memory, err))
    base_t = rows[0][1]
    base_m = rows[0][2]
    print(f"  {'engine':40s} {'median':>10s} {'x NumPy':>8s} {'peak mem':>10s} "
          f"{'x NumPy':>8s} {'grad err':>9s}")
    ratios = {}
    for label, seconds, memory, err in rows:
        mem = f"{memory / 1e6:8.2f}MB" if memory is not None else "    (n/a)"
        mem_ratio = f"{memory / base_m:8.2f}" if memory is not None and base_m else "        "
        print(f"  {label:40s} {seconds * 1e3:8.2f}ms {seconds / base_t:8.2f} {mem} "
              f"{mem_ratio} {err:9.1e}")
        ratios[label] = (seconds / base_t, memory / base_m if memory and base_m else None)
    return ok, ratios


def contributions_overhead(repeats, budget):
    B, D, H, O, T = WORKLOADS["M"]
    P, xs, ys = make_problem(B, D, H, O, T)
    prepare_minigrad(P, xs, ys)
    times = median_times({"plain": lambda: minigrad_rnn(P, xs, ys),
                          "parts": lambda: minigrad_rnn(P, xs, ys, contributions=True)},
                         repeats, budget)
    plain, with_parts = times["plain"], times["parts"]
    print(f"\n== per-copy contributions on M: {plain * 1e3:.2f} ms without, "
          f"{with_parts * 1e3:.2f} ms with: {100 * (with_parts / plain - 1):+.1f}% ==")


def long_sequence(T=100_000):
    B, D, H, O, _ = WORKLOADS["L"]
    print(f"\n== T = {T:,} steps of workload L's shape ==")
    for steps in (T // 10, T):
        P, xs, ys = make_problem(B, D, H, O, steps)
        prepare_minigrad(P, xs, ys)
        t0 = time.perf_counter()
        numpy_bptt(P, xs, ys)
        t_np = time.perf_counter() - t0
        mem_np = peak_memory(lambda: numpy_bptt(P, xs, ys))
        t0 = time.perf_counter()
        minigrad_ops(P, xs, ys)
        t_mg = time.perf_counter() - t0
        mem_mg = peak_memory(lambda: minigrad_ops(P, xs, ys))
        print(f"  T={steps:>7,}: NumPy {t_np:6.2f}s {mem_np / 1e6:7.1f}MB | minigrad "
              f"{t_mg:6.2f}s ({t_mg / t_np:.2f}x) {mem_mg / 1e6:7.1f}MB "
              f"({mem_mg / mem_np:.2f}x)")


# ------------------------------------------------------- µs per op

def chain_engines():
    """Each engine's y = y * w + w, n times, then the sum's backward: {name: run(n)}."""
    engines = {}
    w0, y0 = np.full(4, 0.9999), np.linspace(0.1, 0.4, 4)

    def minigrad_chain(n):
        w = mg.tensor(w0, requires_grad=True)
        y = mg.tensor(y0)
        for _ in range(n // 2):
            y = y * w + w
        y.sum().backward()
        return w.grad
    engines["minigrad"] = minigrad_chain

    try:
        import torch
        torch.set_num_threads(1)

        def torch_chain(n):
            w = torch.tensor(w0, requires_grad=True)
            y = torch.tensor(y0)
            for _ in range(n // 2):
                y = y * w + w
            y.sum().backward()
            return w.grad.numpy()
        engines["PyTorch eager"] = torch_chain
    except ImportError:
        pass
    try:
        import autograd
        import autograd.numpy as anp

        def f(w):
            y = y0
            for _ in range(N_HOLDER[0] // 2):
                y = y * w + w
            return anp.sum(y)
        grad_f = autograd.grad(f)

        def autograd_chain(n):
            N_HOLDER[0] = n
            return grad_f(w0)
        engines["HIPS autograd"] = autograd_chain
    except ImportError:
        pass
    try:
        import mygrad

        def mygrad_chain(n):
            w = mygrad.tensor(w0)
            y = mygrad.tensor(y0, constant=True)
            for _ in range(n // 2):
                y = y * w + w
            y.sum().backward()
            return w.grad
        engines["MyGrad"] = mygrad_chain
    except ImportError:
        pass
    try:
        from micrograd.engine import Value

        def micrograd_chain(n):     # one scalar, as micrograd has: 4 chains would be 4n ops
            w = Value(float(w0[0]))
            y = Value(float(y0[0]))
            for _ in range(n // 2):
                y = y * w + w
            y.backward()            # recursive: run in a thread with a deep stack (below)
            return np.array([w.grad])
        engines["micrograd (scalar Value)"] = micrograd_chain
    except ImportError:
        pass
    return engines


N_HOLDER = [0]


def _deep_stack(fn, *args):
    """Run fn in a thread with room for micrograd's recursive backward on 20,000 nodes."""
    import threading
    result = {}
    old = sys.getrecursionlimit()
    sys.setrecursionlimit(200_000)
    threading.stack_size(512 * 1024 * 1024)
    try:
        thread = threading.Thread(target=lambda: result.setdefault("out", fn(*args)))
        thread.start()
        thread.join()
    finally:
        threading.stack_size(0)
        sys.setrecursionlimit(old)
    return result.get("out")


def per_op(n=20_000, repeats=5):
    """µs per op (forward + backward) on an n-op chain, every engine, interleaved rounds."""
    print(f"\n== µs per op, forward + backward, on a chain of {n:,} ops "
          f"(y = y * w + w; 4 numbers, micrograd 1) ==")
    engines = chain_engines()
    reference = None
    runs = {}
    for name, chain in engines.items():
        run = (lambda chain=chain: _deep_stack(chain, n)) if name.startswith("micro") else \
            (lambda chain=chain: chain(n))
        grad = np.asarray(run(), dtype=float)
        reference = grad[:1] if reference is None else reference
        if not np.allclose(grad[:1], reference, rtol=1e-9):
            print(f"  {name}: GRADIENT DISAGREES ({grad[:1]} vs {reference})")
            continue
        runs[name] = run
    seconds = median_times(runs, repeats, 0)
    base = seconds.get("minigrad")
    for name, sec in seconds.items():
        ratio = f"{sec / base:6.2f}x minigrad" if base else ""
        print(f"  {name:28s} {sec / n * 1e6:8.2f} µs/op   {ratio}")
    return seconds


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--workloads", default="S,M,L", help="comma-separated, e.g. S,L")
    parser.add_argument("--repeats", type=int, default=11, help="timed rounds (at least)")
    parser.add_argument("--budget", type=float, default=2.0,
                        help="keep timing rounds until about this many seconds per engine")
    parser.add_argument("--long", action="store_true", help="also run T = 100,000 steps")
    parser.add_argument("--tiny", action="store_true", help="tiny sizes: a smoke test")
    parser.add_argument("--skip-per-op", action="store_true", help="no µs-per-op table")
    harness.add_allocator_option(parser)
    args = parser.parse_args(argv)
    harness.set_up_allocator(args)

    engines = {
        "NumPy hand-written BPTT (baseline)": (numpy_bptt, None),
        "NumPy, projections hoisted (reference)": (numpy_hoisted, None),
        "minigrad: rnn.RNN + rnn.bptt": (minigrad_rnn, None),
        "minigrad: raw Tensor ops": (minigrad_ops, None),
        "minigrad, plain loop (the peers' code)": (minigrad_plain, None),
    }
    engines.update(torch_engines())
    engines.update(autograd_engine())
    engines.update(mygrad_engine())

    workloads = {k: WORKLOADS[k] for k in args.workloads.split(",")}
    if args.tiny:
        workloads = {"tiny": (2, 3, 4, 2, 5)}
        args.repeats, args.budget = 2, 0.05
    ok = True
    summary = {}
    for name, shape in workloads.items():
        good, ratios = run_workload(name, shape, engines, args.repeats, args.budget)
        ok &= good
        summary[name] = ratios
    if not args.tiny:
        contributions_overhead(args.repeats, args.budget)
        print("\n== minigrad against the targets (time and memory, x the NumPy baseline) ==")
        for name, ratios in summary.items():
            t_rnn, m_rnn = ratios.get("minigrad: rnn.RNN + rnn.bptt", (None, None))
            t_raw, m_raw = ratios.get("minigrad: raw Tensor ops", (None, None))
            mem_target = MEMORY_TARGETS.get(name)
            target_rnn, target_raw = TARGETS[name]
            print(f"  {name}: time {t_rnn:.2f} (rnn.bptt) / {t_raw:.2f} (raw ops), targets "
                  f"<= {target_rnn} / {target_raw};  memory {m_rnn:.2f} / {m_raw:.2f}"
                  + (f", target <= {mem_target}" if mem_target else ""))
    if not args.skip_per_op:
        per_op(200 if args.tiny else 20_000, 2 if args.tiny else 5)
    if args.long:
        long_sequence()
    if not ok:
        print("\nFAILED: some engine's gradients disagree with the NumPy baseline")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
