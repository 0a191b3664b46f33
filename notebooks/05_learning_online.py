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
# # 5. Learning online: beyond BPTT
#
# ## Learning goals
# After this notebook you can
# 1. say what the **influence matrix** $M_t = \partial s_t / \partial \Theta$ is, write RTRL's
#    recursion for it, and say why it costs $O(H^4)$ per step;
# 2. read SnAp-1 as RTRL with $M_t$ kept on a sparsity pattern, and UORO as a random rank-one
#    estimate of it, and measure each one's **alignment, bias and spread** against exact BPTT;
# 3. train on the echo task **online**, one step at a time without storing the past, and read the
#    loss against the task's three closed-form levels.

# %%
import numpy as np
import minigrad as mg
import rnn
import viz
from IPython.display import display
np.set_printoptions(precision=4, suppress=True)
import matplotlib.pyplot as plt
from rnn.online import train_online
from rnn.online.echo import echo_data, echo_levels

# %% [markdown]
# ## Forward in time: the influence matrix
#
# BPTT stores the whole sequence and walks back over it. Real-time recurrent learning (Williams and
# Zipser, 1989) instead carries, forward in time, how the state depends on every recurrent weight.
# Write the weights of the cell as one matrix $\Theta = [W \; U \; b]$ acting on
# $z_t = [s_{t-1};\, x_t;\, 1]$, so that $s_t = g(\Theta z_t)$. Then
#
# $$M_t = \frac{\partial s_t}{\partial \Theta} = \underbrace{\operatorname{diag}(g'(a_t))\, W}_{D_t}\; M_{t-1}
# \;+\; \bar M_t, \qquad \bar M_t[i, j, k] = g'(a_t)_i\, \delta_{ij}\, z_{t,k}, \qquad M_0 = 0,$$
#
# $$\frac{\partial L}{\partial \Theta} = \sum_{t=1}^{T} c_t\, M_t, \qquad
# c_t = \frac{\partial E_t}{\partial s_t}.$$
#
# $M_t$ holds $H \cdot H \cdot K$ numbers ($K = H + D + 1$), and $D_t M_{t-1}$ costs $H$ times that:
# $O(H^4)$ per step. The gradient it gives is BPTT's, exactly:

# %%
model = rnn.RNN(input_size=2, hidden_size=4, output_size=1, rng=0)
rng = np.random.default_rng(0)
xs, ys = rng.normal(size=(12, 2)), rng.normal(size=(12, 1))
exact = rnn.bptt(model, xs, ys).grads
online = rnn.online.online_gradient(model, xs, ys, "rtrl").grads
for name in exact:
    error = np.linalg.norm(online[name] - exact[name]) / np.linalg.norm(exact[name])
    print(f"{name}: relative difference RTRL - BPTT = {error:.1e}")
viz.draw_folded(model)      # the cell whose weights Θ = [W U b] the influence matrix follows

# %% [markdown]
# ## What SnAp keeps
#
# SnAp-$n$ (Menick et al., 2021) keeps $M_t$ only where a weight can reach a unit within $n$
# steps, and drops the rest after every step:
#
# $$M_t = \left(D_t M_{t-1} + \bar M_t\right) \odot P_n .$$
#
# $\Theta_{jk}$ feeds unit $j$ directly, so $P_1$ keeps only $i = j$: the $H \times K$ numbers
# $\partial s_{t,j} / \partial \Theta_{jk}$, updated with $D_t$'s diagonal alone:
# $J_t[j, k] = g'_j W_{jj} J_{t-1}[j, k] + g'_j z_{t,k}$. That is $O(H^2)$ per step, no more than a
# step of BPTT. Below, each panel is $M_t$ as an $H \times (H \cdot K)$ image: row $i$ is unit
# $s_i$, each block of $K$ columns the weights of one unit $j$. At $t = 1$ both are the same,
# $M_1 = \bar M_1$; from then on RTRL fills in, and SnAp-1 stays block-diagonal.

# %%
fig = viz.draw_influence(model, xs, rule="snap-1", steps=[1, 2, 4, 12])
frames = fig.influence          # the arrays the figure shows
for name in frames:
    print(f"{name:7s} non-zero share of M_12: {np.mean(frames[name][-1] != 0):.0%}")
plt.show()

# %% [markdown]
# ## How good is each gradient?
#
# With the weights held fixed, every rule's estimate $\hat g$ is compared with BPTT's $g$
# (Marschall, Cho and Savin, 2020): the **alignment** $\langle \hat g, g\rangle / (\lVert\hat g\rVert
# \lVert g\rVert)$, the **bias** $\lVert \operatorname{mean}\hat g - g\rVert / \lVert g\rVert$ and the
# **spread** over seeds for the random rules. UORO (Tallec and Ollivier, 2018) replaces $M_t$ by a
# random rank-one $\tilde s_t \tilde\theta_t^\top$ whose expectation is $M_t$: unbiased, but noisy.
# KF-RTRL (Mujika, Meier and Steger, 2018) keeps $M_t$ as a random Kronecker product
# $A_t \otimes u_t$ ($H^2 + K$ numbers, $O(H^3)$ per step): also unbiased, and less noisy.
# RFLO (Murray, 2019) drops $D_t$'s off-diagonal part and sends the error back through a random
# matrix; TBPTT-$k$ stops $k$ steps back.

# %%
report = rnn.compare_online(model, xs, ys, rules=("rtrl", "snap-1", "uoro", "kf-rtrl", "rflo", "tbptt-4"),
                            seeds=range(16))
