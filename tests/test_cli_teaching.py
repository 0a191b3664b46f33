"""The command line shows the teaching demos (issue 13, section 7).

`bptt render` makes the vanishing-gradient figure without Python, an option
that does not apply is refused (status 2, one line) instead of ignored, and
`bptt train` shows each task's trivial baseline, uses the optimizer's own
learning rate and counts --updates as updates.
"""

import doctest
import re

import numpy as np
import pytest

import rnn
import bptt_cli.main
from bptt_cli.main import OPTIMIZERS
from cli_run import refusal, run
from figure_checks import assert_drawn, read_png, read_svg


def test_the_cli_module_examples_run():
    failed, attempted = doctest.testmod(bptt_cli.main, optionflags=doctest.ELLIPSIS)
    assert attempted > 0 and failed == 0


@pytest.fixture
def bptt_calls(monkeypatch):
    """What `bptt render` hands to rnn.bptt: the model (as it was then) and the mask."""
    calls = []
    real = rnn.bptt

    def spy(model, xs, ys, **kw):
        calls.append({"model": model, "W": model.W.data.copy(),
                      "b": None if model.b is None else model.b.data.copy(),
                      "mask": kw.get("mask"), "T": len(xs)})
        return real(model, xs, ys, **kw)

    monkeypatch.setattr(rnn, "bptt", spy)
    return calls


@pytest.fixture
def saved(monkeypatch):
    """The graphs `bptt render` saves."""
    import viz
    graphs = []
    real = viz.save

    def keep(graph, path, **kw):
        graphs.append(graph)
        return real(graph, path, **kw)

    monkeypatch.setattr(viz, "save", keep)
    return graphs


def test_render_makes_the_vanishing_gradient_figure(capsys, tmp_path, bptt_calls, saved):
    path = tmp_path / "vanishing.svg"
    status, out, err = run(capsys, "render", "--steps", "8", "--hidden", "8", "--radius", "0.5",
                           "--loss-at", "last", "--detail", "cells", "--heat", "-o", str(path))
    assert status == 0, err
    figure = read_svg(path)
    assert figure.groups["cluster"] == 8                        # one box per step
    assert figure.has("spectral radius of W = 0.5, a loss at t = 8 only")
    assert figure.has("E8") and not figure.has("E7")            # one step with a loss
    # the state gradients it shows shrink going back from t = 8: the lesson of the figure
    sizes = [float(figure.texts[figure.texts.index(f"s{t}") + 1].removeprefix("‖grad‖ "))
             for t in range(1, 9)]
    assert all(a < b for a, b in zip(sizes, sizes[1:])), sizes
    [call] = bptt_calls
    assert rnn.spectral_radius(call["W"]) == pytest.approx(0.5, rel=1e-12, abs=0)
    assert call["mask"].tolist() == [False] * 7 + [True]       # a loss at t = 8 only
    title = saved[0].source
    assert "spectral radius of W = 0.5" in title and "a loss at t = 8 only" in title


def test_the_vanishing_figure_shows_the_gradient_shrinking_back_in_time(capsys, tmp_path,
                                                                      monkeypatch):
    # What the figure colours: ||dL/ds_t||.  With radius 0.5 and E at t = T only it
    # shrinks going back; with a loss at every step it does not.
    states = {}
    real = rnn.bptt

    def keep_states(model, xs, ys, **kw):
        result = real(model, xs, ys, **kw)
        states[kw["mask"] is None] = result
        return result

    monkeypatch.setattr(rnn, "bptt", keep_states)
    for loss_at in ("last", "all"):
        assert run(capsys, "render", "--steps", "8", "--hidden", "8", "--radius", "0.5",
                   "--loss-at", loss_at, "-o", str(tmp_path / f"{loss_at}.svg"))[0] == 0
    last_only, every_step = states[False], states[True]
    norms = [np.linalg.norm(s.grad) for s in _states(last_only)]
    assert all(a < b for a, b in zip(norms, norms[1:]))          # smaller going back
    assert norms[0] < 0.05 * norms[-1]
    norms = [np.linalg.norm(s.grad) for s in _states(every_step)]
    assert norms[0] > 0.05 * norms[-1]


def _states(result):
    """s_1..s_T of the run that `bptt render` drew, with their gradients."""
    return result.run.states


