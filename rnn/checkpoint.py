"""BPTT in less memory: store a few states, recompute the rest (Gruslys et al. 2016).

Full BPTT keeps the record of every step until the backward pass: memory
grows like T.  Gruslys, Munos, Danihelka, Lanctot and Graves, "Memory-Efficient
Backpropagation Through Time" (NeurIPS 2016), store only some states
(*checkpoints*), and when the backward pass needs a step they recompute it
forward from the nearest checkpoint.  Their dynamic program (Section 3,
BPTT-HSM) finds, for a memory budget, the store-or-recompute policy with the
fewest forward steps.

The plan is a list of actions, run in order:

* ``("forward", a, b)``: compute s_{a+1} .. s_b from the held state s_a
  without recording, and keep s_b (a checkpoint);
* ``("backward", a, b)``: record steps a+1 .. b from s_a, add the losses of
  those steps, back-propagate, and hand dL/ds_a on to the segment before.
  s_a is not needed afterwards and is dropped.

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

__all__ = ["Policy", "checkpoint_policy", "sqrt_policy", "policy_for", "MEMORY_MODES",
           "checkpointed_backward"]

MEMORY_MODES = ("full", "sqrt", "an integer budget >= 1")
CARRY = "checkpoint carry"        # the scope of the terms that carry gradients between segments
_DP_LIMIT = 2e9                   # T² · budget above this: the dynamic program would take minutes


@dataclass
class Policy:
    """A store-or-recompute plan for back-propagating T steps.

    Attributes
    ----------
    T : int
    budget : int
        Steps that may be held at once (the module docstring says how they count).
    record_size : int
        What one recorded step counts, in stored states (α; 1 by default).
    actions : list of (kind, a, b)
        ``("forward", a, b)``: s_a -> s_b without recording, keep s_b;
        ``("backward", a, b)``: record steps a+1..b from s_a and back-propagate.
    cost : int
        Forward steps, recorded ones included (full BPTT: T).
    """
    T: int
    budget: int
    actions: list
    cost: int
    record_size: int = 1

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
        held, peak = set(), 0
        for kind, a, b in self.actions:
            if kind == "forward":
                peak = max(peak, len(held) + 1)            # the running state
                held.add(b)
            else:
                peak = max(peak, self.record_size * (b - a) + len(held - {a}))
                held.discard(a)
        return peak

    def __str__(self):
        lines = [f"policy for T={self.T}, budget {self.budget}: {self.cost} forward steps "
                 f"({self.recomputed} recomputed), peak {self.peak_memory()} steps held"]
        for kind, a, b in self.actions:
            if kind == "forward":
                lines.append(f"  forward  s{a} -> s{b}, keep s{b}")
            else:
                lines.append(f"  backward steps {a + 1}..{b} from s{a}")
        return "\n".join(lines)


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


def checkpoint_policy(T, budget, record_size=1):
    """The plan that back-propagates T steps with the fewest forward steps, holding at
    most ``budget`` steps at once (Gruslys et al. 2016, Section 3, BPTT-HSM).

    Dynamic program: with t steps left and m slots, either record all t (if
    t <= m), or run y steps forward, keep s_y, solve the right part t - y with
    the slots left, drop s_y and solve the left part y (module docstring).
    A budget >= T gives full BPTT (cost T); a budget of 1 costs T(T+1)/2.

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
    T = _check_T(T, where)
    alpha = _check_budget(record_size, where.replace("policy", "policy (record_size)"))
    m = min(_check_budget(budget, where), alpha * T)
    if m < alpha:
        raise ValueError(f"{where}: a budget of {m} cannot hold even one recorded step of "
                         f"record_size {alpha}. Fix: budget >= {alpha}")
    if float(T) * T * m > _DP_LIMIT:
        raise ValueError(f"{where}: T={T} with budget {m} needs about {T * T * m:.1e} steps "
                         f"of the dynamic program (T² · budget), too many to wait for. Fix: "
                         f"memory='sqrt' (about √T checkpoints, each segment recomputed once), "
                         f"or a budget under {int(_DP_LIMIT / (T * T)) + 1}")
    if m == alpha * T:                     # everything fits: full BPTT, no table needed
        return Policy(T, m, [("backward", 0, T)], T, alpha)
    best_free, best_held = _best_splits(T, m, alpha)
    actions = []
    work = [(0, T, m, True)]               # (start, steps, slots, start is free)
    while work:                            # an explicit stack: a budget of 1 nests T deep
        start, t, slots, free = work.pop()
        if alpha * t <= slots:
            actions.append(("backward", start, start + t))
            continue
        y = int((best_free if free else best_held)[slots][t])
        actions.append(("forward", start, start + y))
        work.append((start, y, slots, free))                               # left part: later
        work.append((start + y, t - y, slots if free else slots - 1, False))   # right part: next
    cost = sum(b - a for kind, a, b in actions)
    return Policy(T, m, actions, cost, alpha)


