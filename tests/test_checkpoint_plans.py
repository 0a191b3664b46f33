"""Checkpoint plans: every plan is checked before it runs, and Revolve (binomial
checkpointing) is optimal among plans that record one step at a time.

A plan the library makes (dynamic program, sqrt, Revolve) validates for many T
and budgets; a plan written by hand that breaks a rule is refused with one
error naming the bad action, when it is made, when it is run and when it is
drawn.  Revolve's cost is its closed form, the brute-force optimum over plans
with one-step segments, and never below the dynamic program's.
"""

import functools
import itertools

import numpy as np
import pytest

import minigrad as mg
import rnn
from rnn import checkpoint, revolve
from rnn.checkpoint import Policy

from test_checkpoint import assert_equal_results, brute_force_cost, problem, simulate

FIX = "Fix:"


# ------------------------------------------------------------ refusing bad plans

VALID_7 = [("forward", 0, 4), ("backward", 4, 7), ("backward", 0, 4)]      # cost 11

BAD_PLANS = [   # (id, T, budget, actions, cost, the error's words, the bad action's number)
    ("duplicated", 7, 7, [("backward", 0, 7)] * 2, 14,
     r"back-propagates steps 1\.\.7 again: steps 1\.\.7 were back-propagated", 2),
    ("missing the last segment", 7, 7, VALID_7[:-1], 7,
     r"ends with steps 1\.\.4 never back-propagated", None),
    ("empty", 7, 7, [], 0, r"ends with steps 1\.\.7 never back-propagated", None),
    ("missing step 1", 7, 7, [("forward", 0, 1), ("backward", 1, 7)], 7,
     r"ends with step 1 never back-propagated", None),
    ("segments out of order", 7, 7, [("forward", 0, 4), ("backward", 0, 4), ("backward", 4, 7)],
     11, r"steps 5\.\.7 are not back-propagated yet: dL/ds4 is not known", 2),
    ("overlapping segments", 7, 7, [("forward", 0, 3), ("backward", 3, 7), ("backward", 0, 5)],
     12, r"back-propagates steps 1\.\.5 again: steps 4\.\.5 were", 3),
    ("from a state never stored", 7, 7, [("backward", 3, 7), ("backward", 0, 3)], 7,
     r"starts from s3, which is not held", 1),
    ("from a state already dropped", 7, 7,
     [("forward", 0, 2), ("forward", 2, 4), ("backward", 4, 7), ("backward", 2, 4),
      ("forward", 2, 3)], 9, r"starts from s2, which is not held", 5),
    ("a forward beyond T", 7, 7, [("forward", 0, 9)] + VALID_7[1:], 16,
     r"covers steps 1\.\.9, but a plan's steps run from 1 to T=7", 1),
    ("a backward beyond T", 7, 7, [("backward", 0, 8)], 8, r"covers steps 1\.\.8", 1),
    ("a negative step", 7, 7, [("forward", -1, 4)] + VALID_7[1:], 12,
     r"covers steps 0\.\.4.*0 <= a < b <= 7", 1),
    ("an empty range", 7, 7, [("forward", 0, 4), ("forward", 4, 4)] + VALID_7[1:], 11,
     r"covers steps 5\.\.4", 2),
    ("a forward to a state not needed", 7, 7, [("forward", 0, 7)] + VALID_7, 18,
     r"keeps s7, but only states before s7 are still needed", 1),
    ("wrong kind", 7, 7, [("fwd", 0, 4)] + VALID_7[1:], 11,
     r"has kind 'fwd'; the kinds are 'forward' .* and 'backward'", 1),
    ("a list, not a tuple", 7, 7, [["forward", 0, 4]] + VALID_7[1:], 11,
     r"is not a tuple \(kind, a, b\)", 1),
    ("a bare string", 7, 7, VALID_7[:2] + ["backward"], 11, r"is not a tuple", 3),
    ("two numbers", 7, 7, [(0, 7)], 7, r"is not a tuple", 1),
    ("a float step", 7, 7, [("backward", 0.0, 7)], 7, r"its a is 0\.0, not a step number", 1),
    ("a bool step", 7, 7, [("forward", 0, True)] + VALID_7[1:], 8,
     r"its b is True, not a step number", 1),
]


@pytest.mark.parametrize("name, T, budget, actions, cost, words, bad", BAD_PLANS,
                         ids=[case[0] for case in BAD_PLANS])
