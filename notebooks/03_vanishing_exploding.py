# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     notebook_metadata_filter: -jupytext.text_representation.jupytext_version
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 3. Vanishing and exploding gradients
#
# ## Learning goals
# After this notebook you can
# 1. write $\partial s_T / \partial s_t$ as a product of Jacobians and say why it shrinks or grows
#    geometrically with $T - t$;
# 2. predict from the spectral radius of $W$ whether a vanilla RNN's gradient vanishes or explodes;
# 3. explain how the LSTM's cell state, and a forget-gate bias, keep the gradient alive;
# 4. read the gradient-flow strip, `viz.draw_gradient_flow`.

# %%
import numpy as np
import minigrad as mg
import rnn
import viz
from IPython.display import display
np.set_printoptions(precision=4, suppress=True)
import matplotlib.pyplot as plt

# %% [markdown]
# ## A product of Jacobians
#
# With $s_k = \tanh(a_k)$, $a_k = U x_k + W s_{k-1}$, one step back multiplies the gradient by
#
# $$\frac{\partial s_k}{\partial s_{k-1}} = \operatorname{diag}\big(1 - s_k^2\big)\, W ,
# \qquad\text{so}\qquad
# \frac{\partial s_T}{\partial s_t} = \prod_{k=T}^{t+1} \operatorname{diag}\big(1 - s_k^2\big)\, W .$$
#
# Since $0 < 1 - s_k^2 \le 1$, the size of that product is bounded by
# $\lVert W \rVert_2^{\,T-t}$, and for long products it behaves like $\rho(W)^{T-t}$, where $\rho(W)$,
# the **spectral radius**, is the largest $|\lambda|$ of $W$'s eigenvalues. Below 1 the gradient
# from far back **vanishes**; above 1 it can **explode**. With $\tanh$, a large $W$ also drives the
# states into saturation, where $1 - s_k^2$ is small and holds the growth back; a linear RNN
# ($g(a) = a$) shows the pure $\rho(W)^{T-t}$.

# %%
rng = np.random.default_rng(0)
T = 30
xs, ys = rng.normal(size=(T, 1)) * 0.1, np.zeros((T, 1))

def rnn_with_radius(rho, activation="tanh"):
    model = rnn.RNN(1, 16, 1, activation=activation, rng=0)
    model.W.data = model.W.data * (rho / rnn.spectral_radius(model.W))
    return model

flows = {f"RNN, ρ(W) = {rho}": rnn.gradient_flow(rnn_with_radius(rho), xs, ys)
         for rho in (0.5, 1.0, 1.5)}
linear = rnn_with_radius(1.2, activation="identity")   # g(a) = a: nothing saturates
flows["linear RNN, ρ(W) = 1.2"] = rnn.gradient_flow(linear, xs, ys)
for label, flow in flows.items():
    print(f"{label}:  |dE_T/ds_t| changes by x{flow.decay_per_step():.3f} per step back")

# %% [markdown]
# ### Why ρ(W) = 1.5 vanishes here, while the README's figure grows
#
# Look at the printout: at $\rho(W) = 1.5$ this tanh RNN's gradient still *shrinks* (about
# ×0.97 per step back), while the figure in the project's README shows it *growing* by ×1.2 at
# the same $\rho$. Both are measured; the setups differ, and the difference is **saturation**.
#
# * Here the model has biases $b$ and 16 units over $T = 30$ steps. $W$ amplifies the states
#   until tanh saturates, $|s_k| \approx 1$, where its slope $1 - s_k^2$ is small. The factor
#   of one step back, $\operatorname{diag}(1 - s_k^2)\, W$, then has a gain far below
#   $\rho(W) = 1.5$: here below 1, so the gradient vanishes.
# * The README's figure (`make docs`) has no biases, 8 units, 16 steps and inputs of size
#   0.1: the states stay near 0, where $1 - s_k^2 \approx 1$, so one step back multiplies by
#   almost $W$ itself and the gradient grows like $\rho^{T-t}$.
#
# $\rho(W)$ predicts growth only while the states stay in tanh's linear range; the linear RNN
# above never leaves it. Both setups, side by side, with tanh's mean slope over units and steps:

