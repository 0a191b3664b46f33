"""The benchmark scripts keep working: each runs once on tiny sizes.

Timings are never checked here (they belong to `make bench`); only that the
scripts run, check gradients, and print their tables.
"""

import os
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def run_script(name, *args):
    env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1")
    return subprocess.run([sys.executable, os.path.join(ROOT, "benchmarks", name), *args],
                          capture_output=True, text=True, timeout=300, env=env)


def test_bench_bptt_tiny_checks_gradients_and_prints_ratios():
    done = run_script("bench_bptt.py", "--tiny")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "NumPy hand-written BPTT (baseline)" in done.stdout
    rows = [line for line in done.stdout.splitlines() if line.strip().startswith("minigrad:")]
    assert len(rows) == 2                                  # rnn.bptt and raw Tensor ops
    for row in rows:
        grad_err = float(row.split()[-1])
        assert grad_err < 1e-10, row


def test_bench_viz_tiny_draws_and_times_every_column():
    pytest.importorskip("graphviz")
    done = run_script("bench_viz.py", "--tiny")
    assert done.returncode == 0, done.stdout + done.stderr
    row = next(line for line in done.stdout.splitlines() if line.split()[:1] == ["5"])
    # T=5: minigrad draws its nodes; both baselines were laid out (not timed out)
    assert int(row.split()[1]) > 5 * 5
    assert row.count("nodes") == 2 or "skipped" in row
