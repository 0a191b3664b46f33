"""benchmarks/bench_memory.py keeps working: a tiny run checks that every checkpointed
gradient equals full BPTT's and prints each of its tables (timings are not checked;
the memory it measures is, where it is deterministic)."""

import os
import re
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def test_bench_memory_tiny_run(tmp_path):
    plot = tmp_path / "sweep.png"
    done = subprocess.run([sys.executable, os.path.join(ROOT, "benchmarks", "bench_memory.py"),
                           "--tiny", "--million", "--compare", "--breakdown", "--plot", str(plot)],
                          capture_output=True, text=True, timeout=600,
                          env=dict(os.environ, OMP_NUM_THREADS="1"))
    assert done.returncode == 0, done.stdout + done.stderr
    out = done.stdout
    assert "DIFFER" not in out
    rows = re.findall(r"^\s+([\d,]+)\s+(\"sqrt\"|\d+) (sqrt|Revolve).*?MB, \d+ ms\s+([\d.]+) \[",
                      out, re.M)
    assert [(T, memory) for T, memory, _, _ in rows] == [("120", '"sqrt"'), ("600", "8")]
    for *_, ratio in rows:
        assert 0 < float(ratio) < 1                         # checkpointing held less
    assert re.search(r"peak RSS growth [\d.]+ \[.*µs a step, [\d.]+ \[.*x full BPTT's time",
                     out)
    collector = re.search(r'^\s+"sqrt"\s+([\d.]+) .* ([\d.]+)$', out.split("garbage collector")[1],
                          re.M)
    assert float(collector.group(2)) <= 1.10                # the same peak whatever the collector
    compared = re.findall(r"^\s+60\s+(\d+)\s+([\d.]+)\s+\d+kB", out, re.M)
    assert [budget for budget, _ in compared] == ["3", "8"]
    assert len(re.findall(r"^\s+[\d.]+ kB\s+\d+ blocks  (rnn|minigrad)/", out, re.M)) >= 10
    sweep = re.findall(r"^\s+(\d+)\s+([\d.]+)\s+[\d.]+\s+([\d.]+)\s+[\d.]+$", out, re.M)
    assert [int(b) for b, _, _ in sweep] == [1, 3, 8, 40]
    assert float(sweep[0][1]) == (40 * 41 / 2) / 40         # budget 1: T(T+1)/2 steps
    assert float(sweep[-1][1]) == 1.0 and float(sweep[-1][2]) == 1.0     # budget T: full
    assert plot.exists() and plot.stat().st_size > 10_000
