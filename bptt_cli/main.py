"""The ``bptt`` command: render, compare, train, demo, docs.

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


def _positive_int(text):
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def _positive_float(text):
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be greater than 0, got {text}")
    return value


def _model_options(parser, steps=6, hidden=4):
    parser.add_argument("--cell", choices=CELLS, default="rnn", help="the recurrent cell")
    parser.add_argument("--steps", type=_positive_int, default=steps, help="time steps T")
    parser.add_argument("--batch", type=_positive_int, default=1, help="sequences in a batch")
    parser.add_argument("--hidden", type=_positive_int, default=hidden, help="hidden units H")
    parser.add_argument("--seed", type=int, default=0, help="random seed for weights and data")


def _subcommand(commands, name, help, description, examples):
    """One subcommand whose --help ends with its examples, one per line."""
    heading = "example" if len(examples) == 1 else "examples"
    return commands.add_parser(
        name, help=help, description=description,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=f"{heading}:\n" + "\n".join(f"  {line}" for line in examples))


def build_parser():
    parser = _Parser(
        prog="bptt",
        description="Backpropagation through time, by hand and by autograd, drawn unrolled.",
        epilog="Run 'bptt <command> --help' for the examples of each command.")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser,
                                     metavar="{render,compare,train,demo,docs}")

    render = _subcommand(
        commands, "render", help="draw an unrolled (or folded) network to a file",
        description="Draw a network unrolled in time, after one backward pass.",
        examples=["bptt render -o out/rnn.svg",
                  "bptt render --cell lstm --steps 4 --detail cells -o out/lstm.png",
                  "bptt render --steps 40 --heat --detail cells -o out/heat.svg",
                  "bptt render --view folded --cell gru -o out/gru_folded.pdf"])
    _model_options(render)
    render.add_argument("--view", choices=("unrolled", "folded"), default="unrolled")
    render.add_argument("--detail", choices=("ops", "cells"), default="ops",
                        help="every op, or one box per time step")
    render.add_argument("--direction", choices=("LR", "TB"), default="LR",
                        help="time left to right, or top to bottom")
    render.add_argument("--heat", action="store_true", help="colour by gradient size")
    render.add_argument("--no-elide", action="store_true",
                        help="draw every step, however many")
    render.add_argument("-o", "--output", default="out/unrolled.svg",
                        help="the file to write: .svg, .png or .pdf")

    compare = _subcommand(
        commands, "compare", help="the same gradients four ways, as a table",
        description="Compute dL/dp for every parameter by autograd, the hand-written "
                    "backward recursion, RTRL (vanilla RNN) and finite differences, and "
                    "compare. Exits with status 1 if they disagree beyond the tolerance.",
        examples=["bptt compare",
                  "bptt compare --cell gru --steps 10 --loss cross_entropy --reduction mean",
                  "bptt compare --steps 50 --methods manual,rtrl --tol 1e-12"])
    _model_options(compare)
    compare.add_argument("--loss", choices=("mse", "cross_entropy"), default="mse")
    compare.add_argument("--reduction", choices=("sum", "mean"), default="sum")
    compare.add_argument("--methods", default=None,
                         help="comma-separated: manual, rtrl, numeric (default: all that apply)")
    compare.add_argument("--tol", type=_positive_float, default=1e-10,
                         help="largest relative error allowed for the exact methods")

    train = _subcommand(
        commands, "train", help="train on a small task with truncated BPTT",
        description="Train a network with TBPTT(k1, k2), showing a progress bar.",
        examples=["bptt train --task sine",
                  "bptt train --task chars --cell lstm --hidden 64 --k1 25 --k2 25 --sample 200",
                  "bptt train --task adding --cell gru --optimizer adam --lr 0.01 --clip 1",
                  "bptt train --task sine --k1 5 --k2 10 --plot out/loss.png"])
    train.add_argument("--task", choices=("sine", "adding", "copy", "chars"), default="sine")
    train.add_argument("--cell", choices=CELLS, default="rnn")
    train.add_argument("--hidden", type=_positive_int, default=16)
    train.add_argument("--k1", type=_positive_int, default=None,
                       help="steps between updates (default: the sequence length)")
    train.add_argument("--k2", type=_positive_int, default=None,
                       help="steps to back-propagate through (default: k1)")
    train.add_argument("--optimizer", choices=("adam", "sgd", "adagrad"), default="adam")
    train.add_argument("--lr", type=_positive_float, default=None,
                       help="learning rate (default: the task's)")
    train.add_argument("--clip", type=_positive_float, default=5.0,
                       help="gradient-norm clipping threshold")
    train.add_argument("--updates", "--steps", dest="steps", type=_positive_int, default=300,
                       help="batches to train on")
    train.add_argument("--seed", type=int, default=0)
    train.add_argument("--sample", type=int, default=0, metavar="N",
                       help="for --task chars: print N sampled characters afterwards")
    train.add_argument("--plot", default=None, metavar="FILE",
                       help="save the loss curve (needs matplotlib: pip install "
                            "'minigrad-bptt[plot]')")

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


def cmd_render(args):
    import rnn
    import viz
    model = make_model(args.cell, 2, args.hidden, 2, args.seed)
    if args.view == "folded":
        graph = viz.draw_folded(model)
    else:
        xs, ys = example_data(args.steps, args.batch, 2, 2, "mse", args.seed)
        result = rnn.bptt(model, xs, ys, contributions=True, retain_grads=True)
        graph = viz.draw_unrolled(result.loss_tensor, detail=args.detail,
                                  direction=args.direction, heat=args.heat,
                                  elide=not args.no_elide)
    print(f"wrote {viz.save(graph, args.output)}")
    return 0


def cmd_compare(args):
    import rnn
    methods = None if args.methods is None else [m.strip() for m in args.methods.split(",")]
    model = make_model(args.cell, 3, args.hidden, 3, args.seed)
    xs, ys = example_data(args.steps, args.batch, 3, 3, args.loss, args.seed)
    report = rnn.compare_gradients(model, xs, ys, methods=methods, loss=args.loss,
                                   reduction=args.reduction, tol=args.tol)
    print(report)
    return 0 if report.ok() else 1


def cmd_train(args):
    import minigrad as mg
    import rnn
    task = rnn.tasks.TASKS[args.task]()
    if args.sample and args.task != "chars":
        raise UsageError("--sample needs --task chars")
    model = make_model(args.cell, task.input_size, args.hidden, task.output_size, args.seed)
    lr = args.lr or task.learning_rate
    optimizer = {"adam": mg.optim.Adam, "sgd": mg.optim.SGD,
                 "adagrad": mg.optim.Adagrad}[args.optimizer](model.parameters(), lr=lr)
    k1 = args.k1 or task.seq_len
    k2 = args.k2 or k1
    if k1 > task.seq_len:
        raise UsageError(f"--k1 {k1} is longer than the task's sequences ({task.seq_len} "
                         f"steps); use --k1 {task.seq_len} or less")
    print(f"training a {args.cell.upper()} ({args.hidden} hidden units) on '{args.task}' with "
          f"TBPTT(k1={k1}, k2={k2}), {args.optimizer} lr={lr}, clip={args.clip}")
    result = rnn.train(model, task, optimizer, k1=k1, k2=k2, clip=args.clip,
                       steps=args.steps, seed=args.seed)
    first, last = result.losses[0], sum(result.losses[-10:]) / len(result.losses[-10:])
    print(f"loss: {first:.4f} at the start, {last:.4f} at the end (mean of the last 10 updates)")
    if args.sample:
        print(rnn.tasks.sample(model, task, length=args.sample, prime=task.text[:1],
                               temperature=0.7, rng=args.seed))
    if args.plot:
        from .demo import plot_losses
        path = plot_losses(result.losses, args.plot, f"{args.task}, TBPTT({k1}, {k2})")
        print(f"wrote {path}" if path else "matplotlib is not installed: pip install "
              "'minigrad-bptt[plot]' for the loss curve")
    return 0


def main(argv=None):
    parser = build_parser()
    args = parser.parse_args(argv)
    from viz import GraphvizNotFoundError

    from .demo import make_docs, run_demo
    handlers = {"render": cmd_render, "compare": cmd_compare, "train": cmd_train,
                "demo": lambda a: run_demo(Path(a.out), fast=a.fast),
                "docs": lambda a: make_docs(Path(a.out))}
    prog = f"bptt {args.command}"
    try:
        return handlers[args.command](args)
    except GraphvizNotFoundError as err:
        print(f"{prog}: {err}", file=sys.stderr)
        return 1
    except (UsageError, ValueError, OSError) as err:
        message = " ".join(str(err).split())           # always one line
        print(f"{prog}: error: {message}", file=sys.stderr)
        return EXIT_BAD_ARGUMENTS


if __name__ == "__main__":
    sys.exit(main())