def test_a_bad_plan_is_refused_naming_its_bad_action(name, T, budget, actions, cost, words, bad):
    with pytest.raises(ValueError, match=words) as info:
        Policy(T, budget, list(actions), cost)
    message = str(info.value)
    assert message.startswith("rnn.Policy: ")
    assert FIX in message and message.count("rnn.Policy") == 1
    if bad is not None:
        assert f"action {bad} of the plan, {actions[bad - 1]!r}" in message


@pytest.mark.parametrize("name, T, budget, actions, cost, words, bad", BAD_PLANS,
                         ids=[case[0] for case in BAD_PLANS])
def test_a_plan_changed_after_it_was_made_is_refused_before_any_work(name, T, budget, actions,
                                                                     cost, words, bad):
    plan = Policy(7, 7, list(VALID_7), 11)
    plan.actions[:] = actions                     # a plan's list can be changed afterwards
    plan.cost = cost
    model, xs, ys = problem("RNN", T=7)
    with pytest.raises(ValueError, match=words) as info:
        rnn.bptt(model, xs, ys, memory=plan)
    assert str(info.value).startswith("rnn.bptt: ")
    assert all(p.grad is None for p in model.parameters())      # refused before any work
    viz = pytest.importorskip("viz")
    with pytest.raises(ValueError, match=words) as info:
        viz.draw_checkpoints(plan)
    assert str(info.value).startswith("viz.draw_checkpoints: ")


def test_the_issue_s_plans():
    """rnn.Policy(7, 7, [("backward", 0, 7)] * 2, 14) doubled every gradient; dropping the
    last action gave dW 27% off; segments out of order gave KeyError: 3."""
    with pytest.raises(ValueError, match=r"action 2 of the plan, \('backward', 0, 7\)"):
        rnn.Policy(7, 7, [("backward", 0, 7)] * 2, 14)
    plan = rnn.checkpoint_policy(7, 3)
    dropped = plan.actions.pop()
    with pytest.raises(ValueError, match=f"steps 1..{dropped[2]} never back-propagated"):
        rnn.Policy(7, 3, plan.actions, plan.cost - (dropped[2] - dropped[1]))
    reordered = rnn.checkpoint_policy(7, 3).actions
    reordered[-2:] = reordered[-1:-3:-1]
    with pytest.raises(ValueError, match="not back-propagated yet"):
        rnn.Policy(7, 3, reordered, rnn.checkpoint_policy(7, 3).cost)


def test_the_runner_checks_each_action_as_it_goes():
    """A plan that reaches the runner without the up-front check (here: changed after
    policy_for took it) stops at its bad action with the same error, not a KeyError."""
    model, xs, ys = problem("GRU", T=7)
    plan = Policy(7, 7, list(VALID_7), 11)
    plan.actions[1:] = [("backward", 0, 4), ("backward", 4, 7)]
    with pytest.raises(ValueError, match=r"rnn.bptt: action 2 of the plan.*not back-propagated "
                                         r"yet"):
        checkpoint.checkpointed_backward(model, mg.tensor(xs), ys, model.zero_state((3,)), plan,
                                         "mse", np.ones(()))


def test_cost_budget_and_type_of_a_plan_are_checked():
    with pytest.raises(ValueError, match=r"cost says 8 forward steps, but its actions run 7.*"
                                         r"Fix: cost=7"):
        Policy(7, 7, [("backward", 0, 7)], 8)
    with pytest.raises(ValueError, match=r"action \('backward', 0, 7\) holds 7 steps at once.*"
                                         r"over the plan's budget of 3"):
        Policy(7, 3, [("backward", 0, 7)], 7)
    with pytest.raises(ValueError, match=r"action \('backward', 0, 7\) holds 14 steps"):
        Policy(7, 10, [("backward", 0, 7)], 7, record_size=2)
    with pytest.raises(TypeError, match="actions must be a list of .* got generator"):
        Policy(7, 7, (a for a in VALID_7), 11)
    with pytest.raises(ValueError, match="rnn.Policy: T must be an integer >= 1"):
        Policy(0, 7, [], 0)
    with pytest.raises(ValueError, match="rnn.Policy: the memory budget must be >= 1"):
        Policy(7, 0, list(VALID_7), 11)
    assert Policy(7, 7, tuple(VALID_7), 11).actions == VALID_7      # a tuple is taken as a list


