"""The ``bptt`` command: render, compare, train, demo, docs, explore, lecture.

Every subcommand has ``--help`` with examples.  A bad argument prints one
line and exits with status 2; a failed check (``compare``) exits with 1.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

EXIT_BAD_ARGUMENTS = 2

CELLS = ("rnn", "lstm", "gru")


class UsageError(Exception):
    """A bad argument found after parsing; reported like argparse's own errors."""


class _Parser(argparse.ArgumentParser):
    """argparse, but a bad argument is one line (and status 2), never a usage dump."""

    def error(self, message):
        self.exit(EXIT_BAD_ARGUMENTS, f"{self.prog}: error: {message} "
                                      f"(see '{self.prog} --help')\n")


def _whole_number(minimum, wording):
    """An argparse type: an int of at least ``minimum``."""
    def parse(text):
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be {wording}, got {value}")
        return value
    return parse


_positive_int = _whole_number(1, "at least 1")
_nonnegative_int = _whole_number(0, "0 or more")


def _positive_float(text):
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be greater than 0, got {text}")
    return value


def _number(text):
    try:
        return float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None


def _model_options(parser, steps=6, hidden=4, unset=False):
    """--cell, --steps, --batch, --hidden, --seed.  With ``unset``, the defaults are
    None (filled in by ``_fill_defaults``), so that a command can tell an option
    given on the command line from its default."""
    def default(value):
        return None if unset else value
    parser.add_argument("--cell", choices=CELLS, default="rnn", help="the recurrent cell")
    parser.add_argument("--steps", type=_positive_int, default=default(steps),
                        help=f"time steps T (default {steps})")
    parser.add_argument("--batch", type=_positive_int, default=default(1),
                        help="sequences in a batch (default 1)")
    parser.add_argument("--hidden", type=_positive_int, default=hidden, help="hidden units H")
    parser.add_argument("--seed", type=_nonnegative_int, default=default(0),
                        help="random seed for weights and data, 0 or more (default 0)")


def _fill_defaults(args, defaults):
    """Set every option that was not given (None) to its default."""
    for name, value in defaults.items():
        if getattr(args, name) is None:
            setattr(args, name, value)


def _refuse(args, names, reason):
    """UsageError if any of the options ``names`` (dest names) was given: it does not apply."""
    # `is`, not ==: --seed 0 and --forget-bias 0 are given too (0 == False)
    given = [name for name in names
             if getattr(args, name) is not None and getattr(args, name) is not False]
    if given:
        flags = ", ".join("--" + name.replace("_", "-") for name in given)
        raise UsageError(f"{flags} {'does' if len(given) == 1 else 'do'} not apply {reason}")


def _subcommand(commands, name, help, description, examples):
    """One subcommand whose --help ends with its examples, one per line."""
    heading = "example" if len(examples) == 1 else "examples"
    return commands.add_parser(
        name, help=help, description=description,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=f"{heading}:\n" + "\n".join(f"  {line}" for line in examples))


TASK_NAMES = ("sine", "adding", "copy", "chars", "echo")
OPTIMIZERS = ("adam", "adamw", "rmsprop", "adagrad", "sgd")


def _task_defaults():
    """One line per task for ``bptt train --help``: its defaults and its baseline."""
    from rnn.tasks import TASKS
    lines = []
    for name in TASK_NAMES:
        task = TASKS[name]()
        rates = ", ".join(f"{opt} {task.learning_rate(opt):g}" for opt in OPTIMIZERS)
        lines += [f"{name:6s}  baseline {task.baseline:.4f}: {task.baseline_rule}",
                  f"        {task.hidden_size} hidden units, {task.updates} updates, "
                  f"{task.optimizer}; lr {rates}"]
    return lines


