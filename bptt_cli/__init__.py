"""The ``bptt`` command line and the demo job, on top of minigrad, rnn and viz."""
