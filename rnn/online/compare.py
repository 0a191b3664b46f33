"""How good is each online gradient?  Alignment, bias and spread against the exact one.

The method is that of Marschall, Cho and Savin (JMLR 2020), who compare rules
by their gradient's alignment with the exact one: hold the weights fixed,
run each rule over the same steps, and compare its gradient estimate ĝ with
the exact gradient g of the same loss (BPTT).  For every rule and every
parameter (and ``"all"``: the recurrent parameters W, U, b, and a GRU's
b_hn, together):

* **alignment**: the cosine ⟨ĝ, g⟩ / (‖ĝ‖ ‖g‖), averaged over the seeds
  (1 is perfect, 0 is orthogonal);
* **bias**: ‖mean over seeds of ĝ − g‖ / ‖g‖, the relative error of the mean;
* **spread**: √(mean over seeds ‖ĝ − mean ĝ‖²) / ‖g‖, the relative standard
  deviation; 0 for deterministic rules, which run once.

For an unbiased rule (UORO, KF-RTRL) the bias shrinks like spread / √(number of
seeds); for a biased one (SnAp-1, RFLO, TBPTT with k < T) it stays put.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from . import make_rule, online_gradient

__all__ = ["compare_online", "OnlineReport", "RuleStats"]

DEFAULT_RULES = ("rtrl", "uoro", "kf-rtrl", "snap-1", "rflo", "tbptt-4")
READOUT = ("V", "c")


@dataclass
class RuleStats:
    """One rule's numbers for one parameter (or ``"all"``)."""
    rule: str
    param: str
    alignment: float
    bias: float
    spread: float
    seeds: int


@dataclass
class OnlineReport:
    """What :func:`compare_online` returns: a table of :class:`RuleStats`.

    ``str(report)`` is a terminal table; in Jupyter the report shows as an
    HTML table.  ``report.stats(rule, param)`` finds one row;
    ``report.estimates[rule]`` holds every seed's gradients.
    """
    rows: list
    exact: dict
    estimates: dict = field(repr=False)
    loss: float = 0.0
    exact_rules: tuple = ()

    def ok(self, tol=1e-12):
        """True if every exact rule (RTRL) matches BPTT: bias <= ``tol`` on every row.

        Only an exact rule can be held to BPTT; the others are measured, not
        passed or failed.  So a report without an exact rule has nothing to
        check, and ``ok()`` raises a ValueError that says so rather than
        answer True (read ``report.exact_rules`` first to tell).
        """
        if not self.exact_rules:
            rules = ", ".join(dict.fromkeys(r.rule for r in self.rows))
            raise ValueError(f"OnlineReport.ok(): none of the rules compared ({rules}) is "
                             f"exact, so there is nothing to hold to BPTT: the table's "
                             f"alignment, bias and spread are the result. Fix: add 'rtrl' to "
                             f"rules for a check, or read the table")
        return all(r.bias <= tol for r in self.rows if r.rule in self.exact_rules)

    def stats(self, rule, param="all"):
        for row in self.rows:
            if row.rule == rule and row.param == param:
                return row
        raise KeyError(f"no row for rule {rule!r} and parameter {param!r}; rules: "
                       f"{sorted({r.rule for r in self.rows})}")

    def _table(self):
        head = ("rule", "param", "alignment", "bias", "spread", "seeds")
        body = [(r.rule, r.param, f"{r.alignment:.4f}", f"{r.bias:.2e}",
                 f"{r.spread:.2e}" if r.seeds > 1 else "-", str(r.seeds)) for r in self.rows]
        return head, body

    def __str__(self):
        head, body = self._table()
        widths = [max(len(row[i]) for row in [head] + body) for i in range(len(head))]
        line = lambda row: "  ".join(cell.rjust(w) if i >= 2 else cell.ljust(w)  # noqa: E731
                                     for i, (cell, w) in enumerate(zip(row, widths)))
        rule = "  ".join("-" * w for w in widths)
        text = [f"online gradients against exact BPTT (L = {self.loss:.6g}); bias and spread "
                f"relative to |g|", line(head), rule]
        text += [line(row) for row in body]
        return "\n".join(text)

    def _repr_html_(self):
        head, body = self._table()
        cells = lambda row, tag: "".join(f"<{tag}>{c}</{tag}>" for c in row)  # noqa: E731
        rows = "".join(f"<tr>{cells(row, 'td')}</tr>" for row in body)
        return (f"<table><caption>online gradients against exact BPTT</caption>"
                f"<tr>{cells(head, 'th')}</tr>{rows}</table>")


