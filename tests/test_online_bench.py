"""benchmarks/bench_online.py keeps working: a tiny run checks the exact rules and
prints a time, a memory figure and a slope for every rule and for BPTT."""

import os
import subprocess
import sys

ROOT = os.path.join(os.path.dirname(__file__), "..")


def test_bench_online_tiny_checks_and_prints_every_rule():
    done = subprocess.run([sys.executable, os.path.join(ROOT, "benchmarks", "bench_online.py"),
                           "--tiny", "--no-plot"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    out = done.stdout
    assert "check: rtrl and tbptt-7 equal BPTT to 1e-12" in out
    slopes = out.split("log-log slopes")[1].splitlines()[2:]
    assert [line.split()[0] for line in slopes if line.strip()] == \
        ["rtrl", "uoro", "kf-rtrl", "snap-1", "rflo", "tbptt-8", "bptt"]
    for line in slopes:
        if line.strip():
            float(line.split()[1])                                 # a fitted slope