def test_the_dynamic_program_too_big_names_revolve_not_a_budget_under_1():
    with pytest.raises(ValueError) as info:
        rnn.checkpoint_policy(10 ** 6, 3)
    message = str(info.value)
    assert "rnn.revolve_policy(1000000, 3)" in message and "memory='sqrt'" in message
    assert "budget under" not in message
    with pytest.raises(ValueError, match=r"or a budget under 201\b"):     # 2e9 / 3162² = 200.03
        rnn.checkpoint_policy(3162, 500)


# ------------------------------------------------- every plan the library makes validates

def check_plan(plan, T, budget=None):
    plan.validate()                                   # the library's own check
    cost, peak = simulate(plan)                       # the test's own, independent one
    assert cost == plan.cost
    assert peak == plan.peak_memory() <= plan.budget
    if budget is not None:
        assert plan.budget <= budget
    covered = sorted(t for first, last in plan.segments for t in range(first, last + 1))
    assert covered == list(range(1, T + 1))


@pytest.mark.parametrize("T", [1, 2, 3, 5, 8, 13, 21, 34])
def test_every_dynamic_program_plan_validates(T):
    for alpha in (1, 2, 3):
        for budget in range(alpha, alpha * T + 2):
            check_plan(rnn.checkpoint_policy(T, budget, record_size=alpha), T, budget)


@pytest.mark.parametrize("T", list(range(1, 40)) + [99, 100, 101, 1000, 4097])
def test_every_sqrt_plan_validates(T):
    plan = rnn.sqrt_policy(T)
    check_plan(plan, T)
    assert plan.budget == plan.peak_memory()                 # its budget is what it holds


@pytest.mark.parametrize("T", [1, 2, 3, 4, 7, 10, 16, 31, 50])
def test_every_revolve_plan_validates(T):
    for budget in range(1, T + 3):
        for block in range(1, budget + 1):
            plan = rnn.revolve_policy(T, budget, block=block)
            check_plan(plan, T, budget)
            assert plan.actions.block == min(block, T)
        check_plan(rnn.revolve_policy(T, budget), T, budget)
        check_plan(rnn.revolve_policy(T, 2 * budget, record_size=2), T, 2 * budget)


@pytest.mark.parametrize("T, budget", [(600, 7), (1000, 50), (5000, 3), (20_000, 100)])
def test_long_revolve_plans_validate(T, budget):
    check_plan(rnn.revolve_policy(T, budget), T, budget)


# ------------------------------------------------------------------ Revolve

@functools.lru_cache(maxsize=None)
def fewest_advances(l, s):
    """The recursion behind Revolve, searched over every first snapshot j: advance j
    steps, keep s_j, reverse the right part with s - 1 snapshots, the left with s."""
    if l == 1:
        return 0
    if s == 0:
        return float("inf")
    return min(j + fewest_advances(l - j, s - 1) + fewest_advances(j, s) for j in range(1, l))


def test_beta_and_the_repetition_number():
    for s in range(1, 8):
        for r in range(0, 8):
            assert revolve.beta(s, r) == len(list(itertools.combinations(range(s + r), s)))
        for l in range(1, 200):
            r = revolve.repetitions(l, s)
            assert revolve.beta(s, r - 1) < l <= revolve.beta(s, r)
    assert revolve.beta(3, -1) == 0


@pytest.mark.parametrize("s", range(1, 9))
def test_advances_closed_form_is_the_searched_optimum(s):
    for l in range(1, 70):
        assert revolve.advances(l, s) == fewest_advances(l, s), (l, s)
    assert revolve.advances(30, 1) == 30 * 29 // 2              # from s_0 every time
    assert revolve.advances(30, 29) == 29                       # every state kept once


@pytest.mark.parametrize("T", range(1, 8))
def test_revolve_cost_is_the_brute_force_optimum_with_one_step_segments(T):
    for budget in range(1, T + 2):
        plan = rnn.revolve_policy(T, budget, block=1)
        assert plan.cost == T + revolve.advances(T, budget)
        assert plan.cost == brute_force_cost(T, budget, longest_record=1), (T, budget)


@pytest.mark.parametrize("T", [5, 12, 30, 45])
def test_revolve_never_beats_the_dynamic_program_and_ties_at_budget_1(T):
    for budget in range(1, T + 1):
        dp = rnn.checkpoint_policy(T, budget).cost
        assert rnn.revolve_policy(T, budget, block=1).cost >= dp
        assert rnn.revolve_policy(T, budget).cost >= dp
    assert rnn.revolve_policy(T, 1).cost == rnn.checkpoint_policy(T, 1).cost == T * (T + 1) // 2