# %%
def mean_slope(model, inputs):
    """The mean of tanh's slope 1 - s_t² over units and steps: 1 near s = 0, 0 saturated."""
    states = np.array([s.data for s in model.unroll(inputs).states])
    return float(np.mean(1 - states ** 2))

figure = rnn.RNN(1, 8, 1, bias=False, rng=1)            # the README figure's setup
figure.W.data = figure.W.data * (1.5 / rnn.spectral_radius(figure.W))
xs_figure = np.random.default_rng(2).normal(size=(16, 1)) * 0.1
for label, model, inputs in (("this notebook", rnn_with_radius(1.5), xs),
                             ("the README's figure", figure, xs_figure)):
    flow = rnn.gradient_flow(model, inputs, np.zeros((len(inputs), 1)))
    print(f"{label:20s} ρ(W) = 1.5: x{flow.decay_per_step():.3f} per step back, "
          f"mean slope of tanh {mean_slope(model, inputs):.2f}")

# %% [markdown]
# Try it: give `rnn_with_radius` `bias=False` (`rnn.RNN(1, 16, 1, bias=False, rng=0)`), or run
# the figure's model for 40 steps instead of 16, and watch the mean slope decide between
# growth and decay.

# %% [markdown]
# `rnn.gradient_flow` back-propagates the last step's cost $E_T$ alone and records
# $\lVert \partial E_T / \partial s_t \rVert$ for every $t$. On a log scale a geometric decay is a
# straight line:

# %%
fig, ax = plt.subplots(figsize=(7, 3.5))
for label, flow in flows.items():
    ax.semilogy(flow.steps, flow.state_grad_norms, marker="o", ms=3, label=label)
ax.set_xlabel("t"); ax.set_ylabel("‖dE_T / ds_t‖"); ax.legend(); ax.grid(alpha=0.3)
ax.set_title(f"How much of E_T's gradient reaches the state at step t (T = {T})")
plt.show()

# %% [markdown]
# The same numbers as a strip, one box per step, coloured on one log scale:

# %%
viz.draw_gradient_flow(flows)

# %% [markdown]
# Every number of one row, as a table:

# %%
flows["RNN, ρ(W) = 0.5"]


# %% [markdown]
# ## The LSTM's cell state
#
# The LSTM (PyTorch's equations, gates $i, f, g, o$) carries a second state, the cell $c_t$:
#
# $$c_t = f_t \odot c_{t-1} + i_t \odot g_t, \qquad h_t = o_t \odot \tanh(c_t),
# \qquad f_t = \sigma(U_f x_t + W_f h_{t-1} + b_f).$$
#
# Along the cell state, one step back multiplies the gradient by $\operatorname{diag}(f_t)$: no
# $W$ and no squashing slope. If the forget gate stays open, $f_t \approx 1$, the gradient passes
# almost unchanged. A **forget-gate bias** $b_f$ of 1 to 3 opens the gate from the start
# (Gers et al. 2000; Jozefowicz et al. 2015); $\sigma(3) \approx 0.95$.

# %%
def lstm_with_forget_bias(b_f):
    model = rnn.LSTM(1, 16, 1, rng=0)
    H = model.hidden_size
    b = model.b.data                          # rows in the order i, f, g, o
    b[H:2 * H] = b_f
    model.b.data = b
    return model

lstm_flows = {"RNN, ρ(W) = 0.9": rnn.gradient_flow(rnn_with_radius(0.9), xs, ys)}
for b_f in (0.0, 3.0):
    lstm_flows[f"LSTM, b_f = {b_f:g}"] = rnn.gradient_flow(lstm_with_forget_bias(b_f), xs, ys)
for label, flow in lstm_flows.items():
    print(f"{label:18s} |dE_T/ds_1| = {flow.state_grad_norms[0]:.2e}, "
          f"x{flow.decay_per_step():.3f} per step back")
viz.draw_gradient_flow(lstm_flows)

