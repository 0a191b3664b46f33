"""Write the five lecture notebooks in notebooks/ from the cell sources below.

    python tools/make_notebooks.py          # rewrites notebooks/0*.ipynb, without outputs

The .ipynb files are committed; edit the cells here and rerun, so that the
notebooks' text can be read and reviewed as plain Python strings.  A cell is
("md", text) or ("code", text).
"""

from __future__ import annotations

from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "notebooks"

SETUP = """\
import numpy as np
import minigrad as mg
import rnn
import viz
from IPython.display import display
np.set_printoptions(precision=4, suppress=True)"""

EXPLORE = """\
# The explorer: step through the backward pass node by node (next / previous, the arrow keys),
# and watch each shared parameter collect one term per copy.
if hasattr(viz, "explore"):
    page = viz.explore({loss})
    display(page)          # page.save("explore.html") writes it as one file, to open offline
else:
    print("viz.explore is not in this version of the library yet: skip this cell.")"""

# ----------------------------------------------------------------------------------- 01

NB1 = [
    ("md", r"""# 1. Unrolling a recurrent network: one set of weights, one term per copy

## Learning goals
After this notebook you can
1. write the forward pass of a vanilla RNN and say what $U$, $W$ and $V$ do;
2. draw the network *unrolled* in time, and say why it is an ordinary feed-forward graph;
3. explain why the gradient of a shared weight is a **sum over the copies** of the cell, and
   read each copy's term from the library."""),
    ("code", SETUP),
    ("md", r"""## The model

The vanilla (Elman) RNN of the course notes, for $t = 1, \dots, T$:

$$s_t = g(U x_t + W s_{t-1}), \qquad s_0 = 0, \qquad o_t = h(V s_t)$$

$$L = \sum_{t=1}^{T} E(o_t, y_t), \qquad E(o, y) = \lVert o - y \rVert_2^2 .$$

Here $g = \tanh$ and $h$ is the identity. (The notes write $s_{t+1} = g(U x_t + W s_t)$: the same
model with the state's index shifted by one.) The same three matrices $U$, $W$, $V$ are used at
every step. Folded, the network is one cell with a loop:"""),
    ("code", """\
model = rnn.RNN(input_size=2, hidden_size=3, output_size=1, bias=False, rng=0)
print({name: p.shape for name, p in model.named_parameters()})
viz.draw_folded(model)"""),
    ("md", r"""## Unrolling

Running the loop for $T$ steps *unrolls* it: $T$ copies of the cell, each reading $x_t$ and the
previous state $s_{t-1}$. Every copy computes
$a_t = U x_t + W s_{t-1}$, $s_t = \tanh(a_t)$, $o_t = V s_t$ and its cost $E_t$.
`rnn.bptt` runs the forward pass, adds up $L = \sum_t E_t$ and back-propagates once."""),
    ("code", """\
rng = np.random.default_rng(0)
T = 4
xs, ys = rng.normal(size=(T, 2)), rng.normal(size=(T, 1))
result = rnn.bptt(model, xs, ys, contributions=True)
result          # in Jupyter a result shows as a table: L, and each gradient's size"""),
    ("md", r"""The unrolled graph, one box per time step. $U$, $W$ and $V$ are drawn **once**, below the
boxes, with an edge into every copy that uses them; the number on each edge is the size of that
copy's term of the gradient (next section)."""),
    ("code", "viz.draw_unrolled(result.loss_tensor)"),
    ("md", "The same graph as the textbook figure, one node per cell:"),
    ("code", 'viz.draw_unrolled(result.loss_tensor, detail="cells")'),
    ("md", r"""## A shared weight collects one term per copy

$W$ enters the loss through every copy $t$. By the chain rule its gradient is the sum of what
flows into it through each copy:

$$\frac{dL}{dW} = \sum_{t=1}^{T} \underbrace{\delta_t\, s_{t-1}^{\top}}_{\text{copy } t\text{'s term}},
\qquad \delta_t = \frac{\partial L}{\partial a_t}, $$

and likewise $\frac{dL}{dU} = \sum_t \delta_t x_t^\top$ and
$\frac{dL}{dV} = \sum_t \frac{\partial L}{\partial o_t} s_t^\top$. The engine records each copy's
term as it walks back: `result.contributions["W"]["t=2"]` is copy 2's term."""),
    ("code", """\
terms = result.contributions["W"]
for step, term in terms.items():
    print(step, "term of dL/dW:\\n", term)
total = sum(terms.values())
print("sum of the terms equals W.grad:", np.allclose(total, result.grads["W"]))"""),
    ("md", r"""The size of every term, $\lVert \text{term}_t \rVert$, for every parameter. Note copy 1's term
of $dL/dW$: it is zero, because $s_0 = 0$ and so $\delta_1 s_0^\top = 0$."""),
    ("code", "rnn.contribution_table(result)"),
    ("md", r"""## Explore the backward pass

Step through the walk that `backward()` makes over this graph. At the end, each parameter's
running sum of terms equals its `.grad`."""),
    ("code", EXPLORE.format(loss="result.loss_tensor")),
    ("md", r"""## Exercises

Each exercise has a checker in `rnn.exercises` that says *what* is wrong, not just that something
is. Solutions are in `solutions/01_unrolling.py`: try first, then load one into a cell with
`%load solutions/01_unrolling.py`.

### Exercise 1: the forward pass
Write `rnn_forward(params, xs)` for one sequence `xs` of shape $(T, D)$; `params` holds the
arrays `"U"` $(H, D)$, `"W"` $(H, H)$ and `"V"` $(O, H)$. Return the lists
$[s_1, \dots, s_T]$ and $[o_1, \dots, o_T]$ of

$$s_t = \tanh(U x_t + W s_{t-1}), \quad s_0 = 0, \quad o_t = V s_t .$$"""),
    ("code", """\
def rnn_forward(params, xs):
    U, W, V = params["U"], params["W"], params["V"]
    states, outputs = [], []
    # your code here: one step per row of xs
    raise NotImplementedError
    return states, outputs

rnn.exercises.check_rnn_forward(rnn_forward);"""),
    ("md", r"""### Exercise 2: the loss
Write `sequence_loss(outputs, ys)` for arrays of shape $(T, O)$: $L = \sum_{t=1}^{T} \lVert o_t - y_t \rVert_2^2$."""),
    ("code", """\
def sequence_loss(outputs, ys):
    # your code here
    raise NotImplementedError

rnn.exercises.check_sequence_loss(sequence_loss);"""),
    ("md", r"""### Exercise 3 (discussion)
Make the sequence longer (`T = 12`) and look at `rnn.contribution_table(result)` again. Which
copies contribute most to $dL/dW$: the early ones or the late ones? Keep your answer for
notebook 3."""),
]

