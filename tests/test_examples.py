"""Every script in examples/ runs to the end, writes what its docstring promises, and
what it prints and draws is what the library computes (recomputed here)."""

import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import minigrad as mg
import rnn
from figure_checks import assert_drawn, read_png, read_svg
from viz.theme import number_text

EXAMPLES = sorted((Path(__file__).parent.parent / "examples").glob("*.py"))


def test_the_examples_folder_is_not_empty():
    assert len(EXAMPLES) >= 5


@pytest.fixture(scope="module")
def ran(tmp_path_factory):
    """Each example run once, in its own folder: name -> (stdout, folder)."""
    cache = {}

    def run(name):
        if name not in cache:
            script = next(p for p in EXAMPLES if p.stem == name)
            folder = tmp_path_factory.mktemp(name)
            env = dict(os.environ, CHAR_RNN_UPDATES="5")     # a taste of training, not a run
            done = subprocess.run([sys.executable, str(script)], cwd=folder, env=env,
                                  capture_output=True, text=True, timeout=300)
            assert done.returncode == 0, f"{script.name} failed:\n{done.stderr[-3000:]}"
            cache[name] = (done.stdout, folder)
        return cache[name]
    return run


@pytest.mark.parametrize("script", EXAMPLES, ids=lambda p: p.name)
def test_example_runs_and_writes_what_it_promises(script, ran):
    out, folder = ran(script.stem)
    assert out.strip(), f"{script.name} printed nothing"
    # "writes out/x.svg" in the docstring: the file must be there afterwards, and be
    # a drawing (an SVG with nodes, or a PNG with something on it).
    docstring = script.read_text().split('"""')[1]
    for pattern in re.findall(r"out/[\w*]+\.(?:svg|png|pdf)", docstring):
        written = list(folder.glob(pattern))
        assert written, f"{script.name} promised {pattern}, wrote nothing"
        for path in written:
            if path.suffix == ".svg":
                assert read_svg(path).groups["node"] >= 5, path
            elif path.suffix == ".png":
                assert_drawn(read_png(path))
    for line in out.splitlines():                       # every "wrote" line is a real file
        if line.startswith("wrote "):
            assert (folder / line.split()[1]).stat().st_size > 0, line


def test_unroll_and_draw_prints_the_loss_and_draws_every_step(ran):
    out, folder = ran("unroll_and_draw")
    model = rnn.RNN(input_size=2, hidden_size=3, output_size=1, rng=0)
    rng = np.random.default_rng(0)
    xs, ys = rng.normal(size=(4, 2)), rng.normal(size=(4, 1))
    result = rnn.bptt(model, xs, ys, contributions=True)
    assert f"L = {result.loss:.4f}" in out
    for t in range(1, 5):                               # each copy's term, as recomputed
        norm = np.linalg.norm(result.contributions["W"][f"t={t}"])
        assert f"t={t}: ||term|| = {norm:.4f}" in out
    ops = read_svg(folder / "out" / "example_unrolled.svg")
    assert ops.groups["cluster"] == 4                   # one box per time step
    assert ops.has(*[f"t = {t}" for t in range(1, 5)])
    for t in range(1, 5):                               # the equations of every step
        assert ops.has(f"a{t} = U x{t} + W s{t - 1} + b", f"s{t} = tanh(a{t})",
                       f"o{t} = V s{t} + c", f"E{t} = ‖o{t} − y{t}‖²"), t
    assert ops.has(", ".join(f"{v:.3g}".replace("-", "−") for v in xs[0]))   # x1's values
    cells = read_svg(folder / "out" / "example_cells.svg")
    assert cells.groups["cluster"] == 4 and cells.has("s1", "s4", "E4")
    pixels = read_png(folder / "out" / "example_unrolled.png")
    assert_drawn(pixels, min_size=(200, 600))
    ratio = pixels.shape[1] / pixels.shape[0]           # the PNG is the same drawing
    assert ratio == pytest.approx(ops.width / ops.height, rel=0.05)


def test_manual_vs_autograd_prints_the_recomputed_terms(ran):
    out, _ = ran("manual_vs_autograd")
    assert out.count("all methods agree") == 3 and "DISAGREE" not in out
    rng = np.random.default_rng(1)
    xs, ys = rng.normal(size=(8, 3)), rng.normal(size=(8, 2))
    model = rnn.RNN(3, 5, 2, rng=0)
    auto = rnn.bptt(model, xs, ys, contributions=True)
    rows = re.findall(r"^\s*(\d+)\s+([\d.]+)\s+([\d.]+)\s+([\d.e+-]+)$", out, re.M)
    assert [int(r[0]) for r in rows] == list(range(1, 9))
    for t, a, m, diff in rows:
        norm = np.linalg.norm(auto.contributions["W"][f"t={t}"])
        assert float(a) == pytest.approx(norm, abs=1e-6) and float(m) == float(a)
        assert float(diff) < 1e-12
    report = rnn.compare_gradients(model, xs, ys, reduction="mean")
    dW = np.max(np.abs(report.reference["W"]))
    assert re.search(rf"^W\s+\(5, 5\)\s+{dW:.3e}", out, re.M)


