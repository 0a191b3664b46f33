"""A store-or-recompute plan drawn as a strip (``draw_checkpoints``): one row per
action of ``rnn.checkpoint_policy``, ``rnn.sqrt_policy`` or ``rnn.revolve_policy``,
one column per step."""

from __future__ import annotations

from .emit import dot_figure as _new_digraph, framed as _frame
from .theme import COLORS, STYLES

__all__ = ["draw_checkpoints"]

# One colour, one meaning.  Green is the colour of "the gradient flows through
# these steps", as in draw_truncation.
_FORWARD = "#e5e7e9"           # recomputed forward, nothing recorded
_KEPT = "#f5b041"              # a stored checkpoint s_t
_BACKWARD = COLORS["window"]   # recorded and back-propagated
# every step's column equally wide, by style (slide text is larger)
_CELLS = {"notebook": 'WIDTH="34" HEIGHT="26" FIXEDSIZE="TRUE"',
          "slides": 'WIDTH="46" HEIGHT="34" FIXEDSIZE="TRUE"'}
_MAX_STEPS = 60                # beyond this the columns get too thin to read


def draw_checkpoints(policy, title=None, style="notebook"):
    """Which states a checkpointing plan stores, what it recomputes, and in what order.

    Row i is the plan's i-th action; column t is step t:

    * grey ``→``: step t computed forward without recording (recomputation);
    * orange ``s_t``: the state kept as a checkpoint at the end of that forward run;
    * green ``←``: step t recorded and back-propagated (each step exactly once).

    Reading down the rows gives the order of the plan that Gruslys et al.
    (2016) compute by dynamic programming, or of Revolve's binomial schedule
    (Griewank and Walther 2000).  The title names the planner and states the
    cost in forward steps and the most steps held at once.  ``style="slides"``
    draws it for a projector, as the other Graphviz drawings do.  A plan that
    is not valid (``rnn.Policy.validate``) is refused, naming its bad action.

    >>> import rnn, viz
    >>> graph = viz.draw_checkpoints(rnn.checkpoint_policy(10, 3))
    >>> graph.source.count(">←<") == 10        # every step back-propagated once
    True
    """
    if not hasattr(policy, "actions") or not hasattr(policy, "validate"):
        raise TypeError(f"viz.draw_checkpoints: expected a plan from rnn.checkpoint_policy, "
                        f"rnn.sqrt_policy or rnn.revolve_policy, got {type(policy).__name__}")
    if style not in STYLES:
        raise ValueError(f"viz.draw_checkpoints: style must be one of "
                         f"{', '.join(map(repr, STYLES))}, got {style!r}")
    cell = _CELLS[style]
    T = policy.T
    if T > _MAX_STEPS:
        raise ValueError(f"viz.draw_checkpoints: the plan has T={T} steps; at most "
                         f"{_MAX_STEPS} fit across a readable strip. Fix: draw the plan for a "
                         f"shorter sequence with the same idea, e.g. "
                         f"rnn.checkpoint_policy(40, {max(1, policy.budget * 40 // T)})")
    policy.validate("viz.draw_checkpoints")
    actions = list(policy.actions)
    heading = title or (f"checkpointed BPTT ({policy.describe()}), T = {T}, budget "
                        f"{policy.budget}: {policy.cost} forward steps "
                        f"({policy.cost - T} recomputed), at most {policy.peak_memory()} "
                        f"steps held")
    legend = ("grey →: recomputed forward, nothing recorded;  orange s_t: state kept;  "
              "green ←: recorded and back-propagated")
    dot = _new_digraph(heading + "\n" + legend, rankdir="TB", style=style)
    rows = ['<TR><TD BORDER="0"><B>action</B></TD>' +
            "".join(f'<TD {cell} BORDER="0"><B>{t}</B></TD>' for t in range(1, T + 1)) +
            "</TR>"]
    for i, (kind, a, b) in enumerate(actions, start=1):
        steps = f"{b}" if b == a + 1 else f"{a + 1}–{b}"
        what = f"{i}. forward s{a}→s{b}" if kind == "forward" else f"{i}. backward {steps}"
        cells = []
        for t in range(1, T + 1):
            if kind == "forward" and t == b:
                cells.append(f'<TD {cell} BGCOLOR="{_KEPT}"><B>s{t}</B></TD>')
            elif kind == "forward" and a < t < b:
                cells.append(f'<TD {cell} BGCOLOR="{_FORWARD}">→</TD>')
            elif kind == "backward" and a < t <= b:
                cells.append(f'<TD {cell} BGCOLOR="{_BACKWARD}">←</TD>')
            else:
                cells.append(f'<TD {cell} BORDER="0"> </TD>')
        rows.append(f'<TR><TD BORDER="0" ALIGN="LEFT">{what}</TD>{"".join(cells)}</TR>')
    table = ('<<TABLE BORDER="0" CELLBORDER="1" CELLSPACING="0" CELLPADDING="4">' +
             "".join(rows) + "</TABLE>>")
    dot.node("plan", table, shape="plaintext", fillcolor="white", style="")
    return _frame(dot, style)
