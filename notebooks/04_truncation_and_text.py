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
# # 4. Truncated BPTT, and a character-level RNN
#
# ## Learning goals
# After this notebook you can
# 1. state exactly what TBPTT($k_1$, $k_2$) computes, and draw which steps one update reaches;
# 2. predict, for a task whose answer lies $d$ steps back, which truncation lengths can learn it,
#    and see it happen;
# 3. train a character-level RNN with truncated BPTT, carrying the state across chunks, and sample
#    text from it at different temperatures.

# %%
import numpy as np
import minigrad as mg
import rnn
import viz
from IPython.display import display
np.set_printoptions(precision=4, suppress=True)
import matplotlib.pyplot as plt

# %% [markdown]
# ## TBPTT($k_1$, $k_2$)
#
# Run forward one step at a time, carrying the state. Every $k_1$ steps, at step $t$:
# back-propagate the losses of the last $k_1$ steps (the **block**) through the last $k_2$ steps
# only (the **window**), and update:
#
# $$L^{(t)} = \sum_{\tau = t-k_1+1}^{t} E_\tau, \qquad
# \text{the gradient flows through } \tau = t-k_2+1, \dots, t, \qquad
# s_{t-k_2} \text{ is held constant (a cut).}$$
#
# $k_1 = k_2 = T$ is full BPTT; $k_1 = k_2 = k$ is chunked training with the state carried over
# (min-char-rnn's scheme). With $k_2 < k_1$ the first losses of a block reach only $V$.

# %%
model = rnn.RNN(1, 4, 1, rng=0)
zeros = np.zeros((12, 1))
truncated = rnn.tbptt(model, zeros, zeros, k1=4, k2=6, optimizer=None)
display(truncated)         # one row per update: its block and its window
viz.draw_truncation(truncated, update=1)


# %% [markdown]
# ## When truncation matters: an echo task
#
# The input is a random sign $x_t \in \{-1, +1\}$; the target is the input $d = 4$ steps ago,
# $y_t = x_{t-d}$ ($0$ for $t \le d$). To learn it, the gradient of $E_t$ must reach the copy that
# read $x_{t-d}$, $d$ steps back. With a window of $k_2 \le d$ steps it never can: the loss stays
# at the baseline of predicting 0. Every run below updates every $k_1 = 2$ steps; only the window
# length $k_2$ changes.

# %%
class Echo(rnn.tasks.Task):
    """y_t = x_{t-d}: repeat the sign seen d steps ago."""
    name = "echo"
    input_size = output_size = 1
    learning_rates = {"adam": 0.01}
    baseline_rule = "predict 0"

    def __init__(self, delay=4, seq_len=20, batch_size=16):
        super().__init__(seq_len, batch_size)
        self.delay = delay

    @property
    def baseline(self):                 # predicting 0 costs 1 at every step t > d
        return (self.seq_len - self.delay) / self.seq_len

    def batch(self, rng):
        xs = rng.choice([-1.0, 1.0], size=(self.seq_len, self.batch_size, 1))
        ys = np.zeros_like(xs)
        ys[self.delay:] = xs[:-self.delay]
        return xs, ys

task = Echo(delay=4)
final = {}
curves = {}
for k2 in (2, 4, 5, 6, 8):
    model = rnn.RNN(1, 16, 1, rng=0)
    run = rnn.train(model, task, k1=2, k2=k2, updates=1000, progress=False)
    curves[k2] = run.smoothed(50)
    final[k2] = float(np.mean(run.losses[-50:]))
    print(f"TBPTT(k1=2, k2={k2}): final loss {final[k2]:.3f} (baseline {task.baseline:.2f})")

# %%
fig, ax = plt.subplots(figsize=(7, 3.5))
for k2, curve in curves.items():
    ax.plot(curve, label=f"k2 = {k2}")
ax.axhline(task.baseline, color="grey", ls="--", label="baseline: predict 0")
ax.set_xlabel("update"); ax.set_ylabel("loss per step (smoothed)"); ax.legend(); ax.grid(alpha=0.3)
ax.set_title("Echo at delay d = 4: the window must reach d steps back")
plt.show()

# %% [markdown]
# Why the threshold is at $k_2 = d + 1$: the window of the update at step $t$ covers steps
# $t - k_2 + 1, \dots, t$. The cost $E_t$ needs $x_{t-d}$, so its gradient reaches the copy that read
# it only if $t - d \ge t - k_2 + 1$, that is $k_2 \ge d + 1 = 5$. (With $k_2 = 5$ only the last step
# of each block sees its answer; because every step shares the same weights, what is learned there
# serves every step.) With $k_2 \le d$ the network learns nothing beyond the baseline: a little below
# it, from the first $d$ steps, whose target is 0.

# %% [markdown]
# ## A character-level RNN
#
# `rnn.tasks.CharText` reads eight of Shakespeare's sonnets one character at a time; the target is
# the next character, the loss the cross-entropy of $\operatorname{softmax}(o_t)$. Training is
# TBPTT($k_1$ = $k_2$ = 25): chunks of 25 characters, each starting from the previous chunk's last
# state, detached. The baseline is a model that knows only each character's frequency.

