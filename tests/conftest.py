"""Test options: `pytest --regen-golden` rewrites the golden outputs under tests/golden/."""

from __future__ import annotations


def pytest_addoption(parser):
    parser.addoption("--regen-golden", action="store_true", help="rewrite tests/golden/ from the current output")
