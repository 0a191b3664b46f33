"""bptt train --task echo: truncation decides what can be learnt.

With TBPTT(k1, k2) the loss of step t is back-propagated to x_{t-k2+1} at the
earliest, so k2 = 2 never sends E_t's gradient to X_{t-3}: by definition the
window cannot teach lag 3, and the loss stays near the closed-form level of a
model that knows neither lag (0.6616; a readout can still use what the state
happens to keep, so "near", not "at").  The contrast run (k2 = 8 reaches lag 3)
is a measured fact about these seeds, with its threshold at the midpoint
between the two levels.  Short runs, fixed seeds.
"""

import re

import numpy as np
import pytest

import rnn
from cli_run import run
from rnn.online.echo import echo_levels

LEVELS = echo_levels()
MIDPOINT = (LEVELS["neither"] + LEVELS["lag 3 only"]) / 2          # ≈ 0.590


def _final_loss(out):
    match = re.search(r"([0-9.]+) at the end \(mean of the last 50", out)
    assert match, out
    return float(match.group(1))


def test_the_echo_task_is_registered_with_its_three_levels():
    task = rnn.tasks.TASKS["echo"]()
    assert task.levels == LEVELS and task.baseline == LEVELS["neither"]
    assert (task.loss, task.input_size, task.output_size) == ("cross_entropy", 1, 2)
    xs, ys = task.batch(np.random.default_rng(0))
    assert xs.shape == (task.seq_len, task.batch_size, 1) and ys.shape == xs.shape[:2]
    assert not task.mask[:8].any() and task.mask[8:].all()
    with pytest.raises(ValueError, match="seq_len must be > 8"):
        rnn.tasks.EchoTask(seq_len=8)


@pytest.mark.parametrize("seed", [0, 1])
def test_a_window_that_cannot_reach_lag_3_stalls_near_the_neither_level(capsys, seed):
    status, out, _ = run(capsys, "train", "--task", "echo", "--k1", "2", "--k2", "2",
                         "--updates", "400", "--seed", str(seed))
    assert status == 0
    loss = _final_loss(out)
    assert loss > MIDPOINT, out                               # never near 'lag 3 only'
    assert loss < LEVELS["neither"] + 0.1, out                # and it did train (seed 1: 0.75)
    assert "closed-form levels: neither 0.6616, lag 3 only 0.5192, both 0.4545" in out
    assert "its gradient reaches neither lag" in out


def test_a_window_that_reaches_lag_3_learns_it(capsys, tmp_path):
    status, out, _ = run(capsys, "train", "--task", "echo", "--k1", "2", "--k2", "8",
                         "--updates", "400", "--seed", "0", "--plot", str(tmp_path / "e.png"))
    assert status == 0
    assert _final_loss(out) < MIDPOINT, out
    assert "its gradient reaches lag 3;" in out
    pytest.importorskip("matplotlib")
    assert (tmp_path / "e.png").stat().st_size > 1000


def test_help_lists_the_echo_task(capsys):
    status, out, _ = run(capsys, "train", "--help")
    assert status == 0 and "echo    baseline 0.6616" in out
