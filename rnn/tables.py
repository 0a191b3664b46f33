"""Results as tables: plain text in a terminal, HTML in Jupyter.

A :class:`Table` prints as aligned text and shows itself in a notebook as an
HTML table (Jupyter calls ``_repr_html_``).  The functions here build the
tables that the results of ``rnn.bptt``, ``rnn.tbptt``, ``rnn.gradient_flow``
and ``rnn.compare_gradients`` show in a notebook, and the table of every
copy's term of every shared parameter's gradient:

    dL/dp = Σ_t term_t        (one term per copy t of the cell)

>>> import numpy as np, rnn
>>> model = rnn.RNN(2, 3, 1, bias=False, rng=0)
>>> result = rnn.bptt(model, np.ones((3, 2)), np.zeros((3, 1)), contributions=True)
>>> table = rnn.contribution_table(result)
>>> print(table)                                        # doctest: +ELLIPSIS
‖term_t‖ of each parameter's gradient, one row per copy t
t                              U         W         V
1                       3.05e-01  0.00e+00  5.51e-01
...
‖Σ_t term_t‖ = ‖dL/dp‖  7.81e-01  4.01e-01  1.85e+00
>>> table._repr_html_().startswith("<table")
True
"""

from __future__ import annotations

import html

import numpy as np

__all__ = ["Table", "contribution_table", "bptt_table", "tbptt_table", "gradient_flow_table",
           "report_table"]


class Table:
    """A titled table of strings: ``str()`` is aligned text, ``_repr_html_()`` is HTML.

    >>> print(Table("two rows", ["a", "b"], [["1", "2"], ["3", "4"]]))
    two rows
    a  b
    1  2
    3  4
    """

    def __init__(self, title, header, rows, notes=(), footer_rows=0):
        self.title, self.header = title, [str(h) for h in header]
        self.rows = [[str(cell) for cell in row] for row in rows]
        self.notes = list(notes)
        self.footer_rows = footer_rows          # the last rows are totals: set apart in HTML

    def __str__(self):
        rows = [self.header] + self.rows
        widths = [max(len(r[i]) for r in rows) for i in range(len(self.header))]
        lines = [self.title] if self.title else []
        for row in rows:
            lines.append("  ".join(cell.rjust(w) if i else cell.ljust(w)
                                   for i, (cell, w) in enumerate(zip(row, widths))).rstrip())
        return "\n".join(lines + self.notes)

    def __repr__(self):
        return str(self)

    def _repr_html_(self):
        esc = html.escape
        cell = 'style="text-align:right;padding:2px 8px;font-family:monospace"'
        first = 'style="text-align:left;padding:2px 8px"'
        out = ['<table style="border-collapse:collapse;font-size:13px">']
        if self.title:
            out.append(f'<caption style="caption-side:top;text-align:left;font-weight:bold">'
                       f'{esc(self.title)}</caption>')
        out.append("<thead><tr>" + "".join(
            f"<th {first if i == 0 else cell}>{esc(h)}</th>" for i, h in enumerate(self.header))
            + "</tr></thead><tbody>")
        n = len(self.rows)
        for k, row in enumerate(self.rows):
            top = ' style="border-top:2px solid #888"' if k == n - self.footer_rows else ""
            out.append(f"<tr{top}>" + "".join(
                f"<td {first if i == 0 else cell}>{esc(c)}</td>" for i, c in enumerate(row))
                + "</tr>")
        out.append("</tbody></table>")
        out += [f'<p style="margin:2px 0;font-size:12px">{esc(note)}</p>' for note in self.notes]
        return "\n".join(out)


def _sci(x):
    return f"{x:.2e}"


def _step_number(key):
    """'t=3' -> 3 (keys from minigrad.contributions); anything else sorts last."""
    try:
        return int(str(key).split("=", 1)[1])
    except (IndexError, ValueError):
        return 10 ** 9


