"""Vanishing and exploding gradients: how far back in time does the gradient reach?

With a linear activation, dE_T/ds_t is multiplied by Wᵀ once per step back, so
its norm shrinks or grows like (spectral radius of W)^(T - t).

    python examples/vanishing_gradients.py    # also writes out/vanishing.svg and
                                              # out/gradient_flow.svg
"""
import numpy as np

import rnn
import viz

rng = np.random.default_rng(0)
T = 30
xs, ys = rng.normal(size=(T, 2)) * 0.1, rng.normal(size=(T, 1))

flows = {}
for radius in (0.5, 1.0, 1.5):
    model = rnn.RNN(2, 8, 1, activation="identity", rng=1)
    model.W.data *= radius / rnn.spectral_radius(model.W)
    flow = rnn.gradient_flow(model, xs, ys)
    n = flow.state_grad_norms
    print(f"spectral radius {radius}: ||dE_T/ds_t|| at t = 1, 10, 20, 30: "
          f"{n[0]:.1e}, {n[9]:.1e}, {n[19]:.1e}, {n[29]:.1e}  "
          f"(x{flow.decay_per_step():.2f} per step back)")
    flows[f"spectral radius of W = {radius}"] = flow
print("wrote", viz.save(viz.draw_gradient_flow(flows), "out/gradient_flow.svg"))

# The picture: a tanh network whose cost is at the last step only, coloured by gradient.
model = rnn.RNN(2, 8, 1, rng=1)
model.W.data *= 0.5 / rnn.spectral_radius(model.W)
mask = np.arange(12) == 11
result = rnn.bptt(model, xs[:12], ys[:12], mask=mask, retain_grads=True)
graph = viz.draw_unrolled(result.loss_tensor, detail="cells", heat=True)
print("wrote", viz.save(graph, "out/vanishing.svg"))