def build_parser():
    parser = _Parser(
        prog="bptt",
        description="Backpropagation through time, by hand and by autograd, drawn unrolled.",
        epilog="Run 'bptt <command> --help' for the examples of each command.")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser,
                                     metavar="{render,compare,train,demo,docs,explore,"
                                             "lecture}")

    render = _subcommand(
        commands, "render", help="draw an unrolled (or folded) network to a file",
        description="Draw a network unrolled in time, after one backward pass.\n"
                    "Options that apply to one view or cell only (--heat and the other\n"
                    "unrolled-view options, --radius for --cell rnn, --forget-bias for\n"
                    "--cell lstm) are refused elsewhere, with status 2.",
        examples=["bptt render -o out/rnn.svg",
                  "bptt render --cell lstm --steps 4 --detail cells -o out/lstm.png",
                  "bptt render --steps 40 --heat --detail cells -o out/heat.svg",
                  "bptt render --view folded --cell gru -o out/gru_folded.pdf",
                  "# vanishing gradients (the README's figure): W scaled to spectral radius 0.5,",
                  "# a loss at the last step only, gradient sizes as colours",
                  "bptt render --steps 8 --hidden 8 --radius 0.5 --loss-at last --detail cells "
                  "--heat -o out/vanishing.svg",
                  "# an LSTM whose forget gates start open keeps its gradient far longer",
                  "bptt render --cell lstm --steps 8 --forget-bias 3 --loss-at last "
                  "--detail cells --heat -o out/lstm_heat.svg"])
    _model_options(render, unset=True)
    render.add_argument("--view", choices=("unrolled", "folded"), default="unrolled")
    render.add_argument("--detail", choices=("ops", "cells"), default=None,
                        help="every op, or one box per time step (default ops)")
    render.add_argument("--direction", choices=("LR", "TB"), default=None,
                        help="time left to right, or top to bottom (default LR)")
    render.add_argument("--heat", action="store_true", help="colour by gradient size")
    render.add_argument("--no-elide", action="store_true",
                        help="draw every step, however many")
    render.add_argument("--radius", type=_positive_float, default=None, metavar="R",
                        help="--cell rnn: scale W so that its spectral radius is R "
                             "(below 1 gradients vanish, above 1 they can explode)")
    render.add_argument("--loss-at", choices=("all", "last"), default=None,
                        help="a loss at every step (default), or at the last step only, "
                             "so that every gradient comes from t = T")
    render.add_argument("--forget-bias", type=_number, default=None, metavar="F",
                        help="--cell lstm: set the forget gate's bias b_f to F (PyTorch "
                             "starts it near 0; 1 or more keeps c_t, and its gradient, alive)")
    render.add_argument("--style", choices=("notebook", "slides"), default="notebook",
                        help="notebook (compact), or slides: 16:9, every text at least 14 px "
                             "high projected 1920 px wide, steps elided to fit")
    render.add_argument("--values", action="store_true",
                        help="show the values and gradients themselves (signed numbers for "
                             "tensors of up to 4 elements: try --hidden 1)")
    render.add_argument("--no-grads", action="store_true",
                        help="no gradients at all: a bare structural figure")
    render.add_argument("--no-labels", action="store_true",
                        help="no numbers on the edges, only the parameters' names")
    render.add_argument("-o", "--output", default="out/unrolled.svg",
                        help="the file to write: .svg, .png or .pdf")

    compare = _subcommand(
        commands, "compare", help="the same gradients four ways, as a table",
        description="Compute dL/dp for every parameter by autograd, the hand-written "
                    "backward recursion, RTRL (vanilla RNN) and finite differences, and "
                    "compare. Exits with status 1 if they disagree beyond the tolerance.",
        examples=["bptt compare",
                  "bptt compare --cell gru --steps 10 --loss cross_entropy --reduction mean",
                  "bptt compare --steps 50 --methods manual,rtrl --tol 1e-12",
                  "bptt compare --online",
                  "bptt compare --online rtrl,uoro --cell lstm --seeds 16"])
    _model_options(compare)
    compare.add_argument("--loss", choices=("mse", "cross_entropy"), default="mse")
    compare.add_argument("--reduction", choices=("sum", "mean"), default="sum")
    compare.add_argument("--methods", default=None,
                         help="comma-separated: manual, rtrl, numeric (default: all that apply)")
    compare.add_argument("--tol", type=_positive_float, default=None,
                         help="largest relative error allowed for the exact methods, "
                              "manual and rtrl (default 1e-10)")
    compare.add_argument("--online", nargs="?", const="rtrl,uoro,kf-rtrl,snap-1,rflo,tbptt-4",
                         default=None, metavar="RULES",
                         help="instead, compare online learning rules with exact BPTT: "
                              "alignment, bias and spread over seeds (default rules: "
                              "rtrl,uoro,kf-rtrl,snap-1,rflo,tbptt-4; gated cells: rtrl,uoro)")
    compare.add_argument("--seeds", type=int, default=None,
                         help="--online: seeds for the stochastic rules (default 8)")

    train = _subcommand(
        commands, "train", help="train on a small task with truncated BPTT",
        description="Train a network with TBPTT(k1, k2), showing a progress bar, and print "
                    "the loss next to the task's trivial baseline: the loss of a predictor "
                    "with no memory, which the network must beat to have learned anything. "
                    "Each task has its own defaults (hidden units, updates, and a learning "
                    "rate for each optimizer), listed below.",
        examples=["bptt train --task sine",
                  "bptt train --task chars --optimizer adagrad --sample 300",
                  "bptt train --task adding --cell gru --optimizer rmsprop --clip 1",
                  "bptt train --task sine --k1 5 --k2 10 --plot out/loss.png",
                  "bptt train --task echo --k1 2 --k2 2    (the window misses lag 3: stalls)",
                  "bptt train --task echo --k1 2 --k2 8 --plot out/echo.png"] +
                 ["", "each task's trivial baseline and defaults:"] +
                 _task_defaults())
    train.add_argument("--task", choices=TASK_NAMES, default="sine")
    train.add_argument("--cell", choices=CELLS, default="rnn")
    train.add_argument("--hidden", type=_positive_int, default=None,
                       help="hidden units (default: the task's)")
    train.add_argument("--k1", type=_positive_int, default=None,
                       help="steps between updates (default: the sequence length)")
    train.add_argument("--k2", type=_positive_int, default=None,
                       help="steps to back-propagate through (default: k1)")
    train.add_argument("--optimizer", choices=OPTIMIZERS, default=None,
                       help="default: the task's (adam, or rmsprop for copy)")
    train.add_argument("--lr", type=_positive_float, default=None,
                       help="learning rate (default: the task's rate for this optimizer)")
    train.add_argument("--clip", type=_positive_float, default=5.0,
                       help="gradient-norm clipping threshold")
    train.add_argument("--updates", type=_positive_int, default=None, metavar="N",
                       help="optimizer updates to make (default: the task's); with k1 "
                            "shorter than a sequence, one sequence makes several")
    train.add_argument("--steps", default=None, help=argparse.SUPPRESS)  # see cmd_train
    train.add_argument("--seed", type=_nonnegative_int, default=0,
                       help="random seed for weights and data, 0 or more (default 0)")
    train.add_argument("--sample", type=_nonnegative_int, default=0, metavar="N",
                       help="for --task chars: print N sampled characters afterwards")
    train.add_argument("--temperature", type=_positive_float, default=None, metavar="T",
                       help="with --sample: draw from softmax(o_t / T) (default 0.5; "
                            "1 is the model's own distribution, lower is more cautious)")
    train.add_argument("--plot", default=None, metavar="FILE",
                       help="save the loss curve, with the baseline as a line (needs "
                            "matplotlib: pip install 'minigrad-bptt[plot]')")

    demo = _subcommand(
        commands, "demo", help="the main job: compare, train, draw, list the files",
        description="Unroll a small RNN, print the gradient comparison, train it briefly "
                    "with truncated BPTT, and write the drawings.",
        examples=["bptt demo", "bptt demo --out /tmp/bptt --fast"])
    demo.add_argument("--out", default="out", help="folder for the files")
    demo.add_argument("--fast", action="store_true", help="train for a few updates only")

    docs = _subcommand(
        commands, "docs", help="regenerate the README's images",
        description="Write the images the README shows.",
        examples=["bptt docs --out docs"])
    docs.add_argument("--out", default="docs", help="folder for the images")

    explore = _subcommand(
        commands, "explore", help="an HTML page that steps through the backward pass",
        description="Write one self-contained HTML page (works offline, by double click) "
                    "that steps through the reverse walk over an unrolled network: the "
                    "chain-rule step at each node, the gradients on the edges, and each "
                    "shared parameter collecting one term per copy t.",
        examples=["bptt explore", "bptt explore --cell lstm --steps 4 -o out/lstm.html",
                  "bptt explore --present -o out/projector.html",
                  "bptt explore --steps 50 --no-elide -o out/explore50.html",
                  "bptt explore --steps 5 --hidden 3 --screenshot docs/explore.png"])
    _model_options(explore, steps=6, hidden=3)
    explore.add_argument("--detail", choices=("ops", "cells"), default="ops",
                         help="the view shown first (both are in the page; default ops)")
    explore.add_argument("--no-elide", action="store_true",
                         help="draw every step, however many")
    explore.add_argument("--present", action="store_true",
                         help="open in presenter mode: large text for a projector (the page's "
                              "P key toggles it)")
    explore.add_argument("--order", choices=("time", "engine"), default="time",
                         help="the walk's order: back in time step by step, as a textbook "
                              "teaches it (default), or the engine's, newest node first")
    explore.add_argument("-o", "--output", default="out/explore.html",
                         help="the .html file to write")
    explore.add_argument("--screenshot", default=None, metavar="PNG",
                         help="also save a picture of the page in headless Chromium "
                              "(needs selenium, chromium and chromedriver)")
    explore.add_argument("--at", type=int, default=None, metavar="K",
                         help="with --screenshot: the walk step shown (default: half way)")
    lecture = _subcommand(
        commands, "lecture", help="the lecture's slide deck: one offline HTML file",
        description="Build the 50-minute BPTT lecture as one self-contained HTML slide deck "
                    "(works offline, by double click): 20 slides from the library's own "
                    "figures, every number computed now with a fixed seed, speaker notes on "
                    "every slide. In the page: arrow keys, PageUp/PageDown and space move, "
                    "N shows the notes, F goes full screen, Home/End; #5 in the address "
                    "opens slide 5. --cell, --steps, --hidden and --seed rebuild the main "
                    "slides (the folded network, unfolding, the sum over copies, the "
                    "explorer) for your own sizes.",
        examples=["bptt lecture", "bptt lecture --cell lstm -o out/lstm_lecture.html",
                  "bptt lecture --steps 5 --hidden 4 --seed 1",
                  "bptt lecture --pdf out/lecture.pdf    (one 16:9 page per slide, "
                  "through headless Chromium)"])
    lecture.add_argument("--cell", type=str.upper, choices=("RNN", "LSTM", "GRU"),
                         default="RNN", help="the main slides' cell: RNN, LSTM or GRU "
                                             "(either case; default RNN)")
    lecture.add_argument("--steps", type=_whole_in(*LECTURE_STEPS), default=None,
                         help="T of the main unrolled slides, %d to %d (default: 6 for "
                              "unfolding, 4 for the op-level slide and the explorer)"
                              % LECTURE_STEPS)
    lecture.add_argument("--hidden", type=_whole_in(*LECTURE_HIDDEN), default=3,
                         help="hidden units H of the main model, %d to %d (default 3)"
                              % LECTURE_HIDDEN)
    lecture.add_argument("--seed", type=_nonnegative_int, default=0,
                         help="random seed for weights and data, 0 or more (default 0)")
    lecture.add_argument("-o", "--output", default="out/lecture.html",
                         help="the .html file to write (default out/lecture.html)")
    lecture.add_argument("--pdf", default=None, metavar="FILE.pdf",
                         help="also print the deck to a PDF, one 16:9 page per slide "
                              "(needs selenium, chromium and chromedriver)")
    return parser


