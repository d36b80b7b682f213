"""The PyTorch side: build a spec as a model, verify the analytic numbers against it, benchmark it.

Needs the `nnarith[torch]` extra (torch and fvcore). Nothing here is imported by
`nnarith shape`, `calc` or `check`.
"""

from __future__ import annotations

from nnarith.errors import NnarithError

EXTRA = "pip install 'nnarith[torch]'"


class MissingExtra(NnarithError):
    def render(self) -> str:
        return f"error: {self}"


def require(*packages: str) -> None:
    """Import-check the packages a command needs, failing with one line that names the extra."""
    import importlib.util

    missing = [p for p in packages if importlib.util.find_spec(p) is None]
    if missing:
        raise MissingExtra(f"this command needs {' and '.join(missing)}: {EXTRA}")


def build(spec, input=None):
    """The PyTorch model of a spec (a loaded Network, a file, or a shipped spec's name)."""
    require("torch")
    from nnarith.torch.builder import build as _build

    return _build(spec, input)


__all__ = ["EXTRA", "MissingExtra", "build", "require"]
