"""`print(model)`: PyTorch's module tree, whose lines state each layer's hyperparameters.

    AlexNet(
      (features): Sequential(
        (0): Conv2d(3, 64, kernel_size=(11, 11), stride=(4, 4), padding=(2, 2))
        (2): MaxPool2d(kernel_size=3, stride=2, padding=0, dilation=1, ceil_mode=False)
      ...
        (1): Linear(in_features=9216, out_features=4096, bias=True)

Each leaf is a subject labelled with its module path (features.0), of the kind its class
names; its claims are architecture claims: in_channels and filters (in_features and
out_features for Linear), kernel and stride.
"""

from __future__ import annotations

import re

from nnarith.check.claims import Block, Claim, Subject
from nnarith.check.vocabulary import TRAITS
from nnarith.errors import Loc

OPEN = re.compile(r"^\s*[A-Za-z_]\w*\($")  # 'AlexNet(' alone on its line
_LINE = re.compile(r"^(?P<indent>\s*)\((?P<name>[\w.]+)\): (?P<cls>[A-Za-z_]\w*)\((?P<args>.*?)(?P<end>\))?$")
_POSITIONAL = {name for c in TRAITS.values() for name in c.positional}  # Conv2d(3, 64, ...)
_KEYS = {"in_channels": "in_channels", "out_channels": "filters", "in_features": "in_channels",
         "out_features": "filters", "kernel_size": "kernel", "stride": "stride", "output_size": "output"}
MAX_LINES = 20_000


def starts_module_tree(lines: list[str], i: int) -> bool:
    return bool(OPEN.match(lines[i])) and i + 1 < len(lines) and bool(_LINE.match(lines[i + 1]))


def read_module_tree(lines: list[str], first: int, file: str) -> tuple[Block, int]:
    """The leaves of a module tree from its opening line; returns them and the index after it."""
    block: Block = []
    path: list[tuple[int, str]] = []  # (indent, name) of the open containers
    i = first + 1
    while i < len(lines) and i - first < MAX_LINES:
        line = lines[i]
        if line.strip() == ")":
            indent = len(line) - len(line.lstrip())
            while path and path[-1][0] >= indent:
                path.pop()
            i += 1
            if not path and indent == len(lines[first]) - len(lines[first].lstrip()):
                break
            continue
        m = _LINE.match(line)
        if not m:
            break
        indent = len(m["indent"])
        while path and path[-1][0] >= indent:
            path.pop()
        if not m["end"]:  # a container: its children follow
            path.append((indent, m["name"]))
        else:
            label = ".".join([p for _, p in path] + [m["name"]])
            subject = Subject(label, Loc(file, i + 1, indent + 2), kind=m["cls"])
            subject.claims = _claims(m["cls"], m["args"], m.start("args"), file, i + 1)
            block.append(subject)
        i += 1
    return block, i


def _claims(cls: str, args: str, offset: int, file: str, line: int) -> list[Claim]:
    claims = []
    pos = 0
    for n, part in enumerate(_split(args)):
        text = part.strip()
        col = offset + pos + len(part) - len(part.lstrip()) + 1
        pos += len(part) + 1
        key, eq, value = text.partition("=")
        if not eq and cls in _POSITIONAL and n < 2 and text.isdigit():  # Conv2d(3, 64, ...)
            claims.append(Claim("in_channels" if n == 0 else "filters", text, Loc(file, line, col)))
        elif eq and key in _KEYS:
            figure = _KEYS[key]
            value = value.strip()
            claims.append(Claim(figure, value, Loc(file, line, col + len(key) + 1)))
    return claims


def _split(args: str) -> list[str]:
    """Arguments split at the commas outside brackets."""
    parts, depth, start = [], 0, 0
    for i, c in enumerate(args):
        depth += c in "(["
        depth -= c in ")]"
        if c == "," and depth == 0:
            parts.append(args[start:i])
            start = i + 1
    parts.append(args[start:])
    return [p for p in parts if p.strip()]
