"""Binomial checkpointing: reverse l steps with s stored states (Revolve).

Griewank, "Achieving logarithmic growth of temporal and spatial complexity in
reverse automatic differentiation" (Optimization Methods and Software 1, 1992),
and Griewank and Walther, "Algorithm 799: revolve" (ACM TOMS 26(1), 2000),
reverse a chain of l steps holding at most s states (*snapshots*; the one at
the start is one of them) with the fewest forward steps, when every step costs
the same.  Their count is the binomial coefficient

    β(s, r) = C(s + r, s)

the most steps that s snapshots can reverse when no step is run forward more
than r times before it is reversed (r is the *repetition number*).  For l
steps, r(l, s) is the least r with β(s, r) >= l, and the fewest *advances*
(forward steps that record nothing; each step's one recorded run is not
counted) is their Proposition 1:

    A(l, s) = r·l - β(s + 1, r - 1),        r = r(l, s)          (A = 0 for l <= 1)

The schedule that attains it is a recursion on the first snapshot.  With the
start state s_a held, advance j steps, store s_{a+j}, reverse the right part
(l - j steps) with the s - 1 snapshots left, then the left part (j steps)
with all s.  Pascal's rule β(s, r) = β(s, r - 1) + β(s - 1, r) splits the work.
The right part is reversed with repetition number at most r, so it takes
l - j <= β(s - 1, r) steps; the left part, whose steps were advanced once on
the way, with at most r - 1, so j <= β(s, r - 1).  Then
j + A(l - j, s - 1) + A(j, s) = A(l, s), and the choice is optimal when
both parts keep their bounds (a part may sit on a boundary β):

    max(β(s, r - 2), l - β(s - 1, r)) <= j <= min(β(s, r - 1), l - β(s - 1, r - 1))

This module takes the largest such j.  The schedule is produced lazily, one
action at a time, from a stack of at most s + 1 pending parts: O(s) memory, and
O(1) work per action besides computing r.

Actions are those of ``rnn.checkpoint``: ``("forward", a, b)`` runs s_a -> s_b
without recording and keeps s_b; ``("backward", a, b)`` records steps a+1..b
from s_a and back-propagates them.  ``block=k`` treats k consecutive time steps
as one step of the chain (the last block may be shorter), so that one recorded
segment covers k steps.  Revolve's count then holds for blocks.
"""

from __future__ import annotations

import math

__all__ = ["beta", "repetitions", "advances", "Schedule"]


def beta(s, r):
    """β(s, r) = C(s + r, s): the most steps s snapshots can reverse with each step run
    forward at most r times (Griewank and Walther 2000); 0 for r < 0.

    >>> beta(2, 3), beta(1, 4), beta(5, 0), beta(5, -1)
    (10, 5, 1, 0)
    """
    return math.comb(s + r, s) if r >= 0 else 0


def repetitions(steps, snapshots):
    """r(l, s): the least r with β(s, r) >= l, the repetition number of l steps.

    >>> repetitions(10, 2), repetitions(11, 2), repetitions(1, 3)
    (3, 4, 0)
    """
    r, reach = 0, 1                               # β(s, 0) = 1
    while reach < steps:
        r += 1
        reach = reach * (snapshots + r) // r      # β(s, r) = β(s, r - 1)·(s + r)/r, exactly
    return r


def advances(steps, snapshots):
    """A(l, s) = r·l - β(s + 1, r - 1): the fewest forward steps, not counting each
    step's recorded one, that reverse l steps with s snapshots (their Proposition 1).

    s = 1 advances from the start for every step: l(l - 1)/2.  s >= l - 1 stores
    every state on one pass: l - 1.

    >>> advances(10, 1), advances(10, 9), advances(10, 2), advances(1, 1)
    (45, 9, 20, 0)
    """
    if steps <= 1:
        return 0
    r = repetitions(steps, snapshots)
    return r * steps - beta(snapshots + 1, r - 1)


class Schedule:
    """The binomial schedule that reverses T steps with ``snapshots`` stored states
    (s_0 is one of them), ``block`` steps to a recorded segment.

    Iterating yields the actions, computed as they are needed; the schedule
    can be iterated again.  ``forward_steps`` is their cost: T recorded steps,
    plus ``block · A(⌈T/block⌉, snapshots)`` advances (the last block, which may
    be shorter, is never advanced through).

    >>> schedule = Schedule(6, 2)
    >>> list(schedule)                                 # doctest: +NORMALIZE_WHITESPACE
    [('forward', 0, 3), ('forward', 3, 5), ('backward', 5, 6), ('forward', 3, 4),
     ('backward', 4, 5), ('backward', 3, 4), ('forward', 0, 1), ('forward', 1, 2),
     ('backward', 2, 3), ('backward', 1, 2), ('backward', 0, 1)]
    >>> schedule.forward_steps == 6 + advances(6, 2)   # each recorded step, plus 8 advances
    True
    """

    def __init__(self, T, snapshots, block=1):
        if snapshots < 1 or block < 1 or T < 1:
            raise ValueError(f"rnn.revolve.Schedule: T, snapshots and block must be >= 1, "
                             f"got T={T}, snapshots={snapshots}, block={block}")
        self.T, self.snapshots, self.block = T, snapshots, block
        self.blocks = -(-T // block)                  # ⌈T / block⌉
        self.forward_steps = T + block * advances(self.blocks, snapshots)

    def __iter__(self):
        k, T = self.block, self.T
        for kind, a, b in _reversal(self.blocks, self.snapshots):
            yield kind, a * k, min(b * k, T)

    def __repr__(self):
        return (f"Schedule(T={self.T}, snapshots={self.snapshots}, block={self.block}): "
                f"{self.forward_steps} forward steps")


def _reversal(steps, snapshots):
    """The binomial schedule over steps 1..l, one action at a time (module docstring)."""
    work = [(0, steps, snapshots)]       # parts still to reverse: (start, steps, snapshots)
    while work:
        a, l, s = work.pop()
        if l == 1:
            yield "backward", a, a + 1
            continue
        r = repetitions(l, s)
        j = min(beta(s, r - 1), l - beta(s - 1, r - 1))     # the first snapshot, a + j
        yield "forward", a, a + j
        work.append((a, j, s))               # the left part, after
        work.append((a + j, l - j, s - 1))   # the right part, next
