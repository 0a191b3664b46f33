"""Checkpointed BPTT (rnn.checkpoint): the plan is optimal, and the gradients are equal.

Equal means ``==``: recomputation runs the same ops on the same numbers, and
the segments' terms are added in full BPTT's order.  A plan that changed one
float addition, or lost one step, fails these tests.
"""

import heapq
import itertools

import numpy as np
import pytest

import minigrad as mg
import rnn
from rnn.checkpoint import policy_for

CELLS = {"RNN": rnn.RNN, "LSTM": rnn.LSTM, "GRU": rnn.GRU}


# ------------------------------------------------------------------ the policy

def brute_force_cost(T, m, alpha=1, longest_record=None):
    """The fewest forward steps that back-propagate T steps holding at most m steps,
    found by Dijkstra over every sequence of moves (independent of the dynamic program).
    ``longest_record=1`` allows only one-step segments, as Revolve records.

    A state is (done, checkpoints, running): steps done+1..T are back-propagated,
    `checkpoints` are the stored states (0 is s_0, free), `running` is the
    position of an unrecorded forward sweep or None.  Memory, as the module
    docstring counts it: checkpoints other than s_0, plus the running state,
    or plus the k steps of a record (whose start state is then not counted).
    """
    start = (T, frozenset([0]), None)
    dist = {start: 0}
    queue = [(0, 0, start)]
    tie = itertools.count()
    while queue:
        cost, _, state = heapq.heappop(queue)
        if cost > dist.get(state, float("inf")):
            continue
        done, ckpts, running = state
        if done == 0:
            return cost
        others = len(ckpts - {0})
        moves = []
        if running is None:
            for c in ckpts:                        # start a sweep from a held state
                if c + 1 < done and others + 1 <= m:
                    moves.append((1, (done, ckpts, c + 1)))
        else:
            if running + 1 < done:                 # one more step of the sweep
                moves.append((1, (done, ckpts, running + 1)))
            if others + 1 <= m:                    # keep the running state
                moves.append((0, (done, ckpts | {running}, None)))
            k = done - running                     # record from the running state
            if alpha * k + others <= m and k <= (longest_record or k):
                moves.append((k, (running, frozenset(c for c in ckpts if c < running), None)))
        for c in ckpts:                            # record from a checkpoint to `done`
            k = done - c
            if c < done and alpha * k + len(ckpts - {0, c}) <= m and running is None \
                    and k <= (longest_record or k):
                moves.append((k, (c, frozenset(x for x in ckpts if x < c) | {0}, None)))
        for c in ckpts - {0}:                      # drop a checkpoint
            moves.append((0, (done, ckpts - {c}, running)))
        for step, new in moves:
            if cost + step < dist.get(new, float("inf")):
                dist[new] = cost + step
                heapq.heappush(queue, (cost + step, next(tie), new))
    return None


@pytest.mark.parametrize("T", range(1, 8))
def test_policy_cost_is_the_brute_force_optimum(T):
    for m in range(1, T + 1):
        assert rnn.checkpoint_policy(T, m).cost == brute_force_cost(T, m), (T, m)


@pytest.mark.parametrize("T", range(1, 7))
def test_policy_with_bigger_records_is_the_brute_force_optimum(T):
    for alpha in (2, 3):
        for m in range(alpha, alpha * T + 1):
            policy = rnn.checkpoint_policy(T, m, record_size=alpha)
            assert policy.cost == brute_force_cost(T, m, alpha), (T, m, alpha)
            assert simulate(policy)[1] <= m


@pytest.mark.parametrize("T", [1, 2, 5, 17, 60])
def test_policy_closed_forms_at_the_extremes(T):
    assert rnn.checkpoint_policy(T, T).cost == T                       # no recomputation
    assert rnn.checkpoint_policy(T, T).actions == [("backward", 0, T)]
    assert rnn.checkpoint_policy(T, T + 5).cost == T
    assert rnn.checkpoint_policy(T, 1).cost == T * (T + 1) // 2        # the paper's C(T, 1)


