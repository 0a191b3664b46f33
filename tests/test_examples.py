"""Every script in examples/ runs to the end and writes what its docstring promises."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = sorted((Path(__file__).parent.parent / "examples").glob("*.py"))


def test_the_examples_folder_is_not_empty():
    assert len(EXAMPLES) >= 5


@pytest.mark.parametrize("script", EXAMPLES, ids=lambda p: p.name)
def test_example_runs(script, tmp_path):
    env = dict(os.environ, CHAR_RNN_UPDATES="5")          # a taste of training, not a run
    done = subprocess.run([sys.executable, str(script)], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, f"{script.name} failed:\n{done.stderr[-3000:]}"
    assert done.stdout.strip(), f"{script.name} printed nothing"
    # "writes out/x.svg" in the docstring: the file must be there afterwards.
    docstring = script.read_text().split('"""')[1]
    for pattern in re.findall(r"out/[\w*]+\.(?:svg|png|pdf)", docstring):
        assert list(tmp_path.glob(pattern)), f"{script.name} promised {pattern}, wrote nothing"
