"""Run the bptt command in-process, for the CLI tests."""

from bptt_cli.main import main


def run(capsys, *argv):
    """main(argv) in-process: (exit status, stdout, stderr)."""
    try:
        status = main(list(argv))
    except SystemExit as exit_:                 # argparse exits for --help and bad syntax
        status = exit_.code
    out, err = capsys.readouterr()
    return status, out, err
