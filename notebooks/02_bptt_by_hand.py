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
# # 2. Deriving BPTT by hand, and checking it three ways
#
# ## Learning goals
# After this notebook you can
# 1. derive the backward recursion of the vanilla RNN, the error $\delta_t$ carried from step
#    $t+1$ back to step $t$;
# 2. compute every copy's term of $dL/dU$, $dL/dW$, $dL/dV$ with it, in plain NumPy;
# 3. check a gradient against autograd, against the forward-in-time computation (RTRL) and
#    against finite differences, and read the size of the disagreement.

# %%
import numpy as np
import minigrad as mg
import rnn
import viz
from IPython.display import display
np.set_printoptions(precision=4, suppress=True)

# %% [markdown]
# ## The backward recursion
#
# Forward, $t = 1..T$: $a_t = U x_t + W s_{t-1}$, $s_t = \tanh(a_t)$, $o_t = V s_t$,
# $E_t = \lVert o_t - y_t \rVert^2$, $L = \sum_t E_t$.
#
# $s_t$ reaches $L$ in two ways: through its own output $o_t$, and through the next state
# $s_{t+1}$. So, backward from $t = T$ to $1$, with $\delta_{T+1} = 0$:
#
# $$dz_t = \frac{\partial E_t}{\partial o_t} = 2\,(o_t - y_t)$$
# $$ds_t = \frac{\partial L}{\partial s_t} = V^\top dz_t + W^\top \delta_{t+1}$$
# $$\delta_t = \frac{\partial L}{\partial a_t} = ds_t \odot g'(a_t) = ds_t \odot (1 - s_t^2)$$
#
# and copy $t$'s terms are
#
# $$\frac{\partial L}{\partial V}\Big|_t = dz_t\, s_t^\top, \qquad
# \frac{\partial L}{\partial U}\Big|_t = \delta_t\, x_t^\top, \qquad
# \frac{\partial L}{\partial W}\Big|_t = \delta_t\, s_{t-1}^\top .$$
#
# Each line of the code below is one of these equations.

# %%
rng = np.random.default_rng(1)
T, D, H, O = 6, 2, 4, 3
model = rnn.RNN(D, H, O, bias=False, rng=0)
xs, ys = rng.normal(size=(T, D)), rng.normal(size=(T, O))
U, W, V = (getattr(model, name).data for name in ("U", "W", "V"))

s = [np.zeros(H)]                                  # s_0
for t in range(1, T + 1):                          # forward: keep every s_t
    s.append(np.tanh(U @ xs[t - 1] + W @ s[t - 1]))

dW_terms = {}
delta_next = np.zeros(H)                           # δ_{T+1} = 0
for t in range(T, 0, -1):
    dz = 2 * (V @ s[t] - ys[t - 1])                # dz_t = 2 (o_t - y_t)
    ds = V.T @ dz + W.T @ delta_next               # ds_t = Vᵀ dz_t + Wᵀ δ_{t+1}
    delta = ds * (1 - s[t] ** 2)                   # δ_t = ds_t ⊙ (1 - s_t²)
    dW_terms[t] = np.outer(delta, s[t - 1])        # copy t's term: δ_t s_{t-1}ᵀ
    delta_next = delta
    print(f"t={t}:  |δ_t| = {np.linalg.norm(delta):.4f}")

# %% [markdown]
# ## Check 1: against autograd, copy by copy
#
# `rnn.bptt(..., contributions=True)` gives autograd's term for every copy. The two must agree to
# rounding (about $10^{-16}$), not only in total but term by term.

# %%
auto = rnn.bptt(model, xs, ys, contributions=True)
for t in range(1, T + 1):
    diff = np.abs(dW_terms[t] - auto.contributions["W"][f"t={t}"]).max()
    print(f"copy {t}: max |by hand - autograd| = {diff:.1e}")
print("totals agree:", np.allclose(sum(dW_terms.values()), auto.grads["W"], rtol=1e-12))

# %% [markdown]
# The numbers on $W$'s edges in the unrolled drawing are the sizes of these terms,
# $\lVert \delta_t s_{t-1}^\top \rVert$:

# %%
viz.draw_unrolled(auto.loss_tensor, detail="cells")

# %% [markdown]
# The library's own hand-written recursion, `rnn.manual.rnn_bptt`, is the same loop with
# biases, batches and other losses; it returns every parameter's per-step terms.

# %%
by_hand = rnn.manual.backward(model, xs, ys)
{name: float(np.abs(by_hand.grads[name] - auto.grads[name]).max()) for name in auto.grads}

# %% [markdown]
# ## Check 2: forward in time (RTRL)
#
# The notes compute the total derivatives $ds_t/dW$ *inductively*, forward in time, because
# $s_t$ depends on $W$ directly and again through $s_{t-1}$:
#
# $$\frac{ds_t}{d\theta} = g'(a_t) \odot \Big(\frac{\partial a_t}{\partial \theta} + W \frac{ds_{t-1}}{d\theta}\Big),
# \qquad \frac{ds_0}{d\theta} = 0, \qquad
# \frac{dL}{d\theta} = \sum_t \Big(\frac{\partial E_t}{\partial s_t}\Big)^{\!\top} \frac{ds_t}{d\theta}.$$
#
# This is real-time recurrent learning (Williams and Zipser, 1989): no backward pass at all, but
# $O(H^4)$ work per step against BPTT's $O(H^2)$.

