"""The README is a teacher's path (what it is, the two commands, the lecture, the notebooks,
the explorer, the figures, the command line, the API in five lines), with benchmarks and
implementation notes in docs/; its example runs, its links resolve, its command lines parse,
and what it says about the explorer's page holds."""

import os
import re
import shlex
from pathlib import Path

import numpy as np
import pytest

from figure_checks import read_svg
from viz.theme import number_text

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
DOCS = [README, ROOT / "docs" / "teaching.md", ROOT / "docs" / "benchmarks.md",
        ROOT / "docs" / "internals.md", ROOT / "notebooks" / "README.md"]
PENDING = set()         # subcommands a doc may show before they land (none now)


def text(path=README):
    return path.read_text(encoding="utf-8")


def python_blocks():
    return re.findall(r"```python\n(.*?)```", text(), flags=re.S)


def headings(path):
    return re.findall(r"^#{1,6} (.+)$", text(path), flags=re.M)


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
    # "draws the unrolled graph": four time steps, each with its equations, and W's
    # term from each copy t in W's row of the ledger
    figure = read_svg(tmp_path / "out" / "unrolled.svg")
    assert figure.groups["cluster"] == 4 and figure.has("t = 1", "t = 4")
    for t in range(1, 5):
        assert figure.has(f"a{t} = U x{t} + W s{t - 1} + b", f"s{t} = tanh(a{t})",
                          f"E{t} = ‖o{t} − y{t}‖²"), t
    for t, term in enumerate(mg.contributions(model.W).values(), start=1):
        assert figure.has(f"‖{number_text(np.linalg.norm(term))}‖"), t   # copy t's dL/dW
    # "the parts that flowed in through each copy ... add up to model.W.grad"
    parts = mg.contributions(model.W)
    assert list(parts) == ["t=1", "t=2", "t=3", "t=4"]
    np.testing.assert_allclose(sum(parts.values()), model.W.grad, rtol=1e-12, atol=1e-15)


def test_the_readme_follows_a_teachers_path():
    order = ["Two commands", "Teaching with it", "Lecture notebooks",
             "Step through backpropagation in the browser", "Pictures", "The command line",
             "Five lines"]
    found = [h for h in headings(README) if h in order]
    assert found == order, found
    teaching = text().split("## Teaching with it", 1)[1].split("\n## ", 1)[0]
    for what in ("docs/teaching.md", "bptt lecture", "bptt explore", "#lecture-notebooks",
                 "docs/slides/", "#the-command-line"):
        assert what in teaching, what


def test_benchmarks_and_internals_live_in_docs_not_in_the_readme():
    readme = text()
    benchmarks, internals = text(DOCS[2]), text(DOCS[3])
    assert len(readme.encode()) < 30_000, "the README is growing back: move details to docs/"
    for moved in ("| time, × NumPy |", "**The garbage collector.**", "**The allocator.**",
                  "| T (workload L's shape) |", "**Cost** (", "| task (baseline) | adam |"):
        assert moved in benchmarks and moved not in readme, moved
    for moved in ("## When arrays change under a recorded graph", "**Clutter, measured.**",
                  "## A tour of the code"):
        assert moved in internals and moved not in readme, moved
    for doc in ("docs/teaching.md", "docs/benchmarks.md", "docs/internals.md"):
        assert f"]({doc}" in readme, f"the README does not link {doc}"


def slug(heading):
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to dashes."""
    heading = re.sub(r"[`*]", "", heading).strip().lower()
    return re.sub(r"[^\w\- ]", "", heading).replace(" ", "-")


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_relative_link_and_anchor_resolves(doc):
    for target in re.findall(r"\]\(([^)\s]+)\)", text(doc)):
        if re.match(r"[a-z]+:", target):
            continue                                     # https:, mailto:
        path, _, anchor = target.partition("#")
        file = (doc.parent / path).resolve() if path else doc
        assert file.exists(), f"{doc.name}: link to {target}: no such file"
        if anchor:
            assert anchor in {slug(h) for h in headings(file)}, (
                f"{doc.name}: link to {target}: no heading with that anchor in {file.name}")


def command_lines(doc):
    """Every `.venv/bin/bptt ...` command shown in a doc, as an argument list."""
    found = []
    for line in re.findall(r"\.venv/bin/bptt [^`\n#|]*", text(doc)):
        args = shlex.split(line)[1:]
        if args and not args[0].startswith("<"):
            found.append(args)
    return found


@pytest.mark.parametrize("doc", DOCS[:2], ids=["README.md", "docs/teaching.md"])
def test_every_command_line_shown_parses(doc):
    from bptt_cli.main import build_parser

    parser = build_parser()
    commands = set(parser._subparsers._group_actions[0].choices)
    shown = command_lines(doc)
    assert len(shown) >= 8, shown
    for args in shown:
        if args[0] in PENDING and args[0] not in commands:
            continue
        try:
            parser.parse_args(args)
        except SystemExit as exit_:
            assert exit_.code == 0, f"{doc.name}: `bptt {' '.join(args)}` does not parse"


def test_the_explorer_page_is_the_size_the_docs_say(tmp_path):
    """'A 50-step RNN page drawn in full (bptt explore --steps 50 --no-elide) is 1.1 MB'
    (docs/benchmarks.md), and the docs say what its load time was measured as, not a bare
    promise."""
    pytest.importorskip("graphviz")
    from bptt_cli.main import main

    readme = text(DOCS[2])
    claim = re.search(r"A 50-step RNN page drawn in full\s+\(`bptt explore (.*?)`\) is "
                      r"([\d.]+) MB", readme)
    assert claim, "docs/benchmarks.md no longer states the 50-step page's size"
    page = tmp_path / "page.html"
    assert main(["explore", *shlex.split(claim.group(1)), "-o", str(page)]) == 0
    assert os.path.getsize(page) / 1e6 == pytest.approx(float(claim.group(2)), rel=0.1)
    assert "ready in\nunder 0.5 s" not in readme and "under 0.5 s" not in readme
    assert "DOMContentLoaded" in readme and "Navigation Timing API" in readme
