"""viz.draw_checkpoints: the strip shows exactly the plan's actions, in order."""

import re

import pytest

import rnn
from dotparse import parse, text_of

viz = pytest.importorskip("viz")


def rows_of(graph):
    """Each action's row: (its label, [the texts of its cells at steps 1..T]), read from
    the figure's nodes ``action_<i>`` and ``a<i>_t<t>`` (an empty cell draws nothing)."""
    g = parse(graph.source)
    text = {n: text_of(a["label"]) for n, a in g.node_attrs.items() if "label" in a}
    T = max(int(n.removeprefix("head_")) for n in text if re.fullmatch(r"head_\d+", n))
    rows, i = [], 1
    while f"action_{i}" in text:
        rows.append((text[f"action_{i}"], [text.get(f"a{i}_t{t}", "") for t in range(1, T + 1)]))
        i += 1
    return rows


PLANS = {"dp 12/4": lambda: rnn.checkpoint_policy(12, 4),
         "dp 10/2": lambda: rnn.checkpoint_policy(10, 2),
         "dp 9/1": lambda: rnn.checkpoint_policy(9, 1),
         "dp 7/7": lambda: rnn.checkpoint_policy(7, 7),
         "revolve 12/4": lambda: rnn.revolve_policy(12, 4, block=1),
         "revolve 20/6 blocks": lambda: rnn.revolve_policy(20, 6, block=2),
         "revolve 30/8": lambda: rnn.revolve_policy(30, 8)}


@pytest.mark.parametrize("make", PLANS.values(), ids=list(PLANS))
def test_strip_shows_every_action_in_order(make):
    policy = make()
    T = policy.T
    rows = rows_of(viz.draw_checkpoints(policy))
    assert policy.describe() in " ".join(viz.draw_checkpoints(policy).texts())   # who planned
    assert len(rows) == len(list(policy.actions))
    for (label, cells), (kind, a, b) in zip(rows, policy.actions):
        assert len(cells) == T
        assert label.split(". ")[1].startswith(kind)
        for t, cell in enumerate(cells, start=1):
            if kind == "forward":
                expected = f"s{b}" if t == b else ("→" if a < t < b else "")
            else:
                expected = "←" if a < t <= b else ""
            assert cell == expected, (label, t, cell)
    backward = [t for _, cells in rows for t, c in enumerate(cells, 1) if c == "←"]
    assert sorted(backward) == list(range(1, T + 1))          # each step once
    forward = sum(c == "→" or c.startswith("s") for _, cells in rows for c in cells)
    assert forward == policy.cost - T                           # the recomputed steps


def test_title_states_cost_and_memory():
    policy = rnn.checkpoint_policy(12, 4)
    title = text_of(parse(viz.draw_checkpoints(policy).source).node_attrs["title"]["label"])
    assert title == ("checkpointed BPTT (dynamic program), T = 12, budget 4:\n"
                     f"{policy.cost} forward steps ({policy.cost - 12} recomputed), at most "
                     f"{policy.peak_memory()} steps held")
    # and the counts are the strip's: the recomputed steps are its forward cells (grey and
    # orange), and the T steps recorded once each its green ones
    cells = [c for _, row in rows_of(viz.draw_checkpoints(policy)) for c in row if c]
    assert sum(c != "←" for c in cells) == policy.cost - 12
    assert sum(c == "←" for c in cells) == 12


def test_sqrt_plan_draws_and_bad_inputs_are_refused():
    rows = rows_of(viz.draw_checkpoints(rnn.sqrt_policy(10)))
    assert [label for label, _ in rows][:2] == ["1. forward s0→s4", "2. forward s4→s8"]
    assert rows[0][1][:4] == ["→", "→", "→", "s4"]
    with pytest.raises(ValueError, match="T=100 steps; at most 60.*rnn.checkpoint_policy"):
        viz.draw_checkpoints(rnn.checkpoint_policy(100, 10))
    with pytest.raises(TypeError, match="viz.draw_checkpoints: expected a plan"):
        viz.draw_checkpoints([("forward", 0, 3)])


@pytest.mark.parametrize("T, budget", [(8, 2), (20, 3)])
def test_the_strip_at_slide_style_passes_the_layout_check(T, budget):
    graph = viz.draw_checkpoints(rnn.checkpoint_policy(T, budget), style="slides")
    report = viz.check_layout(viz.draw_checkpoints(rnn.revolve_policy(T, budget),
                                                   style="slides"), "slides")
    assert report.ok, report
    report = viz.check_layout(graph, "slides")
    assert report.ok, report
    labels = [label for label, _ in rows_of(graph)]
    assert "4. backward 20" in labels or T != 20           # one step: "20", not "20–20"
    assert "too big for a slide" not in " ".join(graph.texts())


def test_the_strip_refuses_an_unknown_style():
    with pytest.raises(ValueError, match="draw_checkpoints: style must be one of 'notebook'"):
        viz.draw_checkpoints(rnn.checkpoint_policy(8, 2), style="poster")
