"""Tasks, training and gradient flow: learning happens, and gradients vanish or explode."""

import numpy as np
import pytest

import rnn


def log_softmax(z):
    shifted = z - z.max(axis=-1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))


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
    loss = rnn.bptt(model, xs, ys, loss=task.loss, mask=task.mask).loss
    # the same loss from the hand-written recursion (plain NumPy), step by step
    by_hand = rnn.manual.backward(model, xs, ys, loss=task.loss, mask=task.mask).loss
    assert loss == pytest.approx(by_hand, rel=1e-12)
    outputs = [o.data for o in model.unroll(xs).outputs]
    kept = range(task.seq_len) if task.mask is None else np.flatnonzero(task.mask)
    if task.loss == "mse":
        costs = [np.sum((outputs[t] - ys[t]) ** 2) for t in kept]
    else:
        costs = [-np.sum(log_softmax(outputs[t])[np.arange(task.batch_size), ys[t]])
                 for t in kept]
    assert loss == pytest.approx(np.sum(costs), rel=1e-12)
    assert 0 < loss


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


# --- trivial baselines: each task's closed form against its predictor, run through
# the same loss that rnn.train reports (sum over the batch, mean over the scored
# steps, divided by the batch size) ---------------------------------------------------

def _loss_per_sequence(outputs, ys, task):
    import minigrad as mg
    L = rnn.sequence_loss([mg.tensor(o) for o in outputs], ys, loss=task.loss,
                          reduction="mean", mask=task.mask)
    return L.item() / task.batch_size


def _monte_carlo(task, predict, batches, seed=0):
    rng = np.random.default_rng(seed)
    losses = []
    for _ in range(batches):
        xs, ys = task.batch(rng)
        losses.append(_loss_per_sequence(predict(xs), ys, task))
    return np.mean(losses), np.std(losses) / np.sqrt(batches)


def test_sine_baseline_is_the_loss_of_repeating_the_current_value():
    task = rnn.tasks.SineWave(batch_size=64)
    mean, err = _monte_carlo(task, lambda xs: list(xs), 300)
    assert task.baseline == pytest.approx(mean, abs=4 * err)
    # and it is not the loss of predicting 0 (1/2): the baseline is the naive forecast
    assert task.baseline < 0.1


def test_adding_baseline_is_one_sixth_the_loss_of_predicting_one():
    task = rnn.tasks.AddingProblem(batch_size=256)
    mean, err = _monte_carlo(task, lambda xs: [np.ones((xs.shape[1], 1))] * len(xs), 300)
    assert task.baseline == 1 / 6
    assert mean == pytest.approx(1 / 6, abs=4 * err)


def test_copy_baseline_is_blanks_then_a_uniform_guess():
    task = rnn.tasks.CopyMemory(n_symbols=4, copy_len=3, delay=5, batch_size=32)
    K, n, T = task.n_symbols, task.copy_len, task.seq_len

    def predict(xs):
        blank = np.full(K + 1, -60.0)
        blank[K] = 0.0                           # p(blank) = 1 (to e^-60)
        uniform = np.zeros(K + 1)
        uniform[K] = -60.0                       # 1/K for each symbol, never blank
        rows = [blank] * (T - n) + [uniform] * n
        return [np.tile(row, (xs.shape[1], 1)) for row in rows]

    mean, err = _monte_carlo(task, predict, 5)
    assert err < 1e-12                           # the guess does not depend on the data
    assert task.baseline == pytest.approx(mean, rel=1e-12)
    assert task.baseline == pytest.approx(3 * np.log(4) / 11, rel=1e-15)


def test_chars_baseline_is_the_unigram_entropy_over_one_pass():
    task = rnn.tasks.CharText()
    counts = np.zeros(len(task.chars))
    batches = (len(task.text) - 1) // task.seq_len
    for _ in range(batches):                     # one pass over the text, as rnn.train reads it
        _, ys = task.batch()
        counts += np.bincount(ys.ravel(), minlength=len(task.chars))
    logits = np.log(np.maximum(counts / counts.sum(), 1e-300))
    task.reset()
    losses = [_loss_per_sequence([logits[None]] * task.seq_len, task.batch()[1], task)
              for _ in range(batches)]
    assert task.batch()[0] is not None and task.restarted          # the pass was exactly one
    assert task.baseline == pytest.approx(np.mean(losses), rel=1e-12)
    assert task.baseline < np.log(len(task.chars))                 # better than uniform


@pytest.mark.parametrize("task, k1, updates", [
    (rnn.tasks.SineWave(seq_len=10, batch_size=2), 4, 7),      # 3 per sequence; cut after 1
    (rnn.tasks.SineWave(seq_len=10, batch_size=2), 10, 3),
    (rnn.tasks.AddingProblem(seq_len=10, batch_size=2), 3, 4),  # only the last block scores
    (rnn.tasks.CharText(seq_len=8), 3, 5),
])
def test_train_counts_updates(task, k1, updates):
    model = rnn.RNN(task.input_size, 4, task.output_size, rng=0)
    result = rnn.train(model, task, k1=k1, updates=updates, progress=False)
    assert len(result.losses) == updates


def test_train_refuses_a_bad_update_count():
    task = rnn.tasks.SineWave(seq_len=5, batch_size=1)
    with pytest.raises(ValueError, match="updates must be an integer >= 1, got 0"):
        rnn.train(rnn.RNN(1, 2, 1, rng=0), task, updates=0, progress=False)


def test_the_sine_defaults_learn_far_past_the_baseline():
    task = rnn.tasks.SineWave()
    model = rnn.RNN(task.input_size, task.hidden_size, task.output_size, rng=0)
    import minigrad as mg
    opt = mg.optim.Adam(model.parameters(), lr=task.learning_rate("adam"))
    losses = rnn.train(model, task, opt, updates=task.updates, progress=False).losses
    assert np.mean(losses[-10:]) < 0.5 * task.baseline
