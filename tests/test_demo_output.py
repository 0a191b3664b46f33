"""What `bptt demo` prints: every section header carries its ruler, and the training
progress and its summary count the same thing in the same unit (issue 21, section 5)."""
import re

from cli_run import run


def test_demo_headers_have_rulers_and_training_counts_updates_once(capsys, tmp_path):
    status, out, err = run(capsys, "demo", "--fast", "--out", str(tmp_path))
    assert status == 0
    headers = [line for line in out.splitlines() if line.startswith("== ")]
    assert [h.split()[1] for h in headers] == ["1.", "2.", "3.", "4."]
    for header in headers:
        assert re.search(r" ={4,}$", header), f"no ruler: {header!r}"
        assert len(header) <= 80, f"wider than a terminal: {header!r}"
    # tqdm's bar on stderr: "0/60 [..., ?update/s]"; the summary: "(60 updates)"
    totals = set(re.findall(r"\d+/(\d+) \[[^\]]*?[\d.?]([a-z]+)/s", err))
    assert totals == {("60", "update")}, err[-300:]
    assert "(60 updates)" in out and "batch" not in err
