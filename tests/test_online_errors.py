"""The online rules and the hand-written recursions: one clear error for each misuse,
and no silent assumption (a dict of arrays used to be run as a tanh RNN)."""

import numpy as np
import pytest

import minigrad as mg
import rnn
from rnn import manual, rtrl
from rnn.manual import model_arrays
from rnn.online import KFRTRL, RFLO, UORO, compare_online, make_rule, online_gradient, \
    train_online


def problem(activation="tanh", seed=0):
    model = rnn.RNN(2, 3, 1, activation=activation, rng=seed)
    rng = np.random.default_rng(seed)
    return model, rng.normal(size=(6, 2)), rng.normal(size=(6, 1))


# ------------------------------------------------ a dict of arrays

@pytest.mark.parametrize("activation", ["relu", "sigmoid", "identity", "tanh"])
@pytest.mark.parametrize("rule", ["rtrl", "snap-1", "tbptt-3"])
def test_a_dict_of_arrays_runs_with_the_activation_it_is_given(activation, rule):
    model, xs, ys = problem(activation)
    by_model = online_gradient(model, xs, ys, rule)
    by_dict = online_gradient(model_arrays(model), xs, ys, rule, activation=activation)
    assert by_dict.loss == by_model.loss
    for name, g in by_model.grads.items():
        np.testing.assert_array_equal(by_dict.grads[name], g, err_msg=name)
    if rule == "rtrl":                                   # and that is BPTT's loss
        assert by_dict.loss == pytest.approx(rnn.bptt(model, xs, ys).loss, rel=1e-12)


def test_a_dict_without_an_activation_is_refused_rather_than_run_as_tanh():
    model, xs, ys = problem("relu")
    with pytest.raises(TypeError, match="a dict of arrays does not say which activation g.*"
                                        "activation='tanh'"):
        online_gradient(model_arrays(model), xs, ys, "rtrl")
    with pytest.raises(ValueError, match="activation='tanh', but the model's activation is "
                                         "'relu'"):
        online_gradient(model, xs, ys, "rtrl", activation="tanh")
    with pytest.raises(TypeError, match="engine=True .* pass the rnn.RNN model"):
        online_gradient(model_arrays(model), xs, ys, "rtrl", engine=True, activation="relu")


@pytest.mark.parametrize("change, says", [
    (lambda p: p.pop("V"), r"params has no 'V'; it needs U, W and V \(b, c optional\)"),
    (lambda p: p.update(b_hn=np.zeros(3)), r"params has \['b_hn'\], which this cell does "
                                           r"not use"),
    (lambda p: p.update(V=np.zeros((1, 4))), r"shapes do not fit together \(.*V \(1, 4\)"),
    (lambda p: p.update(U=np.zeros((2, 2))), r"shapes do not fit together"),
])
def test_a_dict_that_does_not_fit_an_rnn_says_what_is_wrong(change, says):
    model, xs, ys = problem()
    params = model_arrays(model)
    change(params)
    for run in (lambda: online_gradient(params, xs, ys, "rtrl", activation="tanh"),
                lambda: manual.rnn_bptt(params, xs, ys),
                lambda: rtrl.rtrl(params, xs, ys)):
        with pytest.raises((ValueError, mg.ShapeError), match=says):
            run()


def test_the_dict_functions_given_a_model_name_the_function_that_takes_one():
    model, xs, ys = problem()
    with pytest.raises(TypeError, match=r"rnn.manual.rnn_bptt takes the weights as a dict of "
                                        r"arrays.*got an RNN model. Fix: rnn.manual.backward"):
        manual.rnn_bptt(model, xs, ys)
    with pytest.raises(TypeError, match=r"rnn.rtrl.rtrl takes .*Fix: "
                                        r"rnn.rtrl.forward_gradients\(model, xs, ys\)"):
        rtrl.rtrl(model, xs, ys)
    with pytest.raises(TypeError, match="rnn.manual.lstm_bptt takes .*got an LSTM model"):
        manual.lstm_bptt(rnn.LSTM(2, 3, 1), xs, ys)
    gru = rnn.GRU(2, 3, 1, rng=0)                        # a GRU's dict has b_hn too
    assert sorted(manual.gru_bptt(model_arrays(gru), xs, ys).grads) == \
        ["U", "V", "W", "b", "b_hn", "c"]


# ------------------------------------------------ the rules' own arguments

@pytest.mark.parametrize("rule", [UORO, KFRTRL])
@pytest.mark.parametrize("eps, error", [(0, ValueError), (-1e-7, ValueError),
                                        (float("nan"), ValueError), (None, TypeError),
                                        ("1e-7", TypeError)])
