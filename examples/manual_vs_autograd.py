"""The same gradient by autograd, by the hand-written backward recursion, forward in
time (RTRL) and by finite differences; then copy by copy.

    python examples/manual_vs_autograd.py
"""
import numpy as np

import rnn

rng = np.random.default_rng(1)
xs, ys = rng.normal(size=(8, 3)), rng.normal(size=(8, 2))

for model in (rnn.RNN(3, 5, 2, rng=0), rnn.LSTM(3, 5, 2, rng=0), rnn.GRU(3, 5, 2, rng=0)):
    report = rnn.compare_gradients(model, xs, ys, reduction="mean")
    print(report, end="\n\n")
    assert report.ok(1e-10)

# Copy by copy: autograd's per-scope terms against the recursion's per-step terms.
model = rnn.RNN(3, 5, 2, rng=0)
auto = rnn.bptt(model, xs, ys, contributions=True)
by_hand = rnn.manual.backward(model, xs, ys)
print(" t   ||dW_t|| autograd   ||dW_t|| by hand   |difference|")
for t in range(1, 9):
    a = auto.contributions["W"][f"t={t}"]
    m = by_hand.per_step["W"][t - 1]
    print(f"{t:2d}   {np.linalg.norm(a):17.6f}   {np.linalg.norm(m):16.6f}   "
          f"{np.max(np.abs(a - m)):.1e}")
