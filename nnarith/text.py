"""Text rules every command shares: which characters make a number, how large a number may be,
how an exact fraction is written, and which characters may reach a terminal.

Python's str.isdigit() accepts '²', '８' and '٣'; int() then fails on the first and reads the
others. nnarith reads numbers as YAML does: ASCII digits only.
"""

from __future__ import annotations

import re
from fractions import Fraction

# Every number written (in a spec, an option, an answers file) has at most MAX_DIGITS digits,
# and every size a layer computes (a dimension, a receptive field) at most COMPUTED_DIGITS.
# Figures built from them (10^1000 and more) stay exact, and their cost stays bounded: without
# a bound, upsampling 20,000 times grows a size to millions of digits.
MAX_DIGITS = 100
LIMIT = 10**MAX_DIGITS
COMPUTED_DIGITS = 200
COMPUTED_LIMIT = 10**COMPUTED_DIGITS

_DIGITS = re.compile(r"[0-9]+")
# C0 and C1 controls and DEL, except tab and newline; the line and paragraph separators; the
# bidirectional overrides ("Trojan source"); and what XML 1.0 cannot hold even escaped (the two
# non-characters, lone surrogates): an ANSI escape or \x01 in a name must not reach a terminal, a
# JSON string or a JUnit file as itself.
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufffe\uffff\ud800-\udfff]")


def is_digits(text: str) -> bool:
    """True for a non-empty run of ASCII digits."""
    return _DIGITS.fullmatch(text) is not None


def too_large(value: int | float) -> bool:
    return abs(value) >= LIMIT


def too_large_text(what: str) -> str:
    return f"{what} has more than {MAX_DIGITS} digits, nnarith's limit for a number"


def visible(text: str) -> str:
    """Control characters written as escapes (ESC -> \\x1b), so that output shows what a file holds."""
    return CONTROL.sub(lambda m: ascii(m.group())[1:-1], text)  # ESC -> \x1b, U+2028 -> \u2028


def decimal(value: Fraction, places: int = 2) -> str:
    """An exact fraction to `places` decimals, rounded half to even, trailing zeros kept.

    Integer arithmetic throughout: a float overflows past 1.8e308 and rounds long before that.
    """
    scaled = round(value * 10**places)
    sign, digits = ("-" if scaled < 0 else ""), str(abs(scaled)).rjust(places + 1, "0")
    return f"{sign}{digits[:-places]}.{digits[-places:]}" if places else f"{sign}{digits}"


def scientific(n: int, places: int = 2) -> str:
    """An integer as '1.23e45', computed exactly for any size."""
    m = abs(n)
    e = max(0, (m.bit_length() - 1) * 30102999 // 10**8)  # just below log10(2): never above the exponent
    while 10 ** (e + 1) <= m:
        e += 1
    mantissa = round(Fraction(m, 10**e) * 10**places)
    if mantissa >= 10 ** (places + 1):  # 9.995e5 rounds up to 10.00e5
        e, mantissa = e + 1, round(Fraction(m, 10 ** (e + 1)) * 10**places)
    digits = str(mantissa)
    return f"{'-' if n < 0 else ''}{digits[0]}.{digits[1:]}e{e}"


# What a terminal that is not UTF-8 (PYTHONIOENCODING=ascii, a latin-1 locale) gets instead.
_ASCII = str.maketrans({"×": "x", "─": "-", "━": "-", "═": "=", "│": "|", "┃": "|", "├": "+", "└": "+",
                        "┌": "+", "┼": "+", "✓": "ok", "✗": "WRONG", "⚑": "!", "→": "->", "≈": "~",
                        "≃": "~", "÷": "/", "−": "-", "·": ".", "…": "...", "µ": "u", "—": "--", "–": "-",
                        "‘": "'", "’": "'", "“": '"', "”": '"'})


def for_encoding(text: str, encoding: str | None) -> str:
    """The text itself where the stream can encode it, else with ASCII stand-ins ('x' for '×',
    'ok' and 'WRONG' for the check marks); what is left is escaped by the stream."""
    try:
        text.encode(encoding or "utf-8")
        return text
    except (UnicodeEncodeError, LookupError):
        return text.translate(_ASCII)
