"""The README's Python example runs as written and does what the text around it says."""

import os
import re

import numpy as np
import pytest

from figure_checks import read_svg
from viz.style import number_text

README = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "README.md")


def python_blocks():
    with open(README, encoding="utf-8") as f:
        return re.findall(r"```python\n(.*?)```", f.read(), flags=re.S)


def test_readme_has_the_five_line_example():
    blocks = python_blocks()
    assert blocks, "README.md lost its ```python example"
    code_lines = [line for line in blocks[0].splitlines() if line.strip()]
    assert len(code_lines) <= 6                  # the import line plus five


def test_readme_example_runs_and_its_claims_hold(tmp_path, monkeypatch):
    pytest.importorskip("graphviz")
    monkeypatch.chdir(tmp_path)
    namespace = {}
    exec(compile(python_blocks()[0], "README.md", "exec"), namespace)
    mg, model = namespace["mg"], namespace["model"]
    # "draws the unrolled graph": four time steps, each with its equations, and on
    # W's edge into copy t the size of copy t's term of dL/dW
    figure = read_svg(tmp_path / "out" / "unrolled.svg")
    assert figure.groups["cluster"] == 4 and figure.has("t = 1", "t = 4")
    for t in range(1, 5):
        assert figure.has(f"a{t} = U x{t} + W s{t - 1} + b", f"s{t} = tanh(a{t})",
                          f"E{t} = ‖o{t} − y{t}‖²"), t
    for t, term in enumerate(mg.contributions(model.W).values(), start=1):
        assert figure.has(f"W {number_text(np.linalg.norm(term))}"), t   # copy t's dL/dW
    # "the parts that flowed in through each copy ... add up to model.W.grad"
    parts = mg.contributions(model.W)
    assert list(parts) == ["t=1", "t=2", "t=3", "t=4"]
    np.testing.assert_allclose(sum(parts.values()), model.W.grad, rtol=1e-12, atol=1e-15)