def make_model(cell, input_size, hidden, output_size, seed):
    import rnn
    kind = {"rnn": rnn.RNN, "lstm": rnn.LSTM, "gru": rnn.GRU}[cell]
    return kind(input_size, hidden, output_size, rng=seed)


def example_data(steps, batch, input_size, output_size, loss, seed):
    import numpy as np
    rng = np.random.default_rng(seed + 1)
    shape = (steps, batch) if batch > 1 else (steps,)
    xs = rng.normal(size=shape + (input_size,))
    ys = rng.normal(size=shape + (output_size,)) if loss == "mse" else \
        rng.integers(0, output_size, shape)
    return xs, ys


RENDER_UNROLLED_OPTIONS = ("steps", "batch", "seed", "detail", "direction", "heat",
                           "no_elide", "loss_at", "radius", "forget_bias", "values",
                           "no_grads", "no_labels")


def check_render_options(args):
    """Refuse, with a UsageError, an option that does not apply to the drawing asked for;
    then fill in the defaults of the others.

    >>> args = build_parser().parse_args(["render", "--view", "folded", "--heat"])
    >>> check_render_options(args)
    Traceback (most recent call last):
    bptt_cli.main.UsageError: --heat does not apply to --view folded, which draws ...
    >>> args = build_parser().parse_args(["render", "--heat"])
    >>> check_render_options(args); args.steps, args.detail, args.loss_at
    (6, 'ops', 'all')
    """
    if args.view == "folded":
        _refuse(args, RENDER_UNROLLED_OPTIONS,
                "to --view folded, which draws the cell's structure once, with no time "
                "steps, data or gradients; drop them or use --view unrolled")
    if args.cell != "rnn":
        _refuse(args, ["radius"], f"to --cell {args.cell}: a gated cell's W is "
                f"{ {'lstm': 4, 'gru': 3}[args.cell]}H x H and has no spectral radius; "
                f"use --cell rnn")
    if args.cell != "lstm":
        _refuse(args, ["forget_bias"], f"to --cell {args.cell}: only an LSTM has a forget "
                f"gate; use --cell lstm")
    if args.no_grads:
        _refuse(args, ["heat", "values"], "with --no-grads: they show gradients (--values "
                "shows each tensor's value with its gradient)")
    _fill_defaults(args, {"steps": 6, "batch": 1, "seed": 0, "detail": "ops",
                          "direction": "LR", "loss_at": "all"})


