"""`bptt compare --online`: the online learning rules against exact BPTT, from the shell."""

import re

import pytest

from bptt_cli.main import EXIT_BAD_ARGUMENTS
from cli_run import run


def rows(out):
    """{(rule, param): (alignment, bias)} from the printed table."""
    table = {}
    for line in out.splitlines():
        m = re.match(r"(\S+)\s+(all|U|W|b|V|c)\s+(-?[\d.]+)\s+([\d.e+-]+)", line)
        if m:
            table[m[1], m[2]] = (float(m[3]), float(m[4]))
    return table


def test_compare_online_prints_every_rule_and_finds_rtrl_exact(capsys):
    status, out, _ = run(capsys, "compare", "--online", "rtrl,uoro,tbptt-2", "--seeds", "3",
                         "--steps", "6")
    assert status == 0
    table = rows(out)
    assert {rule for rule, _ in table} == {"rtrl", "uoro", "tbptt-2"}
    alignment, bias = table["rtrl", "all"]
    assert alignment == 1.0 and bias < 1e-12              # exact: RTRL is BPTT forward in time
    assert table["tbptt-2", "all"][1] > 1e-3               # truncation is biased on 6 steps
    assert table["uoro", "V"][1] < 1e-12                   # the readout is exact in every rule
    assert re.search(r"uoro\s+all\s+\S+\s+\S+\s+\S+\s+3$", out, re.M)   # 3 seeds


@pytest.mark.parametrize("argv, says", [
    (["--online", "snap-1", "--cell", "gru"], "only rtrl and uoro"),
    (["--online", "nonsense"], "unknown online rule 'nonsense'"),
    (["--online", "--tol", "1e-3"], "--tol does not apply to --online"),
    (["--online", "--seeds", "0"], "--seeds 0: give at least 1 seed"),
    (["--seeds", "4"], "--seeds does not apply without --online"),
    (["--online", ","], "--online ',' names no rule"),
    (["--online", " , ,"], "names no rule"),
])
def test_compare_online_refuses_what_does_not_apply(capsys, argv, says):
    status, out, err = run(capsys, "compare", *argv)
    assert status == EXIT_BAD_ARGUMENTS and out == ""
    assert says in err and len(err.strip().splitlines()) == 1


def test_compare_online_without_an_exact_rule_prints_the_table_and_exits_0(capsys):
    status, out, err = run(capsys, "compare", "--online", "uoro,snap-1", "--seeds", "2",
                           "--steps", "4")
    assert status == 0 and err == ""
    assert {rule for rule, _ in rows(out)} == {"uoro", "snap-1"}