# ----------------------------------------------------------------------------------- 02

NB2 = [
    ("md", r"""# 2. Deriving BPTT by hand, and checking it three ways

## Learning goals
After this notebook you can
1. derive the backward recursion of the vanilla RNN, the error $\delta_t$ carried from step
   $t+1$ back to step $t$;
2. compute every copy's term of $dL/dU$, $dL/dW$, $dL/dV$ with it, in plain NumPy;
3. check a gradient against autograd, against the forward-in-time computation (RTRL) and
   against finite differences, and read the size of the disagreement."""),
    ("code", SETUP),
    ("md", r"""## The backward recursion

Forward, $t = 1..T$: $a_t = U x_t + W s_{t-1}$, $s_t = \tanh(a_t)$, $o_t = V s_t$,
$E_t = \lVert o_t - y_t \rVert^2$, $L = \sum_t E_t$.

$s_t$ reaches $L$ in two ways: through its own output $o_t$, and through the next state
$s_{t+1}$. So, backward from $t = T$ to $1$, with $\delta_{T+1} = 0$:

$$dz_t = \frac{\partial E_t}{\partial o_t} = 2\,(o_t - y_t)$$
$$ds_t = \frac{\partial L}{\partial s_t} = V^\top dz_t + W^\top \delta_{t+1}$$
$$\delta_t = \frac{\partial L}{\partial a_t} = ds_t \odot g'(a_t) = ds_t \odot (1 - s_t^2)$$

and copy $t$'s terms are

$$\frac{\partial L}{\partial V}\Big|_t = dz_t\, s_t^\top, \qquad
\frac{\partial L}{\partial U}\Big|_t = \delta_t\, x_t^\top, \qquad
\frac{\partial L}{\partial W}\Big|_t = \delta_t\, s_{t-1}^\top .$$

Each line of the code below is one of these equations."""),
    ("code", """\
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
    print(f"t={t}:  |δ_t| = {np.linalg.norm(delta):.4f}")"""),
    ("md", r"""## Check 1: against autograd, copy by copy

`rnn.bptt(..., contributions=True)` gives autograd's term for every copy. The two must agree to
rounding (about $10^{-16}$), not only in total but term by term."""),
    ("code", """\
auto = rnn.bptt(model, xs, ys, contributions=True)
for t in range(1, T + 1):
    diff = np.abs(dW_terms[t] - auto.contributions["W"][f"t={t}"]).max()
    print(f"copy {t}: max |by hand - autograd| = {diff:.1e}")
print("totals agree:", np.allclose(sum(dW_terms.values()), auto.grads["W"], rtol=1e-12))"""),
    ("md", r"""The numbers on $W$'s edges in the unrolled drawing are the sizes of these terms,
$\lVert \delta_t s_{t-1}^\top \rVert$:"""),
    ("code", 'viz.draw_unrolled(auto.loss_tensor, detail="cells")'),
    ("md", r"""The library's own hand-written recursion, `rnn.manual.rnn_bptt`, is the same loop with
biases, batches and other losses; it returns every parameter's per-step terms."""),
    ("code", """\
by_hand = rnn.manual.backward(model, xs, ys)
{name: float(np.abs(by_hand.grads[name] - auto.grads[name]).max()) for name in auto.grads}"""),
    ("md", r"""## Check 2: forward in time (RTRL)

The notes compute the total derivatives $ds_t/dW$ *inductively*, forward in time, because
$s_t$ depends on $W$ directly and again through $s_{t-1}$:

$$\frac{ds_t}{d\theta} = g'(a_t) \odot \Big(\frac{\partial a_t}{\partial \theta} + W \frac{ds_{t-1}}{d\theta}\Big),
\qquad \frac{ds_0}{d\theta} = 0, \qquad
\frac{dL}{d\theta} = \sum_t \Big(\frac{\partial E_t}{\partial s_t}\Big)^{\!\top} \frac{ds_t}{d\theta}.$$

This is real-time recurrent learning (Williams and Zipser, 1989): no backward pass at all, but
$O(H^4)$ work per step against BPTT's $O(H^2)$."""),
    ("code", """\
forward = rnn.rtrl.forward_gradients(model, xs, ys)
{name: float(np.abs(forward.grads[name] - auto.grads[name]).max()) for name in auto.grads}"""),
    ("md", r"""## Check 3: the referee, finite differences

Central differences need no derivation at all:
$\dfrac{\partial L}{\partial \theta_i} \approx \dfrac{L(\theta + \varepsilon e_i) - L(\theta - \varepsilon e_i)}{2\varepsilon}$,
with an error of order $\varepsilon^2$. `rnn.compare_gradients` runs all four methods and
reports each one's error against autograd, relative to the largest gradient entry."""),
    ("code", "rnn.compare_gradients(model, xs, ys)"),
    ("md", "## Explore the backward pass"),
    ("code", EXPLORE.format(loss="auto.loss_tensor")),
    ("md", r"""## Exercises

Solutions: `solutions/02_bptt_by_hand.py` (load with `%load solutions/02_bptt_by_hand.py`,
after trying).

### Exercise 1: the δ recursion
Write `rnn_bptt(params, xs, ys)` for the model above (no biases, $\tanh$, $o_t = V s_t$,
$L = \sum_t \lVert o_t - y_t\rVert^2$). Return a dict with, for each of `"U"`, `"W"`, `"V"`,
the list of the $T$ per-copy terms (copy $t$'s term at index $t-1$).
`check_rnn_bptt` compares every term with autograd's, and names the first parameter and time
step that disagree, walking back from $t = T$ as the recursion does."""),
    ("code", """\
def rnn_bptt(params, xs, ys):
    U, W, V = params["U"], params["W"], params["V"]
    T = len(xs)
    terms = {"U": [None] * T, "W": [None] * T, "V": [None] * T}
    # your code here: the forward pass, then t = T, T-1, ..., 1
    raise NotImplementedError
    return terms

rnn.exercises.check_rnn_bptt(rnn_bptt);"""),
    ("md", r"""### Exercise 2: central differences
Write `central_difference(f, x, eps)`: for a function `f` of an array `x` returning a number,
the array of $\big(f(x + \varepsilon e_i) - f(x - \varepsilon e_i)\big) / 2\varepsilon$ for every
entry $i$ of `x`. Leave `x` as you found it."""),
    ("code", """\
def central_difference(f, x, eps):
    # your code here
    raise NotImplementedError

rnn.exercises.check_central_difference(central_difference);"""),
    ("md", r"""### Exercise 3 (discussion)
Run `rnn.compare_gradients(model, xs, ys)` with `model = rnn.RNN(D, H, O, rng=0,
dtype=np.float32)`. What happens, and why does the check insist on float64?"""),
]

