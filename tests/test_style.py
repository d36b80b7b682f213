"""Colour by meaning, on a terminal only; the width a table fits."""

from __future__ import annotations

import io
import os
import re

import pytest

from nnarith.render import style

ESCAPE = re.compile(r"\x1b\[[0-9;]*m")


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.fixture(autouse=True)
def clean(monkeypatch):
    """No colour settings from the environment running the tests; --no-color undone after each."""
    for name in ("NO_COLOR", "FORCE_COLOR", "COLUMNS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("TERM", "xterm")
    monkeypatch.setattr(style, "_disabled", False)


@pytest.mark.parametrize("stream, env, coloured", [
    (Terminal, {}, True),
    (io.StringIO, {}, False),  # piped: plain text
    (Terminal, {"NO_COLOR": "1"}, False),
    (Terminal, {"TERM": "dumb"}, False),
    (io.StringIO, {"FORCE_COLOR": "1"}, True),
    (Terminal, {"NO_COLOR": "1", "FORCE_COLOR": "1"}, False),  # NO_COLOR wins
])
def test_colour_only_where_it_is_wanted(monkeypatch, stream, env, coloured):
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert style.enabled(stream()) is coloured
    assert (style.painter(stream()) is style.plain) is not coloured


def test_no_color_option_turns_it_off_on_a_terminal():
    style.disable()
    assert style.painter(Terminal()) is style.plain


@pytest.mark.parametrize("meaning", sorted(style.MEANINGS))
def test_each_meaning_paints_and_strips_back(meaning):
    paint = style.painter(Terminal())
    text = paint("conv1  ", meaning)
    assert ESCAPE.sub("", text) == "conv1  "
    assert (text != "conv1  ") is bool(style.MEANINGS[meaning])  # 'name' is plain
    assert style.plain("conv1", meaning) == "conv1" and paint("", meaning) == ""


def test_meanings_that_differ_look_different():
    paint = style.painter(Terminal())
    assert len({paint("x", m) for m in ("wrong", "right", "flag", "hint", "guide", "block")}) == 6
    assert paint("x", "flag") == "\x1b[33mx\x1b[0m" and paint("x", "heading") == "\x1b[1mx\x1b[0m"


@pytest.mark.parametrize("columns, want", [("120", 120), ("", 100), ("abc", 100), ("10", 40), ("１２０", 100)])
def test_width_off_a_terminal_is_columns_else_100(monkeypatch, columns, want):
    monkeypatch.setenv("COLUMNS", columns)
    assert style.width(io.StringIO()) == want


def test_width_on_a_terminal_is_the_terminals(monkeypatch):
    monkeypatch.setattr("shutil.get_terminal_size", lambda fallback: os.terminal_size((132, 50)))
    assert style.width(Terminal()) == 132
    monkeypatch.setattr("shutil.get_terminal_size", lambda fallback: os.terminal_size((20, 50)))
    assert style.width(Terminal()) == 40  # the narrowest nnarith lays a table out for