def test_truncated_bptt_prints_the_windows_it_ran(ran):
    out, folder = ran("truncated_bptt")
    wave = np.sin(np.linspace(0, 12, 41))[:, None]
    xs, ys = wave[:-1], wave[1:]
    for k1, k2 in [(40, 40), (10, 10), (5, 15), (10, 3)]:
        run = rnn.tbptt(rnn.RNN(1, 8, 1, rng=0), xs, ys, k1=k1, k2=k2, optimizer=None)
        windows = ", ".join(f"{u.window[0]}-{u.window[1]}" for u in run.updates[:4])
        assert (f"TBPTT(k1={k1:2d}, k2={k2:2d}): {len(run.updates)} updates, gradient "
                f"windows {windows}") in out
    schedule = read_svg(folder / "out" / "tbptt_schedule.svg")
    run = rnn.tbptt(rnn.RNN(1, 4, 1, rng=0), xs[:16], ys[:16], k1=4, k2=8, optimizer=None)
    update = run.updates[2]
    assert schedule.has(f"TBPTT(k1 = 4, k2 = 8), update 3 of {len(run.updates)}:",
                        f"losses of steps {update.block[0]}–{update.block[1]}, gradient "
                        f"through steps {update.window[0]}–{update.window[1]}")
    assert schedule.has(*[str(t) for t in range(1, 17)], "cut", "step t")
    graph = read_svg(folder / "out" / "tbptt_graph.svg")
    last = run.updates[-1].window
    assert graph.groups["cluster"] == last[1] - last[0] + 1
    assert graph.has(f"s{last[0] - 1} (cut)")           # the window starts at a cut state


def test_vanishing_gradients_prints_and_draws_the_recomputed_norms(ran):
    out, folder = ran("vanishing_gradients")
    rng = np.random.default_rng(0)
    xs, ys = rng.normal(size=(30, 2)) * 0.1, rng.normal(size=(30, 1))
    flow_svg = read_svg(folder / "out" / "gradient_flow.svg")
    for radius in (0.5, 1.0, 1.5):
        model = rnn.RNN(2, 8, 1, activation="identity", rng=1)
        model.W.data = model.W.data * (radius / rnn.spectral_radius(model.W))
        n = rnn.gradient_flow(model, xs, ys).state_grad_norms
        assert (f"spectral radius {radius}: ||dE_T/ds_t|| at t = 1, 10, 20, 30: "
                f"{n[0]:.1e}, {n[9]:.1e}, {n[19]:.1e}, {n[29]:.1e}") in out
        factor = rnn.gradient_flow(model, xs, ys).decay_per_step()
        assert flow_svg.has(f"spectral radius of W = {radius}: ×{factor:.2g} per step back")
    # a marker per step on each of the three lines (their <title>s: mark_<line>_<k>)
    assert sum(t.startswith("mark_") and not t.startswith("mark_key") for t in flow_svg.titles) \
        == 3 * 30
    picture = read_svg(folder / "out" / "vanishing.svg")
    assert picture.groups["cluster"] == 12
    assert picture.has("one box per step, coloured by ‖grad‖")


def test_char_rnn_prints_the_recomputed_losses(ran):
    out, _ = ran("char_rnn")
    task = rnn.tasks.CharText(seq_len=25)
    assert (f"text: {len(task.text)} characters, {task.input_size} distinct; uniform "
            f"guessing costs log({task.input_size}) = {np.log(task.input_size):.2f} nats"
            in out)
    model = rnn.RNN(task.input_size, 64, task.output_size, rng=0)
    result = rnn.train(model, task, mg.optim.Adagrad(model.parameters(), lr=0.1), k1=25,
                       k2=25, clip=5.0, updates=5, seed=0, progress=False)
    assert (f"loss per character: {np.mean(result.losses[:20]):.2f} -> "
            f"{np.mean(result.losses[-50:]):.2f} after 5 updates") in out
    sample = out.split("---\n", 1)[1]
    assert sample.startswith("Shall ") and len(sample.rstrip("\n")) == 300 + len("Shall ")
