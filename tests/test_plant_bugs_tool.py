"""tools/plant_bugs.py (make mutants) can still plant every bug it knows.

Each planted bug names the exact text it replaces; when the code changes under it, the
bug goes stale and `make mutants` silently stops checking it.  `--check` plants nothing
and runs no tests: it only finds each text exactly once.
"""

import subprocess
import sys
from pathlib import Path

TOOL = Path(__file__).resolve().parent.parent / "tools" / "plant_bugs.py"


def test_every_planted_bug_still_matches_the_code_exactly_once():
    result = subprocess.run([sys.executable, str(TOOL), "--check"], capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "STALE" not in result.stdout.upper().replace("STALE OF", ""), result.stdout
    assert result.stdout.count(" ok") >= 50                  # the 57 bugs, each found once