def compare_online(model, xs, ys, rules=DEFAULT_RULES, seeds=range(8), loss="mse",
                   reduction="sum", s0=None, mask=None, batch_first=False):
    """Every rule's gradient against BPTT's, over the same steps with the weights fixed.

    ``rules`` are names or :class:`~rnn.online.OnlineRule` instances;
    ``seeds`` seed the stochastic rules (UORO, KF-RTRL, RFLO's random feedback); a
    deterministic rule runs once.  The other arguments are those of
    :func:`rnn.bptt`.

    >>> import numpy as np, rnn
    >>> model = rnn.RNN(2, 4, 1, rng=0)
    >>> rng = np.random.default_rng(0)
    >>> xs, ys = rng.normal(size=(10, 2)), rng.normal(size=(10, 1))
    >>> report = rnn.compare_online(model, xs, ys, rules=["rtrl", "uoro"], seeds=range(4))
    >>> report.stats("rtrl").bias < 1e-12, report.stats("uoro").seeds, report.ok()
    (True, 4, True)
    """
    from ..bptt import bptt
    from .base import OnlineRule

    where = "rnn.compare_online"
    if isinstance(rules, (str, OnlineRule)):
        rules = [rules]                      # one rule, not a string read letter by letter
    try:
        rules = [make_rule(spec) for spec in rules]
    except TypeError:
        raise TypeError(f"{where}: rules must be a list of rule names or OnlineRule "
                        f"instances, got {type(rules).__name__}") from None
    if not rules:
        raise ValueError(f"{where}: rules is empty; give at least one, e.g. "
                         f"rules=['rtrl', 'uoro']")
    seeds = _checked_seeds(where, seeds)
    exact_run = bptt(model, xs, ys, loss=loss, reduction=reduction, s0=s0, mask=mask,
                     batch_first=batch_first)
    exact = exact_run.grads
    names = [n for n in exact if n not in READOUT] + [n for n in exact if n in READOUT]
    rows, estimates = [], {}
    for rule in rules:
        runs = seeds if rule.stochastic else [0]
        grads = [online_gradient(model, xs, ys, rule, loss, reduction, s0, mask, batch_first,
                                 rng=seed).grads for seed in runs]
        estimates[rule.name] = grads
        for param in ["all"] + names:
            keys = [n for n in names if n not in READOUT] if param == "all" else [param]
            g = np.concatenate([exact[k].ravel() for k in keys])
            samples = np.array([np.concatenate([run[k].ravel() for k in keys]) for run in grads])
            rows.append(_stats(rule.name, param, samples, g))
    exact_rules = tuple(rule.name for rule in rules if rule.exact)
    return OnlineReport(rows, exact, estimates, exact_run.loss, exact_rules)


def _checked_seeds(where, seeds):
    """``seeds`` as a non-empty list of seeds (whole numbers >= 0), or a clear error.

    >>> _checked_seeds("f", 3)
    Traceback (most recent call last):
    TypeError: f: seeds must be a list (or range) of seeds, got the int 3. Fix: seeds=range(3)
    """
    if isinstance(seeds, (int, np.integer)) and not isinstance(seeds, bool):
        raise TypeError(f"{where}: seeds must be a list (or range) of seeds, got the int "
                        f"{seeds}. Fix: seeds=range({seeds})")
    try:
        seeds = list(seeds)
    except TypeError:
        raise TypeError(f"{where}: seeds must be a list (or range) of seeds, got "
                        f"{type(seeds).__name__}. Fix: e.g. seeds=range(8)") from None
    if not seeds:
        raise ValueError(f"{where}: seeds is empty; give at least one seed, e.g. range(8)")
    for seed in seeds:
        if (isinstance(seed, (bool, np.bool_)) or not isinstance(seed, (int, np.integer))
                or seed < 0):
            raise ValueError(f"{where}: every seed must be a whole number >= 0 (NumPy's "
                             f"default_rng), got {seed!r}")
    return seeds


def _stats(rule, param, samples, g):
    norm = np.linalg.norm(g)
    scale = norm if norm > 0 else 1.0
    mean = samples.mean(axis=0)
    cosines = [_cosine(s, g) for s in samples]
    spread = np.sqrt(((samples - mean) ** 2).sum(axis=1).mean()) / scale
    return RuleStats(rule, param, float(np.mean(cosines)), float(np.linalg.norm(mean - g) / scale),
                     float(spread), len(samples))


def _cosine(a, b):
    na, nb = np.linalg.norm(a), np.linalg.norm(b)
    if na == 0 or nb == 0:
        return 1.0 if na == nb else 0.0
    return float(np.dot(a, b) / (na * nb))
