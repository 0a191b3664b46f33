"""The referee: compare autograd with central finite differences.

For a function f of tensors, autograd gives dL/dx for L = Σ f(x) ⊙ r,
where r is a fixed random array (1 for a scalar f), so every output is
checked at once.  Finite differences give the same numbers from the
definition of the derivative::

    dL/dx_i ≈ (L(x + ε e_i) - L(x - ε e_i)) / 2ε        (error O(ε²))

Small inputs are checked element by element.  Large ones are checked
along random unit directions d, comparing d · dL/dx with
(L(x + ε d) - L(x - ε d)) / 2ε.

A check that checks nothing fails too: if ``backward()`` never reaches a
checked input, fn's output does not depend on it through the recorded
graph, and the report says so instead of comparing a zero with a zero.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import math

import numpy as np

from .errors import GradcheckError
from .graph import no_grad
from .tensor import Tensor

__all__ = ["gradcheck", "GradcheckReport"]


@dataclass
class Check:
    """One comparison: an element (or a direction) of one input."""
    input: object       # the input's name, or its position (int)
    where: str          # "[2, 1]" for an element, "direction 3" for a direction
    autograd: float
    numeric: float

    @property
    def abs_err(self):
        return abs(self.autograd - self.numeric)


@dataclass
class GradcheckReport:
    """The result of :func:`gradcheck`.  ``bool(report)`` is ``report.ok``."""
    checks: list = field(default_factory=list)
    atol: float = 0.0
    rtol: float = 0.0
    unreached: dict = field(default_factory=dict)   # input -> max |numeric| (see gradcheck)

    def badness(self, check):
        """Error as a fraction of what the tolerance allows (> 1 fails; NaN counts as inf)."""
        allowed = self.atol + self.rtol * abs(check.numeric)
        if allowed == 0 or math.isnan(check.abs_err):
            return 0.0 if check.abs_err == 0 else math.inf
        return check.abs_err / allowed

    @property
    def worst(self):
        return max(self.checks, key=self.badness) if self.checks else None

    def by_input(self):
        """{input: [its checks]}, inputs named as in ``Check.input``."""
        groups = {}
        for check in self.checks:
            groups.setdefault(check.input, []).append(check)
        return groups

    @property
    def ok(self):
        return not self.unreached and all(self.badness(c) <= 1 for c in self.checks)

    def __bool__(self):
        return self.ok

    def __str__(self):
        if not self.checks:
            return "gradcheck: nothing to check (no input requires grad)"
        w = self.worst
        verdict = "passed" if self.ok else "FAILED"
        return (f"gradcheck {verdict}: {len(self.checks)} comparisons, worst at input "
                f"{w.input!r} {w.where}: autograd {w.autograd:.12g}, finite differences "
                f"{w.numeric:.12g}, |difference| {w.abs_err:.3g} "
                f"(allowed {self.atol:.1g} + {self.rtol:.1g}·|numeric|)"
                + "".join(_unreached_text(x, numeric) for x, numeric in self.unreached.items()))


def _unreached_text(x, numeric):
    said = (f". backward() never reached input {x!r}: fn's output does not depend on it "
            f"through the recorded graph, and autograd's gradient is taken as 0")
    if numeric == 0:
        return (f"{said}; finite differences agree that the output does not depend on it "
                f"at all, so nothing about it was checked. Fix: pass only inputs that fn "
                f"uses, or give this one requires_grad=False so that it is not checked.")
    return (f"{said}, but finite differences change by up to {numeric:.3g}: the graph is "
            f"cut. Fix: inside fn, use the tensor itself, not x.data, x.numpy() or "
            f"x.detach(), and no no_grad(); or the op that reads it does not record it.")


def gradcheck(fn, inputs, eps=1e-6, atol=1e-8, rtol=1e-6, max_elements=256,
              directions=16, seed=0, raise_on_failure=True):
    """Check the gradients of ``fn(*inputs)`` against central finite differences.

    Parameters
    ----------
    fn : callable
        Takes the input tensors and returns a Tensor (any shape).
    inputs : sequence of Tensor
        The inputs with ``requires_grad=True`` are checked; they must be float64.
    eps : float
        The finite-difference step.
    atol, rtol : float
        An entry passes if |autograd - numeric| <= atol + rtol |numeric|.
        ``atol`` must be positive: where a derivative is 0, finite differences
        still give round-off (about 1e-16 |L| / eps) and truncation error
        (eps² for x³ at 0), not an exact 0, and rtol |numeric| alone would
        allow no error there.
    max_elements : int
        Inputs with at most this many elements are checked element by element;
        larger ones along ``directions`` random unit directions.
    seed : int
        Seeds the random output weights r and the directions.
    raise_on_failure : bool
        Raise :class:`GradcheckError` naming the worst entry (default), or
        just return the report.

    Returns
    -------
    GradcheckReport
        Not ok, and raised unless ``raise_on_failure=False``, if an entry is
        outside the tolerance, or if ``backward()`` never reaches a checked
        input (then fn's output does not depend on it through the graph: its
        check would compare 0 with 0, or find the graph cut).

    Examples
    --------
    >>> import minigrad as mg
    >>> x = mg.randn(3, 4, rng=0, requires_grad=True)
    >>> W = mg.randn(2, 4, rng=1, requires_grad=True)
    >>> print(mg.gradcheck(lambda x, W: (x @ W.T).tanh(), [x, W]))  # doctest: +ELLIPSIS
    gradcheck passed: 20 comparisons, worst at input 0 ...
    """
    _check_tolerances(eps, atol, rtol)
    inputs = [x if isinstance(x, Tensor) else Tensor(x) for x in inputs]
    checked = [(i, x) for i, x in enumerate(inputs) if x.requires_grad]
    for i, x in checked:
        if x.dtype != np.float64:
            raise TypeError(
                f"gradcheck: input {i} has dtype {x.dtype}; finite differences with "
                f"eps={eps} need float64 (float32 keeps only ~7 digits). Fix: "
                f"Tensor(x.data, dtype='float64', requires_grad=True).")
    rng = np.random.default_rng(seed)

    out = fn(*inputs)
    if not isinstance(out, Tensor):
        raise TypeError(f"gradcheck: fn must return a Tensor, got {type(out).__name__}")
    weights = np.ones(out.shape) if out.size == 1 else rng.standard_normal(out.shape)

    def objective():                       # L = Σ fn(x) ⊙ r, evaluated without a graph
        with no_grad():
            return float(np.vdot(fn(*inputs)._data, weights))

    analytic = _autograd(out, weights, [x for _, x in checked])
    report = GradcheckReport(atol=atol, rtol=rtol)
    for (i, x), grad in zip(checked, analytic):
        label = x.name or i
        first = len(report.checks)
        if x.size <= max_elements:
            for idx in np.ndindex(x.shape):
                numeric = _central_difference(objective, x, idx, eps)
                report.checks.append(Check(label, str(list(idx)),
                                           0.0 if grad is None else float(grad[idx]), numeric))
        else:
            for k in range(directions):
                d = rng.standard_normal(x.shape)
                d /= np.linalg.norm(d)
                numeric = _central_difference(objective, x, d, eps)
                report.checks.append(Check(label, f"direction {k}",
                                           0.0 if grad is None else float(np.vdot(grad, d)),
                                           numeric))
        if grad is None:                   # the walk never got here: say so
            report.unreached[label] = max((abs(c.numeric) for c in report.checks[first:]),
                                          default=0.0)
    if raise_on_failure and not report.ok:
        raise GradcheckError(report)
    return report


def _check_tolerances(eps, atol, rtol):
    """Tolerances that can work, or a ValueError saying why not."""
    for name, value in (("eps", eps), ("atol", atol), ("rtol", rtol)):
        if not isinstance(value, (int, float, np.floating, np.integer)) or not (
                math.isfinite(value) and value >= 0):
            raise ValueError(f"gradcheck: {name}={value!r} must be a finite number >= 0.")
    if eps == 0:
        raise ValueError("gradcheck: eps=0 is no step at all; the finite differences "
                         "divide by 2 eps. Fix: eps=1e-6 (the default).")
    if atol == 0:
        raise ValueError(
            "gradcheck: atol=0 cannot work. Where a derivative is exactly 0, the finite "
            "difference is not: it keeps round-off (about 1e-16 |L| / eps) and truncation "
            "error (eps² for x³ at 0), and a relative tolerance alone allows "
            "rtol x |numeric|, about 0, there. Fix: keep a small atol, e.g. atol=1e-10 "
            "with rtol=1e-6 (default atol=1e-8).")


def _autograd(out, weights, tensors):
    """dL/dx for each tensor (None where backward never reached it), leaving
    their ``.grad`` as it was."""
    saved = [(x._grad, x._contributions) for x in tensors]
    for x in tensors:
        x._grad = None
    try:
        if out.requires_grad:              # else no checked input is behind it
            out.backward(weights.astype(out.dtype))
        return [x._grad for x in tensors]
    finally:
        for x, (grad, contributions) in zip(tensors, saved):
            x._grad, x._contributions = grad, contributions


def _central_difference(objective, x, step, eps):
    """(L(x + ε step) - L(x - ε step)) / 2ε; ``step`` is an index or a direction.

    ``x`` gets perturbed copies of its data, then its own array back, so the
    graph recorded from it is never written into.
    """
    original = x._data
    up_data, down_data = original.copy(), original.copy()
    if isinstance(step, tuple):               # one element
        up_data[step] += eps
        down_data[step] -= eps
    else:                                     # a direction
        up_data += eps * step
        down_data -= eps * step
    try:
        x._data = up_data
        up = objective()
        x._data = down_data
        down = objective()
    finally:
        x._data = original
    return (up - down) / (2 * eps)
