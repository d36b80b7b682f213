"""What model-summary tools print below their tables, and whose definitions those figures follow.

    Total params: 11,689,512                      torchinfo, torchsummary, Keras
    Trainable params: 11,689,512                  parameters that train
    Non-trainable params: 0                       frozen parameters; in Keras also batch norm's statistics
    Total mult-adds (G): 1.81                     torchinfo: multiply-accumulates
    Input size (MB): 0.60                         the input batch in bytes
    Forward/backward pass size (MB): 39.75        each tool's own definition (truth.py states them)
    Params size (MB): 46.76                       the parameters in bytes
    Estimated Total Size (MB): 87.11              the three above, added
    Total params: 34,826 (136.04 KB)              Keras: the size in brackets, and its KB are KiB

Each line is a claim about the whole network, with the tool's name as its convention: the
MB of torchsummary are MiB, those of torchinfo 10^6 bytes.
"""

from __future__ import annotations

import re

from nnarith.check.claims import Claim, Subject
from nnarith.errors import Loc

_KEYS = [  # (pattern on the lower-cased key, figure)
    (r"^total params$", "params"),
    (r"^non-?trainable params$", "non_trainable"),
    (r"^trainable params$", "trainable"),
    (r"^total mult-?adds$", "macs"),
    (r"^input size$", "input_size"),
    (r"^forward/backward pass size$", "forward_backward_size"),
    (r"^params size$", "params_size"),
    (r"^estimated total size$", "total_size"),
]
_LINE = re.compile(r"^[ \t│|]*([A-Za-z][A-Za-z/-]*(?: [A-Za-z/-]+)*) ?(?:\(([^)]*)\))?:[ \t]*"
                   r"([-+~\d.,]+(?: ?[A-Za-z]+)?) ?(?:\(([^)]*)\))?[ \t│|]*$")
MAX_LINE = 200  # a totals line is short
_UNITS = {"units.gigabytes": "G", "units.megabytes": "M", "units.kilobytes": "K", "units.terabytes": "T",
          "units.none": None, "g": "G", "m": "M", "k": "K", "t": "T", "mb": "MB", "gb": "GB", "kb": "kB"}


def tool_of(text: str) -> str | None:
    """Which tool printed a summary, by the marks each leaves."""
    if "depth-idx" in text or "mult-adds" in text.lower():
        return "torchinfo"
    if (re.search(r"\(None, ", text) or re.search(r"^Model: \"", text, re.M)
            or re.search(r"params: [\d,]+ \([\d.]+ [KMGT]?B\)", text)):
        return "keras"
    if re.search(r"^\s*[A-Z][A-Za-z0-9]*-\d+\s{2,}\[-1,", text, re.M):
        return "torchsummary"
    return None


def summary_line(line: str, number: int, file: str, tool: str | None) -> Subject | None:
    """A totals line of a summary, as a subject (the whole network) with its claims; else None."""
    m = _LINE.match(line) if len(line) <= MAX_LINE and ":" in line else None
    if not m:
        return None
    key = m[1].lower().strip()
    figure = next((f for pattern, f in _KEYS if re.match(pattern, key)), None)
    if figure is None:
        return None
    unit = _unit(m[2], tool)
    subject = Subject(m[1].strip(), Loc(file, number, m.start(1) + 1), total=True)
    subject.claims.append(Claim(figure, m[3].strip(), Loc(file, number, m.start(3) + 1), unit, convention=tool))
    if m[4] and re.search(r"\d", m[4]) and figure in ("params", "trainable", "non_trainable"):  # Keras
        size = m[4].strip()
        subject.claims.append(Claim(f"{figure}_size" if figure != "params" else "params_size", size,
                                    Loc(file, number, m.start(4) + 1), None, convention=tool))
    return subject


def _unit(inner: str | None, tool: str | None) -> str | None:
    if not inner:
        return None
    unit = _UNITS.get(inner.strip().lower(), inner.strip())
    if tool == "torchsummary" and unit == "MB":
        return "MiB"  # torchsummary divides by 1024**2 and calls it MB
    return unit
