"""How long it takes to draw an unrolled RNN op by op, against Graphviz's defaults.

For T = 50 and T = 200 steps of a tanh RNN (every op drawn, no elision) this
times, in one run:

  minigrad    rnn.bptt + viz.draw_unrolled (pinned positions, neato) → SVG
  plain DOT   the same minigrad graph written as plain DOT by hand, laid out by
              `dot` with its default settings (the baseline a student would write)
  PyTorch     the same network's autograd graph, walked from loss.grad_fn the
              way torchviz does, laid out by `dot` with its default settings

and prints each baseline's time as a multiple of minigrad's.  A baseline that
runs past --timeout is stopped and shown as "> timeout".

Usage:
    python benchmarks/bench_viz.py                 # T = 50 and 200
    python benchmarks/bench_viz.py --steps 20,50   # other lengths
    python benchmarks/bench_viz.py --tiny          # a seconds-long smoke run (used by a test)
"""

import argparse
import os
import re
import statistics
import subprocess
import sys
import time

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
import rnn                                    # noqa: E402
import viz                                    # noqa: E402
from viz.read import collect                  # noqa: E402

D, H, O = 2, 8, 1                             # sizes do not change the drawing, only labels
TARGETS = {50: 2.0, 200: 10.0}                # seconds, build + SVG


def layout(source, engine="dot", timeout=None):
    """Seconds for Graphviz to turn DOT text into SVG, or None past the timeout."""
    start = time.perf_counter()
    try:
        subprocess.run([engine, "-Tsvg", "-o", os.devnull], input=source.encode(),
                       check=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return None
    return time.perf_counter() - start


def problem(T, seed=0):
    rng = np.random.default_rng(seed)
    return rnn.RNN(D, H, O, rng=seed), rng.normal(size=(T, D)), rng.normal(size=(T, O))


def minigrad_drawing(T):
    """(seconds to build, seconds to render, nodes drawn)."""
    model, xs, ys = problem(T)
    start = time.perf_counter()
    result = rnn.bptt(model, xs, ys, contributions=True, retain_grads=True)
    graph = viz.draw_unrolled(result.loss_tensor, elide=False)
    built = time.perf_counter() - start
    rendered = layout(graph.source, graph.engine)
    return built, rendered, count_nodes(graph.source)


def count_nodes(source):
    """Node statements in DOT text: `id [attrs]` lines that are not edges or defaults."""
    return sum(1 for line in source.splitlines()
               if re.match(r"\s*[\w\"]+ \[", line) and "->" not in line
               and not re.match(r"\s*(graph|node|edge) \[", line))


def plain_dot(T):
    """The same minigrad graph as a student would write it: one DOT line per node and edge."""
    model, xs, ys = problem(T)
    loss = rnn.bptt(model, xs, ys).loss_tensor
    g = collect(loss)
    lines = ["digraph {"]
    for node in g.nodes:
        lines.append(f'  n{id(node)} [label="{node.op}\\n{node.shape}"];')
    for leaf in g.leaves:
        lines.append(f'  n{id(leaf)} [label="{leaf.name or "const"}\\n{leaf.shape}" shape=box];')
    for e in g.edges:
        lines.append(f"  n{id(e.src)} -> n{id(e.dst)};")
    lines.append("}")
    return "\n".join(lines), len(g.nodes) + len(g.leaves)


def torch_dot(T, torch):
    """PyTorch's autograd graph of the same RNN, walked from grad_fn as torchviz does."""
    model, xs, ys = problem(T)
    P = {n: torch.tensor(p.data, requires_grad=True) for n, p in model.named_parameters()}
    s = torch.zeros(H, dtype=torch.float64)
    loss = 0
    for x, y in zip(torch.tensor(xs), torch.tensor(ys)):
        s = torch.tanh(P["U"] @ x + P["W"] @ s + P["b"])
        loss = loss + ((P["V"] @ s + P["c"] - y) ** 2).sum()
    names = {id(p): n for n, p in P.items()}
    lines, seen, stack = ["digraph {"], set(), [loss.grad_fn]
    while stack:
        fn = stack.pop()
        if id(fn) in seen:
            continue
        seen.add(id(fn))
        variable = getattr(fn, "variable", None)            # AccumulateGrad: a parameter
        label = names.get(id(variable), type(fn).__name__)
        lines.append(f'  n{id(fn)} [label="{label}"];')
        for parent, _ in fn.next_functions:
            if parent is not None:
                lines.append(f"  n{id(parent)} -> n{id(fn)};")
                stack.append(parent)
    lines.append("}")
    return "\n".join(lines), len(seen)


def fmt(seconds, timeout):
    return f"> {timeout:g} s" if seconds is None else f"{seconds:.2f} s"


def ratio(seconds, ours, timeout):
    return f"> {timeout / ours:.0f}x" if seconds is None else f"{seconds / ours:.1f}x"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", default="50,200", help="comma-separated sequence lengths")
    parser.add_argument("--repeats", type=int, default=3, help="minigrad runs (median)")
    parser.add_argument("--timeout", type=float, default=60.0,
                        help="seconds before a baseline layout is stopped")
    parser.add_argument("--tiny", action="store_true", help="T = 5 only: a smoke test")
    args = parser.parse_args(argv)
    steps = [5] if args.tiny else [int(t) for t in args.steps.split(",")]
    viz.render.check_dot("bench_viz")
    try:
        import torch
    except ImportError:
        torch = None
        print("PyTorch is not installed: its column is skipped (pip install torch==2.13.0)")

    version = subprocess.run(["dot", "-V"], capture_output=True, text=True).stderr
    version = re.search(r"version\s+(\S+)", version)
    print(f"tanh RNN D={D} H={H} O={O}, every op drawn, no elision; SVG via Graphviz "
          f"{version.group(1) if version else '(unknown version)'}")
    header = (f"{'T':>4}  {'drawn':>6}  {'build':>7}  {'render':>7}  {'minigrad':>9}  "
              f"{'target':>7}  | {'plain DOT':>22}  | {'PyTorch graph':>22}")
    print(header)
    print("-" * len(header))
    failed = False
    for T in steps:
        runs = [minigrad_drawing(T) for _ in range(args.repeats)]
        built = statistics.median(r[0] for r in runs)
        rendered = statistics.median(r[1] for r in runs)
        ours = built + rendered
        target = TARGETS.get(T)
        if target is not None and ours > target:
            failed = True
        source, n_plain = plain_dot(T)
        plain = layout(source, timeout=args.timeout)
        cells = [f"{n_plain} nodes {fmt(plain, args.timeout)} {ratio(plain, ours, args.timeout)}"]
        if torch is not None:
            source, n_torch = torch_dot(T, torch)
            t_torch = layout(source, timeout=args.timeout)
            cells.append(f"{n_torch} nodes {fmt(t_torch, args.timeout)} "
                         f"{ratio(t_torch, ours, args.timeout)}")
        else:
            cells.append("skipped")
        print(f"{T:>4}  {runs[0][2]:>6}  {built:>6.2f}s  {rendered:>6.2f}s  {ours:>8.2f}s  "
              f"{(f'{target:g} s' if target else '-'):>7}  | {cells[0]:>22}  | {cells[1]:>22}")
    print("baselines are shown as their time and as a multiple of minigrad's total")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