def test_render_sets_the_lstm_forget_gate_bias(capsys, tmp_path, bptt_calls, saved):
    status, _, err = run(capsys, "render", "--cell", "lstm", "--steps", "4", "--hidden", "3",
                         "--forget-bias", "2.5", "--loss-at", "last", "--detail", "cells",
                         "-o", str(tmp_path / "lstm.svg"))
    assert status == 0, err
    b = bptt_calls[0]["b"]
    assert b[3:6].tolist() == [2.5, 2.5, 2.5]                     # rows i, f, g, o: f
    assert not np.any(b[:3] == 2.5) and not np.any(b[6:] == 2.5)   # the other gates untouched
    assert "forget-gate bias b_f = 2.5" in saved[0].source


@pytest.mark.parametrize("argv, names", [
    (["render", "--view", "folded", "--heat"], "--heat"),
    (["render", "--view", "folded", "--steps", "4"], "--steps"),
    (["render", "--view", "folded", "--batch", "2"], "--batch"),
    (["render", "--view", "folded", "--seed", "3"], "--seed"),
    (["render", "--view", "folded", "--seed", "0"], "--seed"),          # 0 is given too
    (["render", "--view", "folded", "--detail", "cells"], "--detail"),
    (["render", "--view", "folded", "--direction", "TB"], "--direction"),
    (["render", "--view", "folded", "--no-elide"], "--no-elide"),
    (["render", "--view", "folded", "--loss-at", "last"], "--loss-at"),
    (["render", "--view", "folded", "--detail", "ops", "--heat"], "--detail, --heat"),
    (["render", "--cell", "lstm", "--radius", "0.5"], "--radius"),
    (["render", "--cell", "gru", "--radius", "0.5"], "--radius"),
    (["render", "--forget-bias", "1"], "--forget-bias"),
    (["render", "--forget-bias", "0"], "--forget-bias"),
    (["render", "--cell", "gru", "--forget-bias", "1"], "--forget-bias"),
    (["render", "--view", "folded", "--values"], "--values"),
    (["render", "--view", "folded", "--no-grads", "--no-labels"], "--no-grads, --no-labels"),
    (["render", "--no-grads", "--heat"], "--heat"),
    (["render", "--no-grads", "--values"], "--values"),
    (["render", "--style", "projector"], "invalid choice: 'projector'"),
    (["compare", "--methods", "numeric", "--tol", "1e-3"], "--tol"),
    (["train", "--task", "sine", "--k2", "31"], "--k2 31"),
    (["train", "--task", "adding", "--sample", "5"], "--sample"),
    (["train", "--sample", "-1"], "--sample"),
    (["train", "--steps", "5"], "--steps"),           # train counts --updates, not steps
    (["train", "--optimizer", "lbfgs"], "lbfgs"),
    (["train", "--task", "chars", "--temperature", "0.5"], "--temperature"),
])
def test_an_option_that_does_not_apply_is_refused(capsys, tmp_path, monkeypatch, argv, names):
    monkeypatch.chdir(tmp_path)
    out, err = refusal(capsys, *argv)
    assert names in err
    assert out == "" and not any(tmp_path.iterdir())             # nothing drawn or written


def test_the_same_options_apply_where_they_belong(capsys, tmp_path):
    # The refusals above are about the combination, not the option itself.
    for argv in (["render", "--steps", "3", "--heat", "--direction", "TB", "--no-elide",
                  "--batch", "2", "--seed", "1"],
                 ["render", "--steps", "3", "--radius", "1.5", "--loss-at", "last"],
                 ["render", "--view", "folded", "--cell", "lstm", "--hidden", "3"]):
        assert run(capsys, *argv, "-o", str(tmp_path / "x.svg"))[0] == 0, argv
    status, out, _ = run(capsys, "compare", "--steps", "3", "--methods", "manual",
                         "--tol", "1e-9")
    assert status == 0 and "relative tolerance 1e-09" in out


@pytest.fixture
def draw_calls(monkeypatch):
    """The keyword arguments `bptt render` gives viz.draw_unrolled and viz.draw_folded."""
    import viz
    calls = []
    for name in ("draw_unrolled", "draw_folded"):
        real = getattr(viz, name)

        def spy(*args, _real=real, _name=name, **kw):
            calls.append((_name, kw))
            return _real(*args, **kw)

        monkeypatch.setattr(viz, name, spy)
    return calls