# %%
fig, ax = plt.subplots(figsize=(7, 3.5))
for label, flow in lstm_flows.items():
    ax.semilogy(flow.steps, flow.state_grad_norms, marker="o", ms=3, label=label)
ax.set_xlabel("t"); ax.set_ylabel("‖dE_T / dh_t‖"); ax.legend(); ax.grid(alpha=0.3)
plt.show()

# %% [markdown]
# ## Explore: a vanishing gradient, step by step
#
# The unrolled graph of a short RNN with a small $\rho(W)$, coloured by the size of each gradient
# (`heat=True`): the early steps fade to pale yellow.

# %%
small = rnn_with_radius(0.3)
short = rnn.bptt(small, xs[:6], ys[:6], retain_grads=True, contributions=True)
viz.draw_unrolled(short.loss_tensor, heat=True, detail="cells")

# %%
# The explorer: step through the backward pass node by node (next / previous, the arrow keys),
# and watch each shared parameter collect one term per copy.
page = viz.explore(short.loss_tensor)
display(page)          # page.save("explore.html") writes it as one file, to open offline


# %% [markdown]
# ## Exercises
#
# Solutions: `solutions/03_vanishing_exploding.py` (load with
# `%load solutions/03_vanishing_exploding.py`, after trying).
#
# ### Exercise 1: set the spectral radius
# Write `scale_to_radius(W, rho)`: return $W$ multiplied by one number, so that the result's
# spectral radius is `rho`. Do not change `W` itself.

# %%
def scale_to_radius(W, rho):
    # your code here
    raise NotImplementedError

rnn.exercises.check_scale_to_radius(scale_to_radius);


# %% [markdown]
# ### Exercise 2: the product of Jacobians
# Write `jacobian_product(W, states, t)`: given $W$, the list of states $[s_1, \dots, s_T]$ of a
# $\tanh$ RNN and a step $t$, return the $H \times H$ matrix
# $\partial s_T / \partial s_t = \prod_{k=T}^{t+1} \operatorname{diag}(1 - s_k^2)\, W$
# (the identity for $t = T$).

# %%
def jacobian_product(W, states, t):
    # your code here
    raise NotImplementedError

rnn.exercises.check_jacobian_product(jacobian_product);

# %% [markdown]
# ### Exercise 3: one LSTM step, backward by hand
# Write `lstm_step_backward(params, x, h_prev, c_prev, dh, dc)` for one step of the LSTM above
# (gates $i, f, g, o$ in PyTorch's order; `params` holds `"U"` $(4H, D)$, `"W"` $(4H, H)$ and
# `"b"` $(4H,)$):
#
# $$z = U x + W h_{t-1} + b, \qquad i, f, o = \sigma(z_i), \sigma(z_f), \sigma(z_o), \qquad
# g = \tanh(z_g),$$
# $$c_t = f \odot c_{t-1} + i \odot g, \qquad h_t = o \odot \tanh(c_t).$$
#
# `dh` and `dc` are $\partial L / \partial h_t$ and $\partial L / \partial c_t$ arriving from
# above (from the output, and from step $t+1$). Return the dict of $dL/dU$, $dL/dW$, $dL/db$,
# $dL/dh_{t-1}$ and $dL/dc_{t-1}$ under the keys `"U"`, `"W"`, `"b"`, `"h_prev"`, `"c_prev"`.
# Hint: $c_t$ reaches $L$ twice, through `dc` and through $h_t$. When it passes, look at your
# $dL/dc_{t-1}$: which factor decides whether the gradient survives along the cell state?

# %%
def lstm_step_backward(params, x, h_prev, c_prev, dh, dc):
    # your code here: the forward step again, then back through h_t and c_t to the gates
    raise NotImplementedError

rnn.exercises.check_lstm_step_backward(lstm_step_backward);

# %% [markdown]
# ### Exercise 4 (discussion)
# With `jacobian_product`, compute $\lVert \partial s_T/\partial s_1 \rVert_2$ for the RNNs of
# this notebook and compare it with $\rho(W)^{T-1}$ and $\lVert W \rVert_2^{T-1}$. Which one is a
# bound, and which one a good guess?
