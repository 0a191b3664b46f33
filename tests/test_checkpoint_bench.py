"""benchmarks/bench_memory.py keeps working: a tiny run checks that every checkpointed
gradient equals full BPTT's and prints its table and sweep (timings are not checked)."""

import os
import re
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def test_bench_memory_tiny_run(tmp_path):
    plot = tmp_path / "sweep.png"
    done = subprocess.run([sys.executable, os.path.join(ROOT, "benchmarks", "bench_memory.py"),
                           "--tiny", "--plot", str(plot)],
                          capture_output=True, text=True, timeout=300,
                          env=dict(os.environ, OMP_NUM_THREADS="1"))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "DIFFER" not in done.stdout
    rows = [line for line in done.stdout.splitlines() if re.match(r"\s+[\d,]+\s+(DP|sqrt)", line)]
    assert len(rows) == 2                                   # T = 60 (DP plan) and 2000 (sqrt)
    for row in rows:
        memory_ratio = float(row.split("MB")[2].split()[0])
        assert 0 < memory_ratio < 1, row                    # checkpointing held less
    sweep = re.findall(r"^\s+(\d+)\s+([\d.]+)\s+[\d.]+\s+([\d.]+)\s+[\d.]+$", done.stdout, re.M)
    assert [int(b) for b, _, _ in sweep] == [1, 3, 8, 40]
    assert float(sweep[0][1]) == (40 * 41 / 2) / 40         # budget 1: T(T+1)/2 steps
    assert float(sweep[-1][1]) == 1.0 and float(sweep[-1][2]) == 1.0     # budget T: full
    assert plot.exists() and plot.stat().st_size > 10_000
