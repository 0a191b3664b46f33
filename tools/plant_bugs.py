#!/usr/bin/env python3
"""Plant known bugs, one at a time, and check that the test suite turns red.

A test suite is only as good as the bugs it catches.  Each *mutant* below is
one small, plausible bug: one exact piece of text in one file replaced by
another (``2 / x`` computing ``x / 2``, the LSTM's gates in the wrong order,
TBPTT's window one step short, ...).  For each mutant this script

1. copies the repository (the working tree, or ``--rev``) into a temporary folder,
2. checks that the old text occurs exactly once in its file (if the code has
   changed, the mutant is reported STALE rather than silently doing nothing),
3. plants the bug and runs ``pytest -x -q -p no:cacheprovider`` there,
4. reports KILLED (the tests went red) or SURVIVED (they stayed green: a test
   is missing).

It prints a table and exits non-zero if any mutant survived or is stale.
The suite runs with the fixed Hypothesis profile (HYPOTHESIS_PROFILE=ci), so
a result reproduces.

Usage (from the repository root, with the test dependencies installed)::

    .venv/bin/python tools/plant_bugs.py               # every mutant (or: make mutants)
    .venv/bin/python tools/plant_bugs.py --list        # what they are
    .venv/bin/python tools/plant_bugs.py --check       # can each still be planted? (no tests)
    .venv/bin/python tools/plant_bugs.py --only rdiv-swapped --only lstm-gates-if
    .venv/bin/python tools/plant_bugs.py --jobs 2      # two mutants at a time
    .venv/bin/python tools/plant_bugs.py --rev HEAD    # the committed code, not the working tree
    .venv/bin/python tools/plant_bugs.py --quick       # only each mutant's own test files
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@dataclass(frozen=True)
class Mutant:
    name: str
    path: str            # relative to the repository root
    old: str             # must occur exactly once in the file
    new: str
    why: str             # the bug, in a few words
    tests: tuple = ()    # with --quick, only these test paths run (default: all)


def M(name, path, old, new, why, *tests):
    return Mutant(name, path, old, new, why, tuple(tests))


GRAPH, TENSOR = "minigrad/graph.py", "minigrad/tensor.py"
OPS, FUNCTIONAL, OPTIM = "minigrad/ops.py", "minigrad/functional.py", "minigrad/optim.py"
JVP, NN = "minigrad/forward.py", "minigrad/nn.py"
LOSSES, MODELS, TRUNC = "rnn/losses.py", "rnn/models.py", "rnn/truncated.py"
ONLINE = "rnn/online/__init__.py"
FORWARD = "tests/test_forward_values.py"
INPLACE, DTYPES = "tests/test_habits_inplace.py", "tests/test_rnn_dtypes.py"
ONLINE_ERRORS = "tests/test_online_errors.py"

MUTANTS = [
    # ---- the engine: the record and the reverse walk
    M("walk-oldest-first", GRAPH,
      "heappush(waiting, (-inp.seq, inp))",
      "heappush(waiting, (inp.seq, inp))",
      "the walk pops the oldest waiting node: a node can go before all its users have sent "
      "their gradients", "tests/test_engine.py"),
    M("pending-overwritten", GRAPH,
      "pending[inp] = earlier + g_in",
      "pending[inp] = g_in",
      "a result used twice keeps only the last gradient sent to it",
      "tests/test_engine.py", "tests/test_rnn_gradients.py"),
    M("leaf-grad-overwritten", GRAPH,
      "leaf_grads[inp] += g_in",
      "leaf_grads[inp] = g_in",
      "a shared parameter (W in every step) keeps one step's gradient, not the sum",
      "tests/test_engine.py", "tests/test_rnn_gradients.py"),
    M("backward-twice-replaces", GRAPH,
      "leaf._grad = g if leaf._grad is None else leaf._grad + g",
      "leaf._grad = g",
      "a second backward() replaces .grad instead of adding to it", "tests/test_engine.py"),
    M("second-input-is-first", GRAPH,
      "self._second = second.node or second",
      "self._second = first.node or first",
      "a two-input op records its first input twice", "tests/test_engine.py"),
    M("unbroadcast-mean", GRAPH,
      "grad = grad.sum(axis=stretched, keepdims=True)",
      "grad = grad.mean(axis=stretched, keepdims=True)",
      "a broadcast input gets the mean of its copies' gradients, not the sum",
      "tests/test_engine.py", "tests/test_ops_gradcheck.py"),
    M("held-data-not-copied", TENSOR,
      "if self._held or not array.flags.writeable:",
      "if not array.flags.writeable:",
      "t.data hands out the array a recorded graph reads: w.data[0] = 10 changes the "
      "gradient", "tests/test_recorded_graphs.py"),
    # ---- operators: the reflected ones swap their operands
    M("rdiv-swapped", TENSOR,
      "return ops.div(other, self)",
      "return ops.div(self, other)",
      "2 / x computes x / 2", FORWARD, "tests/test_engine.py"),
    M("rsub-swapped", TENSOR,
      "return ops.sub(other, self)",
      "return ops.sub(self, other)",
      "2 - x computes x - 2", FORWARD),
    M("rpow-swapped", TENSOR,
      "return ops.pow(other, self)",
      "return ops.pow(self, other)",
      "2 ** x computes x ** 2", FORWARD),
    M("rmatmul-swapped", TENSOR,
      "return ops.matmul(other, self)",
      "return ops.matmul(self, other)",
      "A @ x computes x @ A", FORWARD),
    M("number-is-float64", OPS,
      "number = Tensor._wrap(np.asarray(x, dtype=like._data.dtype))",
      "number = Tensor._wrap(np.asarray(x, dtype=np.float64))",
      "a Python number promotes a float32 tensor to float64", FORWARD),
    M("ufunc-matmul-swapped", OPS,
      "np.power: pow, np.matmul: matmul,",
      "np.power: pow, np.matmul: lambda a, b: matmul(b, a),",
      "A @ x with an ndarray A (NumPy's ufunc path) computes x @ A", FORWARD),
    M("ufunc-sub-swapped", OPS,
      "np.add: add, np.subtract: sub,",
      "np.add: add, np.subtract: lambda a, b: sub(b, a),",
      "A - x with an ndarray A (NumPy's ufunc path) computes x - A", FORWARD),
    M("gt-is-ge", TENSOR,
      'return ops._compare(self, ">", other)',
      'return ops._compare(self, ">=", other)',
      "x > y is true on ties", FORWARD),
    M("lt-swapped", TENSOR,
      'return ops._compare(self, "<", other)',
      'return ops._compare(other, "<", self)',
      "x < y computes y < x (and 2 > x, reflected, too)", FORWARD),
    # ---- forwards whose backward still matches them: only forward values can tell
    M("exp-doubled", OPS,
      "out = np.exp(a._data)",
      "out = 2 * np.exp(a._data)",
      "exp returns 2 e^x (its backward g·out still matches)", FORWARD),
    M("log-of-2x", OPS,
      'return record("log", np.log(a._data),',
      'return record("log", np.log(2 * a._data),',
      "log returns log 2x (derivative 1/x, as log's)", FORWARD),
    M("sqrt-shifted", OPS,
      "out = np.sqrt(a._data)",
      "out = np.sqrt(a._data + 1)",
      "sqrt returns sqrt(x + 1) (backward 1/(2 out) still matches)", FORWARD),
    M("tanh-shifted", OPS,
      "out = np.tanh(a._data)",
      "out = np.tanh(a._data + 0.5)",
      "tanh returns tanh(x + 1/2) (backward 1 - out² still matches)", FORWARD),
    M("sigmoid-shifted", OPS,
      "x = a._data\n    e = np.exp(-np.abs(x))",
      "x = a._data + 1\n    e = np.exp(-np.abs(x))",
      "sigmoid returns σ(x + 1) (backward σ(1 - σ) still matches)", FORWARD),
    M("sigmoid-is-tanh", OPS,
      "out = np.where(x >= 0, r, e * r)",
      "out = np.tanh(x)",
      "sigmoid replaced by tanh", FORWARD),
    M("max-is-min", OPS,
      "top = x.max(axis=axes, keepdims=True)",
      "top = x.min(axis=axes, keepdims=True)",
      "max returns the minimum (its backward follows the winners it picked)", FORWARD),
    M("mean-wrong-n", OPS,
      "x.mean(axis=axes, keepdims=keepdims)",
      "x.sum(axis=axes, keepdims=keepdims) / x.size",
      "mean divides by every element's count, not the reduced axes'", FORWARD),
    M("sum-always-keepdims", OPS,
      "x.sum(axis=axes, keepdims=keepdims), (a,), SUM",
      "x.sum(axis=axes, keepdims=True), (a,), SUM",
      "sum ignores keepdims=False", FORWARD),
    M("transpose-ignores-axes", OPS,
      'record("transpose", x.transpose(axes),',
      'record("transpose", x.transpose(),',
      "transpose always reverses the axes", FORWARD),
    M("concat-axis-0", OPS,
      "out = np.concatenate([t._data for t in tensors], axis=axis)",
      "out = np.concatenate([t._data for t in tensors], axis=0)",
      "concat always joins along axis 0", FORWARD),
    M("stack-axis-0", OPS,
      "out = np.stack([t._data for t in tensors], axis=axis)",
      "out = np.stack([t._data for t in tensors], axis=0)",
      "stack always stacks along axis 0", FORWARD),
    M("unbind-ignores-axis", OPS,
      "for view in (a._data if axis == 0 else np.moveaxis(a._data, axis, 0)):",
      "for view in a._data:",
      "unbind of a constant always slices along axis 0", FORWARD),
    M("relu-leaky", OPS,
      "out = np.maximum(a._data, 0)",
      "out = np.maximum(a._data, 0.01 * a._data)",
      "relu leaks 0.01 x below zero", FORWARD),
    # ---- backwards
    M("tanh-derivative", OPS,
      "TANH = (lambda g, out: g * (1 - out * out),)",
      "TANH = (lambda g, out: g * (1 - out),)",
      "d tanh = 1 - tanh instead of 1 - tanh²", "tests/test_ops_gradcheck.py"),
    M("div-derivative-sign", OPS,
      "lambda g, y, out: -g * out / y)",
      "lambda g, y, out: g * out / y)",
      "d(a/b)/db loses its minus sign", "tests/test_ops_gradcheck.py"),
    M("getitem-repeats-overwrite", OPS,
      "np.add.at(full, index, g)",
      "full[index] = g",
      "an element picked twice gets one gradient, not the sum", "tests/test_ops_gradcheck.py"),
    # ---- functional: softmax, losses
    M("softmax-default-axis-0", FUNCTIONAL,
      "def softmax(x, axis=-1):",
      "def softmax(x, axis=0):",
      "softmax normalises over the first axis by default", FORWARD),
    M("log-softmax-default-axis-0", FUNCTIONAL,
      "def log_softmax(x, axis=-1):",
      "def log_softmax(x, axis=0):",
      "log_softmax normalises over the first axis by default", FORWARD),
    M("log-softmax-no-shift", FUNCTIONAL,
      "shifted = z - z.max(axis=axis, keepdims=True)",
      "shifted = z",
      "log_softmax overflows for large logits (no max subtracted)", FORWARD),
    M("cross-entropy-mean-over-classes", FUNCTIONAL,
      "count = max(y.size, 1)",
      "count = max(z.size, 1)",
      "cross_entropy's mean divides by rows x classes (backward uses the same count)",
      FORWARD),
    M("mse-mean-over-rows", FUNCTIONAL,
      'scale = 2.0 / max(diff.size, 1) if reduction == "mean" else 2.0',
      'scale = 2.0 / max(len(diff), 1) if reduction == "mean" else 2.0',
      "mse_loss's mean divides by the rows, not the elements", FORWARD),
    M("linear-bias-twice", FUNCTIONAL,
      "out += bias._data",
      "out += 2 * bias._data",
      "linear adds the bias twice", FORWARD),
    # ---- optimizers and clipping
    M("sgd-ignores-lr", OPTIM,
      "return w - self.lr * g                                  # w ← w - lr g",
      "return w - g                                            # w ← w - lr g",
      "SGD steps by the whole gradient", "tests/test_nn_optim.py",
      "tests/test_optim_against_torch.py", "minigrad/optim.py"),
    M("sgd-momentum-dampened", OPTIM,
      "b += (1 - self.dampening) * g",
      "b += (1 - self.momentum) * g",
      "momentum buffer damped by μ instead of τ", "tests/test_nn_optim.py",
      "tests/test_optim_against_torch.py", "minigrad/optim.py"),
    M("sgd-momentum-starts-at-zero", OPTIM,
      'b = state["momentum_buffer"] = np.array(g, copy=True)   # b ← g',
      'b = state["momentum_buffer"] = np.zeros_like(g)',
      "the momentum buffer starts at 0 instead of the first gradient",
      "tests/test_nn_optim.py", "tests/test_optim_against_torch.py", "minigrad/optim.py"),
    M("adam-no-bias-correction", OPTIM,
      "step_size = self.lr / (1 - beta1 ** k)",
      "step_size = self.lr",
      "Adam forgets m's bias correction", "tests/test_nn_optim.py",
      "tests/test_optim_against_torch.py", "minigrad/optim.py"),
    M("adam-bias-correction-off-by-one", OPTIM,
      "denom = np.sqrt(v) / (1 - beta2 ** k) ** 0.5 + self.eps",
      "denom = np.sqrt(v) / (1 - beta2 ** (k + 1)) ** 0.5 + self.eps",
      "Adam corrects v for one step too many", "tests/test_nn_optim.py",
      "tests/test_optim_against_torch.py", "minigrad/optim.py"),
    M("adagrad-eps-inside-sqrt", OPTIM,
      "return w - lr * (g / (np.sqrt(s) + self.eps))",
      "return w - lr * (g / np.sqrt(s + self.eps))",
      "Adagrad's eps inside the square root (min-char-rnn's, not PyTorch's)",
      "tests/test_nn_optim.py", "tests/test_optim_against_torch.py", "minigrad/optim.py"),
    M("adagrad-forgets-history", OPTIM,
      "s += g * g                                              # s ← s + g²",
      "s = g * g                                               # s ← s + g²",
      "Adagrad keeps only the last g² (a rebinding, not an update in place)",
      "tests/test_nn_optim.py", "tests/test_optim_against_torch.py", "minigrad/optim.py"),
    M("clip-norm-squared", OPTIM,
      "return math.sqrt(float(np.dot(a, a)))",
      "return float(np.dot(a, a))",
      "clip_grad_norm_ measures the squared norm", "tests/test_nn_optim.py",
      "tests/test_optim_against_torch.py", "minigrad/optim.py"),
    M("clip-norm-never-clips", OPTIM,
      "if clip_coef < 1.0 or math.isnan(clip_coef):",
      "if clip_coef > 1.0 or math.isnan(clip_coef):",
      "clip_grad_norm_ scales up small gradients and leaves large ones",
      "tests/test_nn_optim.py", "tests/test_optim_against_torch.py", "minigrad/optim.py"),
    M("clip-value-one-sided", OPTIM,
      "q.grad = np.clip(q.grad, -c, c)",
      "q.grad = np.clip(q.grad, None, c)",
      "clip_grad_value_ clips only from above", "tests/test_nn_optim.py",
      "tests/test_optim_against_torch.py", "minigrad/optim.py"),
    # ---- the losses of a sequence
    M("step-loss-mse-mean", LOSSES,
      'return mg.mse_loss(o_t, y_t, reduction="sum")',
      'return mg.mse_loss(o_t, y_t, reduction="mean")',
      "E_t averages over the batch and outputs instead of summing",
      "tests/test_rnn_gradients.py", "tests/test_rnn_truncated.py"),
    M("step-loss-ce-mean", LOSSES,
      'return mg.cross_entropy(o_t, y_t, reduction="sum")',
      'return mg.cross_entropy(o_t, y_t, reduction="mean")',
      "cross-entropy E_t averages over the batch instead of summing",
      "tests/test_rnn_gradients.py", "tests/test_rnn_models.py"),
    M("sequence-mean-is-sum", LOSSES,
      'return stacked.sum() if reduction == "sum" else stacked.mean()',
      'return stacked.sum() if reduction == "sum" else stacked.sum()',
      'reduction="mean" sums over time', "tests/test_rnn_gradients.py",
      "tests/test_rnn_truncated.py"),
    M("mask-inverted", LOSSES,
      "if mask is None or mask[i]:",
      "if mask is None or not mask[i]:",
      "the mask keeps the steps it should drop", "tests/test_rnn_gradients.py",
      "tests/test_rnn_training.py", "tests/test_rnn_truncated.py"),
    # ---- the gated cells
    M("lstm-gates-if", MODELS,
      "i, f, g, o = z_i.sigmoid(), z_f.sigmoid(), z_g.tanh(), z_o.sigmoid()",
      "i, f, g, o = z_f.sigmoid(), z_i.sigmoid(), z_g.tanh(), z_o.sigmoid()",
      "LSTM reads the input and forget gates in the order f, i", "tests/test_rnn_models.py"),
    M("lstm-gates-go", MODELS,
      "i, f, g, o = z_i.sigmoid(), z_f.sigmoid(), z_g.tanh(), z_o.sigmoid()",
      "i, f, g, o = z_i.sigmoid(), z_f.sigmoid(), z_o.tanh(), z_g.sigmoid()",
      "LSTM reads the cell and output gates in the order o, g", "tests/test_rnn_models.py"),
    M("lstm-output-without-tanh", MODELS,
      "h = o * cell.tanh()",
      "h = o * cell",
      "LSTM's h_t = o ⊙ c_t instead of o ⊙ tanh(c_t)", "tests/test_rnn_models.py"),
    M("gru-gates-rz", MODELS,
      "r, z = a_r.sigmoid(), a_z.sigmoid()",
      "r, z = a_z.sigmoid(), a_r.sigmoid()",
      "GRU reads the reset and update gates in the order z, r", "tests/test_rnn_models.py"),
    M("gru-update-flipped", MODELS,
      "h = (1 - z) * n + z * h",
      "h = z * n + (1 - z) * h",
      "GRU's h_t = z n + (1 - z) h_{t-1} (the other convention, not PyTorch's)",
      "tests/test_rnn_models.py"),
    M("gru-reset-outside", MODELS,
      "a_n = xu[..., 2 * H:3 * H] + r * hn",
      "a_n = xu[..., 2 * H:3 * H] + hn",
      "GRU's reset gate is ignored", "tests/test_rnn_models.py"),
    # ---- truncated BPTT
    M("tbptt-window-one-short", TRUNC,
      "w = max(0, end - k2)                  # the window is steps w+1 .. end",
      "w = max(0, end - k2 + 1)              # the window is steps w+1 .. end",
      "TBPTT's window holds k2 - 1 steps", "tests/test_rnn_truncated.py"),
    M("tbptt-window-one-long", TRUNC,
      "w = max(0, end - k2)                  # the window is steps w+1 .. end",
      "w = max(0, end - k2 - 1)              # the window is steps w+1 .. end",
      "TBPTT's window holds k2 + 1 steps", "tests/test_rnn_truncated.py"),
    M("tbptt-block-overlap", TRUNC,
      "end = min(done + k1, T)               # the block is steps done+1 .. end",
      "end = min(done + k1 + 1, T)           # the block is steps done+1 .. end",
      "TBPTT updates every k1 + 1 steps", "tests/test_rnn_truncated.py"),
    M("tbptt-clip-ignored", TRUNC,
      "clip_grad_norm_(model.parameters(), clip)",
      "clip_grad_norm_(model.parameters(), 10 * clip)",
      "TBPTT clips at ten times the threshold asked for",
      "tests/test_rnn_truncated.py", "tests/test_planted_bugs_rnn.py"),
    M("kf-rtrl-fresh-term-unsigned", "rnn/online/kfrtrl.py",
      "+ (s1 / rho1)[:, None, None] * fresh)",
      "+ (1 / rho1)[:, None, None] * fresh)",
      "KF-RTRL's fresh term loses its random sign: the cross terms no longer cancel "
      "on average", "tests/test_online_kfrtrl.py"),
    # ---- in-place operators and the notes a drawing reads (issue 22, 1.1 and 1.8)
    M("inplace-rebinds", TENSOR,
      "        if result.node is not None:                # `other` requires grad: recorded\n"
      "            return result\n",
      "        return result\n",
      "p -= lr * p.grad under no_grad binds p to a new tensor: the model never moves",
      INPLACE),
    M("inplace-writes-a-held-array", TENSOR,
      "if self._held or not self._data.flags.writeable:   # a graph reads the old values",
      "if not self._data.flags.writeable:   # a graph reads the old values",
      "an in-place operator writes into an array a recorded graph holds (when it is not "
      "read-only): the graph's gradient changes", INPLACE),
    M("data-change-not-noted", TENSOR,
      "        if self._held:\n            self._recorded_data, self._recorded_since",
      "        if False:\n            self._recorded_data, self._recorded_since",
      "replacing a held tensor's data leaves no _changed_at/_recorded_data for drawings",
      INPLACE),
    M("parameter-attribute-takes-a-tensor", NN,
      "if isinstance(old, Parameter) and value is not None and not isinstance(value, "
      "Parameter):",
      "if False:",
      "model.W = model.W - lr * grad silently drops W from named_parameters()", INPLACE),
    M("read-only-view-not-copied", OPS,
      "        if not isinstance(base, np.ndarray):      # memory owned by something else\n"
      "            return False",
      "        if not isinstance(base, np.ndarray):      # memory owned by something else\n"
      "            return True",
      "a read-only sliding_window_view of a writable buffer is wrapped, not copied: "
      "refilling the buffer changes the gradient", "tests/test_recorded_graphs.py"),
    # ---- forward mode
    M("jvp-tangents-by-identity", JVP,
      "                and id(x) not in seen):",
      "                ):",
      "a tensor passed twice to jvp is one leaf: one of its two tangents is lost",
      "tests/test_forward_mode.py"),
    M("jvp-stops-at-no-grad", GRAPH,
      "if _for_tangents and any(t.node is not None or t._requires_grad for t in inputs):",
      "if False:",
      "no_grad inside f stops the tangent (PyTorch's forward mode ignores it)",
      "tests/test_forward_mode.py"),
    M("jvp-no-broadcast", JVP,
      "dot[id(node)] = np.broadcast_to(total, node.shape)",
      "dot[id(node)] = total",
      "an input's tangent is not broadcast with the input: the result's tangent has the "
      "input's shape", "tests/test_forward_mode.py"),
    # ---- dtypes of xs and ys (1.2)
    M("tensor-inputs-keep-their-dtype", MODELS,
      "        if isinstance(xs, mg.Tensor):\n            if xs.dtype != dtype:",
      "        if isinstance(xs, mg.Tensor):\n            if False:",
      "an int or float32 Tensor xs keeps its dtype instead of the model's", DTYPES),
    M("mse-targets-cast-to-int", LOSSES,
      "        if np.dtype(dtype).kind != \"f\":        # integer outputs: the targets stay "
      "floats\n            dtype = np.float64\n",
      "",
      "mse targets take an integer dtype from integer outputs: 0.5 becomes 0", DTYPES),
    # ---- the online rules (1.7, 1.9, section 3)
    M("online-dict-assumes-tanh", ONLINE,
      "params = check_params(where, model, fix=f\"{where}(model, ...)\")",
      "params, activation = check_params(where, model, fix=f\"{where}(model, ...)\"), "
      "\"tanh\"",
      "a dict of an RNN's arrays is run as a tanh RNN, whatever activation= says",
      ONLINE_ERRORS),
    M("eps-may-be-zero", "rnn/online/base.py",
      "if not (np.isfinite(x) and x > 0 and (at_most is None or x <= at_most)):",
      "if not np.isfinite(x):",
      "UORO and KF-RTRL take eps=0 (NaN gradients) and RFLO alpha=0 or 1.5",
      ONLINE_ERRORS, "tests/test_online_rules.py"),
    M("rule-name-by-letters", "rnn/online/compare.py",
      "rules = [rules]                      # one rule, not a string read letter by letter",
      "rules = list(rules)",
      "compare_online(rules='uoro') reads the name letter by letter", ONLINE_ERRORS),
    M("ok-true-without-exact-rule", "rnn/online/compare.py",
      "        if not self.exact_rules:\n            rules =",
      "        if False:\n            rules =",
      "OnlineReport.ok() says True when no exact rule was compared", ONLINE_ERRORS,
      "tests/test_cli_online.py"),
    M("snap-1-forgets-the-diagonal", "rnn/online/snap.py",
      "self.J = (step.gp * np.diag(step.W))[:, :, None] * self.J + step.immediate_rows()",
      "self.J = step.gp[:, :, None] * self.J + step.immediate_rows()",
      "SnAp-1 carries J without W's diagonal (D_t's diagonal is g' W_jj)",
      "tests/test_online_rules.py"),
    M("rflo-trace-not-scaled", "rnn/online/rflo.py",
      "return np.einsum(\"bj,bjk->jk\", credit, self.P) / self.alpha",
      "return np.einsum(\"bj,bjk->jk\", credit, self.P)",
      "RFLO's estimate is not divided by alpha: the newest term counts alpha times",
      "tests/test_online_rules.py"),
    M("online-tbptt-window-one-short", "rnn/online/tbptt.py",
      "self.window = deque(maxlen=self.k)",
      "self.window = deque(maxlen=max(1, self.k - 1))",
      "online TBPTT(k) back-propagates through k - 1 steps", "tests/test_online_rules.py"),
    # ---- the command line
    M("explore-at-ignored", "bptt_cli/main.py",
      "if args.at is not None and args.screenshot is None:",
      "if False:",
      "bptt explore --at K without --screenshot is silently ignored", "tests/test_cli.py"),
    M("sliding-window-context", TRUNC,
      "context = _detach(model.step(xs[t], context))\n    with mg.no_grad():",
      "context = _detach(model.step(xs[t + 1], context))\n    with mg.no_grad():",
      "the sliding window's context advances with the wrong input",
      "tests/test_rnn_truncated.py"),
]

# ---- checkpoint plans: their check, the planners, and what a checkpointed call holds
# (issues 22 and 23; kept in a block of their own so that other blocks merge cleanly)
CKPT, REVOLVE, BPTT = "rnn/checkpoint.py", "rnn/revolve.py", "rnn/bptt.py"
PLAN_TESTS = ("tests/test_checkpoint_plans.py", "tests/test_checkpoint.py")
MUTANTS += [
    M("plan-duplicate-backward-accepted", CKPT,
      "            if b > done:\n",
      "            if b > T:\n",
      "a plan may back-propagate the same steps twice (the gradients double)", *PLAN_TESTS),
    M("plan-step-1-may-be-missing", CKPT,
      "    if done:\n        missing",
      "    if done > 1:\n        missing",
      "a plan that never back-propagates step 1 is accepted", *PLAN_TESTS),
    M("plan-dropped-state-reused", CKPT,
      "            stored.discard(a)\n            done = a",
      "            done = a",
      "a state dropped by its backward segment counts as still held", *PLAN_TESTS),
    M("plan-forward-to-a-dead-state", CKPT,
      "            if b >= done:",
      "            if b > done:",
      "a forward may keep s_done, a state no later segment starts from", *PLAN_TESTS),
    M("plan-record-counts-its-start", CKPT,
      "held = alpha * (b - a) + len(stored - {a})",
      "held = alpha * (b - a) + len(stored)",
      "a segment's start is counted besides its record: every peak one too high",
      *PLAN_TESTS),
    M("plan-not-checked-when-made", CKPT,
      "        if isinstance(self.actions, list):       # Revolve's schedule is checked as it "
      "runs\n            self.validate(\"rnn.Policy\")",
      "        pass",
      "rnn.Policy takes any list of actions", *PLAN_TESTS),
    M("plan-not-checked-before-running", CKPT,
      "        memory.validate(where)",
      "        pass",
      "a plan changed after it was made runs until its bad action, after some work",
      *PLAN_TESTS),
    M("memory-int-dp-one-step-short", CKPT,
      "    if T <= DP_LONGEST:",
      "    if T < DP_LONGEST:",
      "memory=int switches to Revolve one step early", *PLAN_TESTS),
    M("revolve-first-snapshot-too-far", REVOLVE,
      "        j = min(beta(s, r - 1), l - beta(s - 1, r - 1))",
      "        j = beta(s, r - 1)",
      "Revolve's first snapshot ignores the right part's bound: more forward steps than "
      "its cost says", *PLAN_TESTS),
    M("revolve-repetitions-off-by-one", REVOLVE,
      "    while reach < steps:",
      "    while reach <= steps:",
      "the repetition number is one too high where l = β(s, r)", *PLAN_TESTS),
    M("revolve-advances-wrong-beta", REVOLVE,
      "    return r * steps - beta(snapshots + 1, r - 1)",
      "    return r * steps - beta(snapshots, r - 1)",
      "Revolve's closed form subtracts β(s, r - 1) instead of β(s + 1, r - 1)", *PLAN_TESTS),
    M("revolve-last-block-past-T", REVOLVE,
      "            yield kind, a * k, min(b * k, T)",
      "            yield kind, a * k, b * k",
      "the last block of a blocked schedule runs past T", *PLAN_TESTS),
    M("revolve-one-snapshot-too-many", CKPT,
      "    schedule = Schedule(T, m + 1 - alpha * block, block)",
      "    schedule = Schedule(T, m + 2 - alpha * block, block)",
      "revolve_policy gives the schedule one snapshot more than the budget holds",
      *PLAN_TESTS),
    M("loss-weight-mean-of-n-plus-1", CKPT,
      "    return mg.ops.MEAN[0](seed, (1,), (0,), False, n)[0]",
      "    return mg.ops.MEAN[0](seed, (1,), (0,), False, n + 1)[0]",
      "a checkpointed mean weighs each step's cost by 1/(n + 1)", "tests/test_checkpoint.py"),
    M("borrowed-xs-not-held", BPTT,
      "    borrowed._held = True\n",
      "",
      "a checkpointed call freezes the caller's xs (unbind holds it read-only)",
      "tests/test_checkpoint_memory.py"),
    M("linear-saved-tuple-from-map", FUNCTIONAL,
      "    x_data = tuple([_array_of(x) for x in xs])",
      "    x_data = tuple(map(_array_of, xs))",
      "linear's saved tuple leaks a small tuple onto CPython's free list per call: the "
      "peak depends on the collector", "tests/test_checkpoint_memory.py"),
    M("weighted-sum-of-20-costs", CKPT,
      "GROUP = 16",
      "GROUP = 20",
      "a segment of 20 steps sums its costs in one op of 20 inputs, whose tuples CPython "
      "3.11 never reuses: the peak depends on the collector",
      "tests/test_checkpoint_memory.py"),
    M("costs-copied-for-the-loss", BPTT,
      "    costs.flags.writeable = False             # so as_tensor wraps it: no second copy "
      "of T costs\n",
      "",
      "L is summed from a copy of the T step costs: 8 more bytes a step",
      "tests/test_checkpoint_memory.py"),
    # ---- names are user text: escaped on the way into a drawing
    M("escape-no-backslash", "viz/theme.py",
      'return html.escape(str(text), quote=True).replace("\\\\", "\\\\\\\\").replace("\\n", " ")',
      'return html.escape(str(text), quote=True).replace("\\n", " ")',
      "a backslash in a name reaches Graphviz as an escape (\\N: the node's id)",
      "tests/test_hostile_names.py"),
    M("escape-no-html", "viz/theme.py",
      'return html.escape(str(text), quote=True).replace("\\\\", "\\\\\\\\").replace("\\n", " ")',
      'return str(text).replace("\\\\", "\\\\\\\\").replace("\\n", " ")',
      "a name's <, > and & reach Graphviz as markup: a link, an image", "tests/test_hostile_names.py"),
    M("canvas-title-as-html", "viz/canvas.py",
      "text = label(lines, self.names, self.name_colour, math=math)",
      "text = '<' + '<BR/>'.join(lines) + '>'",
      "a hand-placed figure's texts (titles, keys) go into the label unescaped",
      "tests/test_hostile_names.py"),
]


# ----------------------------------------------------------------- the runs

def source_files():
    """The working tree's files: tracked and new, not ignored.  Outside a git checkout
    (a copy of the repository, such as the ones this script makes), every file but
    build output."""
    listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others",
                             "--exclude-standard"], cwd=ROOT, capture_output=True)
    if listed.returncode == 0 and os.path.exists(os.path.join(ROOT, ".git")):
        names = listed.stdout.decode().split("\0")
        return [f for f in names if f and os.path.isfile(os.path.join(ROOT, f))]
    files = []
    for folder, subfolders, names in os.walk(ROOT):
        subfolders[:] = [d for d in subfolders
                         if d not in BUILD_OUTPUT and not d.endswith(".egg-info")]
        files += [os.path.relpath(os.path.join(folder, n), ROOT) for n in names
                  if not n.endswith(".pyc")]
    return files


BUILD_OUTPUT = {".git", ".venv", "out", "build", "dist", "__pycache__", ".pytest_cache",
                ".hypothesis"}


def make_copy(dest, rev):
    """A copy of the repository in ``dest``: the working tree's files, or ``git archive rev``."""
    os.makedirs(dest)
    if rev:
        archive = subprocess.run(["git", "archive", "--format=tar", rev], cwd=ROOT,
                                 capture_output=True, check=True).stdout
        subprocess.run(["tar", "-x", "-C", dest], input=archive, check=True)
        return
    for f in source_files():
        os.makedirs(os.path.join(dest, os.path.dirname(f)), exist_ok=True)
        shutil.copy2(os.path.join(ROOT, f), os.path.join(dest, f))