def simulate(policy):
    """Run a plan on paper: every step back-propagated once, from the state it needs;
    the cost counted; the most steps held at once."""
    held, done, cost, peak = {0}, policy.T, 0, 0
    alpha = policy.record_size
    for kind, a, b in policy.actions:
        assert a in held, f"{kind} from s{a}, which is not held"
        cost += b - a
        if kind == "forward":
            assert b < done
            peak = max(peak, len(held - {0}) + 1)
            held.add(b)
        else:
            assert b == done, f"backward {a + 1}..{b} but dL/ds_{done} is what is known"
            peak = max(peak, alpha * (b - a) + len(held - {0, a}))
            held.discard(a) if a else None
            done = a
    assert done == 0
    return cost, peak


@pytest.mark.parametrize("T, m", [(10, 3), (30, 4), (100, 10), (200, 1), (64, 2), (50, 49)])
def test_policy_runs_on_paper_within_its_budget(T, m):
    policy = rnn.checkpoint_policy(T, m)
    cost, peak = simulate(policy)
    assert cost == policy.cost
    assert peak <= m
    assert peak == policy.peak_memory()
    covered = sorted(t for first, last in policy.segments for t in range(first, last + 1))
    assert covered == list(range(1, T + 1))             # each step back-propagated once


def test_policy_cost_falls_as_the_budget_grows():
    costs = [rnn.checkpoint_policy(40, m).cost for m in range(1, 41)]
    assert all(a >= b for a, b in zip(costs, costs[1:]))
    assert costs[0] == 40 * 41 // 2 and costs[-1] == 40


@pytest.mark.parametrize("T", [1, 2, 9, 10, 1000])
def test_sqrt_policy(T):
    policy = rnn.sqrt_policy(T)
    cost, peak = simulate(policy)
    k = int(np.ceil(np.sqrt(T)))
    assert cost == policy.cost
    assert policy.stored == list(range(k, T, k))
    assert peak <= 2 * k
    assert policy.cost == T + (policy.stored[-1] if policy.stored else 0)


@pytest.mark.parametrize("memory, error, words", [
    (0, ValueError, "budget must be >= 1"),
    (-3, ValueError, "got -3"),
    (2.5, TypeError, "got 2.5"),
    (True, TypeError, "bool"),
    ("half", ValueError, "'full', 'sqrt' or an integer"),
])
def test_bad_memory_is_refused_by_name(memory, error, words):
    model = rnn.RNN(1, 3, 1, rng=0)
    with pytest.raises(error, match="rnn.bptt") as info:
        rnn.bptt(model, np.ones((5, 1)), np.ones((5, 1)), memory=memory)
    assert words in str(info.value)
    assert "Fix" in str(info.value)


def test_bad_policy_arguments():
    with pytest.raises(ValueError, match="rnn.checkpoint_policy: T must be"):
        rnn.checkpoint_policy(0, 3)
    with pytest.raises(TypeError, match="rnn.checkpoint_policy.*3.0"):
        rnn.checkpoint_policy(10, 3.0)
    with pytest.raises(ValueError, match="memory='sqrt'"):
        rnn.checkpoint_policy(100_000, 500)
    with pytest.raises(ValueError, match="retain_grads"):
        rnn.bptt(rnn.RNN(1, 3, 1), np.ones((5, 1)), np.ones((5, 1)), memory=2,
                 retain_grads=True)


def test_budget_above_T_is_full_bptt():
    assert policy_for(50, 10).actions == [("backward", 0, 10)]


# ------------------------------------------------------------- equal gradients

def problem(cell, T=23, B=3, loss="mse", seed=0):
    rng = np.random.default_rng(seed)
    model = CELLS[cell](2, 5, 3, rng=seed)
    shape = (T, B) if B else (T,)
    xs = rng.normal(size=shape + (2,))
    ys = rng.normal(size=shape + (3,)) if loss == "mse" else rng.integers(0, 3, size=shape)
    return model, xs, ys


