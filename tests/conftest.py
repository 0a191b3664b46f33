"""Shared test setup.

PyTorch is a test-only reference.  Without it the torch tests are skipped
with the reason, except in CI (CI=true), where a missing torch is a failure:
the reference tests must never skip silently there.

Hypothesis profiles
-------------------
``default`` (local runs): 25 random examples per property, new ones each run.
``ci`` (loaded when CI=true): the same 25 examples on every run
(``derandomize``: the random seed is a hash of the test function, so the
examples change only with the test, Hypothesis or Python), no example
database, and a failure prints its ``@reproduce_failure`` blob.  A red CI run
therefore reproduces on any machine, with the same versions:

    HYPOTHESIS_PROFILE=ci .venv/bin/python -m pytest tests/test_forward_values.py

(``CI=true`` does the same, but also makes a missing torch fail.)
``HYPOTHESIS_PROFILE`` picks a profile by name and wins over CI; pytest's
header says which one ran ("hypothesis profile: ci (25 examples, fixed)").
"""

import os

import numpy as np
import pytest
from hypothesis import HealthCheck, settings

settings.register_profile("default", max_examples=25, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("ci", max_examples=25, deadline=None, derandomize=True,
                          database=None, print_blob=True,
                          suppress_health_check=[HealthCheck.too_slow])
HYPOTHESIS_PROFILE = (os.environ.get("HYPOTHESIS_PROFILE")
                      or ("ci" if os.environ.get("CI") == "true" else "default"))
settings.load_profile(HYPOTHESIS_PROFILE)


def pytest_report_header():
    return f"hypothesis profile: {HYPOTHESIS_PROFILE} ({settings.default.max_examples} "\
           f"examples, {'fixed' if settings.default.derandomize else 'new each run'})"


def import_torch():
    try:
        import torch
    except ImportError:
        if os.environ.get("CI") == "true":
            pytest.fail("CI=true but PyTorch is not installed, so the torch-reference "
                        "tests cannot run. Fix: pip install -e '.[dev]' (torch==2.13.0).",
                        pytrace=False)
        pytest.skip("PyTorch is not installed; the torch-reference tests need "
                    "pip install torch==2.13.0 (or pip install -e '.[dev]')")
    torch.set_num_threads(1)
    return torch


@pytest.fixture(scope="session")
def torch():
    return import_torch()


def assert_close(actual, expected, rtol=1e-12, what=""):
    """Norm-relative comparison: max |a - e| <= rtol * max |e| (plus a tiny floor)."""
    actual, expected = np.asarray(actual, dtype=np.float64), np.asarray(expected, dtype=np.float64)
    assert actual.shape == expected.shape, f"{what}: shape {actual.shape} != {expected.shape}"
    scale = max(float(np.max(np.abs(expected), initial=0.0)), 1e-300)
    err = float(np.max(np.abs(actual - expected), initial=0.0))
    assert err <= rtol * scale, f"{what}: max abs error {err:.3g} > {rtol:g} x {scale:.3g}"
