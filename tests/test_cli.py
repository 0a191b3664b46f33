"""The ``bptt`` command line: what each subcommand writes, prints and returns."""

import math
import re
import subprocess
import sys

import pytest

import rnn
from bptt_cli.main import build_parser
from cli_run import refusal, run
from dotparse import parse

COMMANDS = ("render", "compare", "train", "demo", "docs")


@pytest.mark.parametrize("command", COMMANDS)
def test_every_subcommand_help_shows_examples(capsys, command):
    status, out, _ = run(capsys, command, "--help")
    assert status == 0
    assert "example" in out and f"bptt {command}" in out


def test_top_level_help_lists_the_subcommands(capsys):
    status, out, _ = run(capsys, "--help")
    assert status == 0
    for command in COMMANDS:
        assert command in out


@pytest.mark.parametrize("argv, says", [
    (["render", "--steps", "0"], "must be at least 1, got 0"),
    (["render", "--steps", "-3"], "must be at least 1, got -3"),
    (["render", "--hidden", "two"], "expected a whole number, got 'two'"),
    (["render", "--cell", "transformer"], "invalid choice: 'transformer'"),
    (["render", "-o", "out/x.gif"], ".gif"),
    (["compare", "--methods", "manual,magic"], "unknown method 'magic'"),
    (["compare", "--cell", "lstm", "--methods", "rtrl"], "rtrl is implemented for the vanilla"),
    (["compare", "--tol", "0"], "must be greater than 0"),
    (["train", "--task", "sine", "--k1", "500"], "use --k1"),
    (["train", "--task", "sine", "--sample", "10"], "--sample needs --task chars"),
    (["train", "--lr", "-1"], "must be greater than 0"),
    ([], "the following arguments are required: {render,compare"),
    (["compare", "--seed", "-1"], "argument --seed: must be 0 or more, got -1"),
    (["render", "--seed", "-5"], "argument --seed: must be 0 or more, got -5"),
    (["train", "--seed", "-1"], "argument --seed: must be 0 or more, got -1"),
    (["explore", "--at", "5"], "--at K chooses the walk step shown in the picture, so it "
                               "needs --screenshot"),
    (["explore", "--screenshot", "s.txt"], "--screenshot s.txt: the picture is a PNG, so the "
                                           "file name must end in .png"),
])
def test_bad_arguments_get_one_line_and_status_2(capsys, tmp_path, monkeypatch, argv, says):
    monkeypatch.chdir(tmp_path)
    _, err = refusal(capsys, *argv)
    assert says in err


def test_k1_larger_than_k2_is_allowed_and_trains(capsys):
    # TBPTT(k1, k2) with k2 < k1: early costs in a block reach only V and c.
    status, out, _ = run(capsys, "train", "--task", "sine", "--k1", "10", "--k2", "5",
                         "--updates", "3")
    assert status == 0
    assert "TBPTT(k1=10, k2=5)" in out
    assert "loss:" in out


def test_compare_prints_the_table_and_exits_0_when_methods_agree(capsys):
    status, out, _ = run(capsys, "compare", "--steps", "4", "--hidden", "3")
    assert status == 0
    lines = out.splitlines()
    assert lines[-1].startswith("all methods agree")
    header = next(line for line in lines if line.startswith("param"))
    for method in ("manual", "rtrl", "numeric"):
        assert method in header


def test_compare_exits_1_when_the_tolerance_is_not_met(capsys):
    # No float64 computation agrees to 1e-300: the report must say so and fail.
    status, out, _ = run(capsys, "compare", "--steps", "4", "--tol", "1e-300",
                         "--methods", "rtrl")
    assert status == 1
    assert out.splitlines()[-1].startswith("METHODS DISAGREE (relative tolerance 1e-300")


@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_compare_gated_cells_with_cross_entropy(capsys, cell):
    status, out, _ = run(capsys, "compare", "--cell", cell, "--steps", "3", "--batch", "2",
                         "--loss", "cross_entropy", "--reduction", "mean",
                         "--methods", "manual")
    assert status == 0, out
    assert f"{cell.upper()}(input=3" in out


def test_render_writes_an_unrolled_svg(capsys, tmp_path):
    path = tmp_path / "rnn.svg"
    status, out, _ = run(capsys, "render", "--steps", "3", "-o", str(path))
    assert status == 0
    assert out.strip() == f"wrote {path}"
    assert path.read_text().lstrip().startswith(("<?xml", "<svg"))