def test_revolve_blocks_cost_and_the_chosen_block():
    T = 1000
    for budget in (5, 20, 64):
        best = rnn.revolve_policy(T, budget)
        k, s = best.actions.block, best.actions.snapshots
        assert s == budget + 1 - k
        assert best.cost == T + k * revolve.advances(-(-T // k), s)
        for block in range(1, budget + 1):     # the default is the cheapest block (all k <= 100)
            assert best.cost <= rnn.revolve_policy(T, budget, block=block).cost
    with pytest.raises(ValueError, match="block must be an integer from 1 to budget/record_size"):
        rnn.revolve_policy(100, 10, block=11)
    with pytest.raises(ValueError, match="rnn.revolve_policy: a budget of 1 cannot hold"):
        rnn.revolve_policy(100, 1, record_size=2)


def test_the_schedule_is_lazy():
    """A billion steps: the schedule starts at once and holds a stack of <= s + 1 parts."""
    schedule = revolve.Schedule(10 ** 9, 20)
    first = list(itertools.islice(schedule, 25))
    assert [kind for kind, *_ in first[:20]] == ["forward"] * 20
    assert first[20][0] == "backward" and first[20][2] == 10 ** 9
    assert list(itertools.islice(schedule, 25)) == first             # iterated again: the same
    plan = rnn.revolve_policy(10 ** 6, 100)
    assert isinstance(plan.actions, revolve.Schedule)
    assert "Revolve" in repr(plan) and "segments of" in repr(plan)


def test_memory_int_chooses_the_planner_by_T_and_says_which():
    short, long_ = checkpoint.policy_for(8, checkpoint.DP_LONGEST), \
        checkpoint.policy_for(8, checkpoint.DP_LONGEST + 1)
    assert short.method == "dynamic program" and "dynamic program" in repr(short)
    assert long_.method == "revolve" and repr(long_).startswith(
        f"Policy(T={checkpoint.DP_LONGEST + 1}, Revolve, ")
    assert short.cost == rnn.checkpoint_policy(checkpoint.DP_LONGEST, 8).cost
    assert long_.cost == rnn.revolve_policy(checkpoint.DP_LONGEST + 1, 8).cost
    assert "sqrt" in repr(rnn.sqrt_policy(10))


# ------------------------------------------------ Revolve's plans give equal gradients

@pytest.mark.parametrize("cell", ["RNN", "LSTM", "GRU"])
def test_revolve_gradients_equal_full_bptt(cell):
    model, xs, ys = problem(cell, T=23)
    full = rnn.bptt(model, xs, ys, contributions=True)
    for budget, block in [(1, 1), (3, 1), (5, 2), (9, 4), (23, 1), (23, None)]:
        plan = rnn.revolve_policy(23, budget, block=block)
        other = rnn.bptt(model, xs, ys, contributions=True, memory=plan)
        assert_equal_results(full, other, True)
        assert other.policy is plan


def test_memory_int_beyond_the_dynamic_program_runs_revolve_with_equal_gradients(monkeypatch):
    monkeypatch.setattr(checkpoint, "DP_LONGEST", 10)
    model, xs, ys = problem("LSTM", T=17, B=2)
    mask = np.arange(17) % 3 != 1
    full = rnn.bptt(model, xs, ys, reduction="mean", mask=mask, contributions=True)
    other = rnn.bptt(model, xs, ys, reduction="mean", mask=mask, contributions=True, memory=4)
    assert other.policy.method == "revolve"
    assert_equal_results(full, other, True)
    optimizer = lambda m: mg.optim.SGD(m.parameters(), lr=0.1)        # noqa: E731
    a, b = problem("GRU", T=30)[0], problem("GRU", T=30)[0]
    _, xs, ys = problem("GRU", T=30)
    ra = rnn.tbptt(a, xs, ys, 12, 15, optimizer(a), keep_grads=True)
    rb = rnn.tbptt(b, xs, ys, 12, 15, optimizer(b), keep_grads=True, memory=3)
    assert ra.losses == rb.losses
    for ua, ub in zip(ra.updates, rb.updates):
        for name in ua.grads:
            assert np.array_equal(ua.grads[name], ub.grads[name])