def assert_equal_results(full, other, contributions):
    assert other.loss == full.loss
    for name in full.grads:
        assert other.grads[name].dtype == full.grads[name].dtype
        assert np.array_equal(other.grads[name], full.grads[name]), name
    if contributions:
        for name in full.contributions:
            assert list(other.contributions[name]) == list(full.contributions[name]), name
            for key, term in full.contributions[name].items():
                assert np.array_equal(other.contributions[name][key], term), (name, key)
    else:
        assert other.contributions is None


MEMORIES = ["sqrt", 1, 2, 3, 5, 22, 23]


@pytest.mark.parametrize("cell", CELLS)
@pytest.mark.parametrize("contributions", [False, True])
def test_checkpointed_gradients_equal_full_bptt(cell, contributions):
    model, xs, ys = problem(cell)
    full = rnn.bptt(model, xs, ys, contributions=contributions)
    for memory in MEMORIES:
        other = rnn.bptt(model, xs, ys, contributions=contributions, memory=memory)
        assert_equal_results(full, other, contributions)
        for name, p in model.named_parameters():         # .grad as after full BPTT
            assert np.array_equal(p.grad, full.grads[name])


@pytest.mark.parametrize("cell", CELLS)
def test_equal_with_a_mask_the_mean_and_an_initial_state(cell):
    model, xs, ys = problem(cell, T=17, B=2)
    rng = np.random.default_rng(1)
    mask = rng.random(17) < 0.4
    mask[[0, 9]] = [False, True]
    mask[12:] = False                          # the last steps count nothing
    s0 = model.zero_state((2,))
    s0 = tuple(rng.normal(size=p.shape) for p in s0) if cell == "LSTM" else \
        rng.normal(size=s0.shape)
    full = rnn.bptt(model, xs, ys, reduction="mean", mask=mask, s0=s0, contributions=True)
    for memory in ["sqrt", 1, 4]:
        other = rnn.bptt(model, xs, ys, reduction="mean", mask=mask, s0=s0,
                         contributions=True, memory=memory)
        assert_equal_results(full, other, True)


@pytest.mark.parametrize("cell", CELLS)
def test_equal_unbatched_with_class_targets_batch_first_and_one_kept_step(cell):
    model, xs, ys = problem(cell, T=11, B=None, loss="cross_entropy")
    full = rnn.bptt(model, xs, ys, loss="cross_entropy", contributions=True)
    other = rnn.bptt(model, xs, ys, loss="cross_entropy", contributions=True, memory=3)
    assert_equal_results(full, other, True)
    model, xs, ys = problem(cell, T=9, B=4)
    bf_x, bf_y = np.swapaxes(xs, 0, 1), np.swapaxes(ys, 0, 1)
    mask = np.arange(9) == 4                     # one kept step: L = E_5, mean or sum
    full = rnn.bptt(model, bf_x, bf_y, batch_first=True, mask=mask, reduction="mean")
    other = rnn.bptt(model, bf_x, bf_y, batch_first=True, mask=mask, reduction="mean",
                     memory="sqrt")
    assert_equal_results(full, other, False)


def test_gradient_of_a_trainable_initial_state_is_equal():
    model, xs, ys = problem("GRU", T=15)
    h0 = mg.tensor(np.random.default_rng(2).normal(size=(3, 5)), requires_grad=True)
    rnn.bptt(model, xs, ys, s0=h0)
    full = h0.grad.copy()
    h0.grad = None
    rnn.bptt(model, xs, ys, s0=h0, memory=2)
    assert np.array_equal(h0.grad, full)


def test_float32_stays_float32_and_equal():
    model = rnn.LSTM(2, 4, 2, rng=0, dtype=np.float32)
    rng = np.random.default_rng(0)
    xs = rng.normal(size=(12, 2, 2)).astype(np.float32)
    ys = rng.normal(size=(12, 2, 2)).astype(np.float32)
    full = rnn.bptt(model, xs, ys, contributions=True)
    other = rnn.bptt(model, xs, ys, contributions=True, memory="sqrt")
    assert other.grads["W"].dtype == np.float32
    assert_equal_results(full, other, True)