def plant(folder, mutant):
    """Plant the bug in the copy; None if done, else why it could not be planted."""
    path = os.path.join(folder, mutant.path)
    if not os.path.isfile(path):
        return f"{mutant.path} does not exist"
    with open(path, encoding="utf-8") as f:
        text = f.read()
    found = text.count(mutant.old)
    if found != 1:
        return f"the old text occurs {found} times in {mutant.path}, not once"
    text = text.replace(mutant.old, mutant.new)
    if mutant.path.endswith(".py"):
        try:
            compile(text, mutant.path, "exec")
        except SyntaxError as err:
            return f"the mutated file does not compile: {err}"
    os.remove(path)                # a new file: never write through a link into the original
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)
    return None


def environment(folder):
    env = dict(os.environ, PYTHONPATH=folder, HYPOTHESIS_PROFILE="ci",
               PYTHONDONTWRITEBYTECODE="1")
    env.pop("PYTEST_ADDOPTS", None)
    return env


def run_pytest(folder, python, tests, timeout):
    """(pytest's exit status or 'timeout', seconds, the first failing test or '')."""
    start = time.perf_counter()
    try:
        done = subprocess.run([python, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider",
                               *tests], cwd=folder, env=environment(folder),
                              capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return "timeout", time.perf_counter() - start, ""
    first = re.search(r"^(?:FAILED|ERROR) (.+?)(?: - .*)?$", done.stdout, re.MULTILINE)
    return done.returncode, time.perf_counter() - start, (first.group(1) if first else
                                                          _last_line(done))


def _last_line(done):
    lines = [line for line in (done.stdout + done.stderr).splitlines() if line.strip()]
    return lines[-1][:100] if lines else ""


VERDICTS = {0: "SURVIVED", 1: "KILLED", 2: "KILLED", 3: "KILLED", "timeout": "KILLED"}


def try_mutant(mutant, base, work, python, quick, timeout):
    folder = os.path.join(work, mutant.name)
    shutil.copytree(base, folder)
    try:
        problem = plant(folder, mutant)
        if problem:
            return mutant, "STALE", 0.0, problem
        tests = list(mutant.tests) if quick and mutant.tests else []
        tests = [t for t in tests if os.path.exists(os.path.join(folder, t))]
        status, seconds, first = run_pytest(folder, python, tests, timeout)
        verdict = VERDICTS.get(status, f"ERROR ({status})")
        note = {2: "interrupted: ", 3: "internal error: ",
                "timeout": f"no result in {timeout} s: "}.get(status, "")
        return mutant, verdict, seconds, "" if verdict == "SURVIVED" else note + first
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def check_copy(base, python):
    """The copy's packages must be the ones imported, not the editable install's."""
    probe = subprocess.run([python, "-c", "import minigrad, rnn; print(minigrad.__file__)"],
                           cwd=base, env=environment(base), capture_output=True, text=True)
    where = probe.stdout.strip()
    if probe.returncode or not os.path.realpath(where).startswith(os.path.realpath(base)):
        sys.exit(f"plant_bugs: the copy's minigrad is not the one imported "
                 f"({where or probe.stderr})")
    torch = subprocess.run([python, "-c", "import torch"], capture_output=True)
    if torch.returncode:
        print("plant_bugs: warning: PyTorch is not installed, so the torch-reference tests "
              "skip and more mutants may survive")


def print_table(rows):
    width = max(len(m.name) for m, *_ in rows)
    print(f"{'mutant':<{width}}  {'result':<8}  {'time':>6}  bug / first failing test")
    print("-" * (width + 70))
    for mutant, verdict, seconds, note in rows:
        print(f"{mutant.name:<{width}}  {verdict:<8}  {seconds:5.1f}s  {mutant.why}")
        if note:
            print(f"{'':<{width}}  {'':<8}  {'':>6}  -> {note}")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter,
                                     epilog=__doc__.split("Usage", 1)[1].split("::", 1)[1])
    parser.add_argument("--list", action="store_true", help="list the mutants and exit")
    parser.add_argument("--check", action="store_true",
                        help="only check that every mutant can still be planted (no tests)")
    parser.add_argument("--only", action="append", metavar="NAME",
                        help="run only this mutant (repeatable)")
    parser.add_argument("--jobs", type=int, default=1, help="mutants run at a time")
    parser.add_argument("--rev", help="test a commit (git archive REV) instead of the work tree")
    parser.add_argument("--quick", action="store_true",
                        help="run only each mutant's own test files, not the whole suite")
    parser.add_argument("--no-baseline", action="store_true",
                        help="skip the check that the suite is green without any bug")
    parser.add_argument("--timeout", type=float, default=900, help="seconds per pytest run")
    parser.add_argument("--python", default=sys.executable,
                        help="the Python that runs pytest (default: this one)")
    args = parser.parse_args(argv)

    names = [m.name for m in MUTANTS]
    assert len(set(names)) == len(names), "two mutants share a name"
    if args.list:
        width = max(map(len, names))
        for m in MUTANTS:
            print(f"{m.name:<{width}}  {m.path:<24}  {m.why}")
        return 0
    chosen = MUTANTS
    if args.only:
        unknown = sorted(set(args.only) - set(names))
        if unknown:
            parser.error(f"unknown mutant(s) {', '.join(unknown)}; see --list")
        chosen = [m for m in MUTANTS if m.name in args.only]

    with tempfile.TemporaryDirectory(prefix="plant_bugs_") as work:
        base = os.path.join(work, "_base")
        make_copy(base, args.rev)
        if args.check:
            stale = 0
            for m in chosen:
                folder = os.path.join(work, m.name)
                shutil.copytree(os.path.join(base, os.path.dirname(m.path)),
                                os.path.join(folder, os.path.dirname(m.path)))
                problem = plant(folder, m)
                stale += problem is not None
                print(f"{m.name:<34} {'STALE: ' + problem if problem else 'ok'}")
            return 1 if stale else 0
        check_copy(base, args.python)
        if not args.no_baseline:
            status, seconds, first = run_pytest(base, args.python, [], args.timeout)
            if status != 0:
                print(f"plant_bugs: the suite is red WITHOUT any planted bug ({first}); "
                      f"fix that first, or pass --no-baseline")
                return 2
            print(f"baseline: the suite is green without a planted bug ({seconds:.0f} s)",
                  flush=True)
        done = {}
        with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
            futures = [pool.submit(try_mutant, m, base, work, args.python, args.quick,
                                   args.timeout) for m in chosen]
            for future in as_completed(futures):       # progress, in the order they finish
                mutant, verdict, seconds, _ = row = future.result()
                done[mutant.name] = row
                print(f"[{len(done)}/{len(chosen)}] {mutant.name}: {verdict} ({seconds:.0f} s)",
                      flush=True)
    rows = [done[m.name] for m in chosen]
    print()
    print_table(rows)
    counts = {v: sum(1 for _, verdict, *_ in rows if verdict == v)
              for v in ("KILLED", "SURVIVED", "STALE")}
    errors = len(rows) - sum(counts.values())
    print(f"\n{counts['KILLED']} killed, {counts['SURVIVED']} survived, {counts['STALE']} stale"
          + (f", {errors} errors" if errors else "") + f" of {len(rows)} mutants")
    return 0 if counts["KILLED"] == len(rows) else 1


if __name__ == "__main__":
    sys.exit(main())