def vanishing_setup(model, radius=None, forget_bias=None):
    """Scale a vanilla RNN's W to spectral radius ``radius``; set an LSTM's forget bias.

    Returns the settings as words for the figure's title.

    >>> import rnn
    >>> model = rnn.RNN(2, 4, 2, rng=0)
    >>> vanishing_setup(model, radius=0.5)
    ['spectral radius of W = 0.5']
    >>> round(rnn.spectral_radius(model.W), 12)
    0.5
    >>> lstm = rnn.LSTM(2, 3, 2, rng=0)
    >>> vanishing_setup(lstm, forget_bias=2.0), lstm.b.data[3:6].tolist()   # rows i, f, g, o
    (['forget-gate bias b_f = 2'], [2.0, 2.0, 2.0])
    """
    import rnn
    said = []
    if radius is not None:
        model.W.data = model.W.data * (radius / rnn.spectral_radius(model.W))
        said.append(f"spectral radius of W = {radius:g}")
    if forget_bias is not None:
        H = model.hidden_size
        b = model.b.data                      # PyTorch's gate order: i, f, g, o
        b[H:2 * H] = forget_bias
        model.b.data = b
        said.append(f"forget-gate bias b_f = {forget_bias:g}")
    return said


def cmd_render(args):
    import contextlib

    import numpy as np

    import minigrad as mg
    import rnn
    import viz
    check_render_options(args)
    model = make_model(args.cell, 2, args.hidden, 2, args.seed)
    if args.view == "folded":
        graph = viz.draw_folded(model, style=args.style)
    else:
        said = vanishing_setup(model, args.radius, args.forget_bias)
        xs, ys = example_data(args.steps, args.batch, 2, 2, "mse", args.seed)
        mask = None
        if args.loss_at == "last":
            mask = np.arange(args.steps) == args.steps - 1
            said.append(f"a loss at t = {args.steps} only")
        with mg.keep_values() if args.values else contextlib.nullcontext():
            result = rnn.bptt(model, xs, ys, mask=mask, contributions=True,
                              retain_grads=True)
        graph = viz.draw_unrolled(result.loss_tensor, detail=args.detail,
                                  direction=args.direction, heat=args.heat,
                                  elide=not args.no_elide, values=args.values,
                                  grads=not args.no_grads, labels=not args.no_labels,
                                  contributions=not args.no_grads, style=args.style)
        if said:                  # the drawing's own title, plus how W, b_f and E were set
            graph.graph_attr["label"] = graph.graph_attr.get("label", "") + "\n" + \
                ", ".join(said)
    print(f"wrote {viz.save(graph, args.output)}")
    return 0