def test_the_policy_that_ran_is_reported_and_the_steps_were_recomputed(monkeypatch):
    model, xs, ys = problem("RNN", T=20)
    calls = []
    step = model.step
    monkeypatch.setattr(model, "step", lambda x, s: calls.append(1) or step(x, s))
    result = rnn.bptt(model, xs, ys, memory=4)
    assert result.policy.cost == rnn.checkpoint_policy(20, 4).cost
    assert len(calls) == result.policy.cost > 20           # the plan really ran
    assert result.run is None and result.loss_tensor.node is None


# ------------------------------------------------------------ inside tbptt windows

def train_tbptt(cell, memory, k1, k2, **kwargs):
    model, xs, ys = problem(cell, T=26, B=2)
    optimizer = mg.optim.SGD(model.parameters(), lr=0.05)
    result = rnn.tbptt(model, xs, ys, k1, k2, optimizer, keep_grads=True, memory=memory,
                       **kwargs)
    return model, result


@pytest.mark.parametrize("cell", CELLS)
@pytest.mark.parametrize("k1, k2", [(4, 9), (5, 5), (8, 3), (26, 26), (7, 20)])
def test_tbptt_updates_are_equal_with_memory(cell, k1, k2):
    full_model, full = train_tbptt(cell, "full", k1, k2)
    for memory in ["sqrt", 1, 3]:
        model, other = train_tbptt(cell, memory, k1, k2)
        assert other.losses == full.losses
        assert [(u.block, u.window) for u in other.updates] == \
            [(u.block, u.window) for u in full.updates]
        for a, b in zip(full.updates, other.updates):
            for name in a.grads:
                assert np.array_equal(a.grads[name], b.grads[name]), (memory, name, a.block)
        for (name, p), q in zip(full_model.named_parameters(), model.parameters()):
            assert np.array_equal(p._data, q._data), name         # the same training
        for a, b in zip(rnn.checkpoint._as_parts(full.final_state),
                        rnn.checkpoint._as_parts(other.final_state)):
            assert np.array_equal(a._data, b._data)


@pytest.mark.parametrize("cell", CELLS)
def test_tbptt_equal_with_a_mask_and_the_mean(cell):
    mask = np.zeros(26, bool)
    mask[[2, 3, 11, 12, 13, 25]] = True                 # some blocks count nothing
    full_model, full = train_tbptt(cell, "full", 5, 8, mask=mask, reduction="mean")
    model, other = train_tbptt(cell, 2, 5, 8, mask=mask, reduction="mean")
    assert other.losses == full.losses
    for a, b in zip(full.updates, other.updates):
        for name in a.grads:
            assert np.array_equal(a.grads[name], b.grads[name]), (name, a.block)
    for p, q in zip(full_model.parameters(), model.parameters()):
        assert np.array_equal(p._data, q._data)


def test_tbptt_refuses_a_bad_memory_before_work():
    model, xs, ys = problem("RNN", T=10)
    with pytest.raises(ValueError, match="rnn.tbptt: memory must be"):
        rnn.tbptt(model, xs, ys, 5, 5, None, memory="tiny")
    with pytest.raises(ValueError, match="rnn.tbptt: the memory budget must be >= 1"):
        rnn.tbptt(model, xs, ys, 5, 5, None, memory=0)


def test_a_policy_object_as_memory():
    model, xs, ys = problem("LSTM", T=30)
    full = rnn.bptt(model, xs, ys, contributions=True)
    policy = rnn.checkpoint_policy(30, 20, record_size=4)
    assert policy.peak_memory() <= 20 and len(policy.stored) > 1
    assert_equal_results(full, rnn.bptt(model, xs, ys, contributions=True, memory=policy), True)
    with pytest.raises(ValueError, match="made for T=30 steps, but the sequence has T=12"):
        rnn.bptt(model, xs[:12], ys[:12], memory=policy)
    with pytest.raises(ValueError, match="budget >= 4"):
        rnn.checkpoint_policy(30, 3, record_size=4)
