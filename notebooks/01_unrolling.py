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
# # 1. Unrolling a recurrent network: one set of weights, one term per copy
#
# ## Learning goals
# After this notebook you can
# 1. write the forward pass of a vanilla RNN and say what $U$, $W$ and $V$ do;
# 2. draw the network *unrolled* in time, and say why it is an ordinary feed-forward graph;
# 3. explain why the gradient of a shared weight is a **sum over the copies** of the cell, and
#    read each copy's term from the library.

# %%
import numpy as np
import minigrad as mg
import rnn
import viz
from IPython.display import display
np.set_printoptions(precision=4, suppress=True)

# %% [markdown]
# ## The model
#
# The vanilla (Elman) RNN of the course notes, for $t = 1, \dots, T$:
#
# $$s_t = g(U x_t + W s_{t-1}), \qquad s_0 = 0, \qquad o_t = h(V s_t)$$
#
# $$L = \sum_{t=1}^{T} E(o_t, y_t), \qquad E(o, y) = \lVert o - y \rVert_2^2 .$$
#
# Here $g = \tanh$ and $h$ is the identity. (The notes write $s_{t+1} = g(U x_t + W s_t)$: the same
# model with the state's index shifted by one.) The same three matrices $U$, $W$, $V$ are used at
# every step. Folded, the network is one cell with a loop:

# %%
model = rnn.RNN(input_size=2, hidden_size=3, output_size=1, bias=False, rng=0)
print({name: p.shape for name, p in model.named_parameters()})
viz.draw_folded(model)

# %% [markdown]
# ## Unrolling
#
# Running the loop for $T$ steps *unrolls* it: $T$ copies of the cell, each reading $x_t$ and the
# previous state $s_{t-1}$. Every copy computes
# $a_t = U x_t + W s_{t-1}$, $s_t = \tanh(a_t)$, $o_t = V s_t$ and its cost $E_t$.
# `rnn.bptt` runs the forward pass, adds up $L = \sum_t E_t$ and back-propagates once.

# %%
rng = np.random.default_rng(0)
T = 4
xs, ys = rng.normal(size=(T, 2)), rng.normal(size=(T, 1))
result = rnn.bptt(model, xs, ys, contributions=True)
result          # in Jupyter a result shows as a table: L, and each gradient's size

# %% [markdown]
# The unrolled graph, one box per time step. $U$, $W$ and $V$ are drawn **once**, below the
# boxes, with an edge into every copy that uses them; the number on each edge is the size of that
# copy's term of the gradient (next section).

# %%
viz.draw_unrolled(result.loss_tensor)

# %% [markdown]
# The same graph as the textbook figure, one node per cell:

# %%
viz.draw_unrolled(result.loss_tensor, detail="cells")

# %% [markdown]
# ## A shared weight collects one term per copy
#
# $W$ enters the loss through every copy $t$. By the chain rule its gradient is the sum of what
# flows into it through each copy:
#
# $$\frac{dL}{dW} = \sum_{t=1}^{T} \underbrace{\delta_t\, s_{t-1}^{\top}}_{\text{copy } t\text{'s term}},
# \qquad \delta_t = \frac{\partial L}{\partial a_t}, $$
#
# and likewise $\frac{dL}{dU} = \sum_t \delta_t x_t^\top$ and
# $\frac{dL}{dV} = \sum_t \frac{\partial L}{\partial o_t} s_t^\top$. The engine records each copy's
# term as it walks back: `result.contributions["W"]["t=2"]` is copy 2's term.

# %%
terms = result.contributions["W"]
for step, term in terms.items():
    print(step, "term of dL/dW:\n", term)
total = sum(terms.values())
print("sum of the terms equals W.grad:", np.allclose(total, result.grads["W"]))

# %% [markdown]
# The size of every term, $\lVert \text{term}_t \rVert$, for every parameter. Note copy 1's term
# of $dL/dW$: it is zero, because $s_0 = 0$ and so $\delta_1 s_0^\top = 0$.

# %%
rnn.contribution_table(result)

# %% [markdown]
# ## Explore the backward pass
#
# Step through the walk that `backward()` makes over this graph. At the end, each parameter's
# running sum of terms equals its `.grad`.

# %%
# The explorer: step through the backward pass node by node (next / previous, the arrow keys),
# and watch each shared parameter collect one term per copy.
page = viz.explore(result.loss_tensor)
display(page)          # page.save("explore.html") writes it as one file, to open offline


# %% [markdown]
# ## Exercises
#
# Each exercise has a checker in `rnn.exercises` that says *what* is wrong, not just that something
# is. Solutions are in `solutions/01_unrolling.py`: try first, then load one into a cell with
# `%load solutions/01_unrolling.py`.
#
# ### Exercise 1: the forward pass
# Write `rnn_forward(params, xs)` for one sequence `xs` of shape $(T, D)$; `params` holds the
# arrays `"U"` $(H, D)$, `"W"` $(H, H)$ and `"V"` $(O, H)$. Return the lists
# $[s_1, \dots, s_T]$ and $[o_1, \dots, o_T]$ of
#
# $$s_t = \tanh(U x_t + W s_{t-1}), \quad s_0 = 0, \quad o_t = V s_t .$$

# %%
def rnn_forward(params, xs):
    U, W, V = params["U"], params["W"], params["V"]
    states, outputs = [], []
    # your code here: one step per row of xs
    raise NotImplementedError
    return states, outputs

rnn.exercises.check_rnn_forward(rnn_forward);


# %% [markdown]
# ### Exercise 2: the loss
# Write `sequence_loss(outputs, ys)` for arrays of shape $(T, O)$: $L = \sum_{t=1}^{T} \lVert o_t - y_t \rVert_2^2$.

# %%
def sequence_loss(outputs, ys):
    # your code here
    raise NotImplementedError

rnn.exercises.check_sequence_loss(sequence_loss);

# %% [markdown]
# ### Exercise 3 (discussion)
# Make the sequence longer (`T = 12`) and look at `rnn.contribution_table(result)` again. Which
# copies contribute most to $dL/dW$: the early ones or the late ones? Keep your answer for
# notebook 3.
