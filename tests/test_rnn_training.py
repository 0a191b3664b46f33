"""Tasks, training and gradient flow: learning happens, and gradients vanish or explode."""

import numpy as np
import pytest

import rnn


def test_sine_loss_drops_tenfold_in_a_few_hundred_updates():
    task = rnn.tasks.SineWave()
    model = rnn.RNN(task.input_size, 16, task.output_size, rng=0)
    losses = rnn.train(model, task, steps=300, seed=0, progress=False).losses
    assert np.mean(losses[:10]) > 10 * np.mean(losses[-10:])


def test_character_model_beats_the_uniform_baseline():
    task = rnn.tasks.CharText()
    model = rnn.RNN(task.input_size, 48, task.output_size, rng=0)
    losses = rnn.train(model, task, steps=300, seed=0, progress=False).losses
    uniform = np.log(task.input_size)                    # about 4.04 nats per character
    assert np.mean(losses[-30:]) < 0.75 * uniform
    text = rnn.tasks.sample(model, task, length=100, prime="Love ", rng=0)
    assert text.startswith("Love ") and len(text) == 105
    assert set(text) <= set(task.chars)


def test_training_is_deterministic_for_a_seed():
    def run():
        task = rnn.tasks.AddingProblem(seq_len=8, batch_size=4)
        model = rnn.GRU(2, 6, 1, rng=3)
        return rnn.train(model, task, steps=15, seed=7, k1=4, k2=6, progress=False).losses
    assert run() == run()


def test_train_shows_a_progress_bar(capsys):
    task = rnn.tasks.SineWave(batch_size=2)
    rnn.train(rnn.RNN(1, 4, 1, rng=0), task, steps=3, progress=True)
    assert "training on sine" in capsys.readouterr().err


@pytest.mark.parametrize("task", [rnn.tasks.SineWave(), rnn.tasks.AddingProblem(),
                                  rnn.tasks.CopyMemory(), rnn.tasks.CharText()])
def test_tasks_make_batches_that_fit_their_sizes(task):
    xs, ys = task.batch(np.random.default_rng(0))
    assert xs.shape == (task.seq_len, task.batch_size, task.input_size)
    if task.loss == "mse":
        assert ys.shape == (task.seq_len, task.batch_size, task.output_size)
    else:
        assert ys.shape == (task.seq_len, task.batch_size) and ys.max() < task.output_size
    model = rnn.RNN(task.input_size, 4, task.output_size, rng=0)
    assert np.isfinite(rnn.bptt(model, xs, ys, loss=task.loss, mask=task.mask).loss)


def test_task_contents():
    rng = np.random.default_rng(0)
    xs, ys = rnn.tasks.SineWave(seq_len=5, batch_size=1).batch(rng)
    assert np.array_equal(xs[1:], ys[:-1])                  # the target is the next value
    xs, ys = rnn.tasks.AddingProblem(seq_len=10, batch_size=3).batch(rng)
    assert (xs[:, :, 1].sum(axis=0) == 2).all()             # two markers per sequence
    np.testing.assert_allclose(ys[-1, :, 0], (xs[:, :, 0] * xs[:, :, 1]).sum(axis=0),
                               rtol=1e-14, atol=0)
    copy = rnn.tasks.CopyMemory(n_symbols=4, copy_len=3, delay=5, batch_size=2)
    xs, ys = copy.batch(rng)
    assert np.array_equal(xs[:3].argmax(-1), ys[-3:])        # the last 3 targets are the input
    text = rnn.tasks.CharText(text="abcabcabcabc", seq_len=4)
    xs, ys = text.batch()
    assert [text.chars[i] for i in xs[:, 0].argmax(-1)] == list("abca")
    assert [text.chars[i] for i in ys[:, 0]] == list("bcab")
    assert "Shall I compare thee" in rnn.tasks.load_sonnets()


def test_gradients_vanish_or_explode_with_the_spectral_radius():
    rng = np.random.default_rng(0)
    xs, ys = rng.normal(size=(30, 2)) * 0.1, rng.normal(size=(30, 1))
    flows = {}
    for radius in (0.5, 1.5):
        model = rnn.RNN(2, 8, 1, activation="identity", rng=1)
        model.W.data = model.W.data * (radius / rnn.spectral_radius(model.W))
        flows[radius] = rnn.gradient_flow(model, xs, ys)
    small, large = flows[0.5], flows[1.5]
    assert small.spectral_radius == pytest.approx(0.5, rel=1e-12, abs=0)
    assert small.state_grad_norms[0] < 1e-6 * small.state_grad_norms[-1]     # vanishes
    assert large.state_grad_norms[0] > 1e3 * large.state_grad_norms[-1]      # explodes
    assert small.decay_per_step() == pytest.approx(0.5, rel=0.2)
    assert len(small.w_contribution_norms) == 30 and "||dE_T/ds_t||" in str(small)