def test_render_folded_and_cells_views(capsys, tmp_path):
    folded = tmp_path / "folded.svg"
    cells = tmp_path / "cells.svg"
    assert run(capsys, "render", "--view", "folded", "--cell", "gru", "-o", str(folded))[0] == 0
    assert run(capsys, "render", "--cell", "lstm", "--steps", "12", "--detail", "cells",
               "--heat", "-o", str(cells))[0] == 0
    assert folded.stat().st_size > 0 and cells.stat().st_size > 0


def test_render_draws_the_requested_number_of_steps(capsys, tmp_path, monkeypatch):
    import viz
    drawn = {}
    real_save = viz.save

    def keep(graph, path, **kw):
        drawn["graph"] = graph
        return real_save(graph, path, **kw)

    monkeypatch.setattr(viz, "save", keep)
    run(capsys, "render", "--steps", "5", "--detail", "cells", "--no-elide",
        "-o", str(tmp_path / "x.svg"))
    clusters = parse(drawn["graph"].source).clusters()
    assert [c.name for c in clusters] == [f"cluster_t{t}" for t in range(1, 6)]


def test_train_chars_samples_text(capsys):
    argv = ("train", "--task", "chars", "--hidden", "8", "--k1", "10", "--updates", "2",
            "--sample", "30", "--optimizer", "adagrad", "--lr", "0.1")
    status, out, _ = run(capsys, *argv)
    assert status == 0
    header, losses, sampled = out.split("\n", 2)       # the sample may hold newlines
    assert header == ("training a RNN (8 hidden units) on 'chars' with TBPTT(k1=10, k2=10), "
                      "adagrad lr=0.1, clip=5.0")
    first, last = map(float, re.fullmatch(
        r"loss: (\d+\.\d{4}) at the start, (\d+\.\d{4}) at the end "
        r"\(mean of the last 10 of 2 updates\); baseline \d\.\d{4} \(each character's "
        r"frequency in the text\)", losses).groups())
    task = rnn.tasks.CharText()
    # Small random weights guess nearly uniformly: log(vocabulary) nats per character.
    assert first == pytest.approx(math.log(len(task.chars)), abs=0.05)
    assert last < first
    # The prime character, then 30 drawn from the vocabulary; the seed fixes them.
    sampled = sampled.removesuffix("\n")
    assert len(sampled) == 31 and sampled[0] == task.text[0]
    assert set(sampled) <= set(task.chars) and len(set(sampled)) > 3
    assert run(capsys, *argv)[1] == out


def test_docs_writes_the_readme_images(capsys, tmp_path):
    status, out, _ = run(capsys, "docs", "--out", str(tmp_path))
    assert status == 0
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == sorted(f"{stem}.svg" for stem in (
        "unrolled", "unrolled_cells", "folded", "gradient_heat", "gradient_flow",
        "truncation", "truncation_graph"))


def test_demo_runs_end_to_end(capsys, tmp_path):
    status, out, _ = run(capsys, "demo", "--fast", "--out", str(tmp_path))
    assert status == 0
    assert "all methods agree" in out
    assert (tmp_path / "unrolled.svg").exists() and (tmp_path / "unrolled.png").exists()
    frames = sorted((tmp_path / "backward_frames").iterdir())
    assert frames and all(f.suffix == ".png" for f in frames)


def test_python_dash_m_and_console_script_agree():
    # The installed entry point and `python -m bptt_cli` are the same program.
    done = subprocess.run([sys.executable, "-m", "bptt_cli", "compare", "--steps", "2",
                           "--methods", "manual"], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "all methods agree" in done.stdout


def test_parser_defaults_are_sane():
    args = build_parser().parse_args(["train"])
    assert (args.task, args.cell, args.k1, args.k2) == ("sine", "rnn", None, None)


def test_render_without_graphviz_says_how_to_install_it(capsys, tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))            # no `dot` anywhere on the PATH
    status, _, err = run(capsys, "render", "-o", str(tmp_path / "x.svg"))
    assert status == 1
    assert "'dot' program was not found" in err and "apt-get install graphviz" in err
    assert not (tmp_path / "x.svg").exists()