def cmd_compare(args):
    import rnn
    if args.online is not None:
        return _compare_online(args, rnn)
    _refuse(args, ["seeds"], "without --online")
    methods = None if args.methods is None else [m.strip() for m in args.methods.split(",")]
    if methods is not None and not {"manual", "rtrl"} & set(methods):
        _refuse(args, ["tol"], "to --methods numeric alone: it is the tolerance of the exact "
                "methods (manual, rtrl); finite differences are held to 1e-6")
    _fill_defaults(args, {"tol": 1e-10})
    model = make_model(args.cell, 3, args.hidden, 3, args.seed)
    xs, ys = example_data(args.steps, args.batch, 3, 3, args.loss, args.seed)
    report = rnn.compare_gradients(model, xs, ys, methods=methods, loss=args.loss,
                                   reduction=args.reduction, tol=args.tol)
    print(report)
    return 0 if report.ok() else 1


def _compare_online(args, rnn):
    """bptt compare --online: each online rule's gradient against exact BPTT's."""
    _refuse(args, ["methods", "tol"], "to --online: the online rules are measured by their "
            "alignment, bias and spread, not held to a tolerance")
    rules = [r.strip() for r in args.online.split(",") if r.strip()]
    if not rules:
        raise UsageError(f"--online {args.online!r} names no rule; give rule names separated "
                         f"by commas, e.g. --online rtrl,uoro")
    if args.cell != "rnn" and not set(rules) <= {"rtrl", "uoro"}:
        raise UsageError(f"--online {args.online} with --cell {args.cell}: only rtrl and uoro "
                         f"are defined for gated cells; use --online rtrl,uoro")
    seeds = 8 if args.seeds is None else args.seeds
    if seeds < 1:
        raise UsageError(f"--seeds {seeds}: give at least 1 seed")
    model = make_model(args.cell, 3, args.hidden, 3, args.seed)
    xs, ys = example_data(args.steps, args.batch, 3, 3, args.loss, args.seed)
    try:
        report = rnn.compare_online(model, xs, ys, rules=rules, seeds=range(seeds),
                                    loss=args.loss, reduction=args.reduction)
    except (KeyError, ValueError) as err:
        raise UsageError(f"--online {args.online}: {err}") from None
    print(report)
    if not report.exact_rules:       # nothing exact to hold to BPTT: the table is the result
        return 0
    return 0 if report.ok() else 1