@functools.lru_cache(maxsize=16)
def _best_splits(T, m, alpha=1):
    """The dynamic program's tables: for each number of slots k <= m and steps t <= T,
    the best first checkpoint y for a free start (C) and a held start (H).

    Rows are filled for k = 1..m; each entry is a minimum over y (vectorized).
    """
    inf = np.inf
    steps = np.arange(T + 1, dtype=float)
    H_prev = np.full(T + 1, inf)          # H(t, 0): nothing can be held
    H_prev[0] = 0
    best_free, best_held = {}, {}
    for k in range(1, m + 1):
        H = steps.copy()                  # t <= k: record all, cost t
        C = steps.copy()
        yH = np.zeros(T + 1, np.int32)
        yC = np.zeros(T + 1, np.int32)
        H[k // alpha + 1:] = inf
        C[k // alpha + 1:] = inf
        for t in range(max(k // alpha + 1, 2), T + 1):
            y = steps[1:t]                                    # y = 1 .. t-1
            right = t - np.arange(1, t)                       # t - y
            held = y + H_prev[right] + H[1:t]
            i = int(np.argmin(held))
            H[t], yH[t] = held[i], i + 1
            free = y + H[right] + C[1:t]
            i = int(np.argmin(free))
            C[t], yC[t] = free[i], i + 1
        best_free[k], best_held[k] = yC, yH
        H_prev = H
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
    policy = Policy(T, 0, actions, sum(b - a for _, a, b in actions))
    policy.budget = policy.peak_memory()
    return policy


def policy_for(memory, T, where="rnn.bptt"):
    """The plan that ``memory=`` asks for: None for "full", :func:`sqrt_policy` for
    "sqrt", :func:`checkpoint_policy` for an integer budget; else a clear error.

    A :class:`Policy` made for T steps is taken as it is.

    >>> policy_for("full", 100) is None, policy_for(10, 100).budget
    (True, 10)
    """
    if isinstance(memory, Policy):
        if memory.T != T:
            raise ValueError(f"{where}: the policy given as memory= was made for T={memory.T} "
                             f"steps, but the sequence has T={T}. Fix: "
                             f"rnn.checkpoint_policy({T}, budget)")
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
    return checkpoint_policy(T, memory)


# ------------------------------------------------------------ running a plan

def loss_weight(n, reduction, dtype):
    """dL/dE_t, the same for each of the n counted step costs, exactly as full BPTT's
    reduction gives it: L = stack(E).sum() gives 1, .mean() gives 1/n (the engine's own
    vjp, run on a probe).

    >>> float(loss_weight(4, "mean", np.float64)), float(loss_weight(4, "sum", np.float64))
    (0.25, 1.0)
    """
    if n == 1:                                # L = E_1 itself: seeded with 1
        return np.ones((), dtype)
    probe = mg.Tensor(np.zeros(n, dtype), requires_grad=True)
    (probe.sum() if reduction == "sum" else probe.mean()).backward()
    return probe.grad[0].copy()


def _as_parts(state):
    return state if isinstance(state, tuple) else (state,)


def _start_leaf(state, t):
    """A fresh leaf with s_t's values that collects dL/ds_t (a pair for an LSTM)."""
    names = ("h", "c") if isinstance(state, tuple) else ("s",)
    leaves = tuple(mg.Tensor(part, requires_grad=True, name=f"{name}{t}")
                   for part, name in zip(_as_parts(state), names))
    return leaves if isinstance(state, tuple) else leaves[0]


def _carry(pairs):
    """Σ_i <x_i, G_i> as one recorded op: its gradient to each x_i is G_i (times the
    incoming 1, exactly).  It hands the later segments' gradients to this one."""
    inputs = tuple(x for x, _ in pairs)
    value = np.asarray(sum(np.vdot(x._data, G) for x, G in pairs))
    vjps = tuple((lambda g, G=G: g * G) for _, G in pairs)
    return record("carry", value, inputs, vjps)


def _weighted_sum(costs, weight):
    """w · Σ_t E_t as one recorded op: each E_t gets the gradient g·w, which is w exactly
    when g = 1 (as full BPTT's sum or mean gives each E_t)."""
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
                          contributions=False, carry_params=None, keep_states=()):
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

    for kind, a, b in policy.actions:
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
                states[t] = tuple(p.detach() for p in s) if isinstance(s, tuple) else s.detach()
        step_costs, counted = [], []
        for t, o_t, y_t in zip(range(a + 1, b + 1), outputs, _steps(ys, a, b)):
            if kept is None or kept[t - 1]:
                with mg.scope(f"t={first_step - 1 + t}"):
                    step_costs.append(step_loss(o_t, y_t, loss))
                counted.append(t - 1)
        terms = []
        if step_costs:                        # Σ_t w E_t: each E_t gets 1·w, as in full BPTT
            costs[counted] = [E_t._data for E_t in step_costs]
            terms.append(_weighted_sum(step_costs, weight))
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
        carry_state = (tuple(part._grad for part in _as_parts(s_a)) if a else None)
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