# %%
text = rnn.tasks.CharText(seq_len=25)
model = rnn.RNN(text.input_size, 64, text.output_size, rng=0)
print("before training:", repr(rnn.tasks.sample(model, text, length=80, prime="Shall I", rng=1)))
run = rnn.train(model, text, updates=2500)
print(f"loss per character: {np.mean(run.losses[-100:]):.3f} nats "
      f"(baseline {text.baseline:.3f}, uniform guess {np.log(text.input_size):.3f})")

# %% [markdown]
# To sample, the model reads a prime, then repeatedly draws the next character from
#
# $$p = \operatorname{softmax}(o_t / \tau)$$
#
# and feeds it back in. A low temperature $\tau$ picks the likeliest characters; a high one is more
# adventurous.

# %%
for temperature in (0.5, 1.0):
    print(f"--- temperature {temperature} ---")
    print(rnn.tasks.sample(model, text, length=240, prime="Shall I", temperature=temperature,
                           rng=2))


# %% [markdown]
# ## Exercises
#
# Solutions: `solutions/04_truncation_and_text.py` (load with
# `%load solutions/04_truncation_and_text.py`, after trying).
#
# ### Exercise 1: the schedule of TBPTT($k_1$, $k_2$)
# Write `tbptt_schedule(T, k1, k2)`: the list of updates `rnn.tbptt` makes over $T$ steps, each as
# `((first, last), (first, last))`: its block (the steps whose losses count) and its window (the
# steps the gradient flows through), numbered from 1, both ends included.

# %%
def tbptt_schedule(T, k1, k2):
    # your code here
    raise NotImplementedError

rnn.exercises.check_tbptt_schedule(tbptt_schedule);


# %% [markdown]
# ### Exercise 2: sampling with a temperature
# Write `softmax_temperature(logits, temperature)`: $p = \operatorname{softmax}(z / \tau)$. It
# must also work for logits in the thousands.

# %%
def softmax_temperature(logits, temperature):
    # your code here
    raise NotImplementedError

rnn.exercises.check_softmax_temperature(softmax_temperature);

# %% [markdown]
# ### Exercise 3: clipping by norm
# An exploding gradient (notebook 3) can throw the weights far in one update; `rnn.train` clips
# it first (`clip=5.0`, as the character model above did). Write `clip_by_norm(grads,
# max_norm)` for a dict of gradient arrays: with
#
# $$n = \sqrt{\textstyle\sum_p \lVert g_p \rVert^2}$$
#
# the norm of all the gradients together, return $g_p \cdot \text{max\_norm} / n$ for every
# $p$ when $n > \text{max\_norm}$, and the gradients unchanged otherwise (Pascanu, Mikolov and
# Bengio, 2013). Return new arrays and leave `grads` as it is.

# %%
def clip_by_norm(grads, max_norm):
    # your code here
    raise NotImplementedError

rnn.exercises.check_clip_by_norm(clip_by_norm);

# %% [markdown]
# ### Exercise 4: the same TBPTT in PyTorch
# In PyTorch, truncated BPTT is written with `detach()`. Write `torch_tbptt(cell, linear, xs,
# ys, k, lr)`: `cell` is a `torch.nn.RNN` (float64, no biases), `linear` its output layer, `xs`
# $(T, D)$ and `ys` $(T, O)$ float64 tensors. Over chunks of $k$ steps:
# 1. run the cell from the carried state, `states, h = cell(xs[a:b], h)` (the first chunk
#    starts from zeros of shape $(1, H)$);
# 2. $L = \sum_t \lVert o_t - y_t \rVert^2$ over the chunk, with $o_t$ = `linear(states)`;
# 3. zero the gradients, back-propagate, take one step of `torch.optim.SGD` (learning rate
#    `lr`, the parameters of both modules);
# 4. carry `h` into the next chunk with `h.detach()`.
#
# Return the chunks' losses (`loss.item()`). The checker copies the weights into minigrad with
# `rnn.from_torch(cell, linear)` and compares your losses and trained weights with
# `rnn.tbptt(model, xs, ys, k1=k, k2=k, SGD)`. Which of TBPTT($k_1$, $k_2$)'s settings is your
# loop, and what would `k2 > k1` need that `detach()` alone cannot give? Without PyTorch the
# check says so and is skipped.

# %%
def torch_tbptt(cell, linear, xs, ys, k, lr):
    import torch
    # your code here
    raise NotImplementedError

rnn.exercises.check_torch_tbptt(torch_tbptt);     # without PyTorch: skipped, with the reason

# %% [markdown]
# ### Exercise 5 (discussion)
# Rerun the echo experiment with `delay=6`. Which $k_2$ is the smallest that learns?
# Then train the character model with `k1=25, k2=5`: does the loss reach the same level?
