"""Truncated BPTT(k1, k2) on a sine wave, and what one update's gradient reaches.

    python examples/truncated_bptt.py         # also writes out/tbptt_*.svg
"""
import numpy as np

import minigrad as mg
import rnn
import viz

wave = np.sin(np.linspace(0, 12, 41))[:, None]
xs, ys = wave[:-1], wave[1:]                     # predict the next value: 40 steps

for k1, k2 in [(40, 40), (10, 10), (5, 15), (10, 3)]:
    model = rnn.RNN(1, 8, 1, rng=0)
    run = rnn.tbptt(model, xs, ys, k1=k1, k2=k2, reduction="mean",
                    optimizer=mg.optim.Adam(model.parameters(), lr=0.02))
    windows = ", ".join(f"{u.window[0]}-{u.window[1]}" for u in run.updates[:4])
    print(f"TBPTT(k1={k1:2d}, k2={k2:2d}): {len(run.updates)} updates, gradient windows "
          f"{windows}{', ...' if len(run.updates) > 4 else ''}")

# The encyclopedia's version: a window of k steps sliding by one.
model = rnn.RNN(1, 8, 1, rng=0)
run = rnn.sliding_window_bptt(model, xs, ys, k=6, optimizer=mg.optim.SGD(model.parameters(),
                                                                           lr=0.05))
print(f"sliding window of 6: {len(run.updates)} updates, first windows "
      f"{[u.window for u in run.updates[:3]]}")

model = rnn.RNN(1, 4, 1, rng=0)
run = rnn.tbptt(model, xs[:16], ys[:16], k1=4, k2=8, optimizer=None)
print("wrote", viz.save(viz.draw_truncation(run, update=2), "out/tbptt_schedule.svg"))
print("wrote", viz.save(viz.draw_unrolled(run.last_loss_tensor), "out/tbptt_graph.svg"))
