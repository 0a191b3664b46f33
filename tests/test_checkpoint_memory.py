"""What a checkpointed call holds, measured with tracemalloc (bytes, not time): no term
that grows with T besides the T step costs, no copy of the caller's inputs, and no
dependence on when Python's garbage collector runs."""

import gc
import os
import subprocess
import sys
import textwrap
import tracemalloc

import numpy as np

import rnn

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def peak_growth(fn):
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    fn()
    peak = tracemalloc.get_traced_memory()[1] - before
    tracemalloc.stop()
    return peak


def l_shape(T, seed=0):
    rng = np.random.default_rng(seed)
    return rnn.RNN(4, 16, 4, rng=seed), rng.normal(size=(T, 1, 4)), rng.normal(size=(T, 1, 4))


def test_nothing_grows_with_T_but_the_step_costs():
    """Revolve with a budget of 20: 800 and 3200 steps hold as many states and the same
    segment; only the T step costs (8 bytes each, to sum L as full BPTT does) grow.
    (Before: a copy of xs, 32 bytes a step, and a probe of T zeros for dL/dE_t.)"""
    peaks = {}
    for T in (800, 3200):
        model, xs, ys = l_shape(T)
        plan = rnn.revolve_policy(T, 20, block=4)                  # the same segments
        rnn.bptt(model, xs, ys, memory=plan)                       # warm
        peaks[T] = peak_growth(lambda: rnn.bptt(model, xs, ys, memory=plan))
    assert peaks[3200] - peaks[800] < 2400 * 8 + 2000, peaks


def test_the_callers_inputs_are_read_in_place_and_stay_writable():
    T = 20_000
    model, xs, ys = l_shape(T)
    plan = rnn.revolve_policy(T, 30)
    full_W = rnn.bptt(model, xs[:50], ys[:50], memory="full").grads["W"]
    rnn.bptt(model, xs[:50], ys[:50], memory=3)                    # warm
    peak = peak_growth(lambda: rnn.bptt(model, xs, ys, memory=plan))
    assert peak < xs.nbytes / 2, (peak, xs.nbytes)                  # xs (640 kB) not copied
    assert xs.flags.writeable and ys.flags.writeable                # and not frozen either
    assert np.array_equal(rnn.bptt(model, xs[:50], ys[:50], memory=3).grads["W"], full_W)


def test_the_peak_does_not_depend_on_the_garbage_collector():
    """The same call under three collector settings, each in a fresh interpreter: the
    default thresholds, the collector off, and a collection after every allocation.
    (Before: linear's tuple(map(...)) and the carry's tuple(generator) left small tuples
    on CPython's free lists, and an op with 20 inputs left its tuples on 3.11's free
    list for 20 items, which it never reuses; only a full collection freed them.)"""
    script = textwrap.dedent("""
        import gc, sys, tracemalloc
        import numpy as np
        import rnn
        rng = np.random.default_rng(0)
        model = rnn.RNN(4, 16, 4, rng=0)
        T = int(sys.argv[3])
        xs, ys = rng.normal(size=(T, 1, 4)), rng.normal(size=(T, 1, 4))
        memory = {"sqrt": "sqrt", "20": 20,                 # segments of 20 steps:
                  "blocks of 20": rnn.revolve_policy(T, 40, block=20)}[sys.argv[2]]
        rnn.bptt(model, xs, ys, memory=memory)
        gc.collect()
        if sys.argv[1] == "off":
            gc.disable()
        elif sys.argv[1] == "often":
            gc.set_threshold(1, 1, 1)
        tracemalloc.start()
        before = tracemalloc.get_traced_memory()[0]
        rnn.bptt(model, xs, ys, memory=memory)
        print(tracemalloc.get_traced_memory()[1] - before)
    """)
    env = dict(os.environ, PYTHONPATH=ROOT)
    for memory, T in (("sqrt", "300"), ("20", "300"), ("blocks of 20", "1000")):
        peaks = [int(subprocess.run([sys.executable, "-c", script, setting, memory, T], env=env,
                                    capture_output=True, text=True, check=True).stdout)
                 for setting in ("default", "off", "often")]
        assert max(peaks) <= 1.10 * min(peaks), (memory, peaks)
