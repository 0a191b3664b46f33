"""A store-or-recompute plan drawn as a strip (``draw_checkpoints``): one row per
action of ``rnn.checkpoint_policy``, ``rnn.sqrt_policy`` or ``rnn.revolve_policy``,
one column per step, placed on a :class:`viz.canvas.Canvas`."""

from __future__ import annotations

from .canvas import Canvas
from .theme import COLORS, Look
from .unrolled import check_style

__all__ = ["draw_checkpoints"]

# One colour, one meaning.  Green is the colour of "the gradient flows through
# these steps", as in draw_truncation.
_FORWARD = "#e5e7e9"           # recomputed forward, nothing recorded
_KEPT = "#f5b041"              # a stored checkpoint s_t
_BACKWARD = COLORS["window"]   # recorded and back-propagated
_MAX_STEPS = 60                # beyond this the columns get too thin to read
_KEY = [(_FORWARD, "→", ["recomputed forward,", "nothing recorded"]),
        (_KEPT, "s_t", ["the state s_t kept", "(a checkpoint)"]),
        (_BACKWARD, "←", ["recorded and", "back-propagated"])]


def draw_checkpoints(policy, title=None, style="notebook"):
    """Which states a checkpointing plan stores, what it recomputes, and in what order.

    Row i is the plan's i-th action; column t is step t:

    * grey ``→``: step t computed forward without recording (recomputation);
    * orange ``s_t``: the state kept as a checkpoint at the end of that forward run;
    * green ``←``: step t recorded and back-propagated (each step exactly once).

    Reading down the rows gives the order of the plan that Gruslys et al.
    (2016) compute by dynamic programming, or of Revolve's binomial schedule
    (Griewank and Walther 2000).  The title names the planner and counts what
    the strip shows: the forward steps (the recomputed ones among them) and the
    most steps held at once.  ``style="slides"`` draws it for a projector, as
    the other drawings do.  A plan that is not valid (``rnn.Policy.validate``)
    is refused, naming its bad action.

    >>> import rnn, viz
    >>> texts = viz.draw_checkpoints(rnn.checkpoint_policy(10, 3)).texts()
    >>> texts.count("←") - 1        # every step back-propagated once (and the key's sample)
    10
    """
    if not hasattr(policy, "actions") or not hasattr(policy, "validate"):
        raise TypeError(f"viz.draw_checkpoints: expected a plan from rnn.checkpoint_policy, "
                        f"rnn.sqrt_policy or rnn.revolve_policy, got {type(policy).__name__}")
    check_style(style, "viz.draw_checkpoints")
    T = policy.T
    if T > _MAX_STEPS:
        raise ValueError(f"viz.draw_checkpoints: the plan has T={T} steps; at most "
                         f"{_MAX_STEPS} fit across a readable strip. Fix: draw the plan for a "
                         f"shorter sequence with the same idea, e.g. "
                         f"rnn.checkpoint_policy(40, {max(1, policy.budget * 40 // T)})")
    policy.validate("viz.draw_checkpoints")
    actions = list(policy.actions)
    look = Look(style)
    canvas, em = Canvas(look), look.font
    labels = [_action_text(i, action) for i, action in enumerate(actions, start=1)]
    label_width = max(canvas.text_size([text])[0] for text in labels + ["action"])
    cell = (max(canvas.text_size([f"s_{T}"])[0], canvas.text_size(["←"])[0]) + 0.4 * em,
            1.15 * em)

    def middle(t):                              # of column t
        return label_width + 0.6 * em + (t - 0.5) * cell[0]

    canvas.text("head_action", "action", (0, 0), anchor="w", math=False)
    for t in range(1, T + 1):
        canvas.text(f"head_{t}", str(t), (middle(t), 0), math=False)
    for i, ((kind, a, b), text) in enumerate(zip(actions, labels), start=1):
        y = -i * cell[1] - 0.3 * em
        canvas.text(f"action_{i}", text, (0, y), anchor="w")
        for t, (fill, mark) in _cells(kind, a, b):
            canvas.box(f"a{i}_t{t}", [mark], (middle(t), y), size=cell, fillcolor=fill)
    # the key beside a tall strip, under a wide one: the figure nearer 16:9
    right, bottom = middle(T) + cell[0] / 2, -(len(actions) + 0.5) * cell[1]
    if right > 2 * (-bottom + 3 * em):
        _key(canvas, (0, bottom - 1.2 * em), cell, across=True)
    else:
        _key(canvas, (right + 1.2 * em, -cell[1] - 0.3 * em), cell, across=False)
    return canvas.finish(title or (
        f"checkpointed BPTT ({policy.describe()}), T = {T}, budget {policy.budget}:\n"
        f"{policy.cost} forward steps ({policy.cost - T} recomputed), at most "
        f"{policy.peak_memory()} steps held"))


def _action_text(i, action):
    """'3. forward s0→s4' or '7. backward 5–8' (one step: 'backward 8')."""
    kind, a, b = action
    if kind == "forward":
        return f"{i}. forward s{a}→s{b}"
    return f"{i}. backward {b if b == a + 1 else f'{a + 1}–{b}'}"


def _cells(kind, a, b):
    """(step, (fill, mark)) of the cells an action fills."""
    if kind == "forward":
        return [(t, (_FORWARD, "→")) for t in range(a + 1, b)] + [(b, (_KEPT, f"s_{b}"))]
    return [(t, (_BACKWARD, "←")) for t in range(a + 1, b + 1)]


def _key(canvas, start, cell, across):
    """What each colour means: in a row from ``start`` (its top left) ``across``, else in
    a column from there."""
    em, (x, y) = canvas.em, start
    for k, (fill, mark, lines) in enumerate(_KEY):
        height = max(canvas.text_size(lines)[1], cell[1])
        canvas.box(f"key_{k}", [mark], (x + cell[0] / 2, y - height / 2), size=cell,
                   fillcolor=fill)
        width = canvas.text(f"key_text_{k}", lines, (x + cell[0] + 0.5 * em, y - height / 2),
                            anchor="w")[0]
        if across:
            x += cell[0] + 0.5 * em + width + 1.5 * em
        else:
            y -= height + 0.8 * em
