"""nnarith: the exact arithmetic of neural networks, from a YAML spec.

    from nnarith import load_spec, analyze
    report = analyze(load_spec("resnet50"))
    report.totals.params, report.totals.macs     # 25557032, 4089184256
    analyze(load_spec("vgg", sets={"stage5": 4}))  # a spec's arguments (args:) set
"""

from __future__ import annotations

__version__ = "0.1.0"

_API = {
    "load_spec": "nnarith.loader",
    "parse_spec": "nnarith.loader",
    "load_template": "nnarith.loader",
    "analyze": "nnarith.analysis.walk",
}


def __getattr__(name: str):
    """Import the API on first use, so that the CLI starts without it."""
    if name in _API:
        import importlib

        return getattr(importlib.import_module(_API[name]), name)
    raise AttributeError(f"module 'nnarith' has no attribute '{name}'")


__all__ = ["__version__", *_API]
