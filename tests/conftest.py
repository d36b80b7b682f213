"""Test options: `pytest --regen-golden` rewrites the golden outputs under tests/golden/."""

from __future__ import annotations

import os

import pytest

# The output's width and colour follow the environment (COLUMNS, NO_COLOR, FORCE_COLOR): the tests, and the
# CLI they run in subprocesses, see none of a developer's settings, only those a test sets itself.
for _name in ("COLUMNS", "LINES", "NO_COLOR", "FORCE_COLOR"):
    os.environ.pop(_name, None)


def pytest_addoption(parser):
    parser.addoption("--regen-golden", action="store_true", help="rewrite tests/golden/ from the current output")


def pytest_configure(config):
    """In CI (NNARITH_REQUIRE_TORCH=1) the torch tests must run: a missing torch is an error, not a skip."""
    import importlib.util

    if os.environ.get("NNARITH_REQUIRE_TORCH"):
        missing = [p for p in ("torch", "fvcore") if importlib.util.find_spec(p) is None]
        if missing:
            raise pytest.UsageError(f"NNARITH_REQUIRE_TORCH is set but {', '.join(missing)} is not installed")


# Hypothesis: CI runs the default profile; `pytest --hypothesis-profile long` runs 50,000 examples.
from hypothesis import HealthCheck, settings  # noqa: E402

settings.register_profile("default", max_examples=1000, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("long", max_examples=50_000, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("quick", max_examples=100, deadline=None)
settings.load_profile("default")
