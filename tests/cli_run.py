"""Run the bptt command in-process, for the CLI tests."""

from bptt_cli.main import EXIT_BAD_ARGUMENTS, main


def run(capsys, *argv):
    """main(argv) in-process: (exit status, stdout, stderr)."""
    try:
        status = main(list(argv))
    except SystemExit as exit_:                 # argparse exits for --help and bad syntax
        status = exit_.code
    out, err = capsys.readouterr()
    return status, out, err


def refusal(capsys, *argv):
    """Run a command that must be refused: exit status 2 and one line on stderr.
    Returns (stdout, the line)."""
    status, out, err = run(capsys, *argv)
    assert status == EXIT_BAD_ARGUMENTS
    assert err.count("\n") == 1, f"expected one line, got:\n{err}"
    return out, err