# ----------------------------------------------------------------------------------- 03

NB3 = [
    ("md", r"""# 3. Vanishing and exploding gradients

## Learning goals
After this notebook you can
1. write $\partial s_T / \partial s_t$ as a product of Jacobians and say why it shrinks or grows
   geometrically with $T - t$;
2. predict from the spectral radius of $W$ whether a vanilla RNN's gradient vanishes or explodes;
3. explain how the LSTM's cell state, and a forget-gate bias, keep the gradient alive;
4. read the gradient-flow strip, `viz.draw_gradient_flow`."""),
    ("code", SETUP + "\nimport matplotlib.pyplot as plt"),
    ("md", r"""## A product of Jacobians

With $s_k = \tanh(a_k)$, $a_k = U x_k + W s_{k-1}$, one step back multiplies the gradient by

$$\frac{\partial s_k}{\partial s_{k-1}} = \operatorname{diag}\big(1 - s_k^2\big)\, W ,
\qquad\text{so}\qquad
\frac{\partial s_T}{\partial s_t} = \prod_{k=T}^{t+1} \operatorname{diag}\big(1 - s_k^2\big)\, W .$$

Since $0 < 1 - s_k^2 \le 1$, the size of that product is bounded by
$\lVert W \rVert_2^{\,T-t}$, and for long products it behaves like $\rho(W)^{T-t}$, where $\rho(W)$,
the **spectral radius**, is the largest $|\lambda|$ of $W$'s eigenvalues. Below 1 the gradient
from far back **vanishes**; above 1 it can **explode**. With $\tanh$, a large $W$ also drives the
states into saturation, where $1 - s_k^2$ is small and holds the growth back; a linear RNN
($g(a) = a$) shows the pure $\rho(W)^{T-t}$."""),
    ("code", """\
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
    print(f"{label}:  |dE_T/ds_t| changes by x{flow.decay_per_step():.3f} per step back")"""),
    ("md", r"""`rnn.gradient_flow` back-propagates the last step's cost $E_T$ alone and records
$\lVert \partial E_T / \partial s_t \rVert$ for every $t$. On a log scale a geometric decay is a
straight line:"""),
    ("code", """\
fig, ax = plt.subplots(figsize=(7, 3.5))
for label, flow in flows.items():
    ax.semilogy(flow.steps, flow.state_grad_norms, marker="o", ms=3, label=label)
ax.set_xlabel("t"); ax.set_ylabel("‖dE_T / ds_t‖"); ax.legend(); ax.grid(alpha=0.3)
ax.set_title(f"How much of E_T's gradient reaches the state at step t (T = {T})")
plt.show()"""),
    ("md", "The same numbers as a strip, one box per step, coloured on one log scale:"),
    ("code", "viz.draw_gradient_flow(flows)"),
    ("md", "Every number of one row, as a table:"),
    ("code", 'flows["RNN, ρ(W) = 0.5"]'),
    ("md", r"""## The LSTM's cell state

The LSTM (PyTorch's equations, gates $i, f, g, o$) carries a second state, the cell $c_t$:

$$c_t = f_t \odot c_{t-1} + i_t \odot g_t, \qquad h_t = o_t \odot \tanh(c_t),
\qquad f_t = \sigma(U_f x_t + W_f h_{t-1} + b_f).$$

Along the cell state, one step back multiplies the gradient by $\operatorname{diag}(f_t)$: no
$W$ and no squashing slope. If the forget gate stays open, $f_t \approx 1$, the gradient passes
almost unchanged. A **forget-gate bias** $b_f$ of 1 to 3 opens the gate from the start
(Gers et al. 2000; Jozefowicz et al. 2015); $\sigma(3) \approx 0.95$."""),
    ("code", """\
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
viz.draw_gradient_flow(lstm_flows)"""),
    ("code", """\
fig, ax = plt.subplots(figsize=(7, 3.5))
for label, flow in lstm_flows.items():
    ax.semilogy(flow.steps, flow.state_grad_norms, marker="o", ms=3, label=label)
ax.set_xlabel("t"); ax.set_ylabel("‖dE_T / dh_t‖"); ax.legend(); ax.grid(alpha=0.3)
plt.show()"""),
    ("md", r"""## Explore: a vanishing gradient, step by step

The unrolled graph of a short RNN with a small $\rho(W)$, coloured by the size of each gradient
(`heat=True`): the early steps fade to pale yellow."""),
    ("code", """\
small = rnn_with_radius(0.3)
short = rnn.bptt(small, xs[:6], ys[:6], retain_grads=True, contributions=True)
viz.draw_unrolled(short.loss_tensor, heat=True, detail="cells")"""),
    ("code", EXPLORE.format(loss="short.loss_tensor")),
    ("md", r"""## Exercises

Solutions: `solutions/03_vanishing_exploding.py` (load with
`%load solutions/03_vanishing_exploding.py`, after trying).

### Exercise 1: set the spectral radius
Write `scale_to_radius(W, rho)`: return $W$ multiplied by one number, so that the result's
spectral radius is `rho`. Do not change `W` itself."""),
    ("code", """\
def scale_to_radius(W, rho):
    # your code here
    raise NotImplementedError

rnn.exercises.check_scale_to_radius(scale_to_radius);"""),
    ("md", r"""### Exercise 2: the product of Jacobians
Write `jacobian_product(W, states, t)`: given $W$, the list of states $[s_1, \dots, s_T]$ of a
$\tanh$ RNN and a step $t$, return the $H \times H$ matrix
$\partial s_T / \partial s_t = \prod_{k=T}^{t+1} \operatorname{diag}(1 - s_k^2)\, W$
(the identity for $t = T$)."""),
    ("code", """\
def jacobian_product(W, states, t):
    # your code here
    raise NotImplementedError

rnn.exercises.check_jacobian_product(jacobian_product);"""),
    ("md", r"""### Exercise 3 (discussion)
With `jacobian_product`, compute $\lVert \partial s_T/\partial s_1 \rVert_2$ for the RNNs of
this notebook and compare it with $\rho(W)^{T-1}$ and $\lVert W \rVert_2^{T-1}$. Which one is a
bound, and which one a good guess?"""),
]