def cmd_train(args):
    import rnn
    if args.steps is not None:
        raise UsageError("train has no --steps: --updates N counts optimizer updates (one "
                         "sequence makes several when --k1 is shorter than it)")
    task = rnn.tasks.TASKS[args.task]()
    if args.sample and args.task != "chars":
        raise UsageError("--sample needs --task chars")
    if args.temperature is not None and not args.sample:
        raise UsageError("--temperature does not apply without --sample N (with --task chars)")
    k1 = args.k1 or task.seq_len
    k2 = args.k2 or k1
    if k1 > task.seq_len:
        raise UsageError(f"--k1 {k1} is longer than the task's sequences ({task.seq_len} "
                         f"steps); use --k1 {task.seq_len} or less")
    if k2 > task.seq_len:
        raise UsageError(f"--k2 {k2} reaches back past the start of the task's sequences "
                         f"({task.seq_len} steps), so it would act as --k2 {task.seq_len}; "
                         f"use --k2 {task.seq_len} or less")
    hidden = args.hidden or task.hidden_size
    updates = args.updates or task.updates
    model = make_model(args.cell, task.input_size, hidden, task.output_size, args.seed)
    name = args.optimizer or task.optimizer
    optimizer = task.make_optimizer(model.parameters(), name, args.lr)
    lr = optimizer.lr
    print(f"training a {args.cell.upper()} ({hidden} hidden units) on '{args.task}' with "
          f"TBPTT(k1={k1}, k2={k2}), {name} lr={lr:g}, clip={args.clip}")
    result = rnn.train(model, task, optimizer, k1=k1, k2=k2, clip=args.clip,
                       updates=updates, seed=args.seed)
    first, last = result.losses[0], sum(result.losses[-10:]) / len(result.losses[-10:])
    levels = getattr(task, "levels", None)          # the echo task's closed-form levels
    if levels:
        last = sum(result.losses[-50:]) / len(result.losses[-50:])
        print(f"loss: {first:.4f} at the start, {last:.4f} at the end (mean of the last 50 of "
              f"{len(result.losses)} updates); closed-form levels: " +
              ", ".join(f"{name} {value:.4f}" for name, value in levels.items()))
        print(_echo_verdict(last, levels, k2))
    else:
        print(f"loss: {first:.4f} at the start, {last:.4f} at the end (mean of the last 10 of "
              f"{len(result.losses)} updates); baseline {task.baseline:.4f} "
              f"({task.baseline_rule})")
    if args.sample:
        print(rnn.tasks.sample(model, task, length=args.sample, prime=task.text[:1],
                               temperature=args.temperature or 0.5, rng=args.seed))
    if args.plot:
        from .demo import plot_losses
        title = f"{args.task}, TBPTT({k1}, {k2})"
        if levels:                                 # the echo task's three closed-form levels
            path = plot_losses(result.losses, args.plot, title, log=False,
                               levels={f"{name} {value:.3f}": value
                                       for name, value in levels.items()},
                               ylabel="cross-entropy per step (nats)")
        else:
            path = plot_losses(result.losses, args.plot, title,
                               levels={f"baseline: {task.baseline_rule}": task.baseline})
        print(f"wrote {path}" if path else "matplotlib is not installed: pip install "
              "'minigrad-bptt[plot]' for the loss curve")
    return 0