def test_render_passes_style_values_grads_and_labels_to_the_drawing(capsys, tmp_path,
                                                                   draw_calls, saved):
    out = str(tmp_path / "x.svg")
    assert run(capsys, "render", "--steps", "2", "--hidden", "1", "--values", "-o", out)[0] == 0
    assert run(capsys, "render", "--steps", "9", "--style", "slides", "--no-grads",
               "--no-labels", "-o", out)[0] == 0
    assert run(capsys, "render", "--view", "folded", "--style", "slides", "-o", out)[0] == 0
    (_, values), (_, bare), (folded, kw) = draw_calls
    assert values["values"] and values["grads"] and values["style"] == "notebook"
    assert (bare["style"], bare["grads"], bare["contributions"], bare["labels"],
            bare["values"]) == ("slides", False, False, False, False)
    assert "dL/d" not in saved[1].source and not re.search(r"W \d", saved[1].source)
    assert folded == "draw_folded" and kw["style"] == "slides"
    # --values records the forward values, so the figure shows s1's own signed number
    lines = saved[0].texts()
    at = lines.index("s1 = tanh(a1)")
    assert lines[at + 1] == "(1,)" and re.fullmatch(r"= −?\d[\d.]*", lines[at + 2])
    assert run(capsys, "render", "--steps", "2", "--hidden", "1", "-o", out)[0] == 0
    lines = saved[3].texts()
    at = lines.index("s1 = tanh(a1)")
    assert not lines[at + 2].startswith("= ")                      # not asked for


@pytest.fixture
def train_calls(monkeypatch):
    """The optimizer and the number of updates of each `bptt train` run."""
    calls = []
    real = rnn.train

    def spy(model, task, optimizer, **kw):
        result = real(model, task, optimizer, **kw)
        calls.append({"optimizer": optimizer, "task": task, "losses": result.losses,
                      "hidden": model.hidden_size})
        return result

    monkeypatch.setattr(rnn, "train", spy)
    return calls


LOSS_LINE = re.compile(r"loss: (\d+\.\d{4}) at the start, (\d+\.\d{4}) at the end "
                       r"\(mean of the last 10 of (\d+) updates\); "
                       r"baseline (\d+\.\d{4}) \((.+)\)")


@pytest.mark.parametrize("task, baseline, rule", [
    ("sine", "0.0719", "repeat the current value, y_t = x_t"),
    ("adding", "0.1667", "predict 1, the expected sum"),
    ("copy", "0.3781", "blanks, then a uniform guess at each symbol"),
    ("chars", None, "each character's frequency in the text"),
])
def test_train_prints_the_baseline_next_to_the_loss(capsys, task, baseline, rule):
    status, out, err = run(capsys, "train", "--task", task, "--updates", "3", "--hidden", "4")
    assert status == 0, err
    line = out.splitlines()[1]
    match = LOSS_LINE.fullmatch(line)
    assert match, line
    assert match[3] == "3" and match[5] == rule
    expected = rnn.tasks.TASKS[task]().baseline
    assert float(match[4]) == pytest.approx(expected, abs=5e-5)
    if baseline is not None:
        assert match[4] == baseline
    if task == "adding":
        assert float(match[4]) == pytest.approx(1 / 6, abs=5e-5)


@pytest.mark.parametrize("optimizer", OPTIMIZERS)
def test_each_optimizer_gets_its_own_learning_rate(capsys, train_calls, optimizer):
    status, out, _ = run(capsys, "train", "--task", "chars", "--optimizer", optimizer,
                         "--updates", "2", "--hidden", "4")
    assert status == 0
    used = train_calls[0]["optimizer"]
    names = {"adam": "Adam", "adamw": "AdamW", "rmsprop": "RMSprop", "adagrad": "Adagrad",
             "sgd": "SGD"}
    assert type(used).__name__ == names[optimizer]
    assert used.lr == rnn.tasks.CharText().learning_rate(optimizer)
    assert f"{optimizer} lr={used.lr:g}," in out.splitlines()[0]


def test_the_cli_offers_every_optimizer_a_task_has_a_rate_for():
    assert set(OPTIMIZERS) == set(rnn.tasks.OPTIMIZERS)
    for task in rnn.tasks.TASKS.values():
        assert set(task.learning_rates) == set(OPTIMIZERS) and task.optimizer in OPTIMIZERS


def test_adagrad_on_text_does_not_keep_adams_rate(capsys, train_calls):
    run(capsys, "train", "--task", "chars", "--optimizer", "adagrad", "--updates", "1",
        "--hidden", "4")
    run(capsys, "train", "--task", "chars", "--optimizer", "adam", "--updates", "1",
        "--hidden", "4")
    adagrad, adam = (call["optimizer"].lr for call in train_calls)
    assert adagrad == 0.1 and adam != adagrad


def test_an_explicit_lr_wins(capsys, train_calls):
    run(capsys, "train", "--task", "sine", "--optimizer", "sgd", "--lr", "0.25",
        "--updates", "1", "--hidden", "4")
    assert train_calls[0]["optimizer"].lr == 0.25