# ----------------------------------------------------------------------------------- 04

NB4 = [
    ("md", r"""# 4. Truncated BPTT, and a character-level RNN

## Learning goals
After this notebook you can
1. state exactly what TBPTT($k_1$, $k_2$) computes, and draw which steps one update reaches;
2. predict, for a task whose answer lies $d$ steps back, which truncation lengths can learn it,
   and see it happen;
3. train a character-level RNN with truncated BPTT, carrying the state across chunks, and sample
   text from it at different temperatures."""),
    ("code", SETUP + "\nimport matplotlib.pyplot as plt"),
    ("md", r"""## TBPTT($k_1$, $k_2$)

Run forward one step at a time, carrying the state. Every $k_1$ steps, at step $t$:
back-propagate the losses of the last $k_1$ steps (the **block**) through the last $k_2$ steps
only (the **window**), and update:

$$L^{(t)} = \sum_{\tau = t-k_1+1}^{t} E_\tau, \qquad
\text{the gradient flows through } \tau = t-k_2+1, \dots, t, \qquad
s_{t-k_2} \text{ is held constant (a cut).}$$

$k_1 = k_2 = T$ is full BPTT; $k_1 = k_2 = k$ is chunked training with the state carried over
(min-char-rnn's scheme). With $k_2 < k_1$ the first losses of a block reach only $V$."""),
    ("code", """\
model = rnn.RNN(1, 4, 1, rng=0)
zeros = np.zeros((12, 1))
truncated = rnn.tbptt(model, zeros, zeros, k1=4, k2=6, optimizer=None)
display(truncated)         # one row per update: its block and its window
viz.draw_truncation(truncated, update=1)"""),
    ("md", r"""## When truncation matters: an echo task

The input is a random sign $x_t \in \{-1, +1\}$; the target is the input $d = 4$ steps ago,
$y_t = x_{t-d}$ ($0$ for $t \le d$). To learn it, the gradient of $E_t$ must reach the copy that
read $x_{t-d}$, $d$ steps back. With a window of $k_2 \le d$ steps it never can: the loss stays
at the baseline of predicting 0. Every run below updates every $k_1 = 2$ steps; only the window
length $k_2$ changes."""),
    ("code", """\
class Echo(rnn.tasks.Task):
    \"\"\"y_t = x_{t-d}: repeat the sign seen d steps ago.\"\"\"
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
    print(f"TBPTT(k1=2, k2={k2}): final loss {final[k2]:.3f} (baseline {task.baseline:.2f})")"""),
    ("code", """\
fig, ax = plt.subplots(figsize=(7, 3.5))
for k2, curve in curves.items():
    ax.plot(curve, label=f"k2 = {k2}")
ax.axhline(task.baseline, color="grey", ls="--", label="baseline: predict 0")
ax.set_xlabel("update"); ax.set_ylabel("loss per step (smoothed)"); ax.legend(); ax.grid(alpha=0.3)
ax.set_title("Echo at delay d = 4: the window must reach d steps back")
plt.show()"""),
    ("md", r"""Why the threshold is at $k_2 = d + 1$: the window of the update at step $t$ covers steps
$t - k_2 + 1, \dots, t$. The cost $E_t$ needs $x_{t-d}$, so its gradient reaches the copy that read
it only if $t - d \ge t - k_2 + 1$, that is $k_2 \ge d + 1 = 5$. (With $k_2 = 5$ only the last step
of each block sees its answer; because every step shares the same weights, what is learned there
serves every step.) With $k_2 \le d$ the network learns nothing beyond the baseline: a little below
it, from the first $d$ steps, whose target is 0."""),
    ("md", r"""## A character-level RNN

`rnn.tasks.CharText` reads eight of Shakespeare's sonnets one character at a time; the target is
the next character, the loss the cross-entropy of $\operatorname{softmax}(o_t)$. Training is
TBPTT($k_1$ = $k_2$ = 25): chunks of 25 characters, each starting from the previous chunk's last
state, detached. The baseline is a model that knows only each character's frequency."""),
    ("code", """\
text = rnn.tasks.CharText(seq_len=25)
model = rnn.RNN(text.input_size, 64, text.output_size, rng=0)
print("before training:", repr(rnn.tasks.sample(model, text, length=80, prime="Shall I", rng=1)))
run = rnn.train(model, text, updates=2500)
print(f"loss per character: {np.mean(run.losses[-100:]):.3f} nats "
      f"(baseline {text.baseline:.3f}, uniform guess {np.log(text.input_size):.3f})")"""),
    ("md", r"""To sample, the model reads a prime, then repeatedly draws the next character from

$$p = \operatorname{softmax}(o_t / \tau)$$

and feeds it back in. A low temperature $\tau$ picks the likeliest characters; a high one is more
adventurous."""),
    ("code", """\
for temperature in (0.5, 1.0):
    print(f"--- temperature {temperature} ---")
    print(rnn.tasks.sample(model, text, length=240, prime="Shall I", temperature=temperature,
                           rng=2))"""),
    ("md", r"""## Exercises

Solutions: `solutions/04_truncation_and_text.py` (load with
`%load solutions/04_truncation_and_text.py`, after trying).

### Exercise 1: the schedule of TBPTT($k_1$, $k_2$)
Write `tbptt_schedule(T, k1, k2)`: the list of updates `rnn.tbptt` makes over $T$ steps, each as
`((first, last), (first, last))`: its block (the steps whose losses count) and its window (the
steps the gradient flows through), numbered from 1, both ends included."""),
    ("code", """\
def tbptt_schedule(T, k1, k2):
    # your code here
    raise NotImplementedError

rnn.exercises.check_tbptt_schedule(tbptt_schedule);"""),
    ("md", r"""### Exercise 2: sampling with a temperature
Write `softmax_temperature(logits, temperature)`: $p = \operatorname{softmax}(z / \tau)$. It
must also work for logits in the thousands."""),
    ("code", """\
def softmax_temperature(logits, temperature):
    # your code here
    raise NotImplementedError

rnn.exercises.check_softmax_temperature(softmax_temperature);"""),
    ("md", r"""### Exercise 3 (discussion)
Rerun the echo experiment with `delay=6`. Which $k_2$ is the smallest that learns?
Then train the character model with `k1=25, k2=5`: does the loss reach the same level?"""),
]

