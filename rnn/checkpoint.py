"""BPTT in less memory: store a few states, recompute the rest (Gruslys et al. 2016;
Griewank and Walther 2000).

Full BPTT keeps the record of every step until the backward pass: memory
grows like T.  Gruslys, Munos, Danihelka, Lanctot and Graves, "Memory-Efficient
Backpropagation Through Time" (NeurIPS 2016), store only some states
(*checkpoints*), and when the backward pass needs a step they recompute it
forward from the nearest checkpoint.  Their dynamic program (Section 3,
BPTT-HSM) finds, for a memory budget, the store-or-recompute policy with the
fewest forward steps.  It fills T × budget tables, so for long sequences this
module plans by binomial checkpointing instead (Griewank and Walther's
Revolve, ``rnn.revolve``), whose schedule is computed as it runs.

The plan is a sequence of actions, run in order:

* ``("forward", a, b)``: compute s_{a+1} .. s_b from the held state s_a
  without recording, and keep s_b (a checkpoint);
* ``("backward", a, b)``: record steps a+1 .. b from s_a, add the losses of
  those steps, back-propagate, and hand dL/ds_a on to the segment before.
  s_a is not needed afterwards and is dropped.

A plan is *valid* when every step is back-propagated exactly once, the
segments last first (the one ending at T first: dL/ds_b must be known), and
every action starts from s_0 or from a state an earlier forward kept and no
backward has dropped.  :class:`Policy` checks this and names the first action
that breaks it.

Counting (the convention of this module, stated once)
-----------------------------------------------------
*Cost* is the paper's: forward steps of the cell, the recorded ones included,
so full BPTT costs T.  *Memory* is counted in steps held at once: a stored
checkpoint s_t (t >= 1) counts 1, a recorded segment of k steps counts k, and
s_0 counts nothing (the caller holds it).  A segment's start state lives in
its record, so it is not counted again when the record starts from the
running state or from a checkpoint used for the last time.  The gradient
carried between segments, dL/ds_a, is one state and is not counted either.

With C(t, m) the cost of t steps from a start state that is free (s_0) and
H(t, m) the same when the start is a checkpoint counted among the m:

    C(t, m) = H(t, m) = t                             if t <= m   (record all)
    C(t, m) = min_{1<=y<t}  y + H(t - y, m)     + C(y, m)
    H(t, m) = min_{1<=y<t}  y + H(t - y, m - 1) + H(y, m)

run y steps, keep s_y, solve the right part with what is left, drop s_y,
solve the left part.  That is the paper's recursion for BPTT-HSM (Section 3:
the optimal cost as a minimum over the first checkpoint y, with the
boundary case of a single slot, t(t+1)/2), with one slot's worth of
difference in who pays for a start state.

A recorded step holds far more than a state (its ops, their saved arrays):
``record_size=α`` counts it as α stored states, as the paper weighs an
internal state against a hidden one, and "record all" becomes α·t <= m.
α = 1 is the counting above.  Its closed forms at the
extremes: a budget of T needs no recomputation, C(T, T) = T, and a budget
of 1 recomputes from s_0 for every step, C(T, 1) = T(T+1)/2.

In this counting Revolve with s snapshots (s_0 among them) and segments of
one step holds s steps at once, and costs T + A(T, s) forward steps (A: the
advances of ``rnn.revolve``).  With a budget of 1 that is T(T+1)/2 again.
Recording k steps per segment holds s - 1 + α·k.

Recomputing runs the same ops on the same numbers, and the segments'
gradients are added in the order full BPTT adds them (see
:func:`checkpointed_backward`), so the gradients are *equal*, not close.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numpy as np

import minigrad as mg
from minigrad.graph import record

from .losses import step_loss
from .revolve import Schedule

__all__ = ["Policy", "checkpoint_policy", "sqrt_policy", "revolve_policy", "policy_for",
           "MEMORY_MODES", "checkpointed_backward"]

MEMORY_MODES = ("full", "sqrt", "an integer budget >= 1")
CARRY = "checkpoint carry"        # the scope of the terms that carry gradients between segments
# Step costs per weighted_sum op.  Below 20 on purpose: CPython 3.11 puts a freed tuple of 20
# items on a free list that it never takes from again (up to 2000 of them, 400 kB, until a
# full gc.collect()), so an op with 20 inputs made the peak depend on the collector.
GROUP = 16
_DP_LIMIT = 2e9                   # T² · budget above this: the dynamic program would take minutes
DP_LONGEST = 500                  # memory=budget: the dynamic program up to this T, Revolve beyond
KINDS = ("forward", "backward")


@dataclass(repr=False)
class Policy:
    """A store-or-recompute plan for back-propagating T steps.

    Made by :func:`checkpoint_policy`, :func:`sqrt_policy` or
    :func:`revolve_policy`, or written by hand; either way it is checked when
    it is made and again when it runs (the module docstring says what a valid
    plan is), and an invalid plan is refused with an error naming its first
    bad action.

    Attributes
    ----------
    T : int
    budget : int
        Steps that may be held at once (the module docstring says how they count).
    actions : list of (kind, a, b), or a :class:`rnn.revolve.Schedule`
        ``("forward", a, b)``: s_a -> s_b without recording, keep s_b;
        ``("backward", a, b)``: record steps a+1..b from s_a and back-propagate.
        Revolve's actions are computed as they run, not stored.
    cost : int
        Forward steps, recorded ones included (full BPTT: T).
    record_size : int
        What one recorded step counts, in stored states (α; 1 by default).
    method : str
        Who planned it: "dynamic program", "sqrt", "revolve" or "given" (by hand).

    >>> import rnn
    >>> rnn.Policy(4, 2, [("forward", 0, 2), ("backward", 2, 4), ("backward", 0, 2)], 6)
    Policy(T=4, given, budget 2: 6 forward steps (2 recomputed), at most 2 steps held)
    >>> rnn.Policy(4, 4, [("backward", 0, 4)] * 2, 8)
    Traceback (most recent call last):
    ValueError: rnn.Policy: action 2 of the plan, ('backward', 0, 4), back-propagates ...
    """
    T: int
    budget: int
    actions: object
    cost: int
    record_size: int = 1
    method: str = "given"

    def __post_init__(self):
        self.T = _check_T(self.T, "rnn.Policy")
        self.budget = _check_budget(self.budget, "rnn.Policy")
        self.record_size = _check_budget(self.record_size, "rnn.Policy (record_size)")
        if isinstance(self.actions, tuple):
            self.actions = list(self.actions)
        if not isinstance(self.actions, (list, Schedule)):
            raise TypeError(f"rnn.Policy: actions must be a list of (kind, a, b) tuples, got "
                            f"{type(self.actions).__name__}. Fix: e.g. [('forward', 0, 5), "
                            f"('backward', 5, {self.T}), ('backward', 0, 5)]")
        if isinstance(self.actions, list):       # Revolve's schedule is checked as it runs
            self.validate("rnn.Policy")

    @property
    def stored(self):
        """The checkpointed steps t, in the order they are stored."""
        return [b for kind, a, b in self.actions if kind == "forward"]

    @property
    def segments(self):
        """The back-propagated segments (first step, last step), in the order they run."""
        return [(a + 1, b) for kind, a, b in self.actions if kind == "backward"]

    @property
    def recomputed(self):
        """Forward steps beyond the T of full BPTT."""
        return self.cost - self.T

    def peak_memory(self):
        """The most steps held at once when the plan runs (<= budget), counted as in
        the module docstring.

        >>> checkpoint_policy(10, 3).peak_memory() <= 3
        True
        """
        return max(held for *_, held in checked_actions(self.T, self.actions, self.record_size,
                                                        "rnn.Policy.peak_memory"))

    def validate(self, where="rnn.Policy"):
        """Check the plan: every step back-propagated once, last segment first, each
        action from a held state; its cost the sum of its actions' steps; at most
        ``budget`` steps held.  Raises ValueError naming the first bad action.

        >>> import rnn
        >>> plan = rnn.checkpoint_policy(6, 3)
        >>> plan.actions.pop()                     # drop the last segment, steps 1..3
        ('backward', 0, 3)
        >>> plan.validate()
        Traceback (most recent call last):
        ValueError: rnn.Policy: the plan ends with steps 1..3 never back-propagated ...
        """
        cost = 0
        for kind, a, b, held in checked_actions(self.T, self.actions, self.record_size, where):
            cost += b - a
            if held > self.budget:
                raise ValueError(f"{where}: action {(kind, a, b)!r} holds {held} steps at "
                                 f"once (counted as rnn.checkpoint's docstring says), over "
                                 f"the plan's budget of {self.budget}. Fix: a budget >= "
                                 f"{held}, or a plan with fewer states kept")
        if cost != self.cost:
            raise ValueError(f"{where}: the plan's cost says {self.cost} forward steps, but "
                             f"its actions run {cost} (the sum of b - a). Fix: cost={cost}")

    def describe(self):
        """Who planned it, in a few words: "dynamic program", "Revolve, 8 snapshots", ..."""
        if isinstance(self.actions, Schedule):
            schedule = self.actions
            blocks = f", segments of {schedule.block} steps" if schedule.block > 1 else ""
            plural = "s" * (schedule.snapshots != 1)
            return f"Revolve, {schedule.snapshots} snapshot{plural}{blocks}"
        return self.method

    def __repr__(self):
        return (f"Policy(T={self.T}, {self.describe()}, budget {self.budget}: {self.cost} "
                f"forward steps ({self.recomputed} recomputed), at most "
                f"{self.peak_memory()} steps held)")

    def __str__(self):
        lines = [repr(self)]
        for number, (kind, a, b) in enumerate(self.actions, start=1):
            if number > 60:
                lines.append("  ... (list(policy.actions) has them all)")
                break
            if kind == "forward":
                lines.append(f"  forward  s{a} -> s{b}, keep s{b}")
            else:
                lines.append(f"  backward steps {a + 1}..{b} from s{a}")
        return "\n".join(lines)


def checked_actions(T, actions, record_size, where):
    """Yield ``(kind, a, b, held)`` for each of the ``actions`` of a plan for T steps,
    after checking that it can run; ``held`` is the steps held at once while it runs
    (a recorded step counts ``record_size``).  Raises ValueError naming the first action
    that breaks a rule (module docstring), or at the end if some steps were never
    back-propagated.  Memory: the states held, not the plan.

    >>> [held for *_, held in checked_actions(4, sqrt_policy(4).actions, 1, "example")]
    [1, 2, 2]
    """
    alpha = record_size
    stored = set()                 # checkpoints kept and not yet dropped (s_0 is always there)
    done = T                       # steps done+1 .. T are back-propagated
    for number, action in enumerate(actions, start=1):
        kind, a, b = _action_parts(action, number, T, where)

        def refuse(problem, fix="a plan back-propagates every step once, last segment "
                                "first, each action from s_0 or a state an earlier forward "
                                "kept; rnn.checkpoint_policy, rnn.sqrt_policy and "
                                "rnn.revolve_policy make such plans"):
            return ValueError(f"{where}: action {number} of the plan, {action!r}, {problem}. "
                              f"Fix: {fix}")

        if a and a not in stored:
            raise refuse(f"starts from s{a}, which is not held at that point (no earlier "
                         f"forward keeps it, or a backward from it dropped it)")
        if kind == "forward":
            if b >= done:
                raise refuse(f"keeps s{b}, but only states before s{done} are still needed "
                             f"(steps {done}..{T} are recorded from earlier states"
                             f"{'' if done == T else ' or back-propagated already'})")
            held = len(stored) + 1                     # the stored ones and the running state
            stored.add(b)
        else:
            if b > done:
                raise refuse(f"back-propagates steps {a + 1}..{b} again: steps "
                             f"{done + 1}..{b} were back-propagated by an earlier action "
                             f"(every step exactly once)")
            if b < done:
                raise refuse(f"back-propagates steps {a + 1}..{b} while steps {b + 1}..{done} "
                             f"are not back-propagated yet: dL/ds{b} is not known until they "
                             f"are (segments run last first)")
            held = alpha * (b - a) + len(stored - {a})   # the start lives in its record
            stored.discard(a)
            done = a
        yield kind, a, b, held
    if done:
        missing = "step 1" if done == 1 else f"steps 1..{done}"
        raise ValueError(f"{where}: the plan ends with {missing} never back-propagated "
                         f"(every step must be, exactly once). Fix: add the backward segments "
                         f"for them, last first, e.g. ('backward', 0, {done})")


def _action_parts(action, number, T, where):
    """(kind, a, b) of one action, checked for form: a tuple of a known kind and two step
    numbers 0 <= a < b <= T."""
    if not (isinstance(action, tuple) and len(action) == 3):
        raise ValueError(f"{where}: action {number} of the plan, {action!r}, is not a tuple "
                         f"(kind, a, b). Fix: e.g. ('forward', 0, 5) or ('backward', 5, {T})")
    kind, a, b = action
    if kind not in KINDS:
        raise ValueError(f"{where}: action {number} of the plan, {action!r}, has kind "
                         f"{kind!r}; the kinds are 'forward' (s_a -> s_b without recording, "
                         f"keep s_b) and 'backward' (record steps a+1..b from s_a and "
                         f"back-propagate). Fix: ('forward', {a!r}, {b!r}) or "
                         f"('backward', {a!r}, {b!r})")
    for name, t in (("a", a), ("b", b)):
        if not isinstance(t, (int, np.integer)) or isinstance(t, bool):
            raise ValueError(f"{where}: action {number} of the plan, {action!r}: its {name} "
                             f"is {t!r}, not a step number. Fix: integers 0 <= a < b <= T={T}")
    if not 0 <= a < b <= T:
        raise ValueError(f"{where}: action {number} of the plan, {action!r}, covers steps "
                         f"{a + 1}..{b}, but a plan's steps run from 1 to T={T} (s_0 is the "
                         f"initial state). Fix: 0 <= a < b <= {T}")
    return kind, int(a), int(b)


def _check_T(T, where):
    if not isinstance(T, (int, np.integer)) or isinstance(T, bool) or T < 1:
        raise ValueError(f"{where}: T must be an integer >= 1 (the number of steps), got {T!r}")
    return int(T)


def _check_budget(budget, where):
    if not isinstance(budget, (int, np.integer)) or isinstance(budget, bool):
        raise TypeError(f"{where}: the memory budget must be an integer number of steps held "
                        f"at once, got {budget!r} ({type(budget).__name__}). Fix: pass an int "
                        f">= 1, e.g. {max(1, int(budget)) if isinstance(budget, float) else 32}"
                        f", or memory='sqrt'")
    if budget < 1:
        raise ValueError(f"{where}: the memory budget must be >= 1 step (one step must be "
                         f"held to back-propagate it), got {budget}. Fix: budget >= 1")
    return int(budget)


def _plan_arguments(T, budget, record_size, where):
    """(T, m, α): the planners' arguments checked, the budget capped at α·T (all recorded)."""
    T = _check_T(T, where)
    alpha = _check_budget(record_size, where.replace("policy", "policy (record_size)"))
    m = min(_check_budget(budget, where), alpha * T)
    if m < alpha:
        raise ValueError(f"{where}: a budget of {m} cannot hold even one recorded step of "
                         f"record_size {alpha}. Fix: budget >= {alpha}")
    return T, m, alpha