display(report)

# %% [markdown]
# Read the "all" rows: RTRL is exact (bias $\approx 10^{-16}$); SnAp-1 and TBPTT-4 point close
# to the exact gradient but their bias doesn't go away; UORO's single estimate is poorly aligned
# but its mean over seeds is unbiased, so its bias falls like $1/\sqrt{n}$ with the number of
# seeds $n$. KF-RTRL is unbiased too, and its single estimates line up with the exact gradient
# far better than UORO's.

# %%
uoro = rnn.online.UORO()
estimates = [rnn.online.online_gradient(model, xs, ys, uoro, rng=seed).grads["W"]
             for seed in range(400)]
for n in (25, 100, 400):
    mean = np.mean(estimates[:n], axis=0)
    print(f"UORO, mean of {n:3d} seeds: bias "
          f"{np.linalg.norm(mean - exact['W']) / np.linalg.norm(exact['W']):.3f}")

# %% [markdown]
# ## Learning online on the echo task
#
# The echo task: coin flips $X_t$, and $P(Y_t = 1) = 0.5 + 0.5\,X_{t-3} - 0.25\,X_{t-8}$. Its best
# cross-entropies are known in closed form: knowing neither lag, $H(0.625)$; knowing $X_{t-3}$
# only, $\tfrac12\left(H(0.875) + H(0.375)\right)$; knowing both,
# $\tfrac14\left(H(0.5) + 2 H(0.25)\right)$, with $H(p) = -p\log p - (1-p)\log(1-p)$.
#
# Below, each rule trains an RNN on one long stream (8 streams in parallel), updating the weights
# every 4 steps and never going back: the state and the rule's carried quantities continue across
# updates. TBPTT-2's window cannot reach $X_{t-3}$.

# %%
levels = echo_levels()
stream_x, stream_y, mask = echo_data(3000, batch=8, rng=0)
curves = {}
for rule in ("rtrl", "snap-1", "uoro", "tbptt-2", "tbptt-9"):
    model = rnn.RNN(1, 8, 2, rng=0)
    run = train_online(model, stream_x, stream_y, rule, mg.optim.Adam(model.parameters(), lr=0.01),
                       loss="cross_entropy", mask=mask, update_every=4, rng=0)
    curves[rule] = np.convolve(run.losses[8:], np.ones(200) / 200, mode="valid")
    print(f"{rule:8s} loss over the last 500 steps: {run.losses[-500:].mean():.3f}")

fig, ax = plt.subplots(figsize=(7, 3.5))
for rule, curve in curves.items():
    ax.plot(curve, label=rule)
for (name, value), style in zip(levels.items(), ("--", "-.", ":")):
    ax.axhline(value, color="black", ls=style, lw=1, label=f"{name} ({value:.3f})")
ax.set_xlabel("step"); ax.set_ylabel("cross-entropy (mean of 200 steps)")
ax.set_title("online learning on the echo task"); ax.legend(fontsize="small", ncol=2)
plt.show()


# %% [markdown]
# What to see: TBPTT-2 stays near the "neither" level, as its definition guarantees (its
# gradient never reaches $X_{t-3}$). On this run (seed 0, 8 hidden units, 3000 steps) RTRL and
# TBPTT-9 end just below "lag 3 only" (about 0.515), SnAp-1 and UORO between "neither" and
# "lag 3 only" (about 0.54): their gradients are biased or noisy, so they learn more slowly. None
# reaches "both" here. How far a rule gets, and whether it learns lag 8 at all, depends on the size
# of the model and how long it trains: measure it, don't assume it. The same comparison for
# truncated BPTT runs from the terminal: `bptt train --task echo --k1 2 --k2 2` and
# `--k2 8`.

# %% [markdown]
# ## Exercises
#
# Solutions: `solutions/05_learning_online.py` (load with `%load solutions/05_learning_online.py`,
# after trying). Each exercise uses $M[i, j, k] = \partial s_i / \partial \Theta_{jk}$, the
# derivatives $g' = g'(a_t)$ as a vector `gp` of length $H$, and $z = [s_{t-1};\, x_t;\, 1]$.
#
# ### Exercise 1: one step of RTRL
# Write `rtrl_step(M_prev, gp, W, z)`: $M_t = \operatorname{diag}(g')\, W M_{t-1} + \bar M_t$, with
# $\bar M_t[i, j, k] = g'_i \delta_{ij} z_k$.

# %%
def rtrl_step(M_prev, gp, W, z):
    # your code here
    raise NotImplementedError

rnn.exercises.check_rtrl_step(rtrl_step);


# %% [markdown]
# ### Exercise 2: one step of SnAp-1
# Write `snap1_step(J_prev, gp, W, z)` for $J[j, k] = \partial s_j / \partial \Theta_{jk}$ (the part
# of $M$ where $i = j$): $J_t[j, k] = g'_j W_{jj} J_{t-1}[j, k] + g'_j z_k$.

# %%
def snap1_step(J_prev, gp, W, z):
    # your code here
    raise NotImplementedError

rnn.exercises.check_snap1_step(snap1_step);

# %% [markdown]
# ### Exercise 3 (discussion)
# Make $W$ diagonal (`model.W.data = np.diag(np.diag(model.W.data))`) and rerun the comparison:
# what happens to SnAp-1's bias, and why? Then rerun the echo training with 16 hidden units and
# a stream of 6000 steps: which rules now get close to the "both" level?
