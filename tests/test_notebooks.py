"""The lecture notebooks: stored without outputs, each with learning goals and
exercises, and each executed top to bottom (nbclient, the venv's own kernel) in
under 60 s without an error."""
import json
import os
import sys
import time
from pathlib import Path

import pytest

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
NAMES = ["01_unrolling.ipynb", "02_bptt_by_hand.ipynb", "03_vanishing_exploding.ipynb",
         "04_truncation_and_text.ipynb", "05_learning_online.ipynb"]
LIMIT = 60.0     # seconds a notebook may take


def cells(name):
    return json.loads((NOTEBOOKS / name).read_text(encoding="utf-8"))["cells"]


def test_all_five_notebooks_are_there():
    assert sorted(p.name for p in NOTEBOOKS.glob("*.ipynb")) == NAMES


@pytest.mark.parametrize("name", NAMES)
def test_stored_without_outputs(name):
    for i, cell in enumerate(cells(name)):
        if cell["cell_type"] == "code":
            assert cell["outputs"] == [] and cell["execution_count"] is None, (
                f"{name}, cell {i} has stored outputs: clear them (rerun "
                f"tools/make_notebooks.py, or Jupyter's 'Clear All Outputs') before committing")


@pytest.mark.parametrize("name", NAMES)
def test_learning_goals_equations_and_exercises(name):
    markdown = ["".join(c["source"]) for c in cells(name) if c["cell_type"] == "markdown"]
    code = ["".join(c["source"]) for c in cells(name) if c["cell_type"] == "code"]
    assert any("## Learning goals" in m for m in markdown), f"{name}: no learning goals"
    assert any("$$" in m for m in markdown), f"{name}: no displayed equations"
    exercises = [i for i, m in enumerate(markdown) if m.startswith("## Exercises")]
    assert exercises, f"{name}: no exercises section"
    checked = [c for c in code if "rnn.exercises.check_" in c]
    assert 2 <= len(checked) <= 3, f"{name}: {len(checked)} checked exercises"
    solutions = NOTEBOOKS / "solutions" / name.replace(".ipynb", ".py")
    assert solutions.exists() and f"solutions/{solutions.name}" in markdown[exercises[0]]


@pytest.fixture(scope="module")
def kernel_name(tmp_path_factory):
    """A kernelspec of our own that runs this very Python (the venv's), found first on
    JUPYTER_PATH, so that a user's or the system's "python3" kernel can't be picked."""
    for package in ("nbclient", "nbformat", "ipykernel"):
        try:
            __import__(package)
        except ImportError:
            message = f"{package} is missing: pip install -e '.[dev]' (or make test)"
            if os.environ.get("CI") == "true":
                pytest.fail(message)
            pytest.skip(message)
    name = "minigrad-bptt-tests"
    spec = tmp_path_factory.mktemp("jupyter") / "kernels" / name
    spec.mkdir(parents=True)
    (spec / "kernel.json").write_text(json.dumps({
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "Python (minigrad-bptt tests)", "language": "python"}))
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("JUPYTER_PATH", str(spec.parent.parent), prepend=os.pathsep)
        patch.setenv("PYDEVD_DISABLE_FILE_VALIDATION", "1")    # debugpy's frozen-modules note
        yield name


@pytest.mark.parametrize("name", NAMES)
def test_notebook_runs_without_error(name, kernel_name):
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.read(NOTEBOOKS / name, as_version=4)
    client = NotebookClient(nb, timeout=2 * LIMIT, kernel_name=kernel_name,
                            resources={"metadata": {"path": str(NOTEBOOKS)}})
    start = time.perf_counter()
    client.execute()                       # raises CellExecutionError, naming the cell
    seconds = time.perf_counter() - start
    print(f"{name}: {seconds:.1f} s")
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs
              if o.output_type == "error"]
    assert not errors
    shown = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    assert any("image/svg+xml" in o.get("data", {}) for o in shown), f"{name}: no figure"
    assert any("text/html" in o.get("data", {}) for o in shown), f"{name}: no HTML table"
    assert seconds < LIMIT, f"{name} took {seconds:.0f} s; a notebook must run in {LIMIT:.0f} s"