def checkpoint_policy(T, budget, record_size=1):
    """The plan that back-propagates T steps with the fewest forward steps, holding at
    most ``budget`` steps at once (Gruslys et al. 2016, Section 3, BPTT-HSM).

    Dynamic program: with t steps left and m slots, either record all t (if
    t <= m), or run y steps forward, keep s_y, solve the right part t - y with
    the slots left, drop s_y and solve the left part y (module docstring).
    A budget >= T gives full BPTT (cost T); a budget of 1 costs T(T+1)/2.
    Its tables take about T² · budget steps to fill and 2 · T · budget bytes;
    :func:`revolve_policy` plans long sequences in O(T).

    Parameters
    ----------
    T : int >= 1
    budget : int >= record_size  (a budget above α·T is the same as α·T)
    record_size : int >= 1
        α: what one recorded step holds, in stored states.  With α > 1 the
        plan keeps more checkpoints and records shorter segments.

    Returns
    -------
    Policy

    >>> import rnn
    >>> policy = rnn.checkpoint_policy(6, 3)
    >>> policy.cost, policy.stored, policy.segments
    (9, [3], [(4, 6), (1, 3)])
    >>> rnn.checkpoint_policy(6, 6).cost, rnn.checkpoint_policy(6, 1).cost    # T, T(T+1)/2
    (6, 21)
    """
    where = "rnn.checkpoint_policy"
    T, m, alpha = _plan_arguments(T, budget, record_size, where)
    if float(T) * T * m > _DP_LIMIT:
        smaller = int(_DP_LIMIT / (float(T) * T))
        raise ValueError(f"{where}: T={T} with budget {m} needs about {float(T) * T * m:.1e} "
                         f"steps of the dynamic program (T² · budget), too many to wait for. "
                         f"Fix: rnn.revolve_policy({T}, {m}) (binomial checkpointing, planned "
                         f"in O(T); memory={m} uses it for T > {DP_LONGEST}), memory='sqrt'" +
                         (f", or a budget under {smaller + 1}" if smaller >= alpha else ""))
    actions = _dp_actions(T, m, alpha)
    return Policy(T, m, list(actions), sum(b - a for _, a, b in actions), alpha,
                  "dynamic program")


