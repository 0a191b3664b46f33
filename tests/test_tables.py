"""rnn.tables: results show as tables, as text in a terminal and HTML in Jupyter."""
import numpy as np
import pytest

import minigrad as mg
import rnn
from rnn import tables


@pytest.fixture
def result():
    model = rnn.RNN(2, 3, 1, rng=0)
    rng = np.random.default_rng(0)
    return rnn.bptt(model, rng.normal(size=(4, 2)), rng.normal(size=(4, 1)), contributions=True)


def test_contribution_table_has_one_row_per_copy_and_the_norm_of_the_sum(result):
    table = rnn.contribution_table(result)
    assert table.header == ["t", "U", "W", "b", "V", "c"]
    assert [row[0] for row in table.rows[:-1]] == ["1", "2", "3", "4"]
    for j, name in enumerate(table.header[1:], start=1):
        for t in range(1, 5):
            assert float(table.rows[t - 1][j]) == pytest.approx(
                np.linalg.norm(result.contributions[name][f"t={t}"]), rel=1e-2)
        assert float(table.rows[-1][j]) == pytest.approx(np.linalg.norm(result.grads[name]),
                                                         rel=1e-2)
    text = str(table)
    assert text.splitlines()[-1].startswith("‖Σ_t term_t‖ = ‖dL/dp‖")
    html = table._repr_html_()
    assert html.startswith("<table") and html.count("<tr") == 6 and "‖Σ_t term_t‖" in html


def test_contribution_table_says_how_to_get_terms():
    model = rnn.RNN(1, 2, 1, rng=0)
    plain = rnn.bptt(model, np.ones((3, 1)), np.zeros((3, 1)))
    with pytest.raises(ValueError, match="contributions=True"):
        rnn.contribution_table(plain)
    with pytest.raises(KeyError, match="no parameter named 'Q'"):
        rnn.contribution_table(rnn.bptt(model, np.ones((3, 1)), np.zeros((3, 1)),
                                        contributions=True), params=["Q"])


def test_html_escapes_text():
    html = tables.Table("<b>", ["a<"], [["x&y"]])._repr_html_()
    assert "&lt;b&gt;" in html and "a&lt;" in html and "x&amp;y" in html


def test_result_tables(result):
    model = rnn.RNN(2, 3, 1, rng=0)
    xs, ys = np.ones((6, 2)), np.zeros((6, 1))
    assert "L = " in str(tables.bptt_table(result))
    assert "largest term" in tables.bptt_table(result)._repr_html_()
    run = rnn.tbptt(model, xs, ys, 4, 2, mg.optim.SGD(model.parameters(), lr=0.0))
    text = str(tables.tbptt_table(run))
    assert "2 updates" in text and "1..4" in text and "3..4" in text and "5..6" in text
    flow = rnn.gradient_flow(model, xs, ys)
    table = tables.gradient_flow_table(flow)
    assert len(table.rows) == 6 and "spectral radius" in table.title


def test_gradient_report_shows_as_html():
    model = rnn.RNN(2, 3, 1, rng=0)
    report = rnn.compare_gradients(model, np.ones((4, 2)), np.zeros((4, 1)))
    html = report._repr_html_()
    assert "<table" in html and "rtrl" in html and "all methods agree" in html


def test_results_show_as_html_tables_in_jupyter(result):
    model = rnn.RNN(2, 3, 1, rng=0)
    xs, ys = np.ones((6, 2)), np.zeros((6, 1))
    assert "BPTT: L = " in result._repr_html_()
    assert "truncated BPTT: 2 updates" in rnn.tbptt(model, xs, ys, 4, 4, None)._repr_html_()
    assert "gradient flow" in rnn.gradient_flow(model, xs, ys)._repr_html_()