def test_the_random_factor_rules_need_a_small_positive_eps(rule, eps, error):
    with pytest.raises(error, match=f"{rule.__name__}: eps must be a small number > 0"):
        rule(eps=eps)


def test_a_tiny_eps_still_gives_finite_gradients():
    model, xs, ys = problem()
    for rule in (UORO(eps=1e-30), KFRTRL(eps=1e-30)):
        grads = online_gradient(model, xs, ys, rule, rng=0).grads
        assert all(np.isfinite(g).all() for g in grads.values()), rule


@pytest.mark.parametrize("alpha, error", [(None, TypeError), ("0.5", TypeError),
                                          (0, ValueError), (1.5, ValueError),
                                          (float("inf"), ValueError)])
def test_rflo_needs_alpha_in_0_1(alpha, error):
    with pytest.raises(error, match=r"RFLO: alpha must be a number in \(0, 1\]"):
        RFLO(alpha=alpha)


def test_rule_names_take_ascii_digits_only():
    for bad in ["tbptt-¹", "snap-²", "tbptt-٣"]:
        with pytest.raises(ValueError, match="unknown online rule"):
            make_rule(bad)
    assert make_rule("tbptt-12").name == "tbptt-12"


# ------------------------------------------------ train_online

def test_train_online_refuses_what_it_cannot_run():
    model, xs, ys = problem()
    opt = mg.optim.SGD(model.parameters(), lr=0.1)
    lstm = rnn.LSTM(2, 3, 1, rng=0)
    with pytest.raises(TypeError, match="written for the vanilla rnn.RNN .*got LSTM. Fix: "
                                        "for an LSTM or GRU, train with rnn.train"):
        train_online(lstm, xs, ys, "rtrl", mg.optim.SGD(lstm.parameters(), lr=0.1))
    with pytest.raises(TypeError, match="optimizer must be a minigrad optimizer.*got NoneType"):
        train_online(model, xs, ys, "rtrl", None)
    for every in ("2", 0, 1.5, True):
        with pytest.raises(ValueError, match="update_every must be a whole number of steps "
                                             ">= 1, got"):
            train_online(model, xs, ys, "rtrl", opt, update_every=every)


# ------------------------------------------------ compare_online and its report

def test_compare_online_takes_one_rule_name_as_one_rule():
    model, xs, ys = problem()
    report = compare_online(model, xs, ys, rules="uoro", seeds=range(2))
    assert {row.rule for row in report.rows} == {"uoro"}
    report = compare_online(model, xs, ys, rules=RFLO(), seeds=range(2))
    assert {row.rule for row in report.rows} == {"rflo"}


@pytest.mark.parametrize("seeds, error, says", [
    (None, TypeError, "seeds must be a list .*got NoneType"),
    (3, TypeError, r"seeds must be a list \(or range\) of seeds, got the int 3. Fix: "
                   r"seeds=range\(3\)"),
    ([], ValueError, "seeds is empty"),
    ([0, -1], ValueError, r"every seed must be a whole number >= 0 .*, got -1"),
    ([0.5], ValueError, r"every seed must be .*, got 0.5"),
])
def test_compare_online_checks_its_seeds(seeds, error, says):
    model, xs, ys = problem()
    with pytest.raises(error, match=f"rnn.compare_online: {says}"):
        compare_online(model, xs, ys, rules=["rtrl", "uoro"], seeds=seeds)


def test_compare_online_needs_a_rule():
    model, xs, ys = problem()
    with pytest.raises(ValueError, match="rules is empty"):
        compare_online(model, xs, ys, rules=[])
    with pytest.raises(TypeError, match="rules must be a list of rule names"):
        compare_online(model, xs, ys, rules=5)


def test_ok_says_when_there_is_nothing_exact_to_check():
    model, xs, ys = problem()
    report = compare_online(model, xs, ys, rules=["uoro", "snap-1"], seeds=range(2))
    assert report.exact_rules == ()
    with pytest.raises(ValueError, match=r"none of the rules compared \(uoro, snap-1\) is "
                                         r"exact.*add 'rtrl'"):
        report.ok()
    with_rtrl = compare_online(model, xs, ys, rules=["snap-1", "rtrl"], seeds=range(2))
    assert with_rtrl.exact_rules == ("rtrl",) and with_rtrl.ok() is True
    rtrl_rows = [row for row in with_rtrl.rows if row.rule == "rtrl"]
    rtrl_rows[0].bias = 1e-6                # an exact rule that drifted: ok() must notice
    assert with_rtrl.ok() is False
