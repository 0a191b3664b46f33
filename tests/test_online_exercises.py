"""Notebook 05's checkers: the shipped solutions pass, and each planted mistake is named."""
import importlib.util
from pathlib import Path

import numpy as np
import pytest

from rnn import exercises as ex

SOLUTION = Path(__file__).resolve().parents[1] / "notebooks" / "solutions" / "05_learning_online.py"


@pytest.fixture(scope="module")
def solution():
    spec = importlib.util.spec_from_file_location("sol05", SOLUTION)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_shipped_solutions_pass(solution):
    assert ex.check_rtrl_step(solution.rtrl_step, quiet=True).ok
    assert ex.check_snap1_step(solution.snap1_step, quiet=True).ok


def _immediate(gp, z):
    return np.eye(len(gp))[:, :, None] * (gp[:, None] * z[None, :])[None]


@pytest.mark.parametrize("wrong, says", [
    (lambda M, gp, W, z: gp[:, None, None] * np.einsum("il,ljk->ijk", W, M), "M̄_t is missing"),
    (lambda M, gp, W, z: np.einsum("il,ljk->ijk", W, M) + _immediate(gp, z), "lacks g'"),
    (lambda M, gp, W, z: gp[:, None, None] * np.einsum("li,ljk->ijk", W, M) + _immediate(gp, z),
     "you used Wᵀ"),
    (lambda M, gp, W, z: gp[:, None, None] * np.einsum("il,ljk->ijk", W, M)
     + gp[:, None, None] * z[None, None, :], "fills every row"),
    (lambda M, gp, W, z: M[0], "shape"),
])
def test_rtrl_mistakes_are_named(wrong, says):
    result = ex.check_rtrl_step(wrong, quiet=True)
    assert not result.ok and says in result.message, result.message


@pytest.mark.parametrize("wrong, says", [
    (lambda J, gp, W, z: (gp * np.diag(W))[:, None] * J, "immediate term"),
    (lambda J, gp, W, z: np.diag(W)[:, None] * J + gp[:, None] * z, "lacks g'_j"),
    (lambda J, gp, W, z: (gp * W.sum(1))[:, None] * J + gp[:, None] * z, "summed W's row"),
    (lambda J, gp, W, z: gp[:, None] * (W @ J) + gp[:, None] * z, "mixes the units' rows"),
    (lambda J, gp, W, z: np.zeros((len(gp), len(gp), len(z))), "keeps its diagonal"),
])
def test_snap1_mistakes_are_named(wrong, says):
    result = ex.check_snap1_step(wrong, quiet=True)
    assert not result.ok and says in result.message, result.message


def test_not_written_yet():
    def rtrl_step(M, gp, W, z):
        raise NotImplementedError
    assert "not written yet" in ex.check_rtrl_step(rtrl_step, quiet=True).message


@pytest.mark.parametrize("slip, says", [
    (lambda a: a.astype(np.float32), "float32"),
    (lambda a: a + 1e-7 * (np.arange(a.size).reshape(a.shape) == 5), "largest difference 1.0e-07"),
])
def test_an_almost_right_answer_is_named_not_an_index_error(solution, slip, says):
    """Both used to raise IndexError: np.isclose's 1e-5 found no entry to name."""
    for check, step in ((ex.check_rtrl_step, solution.rtrl_step),
                        (ex.check_snap1_step, solution.snap1_step)):
        result = check(lambda *args: slip(step(*args)), quiet=True)
        assert not result.ok and says in result.message, result.message
        assert "at entry (" in result.message
