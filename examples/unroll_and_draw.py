"""Unroll a small RNN, back-propagate once, and draw the unrolled graph.

    python examples/unroll_and_draw.py        # writes out/example_unrolled.svg and .png
"""
import numpy as np

import rnn
import viz

model = rnn.RNN(input_size=2, hidden_size=3, output_size=1, rng=0)   # U (3,2), W (3,3), V (1,3)
rng = np.random.default_rng(0)
xs, ys = rng.normal(size=(4, 2)), rng.normal(size=(4, 1))            # T = 4 steps, time first

result = rnn.bptt(model, xs, ys, contributions=True, retain_grads=True)
print(f"L = {result.loss:.4f}")
print("dL/dW is the sum of the four copies' terms:")
for scope, term in result.contributions["W"].items():
    print(f"  {scope}: ||term|| = {np.linalg.norm(term):.4f}")

graph = viz.draw_unrolled(result.loss_tensor)           # every op, one box per time step
for path in ("out/example_unrolled.svg", "out/example_unrolled.png"):
    print("wrote", viz.save(graph, path))
print("wrote", viz.save(viz.draw_unrolled(result.loss_tensor, detail="cells"),
                        "out/example_cells.svg"))