@functools.lru_cache(maxsize=64)
def _dp_actions(T, m, alpha):
    """The dynamic program's plan as a tuple of actions (cached: a tuple cannot be changed
    by whoever holds a plan made from it)."""
    if m == alpha * T:                     # everything fits: full BPTT, no table needed
        return (("backward", 0, T),)
    best_free, best_held = _best_splits(T, m, alpha)
    actions = []
    work = [(0, T, m, True)]               # (start, steps, slots, start is free)
    while work:                            # an explicit stack: a budget of 1 nests T deep
        start, t, slots, free = work.pop()
        if alpha * t <= slots:
            actions.append(("backward", start, start + t))
            continue
        y = int(best_free[t] if free else best_held[slots - 1, t])
        actions.append(("forward", start, start + y))
        work.append((start, y, slots, free))                               # left part: later
        work.append((start + y, t - y, slots if free else slots - 1, False))   # right part: next
    return tuple(actions)


def _best_splits(T, m, alpha=1):
    """The dynamic program's tables: the best first checkpoint y for t steps, t <= T, from
    a free start with m slots (C, one row), and from a held start with k = 1..m slots
    (H, row k - 1).  The free start only ever has all m slots: its row is filled last.

    Rows are filled for k = 1..m; each entry is a minimum over y (vectorized).
    """
    inf = np.inf
    steps = np.arange(T + 1, dtype=float)
    H_prev = np.full(T + 1, inf)          # H(t, 0): nothing can be held
    H_prev[0] = 0
    best_held = np.zeros((m, T + 1), np.int16 if T < 2 ** 15 else np.int32)
    for k in range(1, m + 1):
        H = steps.copy()                  # t <= k/α: record all, cost t
        H[k // alpha + 1:] = inf
        for t in range(max(k // alpha + 1, 2), T + 1):
            held = steps[1:t] + H_prev[t - 1:0:-1] + H[1:t]     # y + H(t - y, k - 1) + H(y, k)
            i = int(np.argmin(held))
            H[t], best_held[k - 1, t] = held[i], i + 1
        H_prev = H
    C = steps.copy()                      # the free start, with all m slots
    C[m // alpha + 1:] = inf
    best_free = np.zeros(T + 1, best_held.dtype)
    for t in range(max(m // alpha + 1, 2), T + 1):
        free = steps[1:t] + H[t - 1:0:-1] + C[1:t]              # y + H(t - y, m) + C(y, m)
        i = int(np.argmin(free))
        C[t], best_free[t] = free[i], i + 1
    return best_free, best_held


def sqrt_policy(T):
    """About √T checkpoints, each segment recomputed once (Chen et al. 2016's simple plan).

    Segments of k = ceil(√T) steps: one forward pass keeps s_k, s_2k, ...; then
    each segment, last first, is recorded from its checkpoint and
    back-propagated.  Cost: T + (T - length of the last segment) forward
    steps; peak memory about 2√T steps.

    >>> import rnn
    >>> policy = rnn.sqrt_policy(10)                     # k = 4
    >>> policy.stored, policy.segments, policy.cost
    ([4, 8], [(9, 10), (5, 8), (1, 4)], 18)
    """
    T = _check_T(T, "rnn.sqrt_policy")
    k = math.isqrt(T - 1) + 1 if T > 1 else 1             # ceil(sqrt(T))
    marks = list(range(0, T, k)) + [T]                    # 0, k, 2k, ..., T
    actions = [("forward", a, b) for a, b in zip(marks[:-2], marks[1:-1])]
    actions += [("backward", a, b) for a, b in reversed(list(zip(marks[:-1], marks[1:])))]
    held = max(held for *_, held in checked_actions(T, actions, 1, "rnn.sqrt_policy"))
    return Policy(T, held, actions, sum(b - a for _, a, b in actions), 1, "sqrt")


def revolve_policy(T, budget, record_size=1, block=None):
    """Binomial checkpointing (Griewank and Walther 2000, "Algorithm 799: revolve"): the
    fewest forward steps for a budget of stored states when every step costs the same,
    planned in O(T) time and O(budget) memory (``rnn.revolve``).

    The plan reverses blocks of ``block`` steps with s snapshots (s_0 among
    them): it holds s - 1 checkpoints and one recorded block, s - 1 + α·block
    steps, so s = budget + 1 - α·block.  ``block=1`` is Revolve as published,
    one step per segment, costing T + A(T, budget) forward steps.  By default
    the block is the one with the fewest forward steps for the budget among
    1..100 and then every 2% up to budget/α, since a longer segment costs less
    Python per step.  Its actions are computed as the plan runs, so a plan for
    a million steps takes no memory of its own.

    Parameters
    ----------
    T : int >= 1
    budget : int >= record_size
        Steps held at once, as :func:`checkpoint_policy` counts them.
    record_size : int >= 1
        α: what one recorded step holds, in stored states.
    block : int, optional
        Steps recorded per segment (default: the cheapest).

    Returns
    -------
    Policy

    >>> import rnn
    >>> plan = rnn.revolve_policy(1000, 10, block=1)
    >>> plan.cost == 1000 + rnn.revolve.advances(1000, 10), plan.peak_memory()
    (True, 10)
    >>> rnn.revolve_policy(10 ** 6, 100)          # doctest: +ELLIPSIS
    Policy(T=1000000, Revolve, 67 snapshots, segments of 34 steps, budget 100: 3917914 forward ...)
    """
    where = "rnn.revolve_policy"
    T, m, alpha = _plan_arguments(T, budget, record_size, where)
    if block is None:
        block = min(_block_lengths(m // alpha),
                    key=lambda k: Schedule(T, m + 1 - alpha * k, k).forward_steps)
    elif not isinstance(block, (int, np.integer)) or isinstance(block, bool) or \
            not 1 <= block <= budget // alpha:
        raise ValueError(f"{where}: block must be an integer from 1 to budget/record_size = "
                         f"{budget // alpha} (a recorded block of k steps holds α·k of the "
                         f"budget), got {block!r}")
    block = min(int(block), T)
    schedule = Schedule(T, m + 1 - alpha * block, block)
    return Policy(T, m, schedule, schedule.forward_steps, alpha, "revolve")


def _block_lengths(longest):
    """1, 2, ..., 100, then every 2% up to ``longest``."""
    lengths = list(range(1, min(longest, 100) + 1))
    while lengths[-1] < longest:
        lengths.append(min(longest, int(lengths[-1] * 1.02) + 1))
    return lengths


def policy_for(memory, T, where="rnn.bptt"):
    """The plan that ``memory=`` asks for: None for "full", :func:`sqrt_policy` for
    "sqrt", and for an integer budget :func:`checkpoint_policy` (the dynamic program)
    up to T = DP_LONGEST steps, :func:`revolve_policy` beyond; else a clear error.

    A :class:`Policy` made for T steps is checked and taken as it is.

    >>> policy_for("full", 100) is None, policy_for(10, 100).budget
    (True, 10)
    >>> policy_for(10, 100).method, policy_for(10, 10_000).method
    ('dynamic program', 'revolve')
    """
    if isinstance(memory, Policy):
        if memory.T != T:
            raise ValueError(f"{where}: the policy given as memory= was made for T={memory.T} "
                             f"steps, but the sequence has T={T}. Fix: "
                             f"rnn.checkpoint_policy({T}, budget)")
        memory.validate(where)                # a plan's list may have changed since it was made
        return memory
    if isinstance(memory, str):
        if memory == "full":
            return None
        if memory == "sqrt":
            return sqrt_policy(T)
        raise ValueError(f"{where}: memory must be 'full', 'sqrt' or an integer budget of "
                         f"steps held at once, got {memory!r}. Fix: memory='sqrt' for about "
                         f"√T checkpoints, or e.g. memory=50")
    if isinstance(memory, (float, np.floating)) or not isinstance(memory, (int, np.integer)) \
            or isinstance(memory, bool):
        raise TypeError(f"{where}: memory must be 'full', 'sqrt' or an integer budget of steps "
                        f"held at once, got {memory!r} ({type(memory).__name__}). Fix: "
                        f"memory=int(...) or memory='sqrt'")
    if memory < 1:
        raise ValueError(f"{where}: the memory budget must be >= 1 step, got {memory}. Fix: "
                         f"memory >= 1 (1 recomputes from s_0 for every step), or 'full'")
    if T <= DP_LONGEST:
        return checkpoint_policy(T, memory)
    return revolve_policy(T, memory)


# ------------------------------------------------------------ running a plan

def loss_weight(n, reduction, dtype):
    """dL/dE_t, the same for each of the n counted step costs, exactly as full BPTT's
    reduction gives it: L = stack(E).sum() gives 1, .mean() gives 1/n.  It is the
    engine's own vjp of the reduction over n elements, applied to backward()'s seed,
    for one element (every element gets the same; n of them would cost O(T) memory).

    >>> float(loss_weight(4, "mean", np.float64)), float(loss_weight(4, "sum", np.float64))
    (0.25, 1.0)
    """
    seed = np.ones((), dtype)                 # dL/dL, as backward() starts
    if n == 1:                                # L = E_1 itself
        return seed
    if reduction == "sum":                    # saved: (shape, axes, keepdims) [, n]
        return mg.ops.SUM[0](seed, (1,), (0,), False)[0]
    return mg.ops.MEAN[0](seed, (1,), (0,), False, n)[0]


def _as_parts(state):
    return state if isinstance(state, tuple) else (state,)


def _start_leaf(state, t):
    """A fresh leaf with s_t's values that collects dL/ds_t (a pair for an LSTM)."""
    names = ("h", "c") if isinstance(state, tuple) else ("s",)
    leaves = tuple([mg.Tensor(part, requires_grad=True, name=f"{name}{t}")
                    for part, name in zip(_as_parts(state), names)])
    return leaves if isinstance(state, tuple) else leaves[0]


def _carry(pairs):
    """Σ_i <x_i, G_i> as one recorded op: its gradient to each x_i is G_i (times the
    incoming 1, exactly).  It hands the later segments' gradients to this one.

    Tuples here are built from lists: ``tuple(generator)`` allocates ten slots and
    shrinks, leaving a small tuple on CPython's free list per call (freed only by
    a full garbage collection), so the peak would depend on the collector."""
    inputs = tuple([x for x, _ in pairs])
    value = np.asarray(sum(np.vdot(x._data, G) for x, G in pairs))
    vjps = tuple([(lambda g, G=G: g * G) for _, G in pairs])
    return record("carry", value, inputs, vjps)


def _weighted_sum(costs, weight):
    """w · Σ_t E_t as one recorded op: each E_t gets the gradient g·w, which is w exactly
    when g = 1 (as full BPTT's sum or mean gives each E_t).  A segment's costs are
    summed GROUP at a time (the groups are then added, which hands each g = 1 on)."""
    value = np.asarray(weight * sum(E_t._data for E_t in costs))
    vjp = lambda g, w=weight: g * w       # noqa: E731  (the same for every E_t)
    return record("weighted_sum", value, tuple(costs), (vjp,) * len(costs))


def _steps(seq, a, b, chunk=64):
    """x_{a+1} .. x_b, as ``mg.unbind`` slices them (views of the sequence's array, or a
    list's items), made ``chunk`` at a time: a long forward run never holds them all."""
    if isinstance(seq, list):
        yield from seq[a:b]
        return
    for first in range(a, b, chunk):
        yield from mg.unbind(seq[first:min(first + chunk, b)])


def checkpointed_backward(model, xs, ys, s0, policy, loss, weight, kept=None, first_step=1,
                          contributions=False, carry_params=None, keep_states=(),
                          where="rnn.bptt"):
    """Run ``policy`` over steps first_step .. first_step + T - 1: dL/dp lands in every
    parameter's ``.grad`` exactly as one ``L.backward()`` over the whole graph puts it.

    Why equal, not close: every recorded segment runs the same ops on the same
    numbers as full BPTT.  The engine adds a parameter's gradient terms in the
    order it walks the graph, newest first: step T's, then T-1's, ...  A
    segment is walked in that order too, and what the later segments already
    summed, G_p, enters it first, through one extra op Σ <p, G_p> recorded
    after the segment (so it is walked first; its vjp hands G_p over
    unchanged, 1·G_p).  dL/ds_b enters the same op, Σ <s_b, dL/ds_b>, and so
    reaches s_b before o_b's share, as step b+1's share does in full BPTT.
    Each step cost E_t is scaled by ``weight`` (dL/dE_t of full BPTT's
    reduction, see :func:`loss_weight`), so it gets exactly the gradient it
    gets there.

    Parameters
    ----------
    xs, ys : time-major Tensor and array (or lists of x_t, y_t), sliced one segment
        at a time, so that no more than a segment's steps exist as tensors at once
    s0 : the state before the first step
    weight : 0-d array
        dL/dE_t for every counted step.
    kept : bool array (T,) or None (every step's cost counts)
    contributions : bool
        Also return each step's term of every parameter's gradient.
    carry_params : dict, optional
        name -> gradient already summed by graph parts walked before these steps.
    keep_states : set of int
        Steps t (1-based within xs) whose state s_t to return, detached.
    where : str
        The caller, named in the error if the plan turns out invalid as it runs.

    Returns
    -------
    (costs, per_copy, states)
        costs: E_t for every step (0 where not kept); per_copy: {name: {"t=<t>":
        term}} in time order, or None; states: {t: s_t} for ``keep_states``.

    Example: ``rnn.bptt(model, xs, ys, memory="sqrt")`` calls this.
    """
    params = list(model.named_parameters())
    costs = np.zeros(len(xs), model.V.dtype)
    held = {0: s0}                            # checkpoints: step -> state
    carry_state = None                        # dL/ds_a of the segment just done
    carry_params = dict(carry_params or {})   # name -> dL/dp summed by the later segments
    done_terms = []                           # per segment, its {name: {scope: term}}
    states = {}

    for kind, a, b, _ in checked_actions(policy.T, policy.actions, policy.record_size, where):
        if kind == "forward":
            s = held[a]
            with mg.no_grad():
                for x_t in _steps(xs, a, b):
                    s = model.step(x_t, s)
            held[b] = s
            continue
        start = held.pop(a) if a else held[0]
        s = s_a = start if a == 0 else _start_leaf(start, first_step - 1 + a)
        outputs = []
        for t, x_t in enumerate(_steps(xs, a, b), start=a + 1):     # the loop of model.run
            with mg.scope(f"t={first_step - 1 + t}"):
                s = model.step(x_t, s)
                outputs.append(model.output(s))
            if t in keep_states:
                states[t] = tuple([p.detach() for p in s]) if isinstance(s, tuple) else \
                    s.detach()
        step_costs, counted = [], []
        for t, o_t, y_t in zip(range(a + 1, b + 1), outputs, _steps(ys, a, b)):
            if kept is None or kept[t - 1]:
                with mg.scope(f"t={first_step - 1 + t}"):
                    step_costs.append(step_loss(o_t, y_t, loss))
                counted.append(t - 1)
        terms = []
        if step_costs:                        # Σ_t w E_t: each E_t gets 1·w, as in full BPTT
            costs[counted] = [E_t._data for E_t in step_costs]
            terms += [_weighted_sum(step_costs[i:i + GROUP], weight)
                      for i in range(0, len(step_costs), GROUP)]
        carried = [(p, carry_params[name]) for name, p in params if name in carry_params]
        if carry_state is not None:
            carried += [(part, g) for part, g in zip(_as_parts(s), carry_state) if g is not None]
        if carried:
            with mg.scope(CARRY):             # created last, so walked first
                terms.append(_carry(carried))
        if not terms:                         # no loss here or later: no gradient yet
            continue
        root = terms[0]
        for term in terms[1:]:
            root = root + term
        for _, p in params:                   # model.zero_grad(), without the module walk
            p.grad = None
        root.backward(contributions=contributions)
        carry_params = {name: p._grad for name, p in params if p._grad is not None}
        carry_state = tuple([part._grad for part in _as_parts(s_a)]) if a else None
        del root, terms, outputs, step_costs, s, s_a, start    # free this segment's record now,
        o_t = carried = None                                   # not when the next one is built
        if contributions:
            done_terms.append({name: {key: term for key, term in mg.contributions(p).items()
                                      if key.split("/")[-1] != CARRY}
                               for name, p in params if p._grad is not None})
    per_copy = None
    if contributions:
        per_copy = {name: {} for name, _ in params}
        for segment in reversed(done_terms):          # segments ran last first
            for name, terms_by_scope in segment.items():
                per_copy[name].update(terms_by_scope)
    return costs, per_copy, states
