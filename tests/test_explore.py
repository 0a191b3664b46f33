"""viz.explore's page, read as a file: self-contained, stable ids, small enough."""

import json
import re

import numpy as np
import pytest

import minigrad as mg
import rnn
import viz


def _run(steps, hidden=3, cell=rnn.RNN):
    model = cell(2, hidden, 2, rng=0)
    rng = np.random.default_rng(1)
    with mg.keep_values():
        result = rnn.bptt(model, rng.normal(size=(steps, 2)), rng.normal(size=(steps, 2)),
                          contributions=True)
    return model, result


def _data(page):
    return json.loads(re.search(r'id="walk-data">(.*?)</script>', page.html, re.S).group(1))


def test_the_page_is_self_contained():
    _, result = _run(4)
    page = viz.explore(result.loss_tensor).html
    assert page.startswith("<!DOCTYPE html>")
    assert not re.search(r'<script[^>]+src=|<link[^>]+href=|@import|url\(|fetch\(|'
                         r'XMLHttpRequest|https?://(?!www\.w3\.org/)', page)
    assert page.count("<svg") == 2                      # op view and cell view
    assert "function show(" in page and ".unit.current" in page   # our script and style


def test_ids_are_stable_and_unique():
    _, result = _run(4)
    first, second = viz.explore(result.loss_tensor).html, viz.explore(result.loss_tensor).html
    ids = re.findall(r' id="([^"]+)"', first)
    assert len(ids) == len(set(ids))
    assert ids == re.findall(r' id="([^"]+)"', second)
    graph = viz.read.collect(result.loss_tensor)
    tanh = [n for n in graph.nodes if n.op == "tanh"]
    assert all(f'id="ops-u-n{n.seq}"' in first for n in tanh)
    assert all(f'id="ops-box-{t}"' in first for t in range(1, 5))


def test_the_walk_is_the_engines_order_and_leaves_grads_untouched():
    model, result = _run(3)
    before = {name: p.grad.copy() for name, p in model.named_parameters()}
    data = _data(viz.explore(result.loss_tensor))
    graph = viz.read.collect(result.loss_tensor)
    order = sorted(graph.nodes, key=lambda n: -n.seq)
    assert [s["op"] for s in data["walk"]] == [n.op for n in order]
    for name, p in model.named_parameters():
        assert np.array_equal(p.grad, before[name])
    panel = {p["name"]: p for p in data["params"]}
    for name, p in model.named_parameters():
        assert panel[name]["grad"]["difference"] < 1e-12
        assert [t["t"] for t in panel[name]["terms"]] == [1, 2, 3]
        assert np.isclose(panel[name]["grad"]["norm"], np.linalg.norm(p.grad))


def test_lstm_and_gru_pages_name_their_gates():
    for cell, gate in ((rnn.LSTM, "f2"), (rnn.GRU, "z2")):
        _, result = _run(3, cell=cell)
        page = viz.explore(result.loss_tensor)
        assert any(s["name"].startswith(gate) for s in _data(page)["walk"]), cell


def test_a_50_step_op_page_is_under_2_mb(tmp_path):
    _, result = _run(50)
    path = viz.explore(result.loss_tensor, elide=False).save(tmp_path / "fifty.html")
    assert path.stat().st_size < 2_000_000


def test_save_and_notebook_display(tmp_path):
    _, result = _run(3)
    page = viz.explore(result.loss_tensor)
    with pytest.raises(ValueError, match="html"):
        page.save(tmp_path / "page.png")
    assert page.save(tmp_path / "a" / "page.html").read_text(encoding="utf-8") == page.html
    shown = page._repr_html_()
    assert shown.startswith("<iframe srcdoc=") and "<svg" not in shown   # escaped inside


def test_wrong_arguments_say_what_to_do():
    w = mg.tensor([1.0], requires_grad=True)
    with pytest.raises(ValueError, match="time-step scopes"):
        viz.explore((w * w).sum())
    _, result = _run(2)
    with pytest.raises(ValueError, match="detail"):
        viz.explore(result.loss_tensor, detail="gates")


def test_bptt_explore_writes_the_page(tmp_path, capsys):
    from cli_run import run
    status, out, err = run(capsys, "explore", "--cell", "gru", "--steps", "3",
                           "-o", str(tmp_path / "gru.html"))
    assert status == 0, err
    assert (tmp_path / "gru.html").stat().st_size > 10_000
    assert "gru.html" in out and "walk steps" in out
    status, _, err = run(capsys, "explore", "-o", str(tmp_path / "page.svg"))
    assert status == 2 and "html" in err
