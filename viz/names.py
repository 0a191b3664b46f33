"""What a drawing calls things: the math's names instead of the ops' plumbing.

A node the model named (``Tensor.name``, e.g. ``"s_t"``) is drawn as its
equation, ``s3 = tanh(a3)``: the trailing ``_t`` becomes the step's number,
and the right-hand side is read off the recorded ops, with named inputs by
name.  Slicing (``getitem``) is invisible in these formulas: a gate reads
``i3 = σ(z3)``.  A per-step cost is ``E3``; the sum that makes the loss is
``L = Σ_t E_t``.

>>> import minigrad as mg
>>> x = mg.tensor([0.5], requires_grad=True, name="x")
>>> with mg.scope("t=3"):
...     h = (x * 2).tanh()
>>> h.name = "h_t"
>>> node_label(h.node)
'h3 = tanh(x ⊙ 2)'
"""

from __future__ import annotations

import numpy as np

from minigrad.graph import Node

from .read import LOSS_OPS, step_of

__all__ = ["display", "node_label", "is_folded_constant", "LOSS_SYMBOL"]

LOSS_SYMBOL = {"sum": "L = Σ_t E_t", "mean": "L = (1/T) Σ_t E_t"}
_MAX = 36                      # a formula longer than this is cut back to fewer levels

_UNARY = {"sigmoid": "σ({})", "tanh": "tanh({})", "relu": "relu({})", "exp": "exp({})",
          "log": "log({})", "neg": "−{}", "abs": "|{}|", "sqrt": "√{}", "sum": "Σ {}",
          "mean": "mean {}", "transpose": "{}ᵀ", "reshape": "{}", "getitem": "{}"}
_ENCLOSING = {"sigmoid", "tanh", "relu", "exp", "log", "abs", "reshape", "getitem"}
_BINARY = {"add": ("{} + {}", 1), "sub": ("{} − {}", 1), "mul": ("{} ⊙ {}", 2),
           "div": ("{} / {}", 2), "matmul": ("{} {}", 2), "pow": ("{}^{}", 3)}


def display(name, t):
    """``"h_t"`` at step 3 reads ``"h3"``, a gate's pre-activation ``"z_i,t"`` reads
    ``"z_i,3"``; other names are kept."""
    if name and t is not None and name.endswith("_t"):
        return f"{name[:-2]}{t}"
    if name and t is not None and name.endswith(",t"):
        return f"{name[:-1]}{t}"
    return name


def gate_of(name):
    """The gate a name belongs to: ``"r"`` for ``"r_t"`` and for its pre-activation
    ``"a_r,t"`` (its weights are gate r's block: U_r, W_r, b_r)."""
    if not name:
        return None
    if name.endswith(",t") and "_" in name:
        return name[name.index("_") + 1:-2]
    return name[:-2] if name.endswith("_t") else None


def is_folded_constant(x):
    """An unnamed constant scalar (the 1 of ``1 - z``): written into its op's label, not drawn."""
    return (type(x) is not Node and not x.requires_grad and x.name is None
            and x._data.size == 1 and type(x).__name__ != "Detached")


def _name_of(x):
    if type(x) is Node:
        if x.name:
            return display(x.name, step_of(x.scope))
        if x.op in LOSS_OPS and step_of(x.scope) is not None:
            return f"E{step_of(x.scope)}"
        return None
    if x.name:
        return x.name
    if is_folded_constant(x):
        return f"{x._data.item():.4g}"
    return "x"


def _expr(x, depth, precedence=0, top=False, gate=None, sliced=False):
    """A formula for ``x`` reading ``depth`` ops back; ``·`` where it stops.

    ``top``: write out ``x``'s own op even if ``x`` has a name.  ``gate``: the
    letter of the gate being written (``"r"`` for ``r_t``); a ``linear`` reached
    through a slice of it (``sliced``) is that gate's block of the weights, so
    its parameters read ``U_r``, ``W_r``, ``b_r``."""
    name = None if top else _name_of(x)
    if name is not None:
        return name
    if depth == 0:
        return "·"
    op, args = x.op, x.inputs

    def inner(arg, d, prec=0):
        return _expr(arg, d, prec, gate=gate)

    if op == "getitem" and type(args[0]) is Node:
        return _expr(args[0], depth, precedence, gate=gate, sliced=True)
    if op in _UNARY and len(args) == 1:
        return _UNARY[op].format(inner(args[0], depth - 1, 0 if op in _ENCLOSING else 3))
    if op in _BINARY and len(args) == 2:
        form, prec = _BINARY[op]
        right = prec if op in ("add", "mul") else prec + 1      # a + (b + c) = a + b + c
        text = form.format(inner(args[0], depth - 1, prec), inner(args[1], depth - 1, right))
        return f"({text})" if prec < precedence else text
    if op == "linear":
        text = _linear(args, depth, inner, f"_{gate}" if sliced and gate else "")
        return f"({text})" if precedence > 1 else text
    if op in LOSS_OPS:
        return _loss(x, depth, inner)
    return f"{op}(·)"


def _linear(args, depth, inner, block):
    """``U x3 + W s2 + b``: each weight times its input, then the bias; ``block`` names a
    gate's rows of the weights (``U_r``)."""
    k = len(args) // 2
    terms = [f"{_expr(w, 0)}{block} {inner(v, depth - 1, 3)}"
             for v, w in zip(args[:k], args[k:2 * k])]
    if len(args) % 2:
        terms.append(_expr(args[-1], 0) + block)
    return " + ".join(terms)


def _loss(x, depth, inner):
    """``‖o3 − y3‖²`` or ``CE(o3, y3)``; the target may be saved rather than an input."""
    args, t = x.inputs, step_of(x.scope)
    target = inner(args[1], depth - 1) if len(args) > 1 else (f"y{t}" if t is not None else "y")
    if x.op == "mse_loss":
        return f"‖{inner(args[0], depth - 1)} − {target}‖²"
    return f"CE({inner(args[0], depth - 1)}, {target})"


def formula(node, max_len=_MAX):
    """The right-hand side of ``node``'s equation, as deep as fits in ``max_len`` characters."""
    for depth in (4, 3, 2, 1):
        try:
            text = _expr_inputs(node, depth)
        except (IndexError, AttributeError, TypeError, ValueError):   # an op we cannot read
            return f"{node.op}(·)"
        if len(text) <= max_len:
            return text
    return f"{node.op}(·)"


def _expr_inputs(node, depth):
    return _expr(node, depth, top=True, gate=gate_of(node.name))


def node_label(node, loss_reduction=None):
    """The first line of an op node's label: ``s3 = tanh(a3)``, ``E3 = ‖o3 − y3‖²``,
    ``L = Σ_t E_t`` (with ``loss_reduction``), or a short formula for an unnamed op."""
    if loss_reduction is not None:
        return LOSS_SYMBOL[loss_reduction]
    name = _name_of(node)
    if name is not None:
        return f"{name} = {formula(node)}"
    text = formula(node, 18)
    return node.op if text.endswith("(·)") or text == "·" else text


def small_values(array, limit=4):
    """Signed values of an array of at most ``limit`` elements, e.g. ``"0.52, −1.3"``
    (else None)."""
    a = np.asarray(array)
    if a.size == 0 or a.size > limit:
        return None
    return ", ".join(f"{v:.3g}".replace("-", "−") for v in a.ravel())
