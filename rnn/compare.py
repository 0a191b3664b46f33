"""One gradient, four ways, side by side.

1. autograd      ``rnn.bptt``: reverse mode over the unrolled graph (the reference)
2. manual        ``rnn.manual``: the hand-written backward recursion
3. rtrl          ``rnn.rtrl``: sensitivities carried forward in time (vanilla RNN)
4. numeric       central finite differences, through ``minigrad.gradcheck``

The exact methods must agree with autograd to rounding (1e-10 relative in
float64); finite differences to about 1e-6.  Autograd's per-copy terms
(``minigrad.contributions``) are also held against the manual recursion's
terms, step by step.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

import minigrad as mg

from . import manual, rtrl
from .bptt import bptt, check_sequence
from .layout import describe, given_shape
from .losses import checked_sequence_loss
from .models import RNN

__all__ = ["compare_gradients", "GradientReport", "Agreement", "METHODS"]

METHODS = ("autograd", "manual", "rtrl", "numeric")


@dataclass
class Agreement:
    """How far one method's gradient is from autograd's."""
    max_abs: float     # max |method - autograd|
    max_rel: float     # max_abs / max |autograd|

    def __str__(self):
        return f"{self.max_abs:.1e} / {self.max_rel:.1e}"


def _agreement(value, reference):
    err = float(np.max(np.abs(value - reference), initial=0.0))
    scale = float(np.max(np.abs(reference), initial=0.0))
    return Agreement(err, err / scale if scale > 0 else err)


@dataclass
class GradientReport:
    """The result of :func:`compare_gradients`; ``print(report)`` shows the table."""
    title: str
    reference: dict                                  # name -> autograd's dL/dp
    errors: dict = field(default_factory=dict)       # method -> name -> Agreement
    step_errors: dict = field(default_factory=dict)  # name -> [relative error of copy t's term]
    tol: float = 1e-10                               # for the exact methods
    numeric_tol: float = 1e-6                        # for finite differences

    def worst_step_error(self):
        """(relative error, parameter, t) of the worst per-copy term, or None."""
        worst = None
        for name, errs in self.step_errors.items():
            for t, err in enumerate(errs, start=1):
                if worst is None or err > worst[0]:
                    worst = (err, name, t)
        return worst

    def ok(self, tol=None, numeric_tol=None):
        """True if the exact methods agree to ``tol`` and finite differences to ``numeric_tol``.

        Relative errors, as in the table: max |difference| / max |dL/dp|.  Both
        default to the report's own tolerances.
        """
        tol = self.tol if tol is None else tol
        numeric_tol = self.numeric_tol if numeric_tol is None else numeric_tol
        for method, per_param in self.errors.items():
            limit = numeric_tol if method == "numeric" else tol
            if any(a.max_rel > limit for a in per_param.values()):
                return False
        worst = self.worst_step_error()
        return worst is None or worst[0] <= tol

    def _repr_html_(self):
        """The same table as HTML, for Jupyter (:func:`rnn.tables.report_table`)."""
        from .tables import report_table
        return report_table(self)._repr_html_()

    def __str__(self):
        methods = list(self.errors)
        header = ["param", "shape", "max|dL/dp|"] + [f"{m} (abs / rel)" for m in methods]
        rows = [header]
        for name, grad in self.reference.items():
            rows.append([name, str(grad.shape), f"{np.max(np.abs(grad), initial=0):.3e}"] +
                        [str(self.errors[m][name]) for m in methods])
        widths = [max(len(r[i]) for r in rows) for i in range(len(header))]
        lines = [self.title, "errors against autograd: max |difference| / that relative to "
                 "max |dL/dp|"]
        lines += ["  ".join(cell.ljust(w) for cell, w in zip(row, widths)) for row in rows]
        worst = self.worst_step_error()
        if worst is not None:
            steps = len(next(iter(self.step_errors.values())))
            lines.append(f"per-copy terms, autograd's contributions vs the manual recursion: "
                         f"{steps} steps x {len(self.step_errors)} parameters, worst relative "
                         f"error {worst[0]:.1e} ({worst[1]}, t={worst[2]})")
        verdict = "all methods agree" if self.ok() else "METHODS DISAGREE"
        lines.append(f"{verdict} (relative tolerance {self.tol:g} for the exact methods, "
                     f"{self.numeric_tol:g} for finite differences)")
        return "\n".join(lines)


def compare_gradients(model, xs, ys, methods=None, loss="mse", reduction="sum", s0=None,
                      mask=None, eps=1e-6, tol=1e-10, numeric_tol=1e-6, batch_first=False):
    """Compute dL/dp for every parameter p by each method and compare them with autograd.

    Parameters
    ----------
    model : rnn.RNN, rnn.LSTM or rnn.GRU, in float64
    xs, ys, loss, reduction, s0, mask :
        As for :func:`rnn.bptt`.
    methods : sequence of str, optional
        Any of ``"manual"``, ``"rtrl"`` (vanilla RNN only) and ``"numeric"``;
        default: all that apply.  Autograd is always the reference.
    tol : float
        The relative error the exact methods (manual, rtrl) may have.
    eps, numeric_tol :
        Finite-difference step, and the relative error it may have.
    batch_first : bool
        xs is (B, T, D) and ys (B, T, O) or (B, T); every method gets the same layout.

    Returns
    -------
    GradientReport

    >>> import rnn
    >>> model = rnn.RNN(2, 3, 1, rng=0)
    >>> rng = np.random.default_rng(1)
    >>> report = rnn.compare_gradients(model, rng.normal(size=(5, 2)), rng.normal(size=(5, 1)))
    >>> report.ok(), list(report.errors)
    (True, ['manual', 'rtrl', 'numeric'])
    """
    where = "rnn.compare_gradients"
    is_rnn = isinstance(model, RNN)
    if methods is None:
        methods = ["manual", "rtrl", "numeric"] if is_rnn else ["manual", "numeric"]
    methods = [m for m in methods if m != "autograd"]
    for m in methods:
        if m not in METHODS:
            raise ValueError(f"{where}: unknown method {m!r}; choose from {METHODS}")
    if "rtrl" in methods and not is_rnn:
        raise ValueError(f"{where}: rtrl is implemented for the vanilla RNN only, not "
                         f"{type(model).__name__}")
    if any(p.dtype != np.float64 for p in model.parameters()):
        raise TypeError(f"{where} needs a float64 model: agreement to 1e-10 is beyond "
                        f"float32's ~7 digits")
    xs_t = check_sequence(model, xs, ys, s0, loss, reduction, mask, batch_first, where)[0]
    given = given_shape(xs_t.shape, batch_first)
    if xs_t.ndim == 3 and xs_t.shape[1] == 0:
        raise ValueError(f"{where}: the batch is empty (B = 0): "
                         f"{describe(given, batch_first)}. With no sequence L = 0 and every "
                         f"gradient is 0, so there is nothing to compare. Fix: pass at least "
                         f"one sequence")

    auto = bptt(model, xs, ys, loss, reduction, s0, mask, contributions=True,
                batch_first=batch_first)
    T = len(auto.run.outputs)
    shape = "x".join(str(n) for n in given)
    report = GradientReport(
        f"gradient check: {type(model).__name__}(input={model.input_size}, "
        f"hidden={model.hidden_size}, output={model.output_size}), xs {shape}"
        f"{' (batch first)' if batch_first and len(given) == 3 else ''}, loss={loss}, "
        f"reduction={reduction}", auto.grads, tol=tol, numeric_tol=numeric_tol)

    if "manual" in methods:
        by_hand = manual.backward(model, xs, ys, s0, loss, reduction, mask,
                                  batch_first=batch_first)
        report.errors["manual"] = {n: _agreement(by_hand.grads[n], g)
                                   for n, g in auto.grads.items()}
        for name, terms in by_hand.per_step.items():
            autograd_terms = auto.contributions[name]
            report.step_errors[name] = [
                _agreement(terms[t - 1], autograd_terms.get(f"t={t}", 0.0 * terms[t - 1])).max_rel
                for t in range(1, T + 1)]
    if "rtrl" in methods:
        forward = rtrl.forward_gradients(model, xs, ys, s0, loss, reduction, mask,
                                         batch_first=batch_first)
        report.errors["rtrl"] = {n: _agreement(forward.grads[n], g)
                                 for n, g in auto.grads.items()}
    if "numeric" in methods:
        report.errors["numeric"] = _finite_differences(model, xs, ys, loss, reduction, s0, mask,
                                                       eps, auto.grads, batch_first)
    model.zero_grad()
    return report


def _finite_differences(model, xs, ys, loss, reduction, s0, mask, eps, reference, batch_first):
    """Per parameter, the largest gap between autograd and central differences."""
    xs, ys, s0, mask = check_sequence(model, xs, ys, s0, loss, reduction, mask, batch_first,
                                      "rnn.compare_gradients")

    def L(*params):                      # the params are the model's own tensors
        return checked_sequence_loss(model.run(xs, s0).outputs, ys, loss, reduction, mask)

    named = list(model.named_parameters())
    report = mg.gradcheck(L, [p for _, p in named], eps=eps, raise_on_failure=False)
    checks = report.by_input()
    out = {}
    for i, (name, p) in enumerate(named):     # gradcheck names an input by its tensor's name
        err = max(c.abs_err for c in checks[p.name if p.name is not None else i])
        scale = float(np.max(np.abs(reference[name]), initial=0.0))
        out[name] = Agreement(err, err / scale if scale > 0 else err)
    return out
