"""Every kind of figure is as kept in tests/golden/ (see tests/golden.py).

A change to viz that is not meant to change a figure keeps these green.  A
change that is meant to regenerates them (``python tests/golden.py --update``)
and the review reads the difference.
"""

import pytest

import golden

CASES = golden.figures()


@pytest.mark.parametrize("name", list(CASES))
def test_figure_is_as_kept(name):
    assert golden.path_of(name).exists(), \
        f"no golden text for {name}: run python tests/golden.py --update {name}"
    text = CASES[name]()
    assert golden.same(name, text), (f"{name} changed (python tests/golden.py --update {name} if meant):\n"
                          + golden.difference(name, text))