def _echo_verdict(loss, levels, k2):
    """Where the echo task's loss sits among its levels, and what the window k2 reaches."""
    reach = (f"the window k2 = {k2} reaches x_{{t-{k2 - 1}}}" if k2 > 1 else
             "the window k2 = 1 reaches x_t only")
    lags = [lag for lag in (3, 8) if k2 > lag]
    told = (f"its gradient reaches lag{'s' if len(lags) > 1 else ''} "
            f"{' and '.join(map(str, lags))}" if lags else "its gradient reaches neither lag")
    names = list(levels)                                   # from the highest level down
    if loss > levels[names[0]] - 0.01:
        where = f"at '{names[0]}' ({levels[names[0]]:.4f}) or above: nothing learnt"
    elif loss <= levels[names[-1]]:
        where = f"at '{names[-1]}' ({levels[names[-1]]:.4f}): both lags learnt"
    else:
        upper = max(i for i in range(len(names)) if loss <= levels[names[i]])
        where = (f"between '{names[upper]}' ({levels[names[upper]]:.4f}) and "
                 f"'{names[upper + 1]}' ({levels[names[upper + 1]]:.4f})")
    return f"{reach}, so {told}; the loss is {where}"


def cmd_demo(args):
    from .demo import run_demo
    return run_demo(Path(args.out), fast=args.fast)