@pytest.mark.parametrize("task, k1, updates", [
    ("sine", None, 4),        # one update per sequence
    ("sine", 10, 7),          # three per sequence: the third sequence is cut after one
    ("adding", 5, 3),         # only the last block of each sequence is scored: one update each
    ("chars", 10, 5),
])
def test_updates_counts_updates(capsys, train_calls, task, k1, updates):
    argv = ["train", "--task", task, "--updates", str(updates), "--hidden", "4"]
    if k1:
        argv += ["--k1", str(k1)]
    status, out, _ = run(capsys, *argv)
    assert status == 0
    assert len(train_calls[0]["losses"]) == updates
    assert f"of {updates} updates)" in out


def test_train_defaults_come_from_the_task(capsys, train_calls):
    run(capsys, "train", "--task", "copy", "--updates", "1")
    task = rnn.tasks.CopyMemory()
    assert train_calls[0]["hidden"] == task.hidden_size
    assert task.optimizer == "rmsprop"            # Adam stalls on copy; see CopyMemory
    assert type(train_calls[0]["optimizer"]).__name__ == "RMSprop"
    assert train_calls[0]["optimizer"].lr == task.learning_rate("rmsprop")
    help_text = run(capsys, "train", "--help")[1]          # the defaults are listed
    assert "copy    baseline 0.3781: blanks, then a uniform guess" in help_text
    assert "16 hidden units, 1500 updates, rmsprop; lr adam 0.03," in help_text


def test_the_loss_plot_draws_the_baseline(capsys, tmp_path, monkeypatch):
    pytest.importorskip("matplotlib")
    from matplotlib.figure import Figure
    figures = []
    real = Figure.savefig

    def keep(fig, *args, **kw):
        figures.append(fig)
        return real(fig, *args, **kw)

    monkeypatch.setattr(Figure, "savefig", keep)
    path = tmp_path / "loss.png"
    status, out, _ = run(capsys, "train", "--task", "adding", "--updates", "25", "--hidden", "4",
                         "--plot", str(path))
    assert status == 0
    pixels = read_png(path)                                     # the figure, as saved
    assert_drawn(pixels, min_size=(200, 300))
    width, height = figures[0].get_size_inches() * figures[0].dpi    # trimmed to its ink
    assert 0.8 * height <= pixels.shape[0] <= height and 0.8 * width <= pixels.shape[1] <= width
    [ax] = figures[0].axes
    flat = [line for line in ax.get_lines() if len(set(line.get_ydata())) == 1]
    assert len(flat) == 1
    assert flat[0].get_ydata()[0] == pytest.approx(1 / 6)
    assert "predict 1" in flat[0].get_label()
    assert "predict 1" in [t.get_text() for t in ax.get_legend().get_texts()][-1]


README = __import__("pathlib").Path(__file__).resolve().parents[1] / "README.md"


def _readme_commands():
    """Every `bptt ...` command line in the README's code blocks, without its comment."""
    import shlex
    lines, in_code = [], False
    for line in README.read_text(encoding="utf-8").splitlines():
        if line.startswith("```"):
            in_code = not in_code
        elif in_code:
            lines.append(line.split("#")[0].strip().removeprefix("$ "))
    return [shlex.split(line) for line in lines if line.startswith((".venv/bin/bptt ", "bptt "))]


def test_the_readme_commands_run_as_written_up_to_their_work(monkeypatch):
    # Each README command parses, and none uses an option its command would refuse.
    commands = _readme_commands()
    assert len(commands) >= 6
    # shown with the path that works before `source .venv/bin/activate`
    assert {program for program, *_ in commands} == {".venv/bin/bptt"}
    from bptt_cli.main import build_parser, check_render_options
    for _, *argv in commands:
        args = build_parser().parse_args(argv)
        if args.command == "render":
            check_render_options(args)


def test_the_readme_names_and_links_its_three_sources():
    text = README.read_text(encoding="utf-8")
    sources = text[text.index("## Sources"):]
    for link in ("https://en.wikipedia.org/wiki/Backpropagation_through_time",
                 "https://www.techleer.com/articles/185-backpropagation-through-time-",
                 "https://www.futurelearn.com/courses/an-introduction-to-machine-learning-"):
        assert link in sources
    for name in ("encyclopedia article", "TBPTT(k1, k2) tutorial", "course notes"):
        assert f"**The {name}**" in sources
    assert "source .venv/bin/activate" in text