# ----------------------------------------------------------------------------------- 05

NB5 = [
    ("md", r"""# 5. Learning online: beyond BPTT

## Learning goals
After this notebook you can
1. say what the **influence matrix** $M_t = \partial s_t / \partial \Theta$ is, write RTRL's
   recursion for it, and say why it costs $O(H^4)$ per step;
2. read SnAp-1 as RTRL with $M_t$ kept on a sparsity pattern, and UORO as a random rank-one
   estimate of it, and measure each one's **alignment, bias and spread** against exact BPTT;
3. train on the echo task **online**, one step at a time without storing the past, and read the
   loss against the task's three closed-form levels."""),
    ("code", SETUP + """
import matplotlib.pyplot as plt
from rnn.online import train_online
from rnn.online.echo import echo_data, echo_levels"""),
    ("md", r"""## Forward in time: the influence matrix

BPTT stores the whole sequence and walks back over it. Real-time recurrent learning (Williams and
Zipser, 1989) instead carries, forward in time, how the state depends on every recurrent weight.
Write the weights of the cell as one matrix $\Theta = [W \; U \; b]$ acting on
$z_t = [s_{t-1};\, x_t;\, 1]$, so that $s_t = g(\Theta z_t)$. Then

$$M_t = \frac{\partial s_t}{\partial \Theta} = \underbrace{\operatorname{diag}(g'(a_t))\, W}_{D_t}\; M_{t-1}
\;+\; \bar M_t, \qquad \bar M_t[i, j, k] = g'(a_t)_i\, \delta_{ij}\, z_{t,k}, \qquad M_0 = 0,$$

$$\frac{\partial L}{\partial \Theta} = \sum_{t=1}^{T} c_t\, M_t, \qquad
c_t = \frac{\partial E_t}{\partial s_t}.$$

$M_t$ holds $H \cdot H \cdot K$ numbers ($K = H + D + 1$), and $D_t M_{t-1}$ costs $H$ times that:
$O(H^4)$ per step. The gradient it gives is BPTT's, exactly:"""),
    ("code", """\
model = rnn.RNN(input_size=2, hidden_size=4, output_size=1, rng=0)
rng = np.random.default_rng(0)
xs, ys = rng.normal(size=(12, 2)), rng.normal(size=(12, 1))
exact = rnn.bptt(model, xs, ys).grads
online = rnn.online.online_gradient(model, xs, ys, "rtrl").grads
for name in exact:
    error = np.linalg.norm(online[name] - exact[name]) / np.linalg.norm(exact[name])
    print(f"{name}: relative difference RTRL - BPTT = {error:.1e}")
viz.draw_folded(model)      # the cell whose weights Θ = [W U b] the influence matrix follows"""),
    ("md", r"""## What SnAp keeps

SnAp-$n$ (Menick et al., 2021) keeps $M_t$ only where a weight can reach a unit within $n$
steps, and drops the rest after every step:

$$M_t = \left(D_t M_{t-1} + \bar M_t\right) \odot P_n .$$

$\Theta_{jk}$ feeds unit $j$ directly, so $P_1$ keeps only $i = j$: the $H \times K$ numbers
$\partial s_{t,j} / \partial \Theta_{jk}$, updated with $D_t$'s diagonal alone:
$J_t[j, k] = g'_j W_{jj} J_{t-1}[j, k] + g'_j z_{t,k}$. That is $O(H^2)$ per step, no more than a
step of BPTT. Below, each panel is $M_t$ as an $H \times (H \cdot K)$ image: row $i$ is unit
$s_i$, each block of $K$ columns the weights of one unit $j$. At $t = 1$ both are the same,
$M_1 = \bar M_1$; from then on RTRL fills in, and SnAp-1 stays block-diagonal."""),
    ("code", """\
fig = viz.draw_influence(model, xs, rule="snap-1", steps=[1, 2, 4, 12])
frames = fig.influence          # the arrays the figure shows
for name in frames:
    print(f"{name:7s} non-zero share of M_12: {np.mean(frames[name][-1] != 0):.0%}")
plt.show()"""),
    ("md", r"""## How good is each gradient?

With the weights held fixed, every rule's estimate $\hat g$ is compared with BPTT's $g$
(Marschall, Cho and Savin, 2020): the **alignment** $\langle \hat g, g\rangle / (\lVert\hat g\rVert
\lVert g\rVert)$, the **bias** $\lVert \operatorname{mean}\hat g - g\rVert / \lVert g\rVert$ and the
**spread** over seeds for the random rules. UORO (Tallec and Ollivier, 2018) replaces $M_t$ by a
random rank-one $\tilde s_t \tilde\theta_t^\top$ whose expectation is $M_t$: unbiased, but noisy.
KF-RTRL (Mujika, Meier and Steger, 2018) keeps $M_t$ as a random Kronecker product
$A_t \otimes u_t$ ($H^2 + K$ numbers, $O(H^3)$ per step): also unbiased, and less noisy.
RFLO (Murray, 2019) drops $D_t$'s off-diagonal part and sends the error back through a random
matrix; TBPTT-$k$ stops $k$ steps back."""),
    ("code", """\
report = rnn.compare_online(model, xs, ys, rules=("rtrl", "snap-1", "uoro", "kf-rtrl", "rflo", "tbptt-4"),
                            seeds=range(16))
display(report)"""),
    ("md", r"""Read the "all" rows: RTRL is exact (bias $\approx 10^{-16}$); SnAp-1 and TBPTT-4 point close
to the exact gradient but their bias doesn't go away; UORO's single estimate is poorly aligned
but its mean over seeds is unbiased, so its bias falls like $1/\sqrt{n}$ with the number of
seeds $n$. KF-RTRL is unbiased too, and its single estimates line up with the exact gradient
far better than UORO's."""),
    ("code", """\
uoro = rnn.online.UORO()
estimates = [rnn.online.online_gradient(model, xs, ys, uoro, rng=seed).grads["W"]
             for seed in range(400)]
for n in (25, 100, 400):
    mean = np.mean(estimates[:n], axis=0)
    print(f"UORO, mean of {n:3d} seeds: bias "
          f"{np.linalg.norm(mean - exact['W']) / np.linalg.norm(exact['W']):.3f}")"""),
    ("md", r"""## Learning online on the echo task

The echo task: coin flips $X_t$, and $P(Y_t = 1) = 0.5 + 0.5\,X_{t-3} - 0.25\,X_{t-8}$. Its best
cross-entropies are known in closed form: knowing neither lag, $H(0.625)$; knowing $X_{t-3}$
only, $\tfrac12\left(H(0.875) + H(0.375)\right)$; knowing both,
$\tfrac14\left(H(0.5) + 2 H(0.25)\right)$, with $H(p) = -p\log p - (1-p)\log(1-p)$.

Below, each rule trains an RNN on one long stream (8 streams in parallel), updating the weights
every 4 steps and never going back: the state and the rule's carried quantities continue across
updates. TBPTT-2's window cannot reach $X_{t-3}$."""),
    ("code", """\
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
plt.show()"""),
    ("md", r"""What to see: TBPTT-2 stays near the "neither" level, as its definition guarantees (its
gradient never reaches $X_{t-3}$). On this run (seed 0, 8 hidden units, 3000 steps) RTRL and
TBPTT-9 end just below "lag 3 only" (about 0.515), SnAp-1 and UORO between "neither" and
"lag 3 only" (about 0.54): their gradients are biased or noisy, so they learn more slowly. None
reaches "both" here. How far a rule gets, and whether it learns lag 8 at all, depends on the size
of the model and how long it trains: measure it, don't assume it. The same comparison for
truncated BPTT runs from the terminal: `bptt train --task echo --k1 2 --k2 2` and
`--k2 8`."""),
    ("md", r"""## Exercises

Solutions: `solutions/05_learning_online.py` (load with `%load solutions/05_learning_online.py`,
after trying). Each exercise uses $M[i, j, k] = \partial s_i / \partial \Theta_{jk}$, the
derivatives $g' = g'(a_t)$ as a vector `gp` of length $H$, and $z = [s_{t-1};\, x_t;\, 1]$.

### Exercise 1: one step of RTRL
Write `rtrl_step(M_prev, gp, W, z)`: $M_t = \operatorname{diag}(g')\, W M_{t-1} + \bar M_t$, with
$\bar M_t[i, j, k] = g'_i \delta_{ij} z_k$."""),
    ("code", """\
def rtrl_step(M_prev, gp, W, z):
    # your code here
    raise NotImplementedError

rnn.exercises.check_rtrl_step(rtrl_step);"""),
    ("md", r"""### Exercise 2: one step of SnAp-1
Write `snap1_step(J_prev, gp, W, z)` for $J[j, k] = \partial s_j / \partial \Theta_{jk}$ (the part
of $M$ where $i = j$): $J_t[j, k] = g'_j W_{jj} J_{t-1}[j, k] + g'_j z_k$."""),
    ("code", """\
def snap1_step(J_prev, gp, W, z):
    # your code here
    raise NotImplementedError

rnn.exercises.check_snap1_step(snap1_step);"""),
    ("md", r"""### Exercise 3 (discussion)
Make $W$ diagonal (`model.W.data = np.diag(np.diag(model.W.data))`) and rerun the comparison:
what happens to SnAp-1's bias, and why? Then rerun the echo training with 16 hidden units and
a stream of 6000 steps: which rules now get close to the "both" level?"""),
]

NOTEBOOKS = {
    "01_unrolling.ipynb": NB1,
    "02_bptt_by_hand.ipynb": NB2,
    "03_vanishing_exploding.ipynb": NB3,
    "04_truncation_and_text.ipynb": NB4,
    "05_learning_online.ipynb": NB5,
}


def build(cells):
    nb = new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    nb.metadata["language_info"] = {"name": "python"}
    for kind, source in cells:
        nb.cells.append(new_markdown_cell(source) if kind == "md" else new_code_cell(source))
    for i, cell in enumerate(nb.cells):      # stable ids: the files only change with the text
        cell["id"] = f"cell-{i:02d}"
    return nb


def main():
    OUT.mkdir(exist_ok=True)
    for name, cells in NOTEBOOKS.items():
        nb = build(cells)
        nbformat.validate(nb)
        nbformat.write(nb, OUT / name)
        print(f"wrote {OUT / name} ({len(nb.cells)} cells)")


if __name__ == "__main__":
    main()
