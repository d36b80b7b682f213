"""The commands' help: a description, option panels, and examples that the tests run.

typer draws it with rich, which is imported only when --help is asked.
"""

from __future__ import annotations

import sys
from typing import Any

from typer.core import HAS_RICH, TyperCommand, TyperGroup

from nnarith.render import style


def _text(text: str) -> str:
    """Text shown as written: rich's markup would read '[name]' as a style."""
    return text.replace("[", "\\[") if HAS_RICH else text


# The panels the commands are grouped in, in `nnarith --help`
ANALYSE, CHECK, LIBRARY, TORCH = "Analyse", "Check", "Library", _text("PyTorch (needs nnarith[torch])")
PICTURES = "Pictures"


def _colour() -> None:
    """The help is coloured where nnarith's output is (not with --no-color or NO_COLOR, nor on a pipe, where
    typer would colour it on GitHub Actions)."""
    if HAS_RICH:
        from typer import rich_utils

        rich_utils.COLOR_SYSTEM = "auto" if style.enabled(sys.stdout) else None


class Group(TyperGroup):
    def format_help(self, ctx: Any, formatter: Any) -> None:
        _colour()
        return super().format_help(ctx, formatter)


class Command(TyperCommand):
    def format_help(self, ctx: Any, formatter: Any) -> None:
        _colour()
        return super().format_help(ctx, formatter)


def command(doc: str, examples: list[str], panel: str) -> dict[str, Any]:
    """app.command()'s settings for a command: its help (paragraphs reflowed to the terminal), the first line as
    its summary, and its examples, one a line."""
    paragraphs = [" ".join(p.split()) for p in doc.strip().split("\n\n")]
    # rich keeps the epilog's line breaks (and strips a common indent unless the first line is empty);
    # click's plain formatter keeps those of a paragraph marked with \b
    epilog = ("\n" if HAS_RICH else "\b\n") + "Examples:\n" + "\n".join(f"  {e}" for e in examples)
    return {"help": _text("\n\n".join(paragraphs)), "short_help": _text(paragraphs[0]), "epilog": _text(epilog),
            "rich_help_panel": panel, "cls": Command}