def cmd_docs(args):
    from .demo import make_docs
    return make_docs(Path(args.out))


def cmd_explore(args):
    import minigrad as mg
    import rnn
    import viz
    if args.at is not None and args.screenshot is None:
        raise UsageError("--at K chooses the walk step shown in the picture, so it needs "
                         "--screenshot FILE.png (the page itself steps through them all)")
    if args.screenshot is not None and Path(args.screenshot).suffix.lower() != ".png":
        raise UsageError(f"--screenshot {args.screenshot}: the picture is a PNG, so the file "
                         f"name must end in .png")
    model = make_model(args.cell, 2, args.hidden, 2, args.seed)
    xs, ys = example_data(args.steps, args.batch, 2, 2, "mse", args.seed)
    with mg.keep_values():
        result = rnn.bptt(model, xs, ys, contributions=True)
    page = viz.explore(result.loss_tensor, detail=args.detail, elide=not args.no_elide,
                       present=args.present, order=args.order)
    path = page.save(args.output)
    print(f"wrote {path} ({path.stat().st_size / 1e6:.2f} MB, {page.steps} walk steps)")
    if args.screenshot:
        print(f"wrote {page.screenshot(args.screenshot, at=args.at)}")
    return 0


LECTURE_STEPS = (2, 12)      # lecture.build's limits (lecture.story.MAX_STEPS, MAX_HIDDEN)
LECTURE_HIDDEN = (1, 32)


def _whole_in(low, high):
    """An argparse type: an int from ``low`` to ``high``."""
    wording = f"from {low} to {high}"
    at_least = _whole_number(low, wording)

    def parse(text):
        value = at_least(text)
        if value > high:
            raise argparse.ArgumentTypeError(f"must be {wording}, got {value}")
        return value
    return parse


def cmd_lecture(args):
    import lecture
    if Path(args.output).suffix.lower() not in (".html", ".htm"):
        raise UsageError(f"-o {args.output}: the deck is one HTML page, so the file name must "
                         f"end in .html (e.g. -o out/lecture.html)")
    if args.pdf is not None and Path(args.pdf).suffix.lower() != ".pdf":
        raise UsageError(f"--pdf {args.pdf}: the file name must end in .pdf "
                         f"(e.g. --pdf out/lecture.pdf)")
    deck = lecture.build(cell=args.cell, steps=args.steps, hidden=args.hidden, seed=args.seed)
    path = deck.save(args.output)
    print(f"wrote {path} ({len(deck)} slides, {path.stat().st_size / 1e6:.1f} MB): open it in "
          f"a browser; → and ← move, N shows the speaker notes, F goes full screen")
    if args.pdf:
        pdf = deck.pdf(args.pdf)
        print(f"wrote {pdf} ({len(deck)} pages, 16:9)")
    return 0


def main(argv=None):
    parser = build_parser()
    args = parser.parse_args(argv)
    handlers = {"render": cmd_render, "compare": cmd_compare, "train": cmd_train,
                "demo": cmd_demo, "docs": cmd_docs, "explore": cmd_explore,
                "lecture": cmd_lecture}
    prog = f"bptt {args.command}"
    try:
        return handlers[args.command](args)
    except (UsageError, ValueError, OSError) as err:
        message = " ".join(str(err).split())           # always one line
        print(f"{prog}: error: {message}", file=sys.stderr)
        return EXIT_BAD_ARGUMENTS
    except RuntimeError as err:
        viz = sys.modules.get("viz")      # imported only by the commands that draw
        if viz is None or not isinstance(err, viz.GraphvizNotFoundError):
            raise
        print(f"{prog}: {err}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