def contribution_table(result, params=None):
    """‖term_t‖ for every shared parameter p and copy t, with ‖Σ_t term_t‖ = ‖dL/dp‖.

    ``result`` is what ``rnn.bptt(..., contributions=True)`` returned (or its
    ``contributions`` dict: name -> {"t=1": term, ...}).  One row per step t,
    one column per parameter; the last row is the norm of the sum, which is
    the norm of the gradient.  Shows as HTML in Jupyter, as text in a terminal.

    >>> import numpy as np, rnn
    >>> model = rnn.RNN(1, 2, 1, rng=0)
    >>> result = rnn.bptt(model, np.ones((4, 1)), np.zeros((4, 1)), contributions=True)
    >>> table = rnn.contribution_table(result, params=["W"])
    >>> len(table.rows), table.header
    (5, ['t', 'W'])
    """
    contributions = getattr(result, "contributions", result)
    if contributions is None:
        raise ValueError("rnn.contribution_table: this result has no per-copy terms. Fix: "
                         "rnn.bptt(model, xs, ys, contributions=True)")
    if not isinstance(contributions, dict):
        raise TypeError(f"rnn.contribution_table: expected the result of rnn.bptt(..., "
                        f"contributions=True) or its .contributions dict, got "
                        f"{type(result).__name__}")
    names = list(contributions) if params is None else list(params)
    unknown = [n for n in names if n not in contributions]
    if unknown:
        raise KeyError(f"rnn.contribution_table: no parameter named {unknown[0]!r}; the "
                       f"result has {list(contributions)}")
    steps = sorted({k for n in names for k in contributions[n]}, key=_step_number)
    rows = []
    for key in steps:
        label = str(_step_number(key)) if _step_number(key) < 10 ** 9 else str(key)
        rows.append([label] + [_sci(float(np.linalg.norm(contributions[n][key])))
                               if key in contributions[n] else "–" for n in names])
    totals = []
    for n in names:
        terms = list(contributions[n].values())
        totals.append(_sci(float(np.linalg.norm(np.sum(terms, axis=0)))) if terms else "0")
    rows.append(["‖Σ_t term_t‖ = ‖dL/dp‖"] + totals)
    return Table("‖term_t‖ of each parameter's gradient, one row per copy t", ["t"] + names,
                 rows, footer_rows=1)


def bptt_table(result):
    """A BPTTResult as a table: the loss, and per parameter its shape and ‖dL/dp‖
    (and, with contributions, the copy whose term is largest)."""
    header = ["param", "shape", "‖dL/dp‖", "max |dL/dp|"]
    contributions = getattr(result, "contributions", None)
    if contributions:
        header.append("largest term (copy t)")
    rows = []
    for name, grad in result.grads.items():
        row = [name, str(tuple(np.shape(grad))), _sci(float(np.linalg.norm(grad))),
               _sci(float(np.max(np.abs(grad), initial=0.0)))]
        if contributions:
            terms = contributions.get(name) or {}
            if terms:
                key = max(terms, key=lambda k: float(np.linalg.norm(terms[k])))
                row.append(f"{_sci(float(np.linalg.norm(terms[key])))} ({key})")
            else:
                row.append("–")
        rows.append(row)
    notes = [] if contributions else ["per-copy terms: rnn.bptt(..., contributions=True), then "
                                      "rnn.contribution_table(result)"]
    return Table(f"BPTT: L = {result.loss:.6g}", header, rows, notes)


def tbptt_table(result):
    """A TBPTTResult as a table: one row per update, its block, window and loss."""
    rows = [[str(i), f"{u.block[0]}..{u.block[1]}", f"{u.window[0]}..{u.window[1]}",
             f"{u.loss:.6g}"] for i, u in enumerate(result.updates, start=1)]
    return Table(f"truncated BPTT: {len(result.updates)} updates",
                 ["update", "losses of steps (block)", "gradient through steps (window)",
                  "L"], rows)


def gradient_flow_table(flow):
    """A GradientFlow as a table: per step t, ‖dE_T/ds_t‖ and ‖copy t's term of dL/dW‖."""
    rows = [[str(t), _sci(a), _sci(b)] for t, a, b in
            zip(flow.steps, flow.state_grad_norms, flow.w_contribution_norms)]
    decay = flow.decay_per_step()
    notes = [] if np.isnan(decay) else [
        f"‖dE_T/ds_t‖ changes by a factor {decay:.3g} per step back in time"]
    return Table(f"gradient flow ({flow.w_scale_name} of W: {flow.w_scale:.3f})",
                 ["t", "‖dE_T/ds_t‖", "‖dL/dW via copy t‖"], rows, notes)


def report_table(report):
    """A GradientReport (rnn.compare_gradients) as a table, with the verdict below it."""
    methods = list(report.errors)
    rows = []
    for name, grad in report.reference.items():
        rows.append([name, str(tuple(np.shape(grad))),
                     _sci(float(np.max(np.abs(grad), initial=0.0)))] +
                    [f"{report.errors[m][name].max_rel:.1e}" for m in methods])
    notes = ["relative error against autograd: max |difference| / max |dL/dp|"]
    worst = report.worst_step_error()
    if worst is not None:
        notes.append(f"per-copy terms, autograd vs the manual recursion: worst relative error "
                     f"{worst[0]:.1e} ({worst[1]}, t={worst[2]})")
    verdict = "all methods agree" if report.ok() else "METHODS DISAGREE"
    notes.append(f"{verdict} (tolerance {report.tol:g} for the exact methods, "
                 f"{report.numeric_tol:g} for finite differences)")
    return Table(report.title, ["param", "shape", "max|dL/dp|"] + methods, rows, notes)