# %%
forward = rnn.rtrl.forward_gradients(model, xs, ys)
{name: float(np.abs(forward.grads[name] - auto.grads[name]).max()) for name in auto.grads}

# %% [markdown]
# ## Check 3: the referee, finite differences
#
# Central differences need no derivation at all:
# $\dfrac{\partial L}{\partial \theta_i} \approx \dfrac{L(\theta + \varepsilon e_i) - L(\theta - \varepsilon e_i)}{2\varepsilon}$,
# with an error of order $\varepsilon^2$. `rnn.compare_gradients` runs all four methods and
# reports each one's error against autograd, relative to the largest gradient entry.

# %%
rnn.compare_gradients(model, xs, ys)

# %% [markdown]
# ## Explore the backward pass

# %%
# The explorer: step through the backward pass node by node (next / previous, the arrow keys),
# and watch each shared parameter collect one term per copy.
page = viz.explore(auto.loss_tensor)
display(page)          # page.save("explore.html") writes it as one file, to open offline


# %% [markdown]
# ## Exercises
#
# Solutions: `solutions/02_bptt_by_hand.py` (load with `%load solutions/02_bptt_by_hand.py`,
# after trying).
#
# ### Exercise 1: the δ recursion
# Write `rnn_bptt(params, xs, ys)` for the model above (no biases, $\tanh$, $o_t = V s_t$,
# $L = \sum_t \lVert o_t - y_t\rVert^2$). Return a dict with, for each of `"U"`, `"W"`, `"V"`,
# the list of the $T$ per-copy terms (copy $t$'s term at index $t-1$).
# `check_rnn_bptt` compares every term with autograd's, and names the first parameter and time
# step that disagree, walking back from $t = T$ as the recursion does.

# %%
def rnn_bptt(params, xs, ys):
    U, W, V = params["U"], params["W"], params["V"]
    T = len(xs)
    terms = {"U": [None] * T, "W": [None] * T, "V": [None] * T}
    # your code here: the forward pass, then t = T, T-1, ..., 1
    raise NotImplementedError
    return terms

rnn.exercises.check_rnn_bptt(rnn_bptt);


# %% [markdown]
# ### Exercise 2: central differences
# Write `central_difference(f, x, eps)`: for a function `f` of an array `x` returning a number,
# the array of $\big(f(x + \varepsilon e_i) - f(x - \varepsilon e_i)\big) / 2\varepsilon$ for every
# entry $i$ of `x`. Leave `x` as you found it.

# %%
def central_difference(f, x, eps):
    # your code here
    raise NotImplementedError

rnn.exercises.check_central_difference(central_difference);

# %% [markdown]
# ### Exercise 3: which terms are zero, and why
# Some per-copy terms are exactly zero, and each for a reason you can name. Take one update of
# truncated BPTT over steps $1..T$ ($k_1 = T$) of the model above: the losses of the **scored**
# steps count (`scored[t - 1]` is True), and the gradient flows back through the last $k_2$
# steps only, $T - k_2 + 1, \dots, T$, starting from the state that enters them (a constant).
# Write `zero_terms(T, scored, k2)`: for each of `"U"`, `"W"`, `"V"`, the set of steps $t$
# whose term of the gradient is zero (a copy outside the window has no term: count it as
# zero). Three things to think about: $s_0 = 0$; a step that is not scored; the window.
# `check_zero_terms` compares your sets with the library's terms and says why each one you
# got wrong is (or is not) zero.

# %%
def zero_terms(T, scored, k2):
    # your code here: return {"U": {...}, "W": {...}, "V": {...}}
    raise NotImplementedError

rnn.exercises.check_zero_terms(zero_terms);

# %% [markdown]
# ### Exercise 4 (discussion): how far does float32 agree?
# The checks in this notebook hold the exact methods to about $10^{-10}$. Measure what float32
# gives instead:
# 1. Build the same model in float32, `model32 = rnn.RNN(D, H, O, bias=False, rng=0,
#    dtype=np.float32)`, and compute `rnn.bptt(model32, xs.astype(np.float32),
#    ys.astype(np.float32)).grads`. What is the largest difference from the float64 gradients
#    `auto.grads`, relative to the largest entry? Compare it with
#    `np.finfo(np.float32).eps`.
# 2. Estimate $dL/dW_{00}$ by central differences, in float64 (`model`) and in float32
#    (`model32`), for $\varepsilon = 10^{-1}, 10^{-2}, \dots, 10^{-6}$, and measure each
#    estimate's relative error against `auto.grads["W"][0, 0]`. Which $\varepsilon$ is best in
#    each dtype, and why does the error grow again when $\varepsilon$ shrinks?
# 3. So, to what tolerance can a float32 gradient be checked, and with which referee?
