"""Bounded cost on hostile inputs: each runs through the real CLI, which must answer (a report or
a located error, exit 0 or 2) quickly and in bounded memory. Also loads random byte strings and
YAML-like text in-process and reports the slowest. Prints figures; asserts nothing.

    python benchmarks/hostile_inputs.py
"""

from __future__ import annotations

import os
import random
import sysconfig
import tempfile
import time
from pathlib import Path

from nnarith.errors import NnarithError
from nnarith.loader import parse_spec
from nnarith.loader.yaml_loader import MAX_FILE_BYTES, decode

NNARITH = str(Path(sysconfig.get_path("scripts")) / "nnarith")
E99 = 10**99


def laughs(levels: int = 9) -> str:
    lines = ["input: [3, 8, 8]", "blocks:", "  l0: &l0 [" + ", ".join(["relu"] * 10) + "]"]
    lines += [f"  l{i}: &l{i} [" + ", ".join([f"*l{i - 1}"] * 10) + "]" for i in range(1, levels)]
    return "\n".join(lines + [f"layers: [*l{levels - 1}]"]) + "\n"


def cases() -> dict[str, str]:
    chain = 400
    return {
        "billion laughs (10^9 layers by aliases)": laughs(),
        "brackets nested 5,000 deep": "input: [3, 8, 8]\nlayers: " + "[" * 5000 + "relu" + "]" * 5000 + "\n",
        f"a chain of {chain} blocks": "input: [3, 8, 8]\nblocks:\n" + "".join(
            f"  b{i}: [b{i + 1}]\n" for i in range(chain)) + f"  b{chain}: [relu]\nlayers: [b0]\n",
        "repeat 10^9": "input: [3, 8, 8]\nlayers: [relu: {repeat: 1000000000}]\n",
        "repeat 1,000 of repeat 1,000": "input: [3, 8, 8]\nlayers: [seq: {repeat: 1000, layers: "
                                        "[seq: {repeat: 1000, layers: [relu]}]}]\n",
        f"{MAX_FILE_BYTES // 1024} KiB of layers (just under the size limit)":
            "input: [3, 8, 8]\nlayers:\n" + "  - relu\n" * ((MAX_FILE_BYTES - 40) // 9),
        "20,000 layers (the layer limit)": "input: [3, 8, 8]\nlayers:\n" + "  - relu\n" * 20_000,
        "5,000 unknown kinds": "input: [3, 8, 8]\nlayers:\n" + "  - nope\n" * 5000,
        "10^12 output features": "input: [3, 100000, 100000]\nlayers: [conv: {out: 1000000, kernel: 1000}, "
                                 "fc: 1000000000000]\n",
        "a number of 5,000 digits": "input: [3, 8, 8]\nlayers: [conv: {out: 1" + "0" * 5000 + ", kernel: 3}]\n",
        "20,000 upsamplings by 10 (a size that grows)": "input: [3, 8, 8]\nlayers: [upsample: {scale: 10, "
                                                         "repeat: 20000}]\n",
        "20,000 strides of 10^99 (the field's jump)": "input: [3, 8, 8]\nlayers: [conv: {out: 3, kernel: 1, "
                                                        f"stride: {E99}, repeat: 20000}}]\n",
        "list aliases nested 3,000 deep": "x: [" + ", ".join(["&a0 [1]"] + [f"&a{i} [*a{i - 1}]"
                                                                             for i in range(1, 3000)]) + "]\n",
        "an LSTM of 10^99 layers": f"input: [28, 28]\nlayers: [lstm: {{hidden: 4, layers: "
                                                              f"{E99}}}]\n",
        "20,000 layers of 10^99 channels": f"input: [{E99}, 8, 8]\nlayers: [conv: {{out: {E99}, kernel: 3, pad: 1, "
                                            "repeat: 20000}]\n",
        "/dev/zero": None,
    }


def document_cases(n: int = 400_000) -> dict[str, str]:
    """Documents for `nnarith check`: lines and tables that once cost quadratic time, and sheer size."""
    return {
        "a letter, then 400,000 spaces": "a" + " " * n,
        "400,000 digits on one line": "1" * n,
        "100,000 '12 parameters' on one line": "12 parameters " * (n // 14),
        "a tab-separated line of 400,000 cells": "x\t" * n,
        "a pipe table 20,000 columns wide": "| a " * 20000 + "|\n" + "|---" * 20000 + "|\n" + "| 1 " * 20000 + "|\n",
        "HTML tables nested 5,000 deep": "<table>" * 5000 + "</table>" * 5000,
        "an HTML row spanning 10^6 rows, 2,000 times": "<table><tr><th>layer</th><th>params</th></tr>"
                                                     + "<tr><td rowspan=1000000>a</td><td>1</td></tr>" * 2000
                                                     + "</table>",
        "a box-drawn table 20,000 columns wide": "┏" + "━┳" * 20000 + "┓\n┃" + " params ┃" * 20000 + "\n",
        "a ruled table of 20,000 rows": "Layer (type)  Output Shape  Param #\n" + "=" * 60 + "\n"
                                        + "conv  (1, 2)  3\n" * 20000,
        "a module tree 5,000 deep": "Net(\n" + "".join(f"{'  ' * (i % 50 + 1)}(m{i}): Seq(\n" for i in range(5000))
                                    + "  (x): Conv2d(3, 4, kernel_size=(3, 3))\n" + ")\n" * 5000,
        "20,000 sentences on one line": "ResNet-50 has 25.6M parameters and needs 4.1 GFLOPs. " * 20000,
        "4 MiB of 200-row tables (past the figure limit)": _table_of(200) * (4_000_000 // len(_table_of(200))),
        "a cell of 40,000 '['": "| layer | params |\n|---|---|\n| conv1_1 | " + "[" * 40_000 + " |\n",
        "a header of 40,000 '['": "| layer | " + "[" * 40_000 + " |\n|---|---|\n| conv1_1 | 1,792 |\n",
        "5,000 '─' before a colon": "─" * 5_000 + ": 5 params\n",
        "a pipe table 1,000,000 columns wide": "| " + "|" * 1_000_000 + " |\n|---|---|\n| conv1_1 | 1 |\n",
        "an exponent of 10^8 (1e100000000)": "| layer | params |\n|---|---|\n| conv1_1 | 1e100000000 |\n",
        "200,000 'Total: 5 params' lines": "Total: 5 params\n" * 200_000,
    }


def _table_of(rows: int) -> str:
    return "| layer | output | params |\n|---|---|---|\n" + "".join(
        f"| conv{i} | 64x56x56 | 36,928 |\n" for i in range(rows)) + "\n"


def _err(path: str) -> str:
    return os.path.join(tempfile.gettempdir(), "nnarith-hostile.err") if path.startswith("/dev/") else path + ".err"


def run(path: str, *args: str) -> tuple[float, float, int, str]:
    start = time.perf_counter()
    pid = os.fork()
    if pid == 0:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 1)
        os.dup2(os.open(_err(path), os.O_WRONLY | os.O_CREAT | os.O_TRUNC), 2)
        command, *extra = args
        spec = ("--spec", "vgg16") if command == "check" else ()
        os.execv(NNARITH, [NNARITH, command, path, *spec, *extra])
    _, status, usage = os.wait4(pid, 0)
    seconds = time.perf_counter() - start
    first = (Path(_err(path)).read_text().splitlines() or ["(report)"])[0]
    return seconds, usage.ru_maxrss / 1024, os.waitstatus_to_exitcode(status), first


def random_loads(n: int = 3000, seed: int = 0) -> tuple[float, str]:
    """The slowest of n random inputs, loaded in-process."""
    rng = random.Random(seed)
    alphabet = ":-[]{}&*!|>'\"#\n\t ,0123456789abconvlyers$<~.%@"
    worst, what = 0.0, ""
    for i in range(n):
        if i % 2:
            data = bytes(rng.randrange(256) for _ in range(rng.randrange(2000)))
        else:
            data = "".join(rng.choice(alphabet) for _ in range(rng.randrange(2000))).encode()
        start = time.perf_counter()
        try:
            parse_spec(decode(data, "r.yaml"), "r.yaml")
        except NnarithError:
            pass
        took = time.perf_counter() - start
        if took > worst:
            worst, what = took, f"input {i} ({len(data)} bytes)"
    return worst, what


def main() -> None:
    print(f"{'input':<46} {'seconds':>8} {'peak RSS':>10} exit  first line")
    with tempfile.TemporaryDirectory() as tmp:
        for label, text in cases().items():
            path = "/dev/zero" if text is None else os.path.join(tmp, "hostile.yaml")
            if text is not None:
                Path(path).write_text(text)
            for extra in ((), ("--exact",), ("-f", "json")) if "channels" in label else ((),):
                seconds, mib, code, first = run(path, "shape", *extra)
                first = first.replace(path, "<file>")
                what = f"{label} {' '.join(extra)}".strip()
                print(f"{what[:46]:<46} {seconds:>8.2f} {mib:>6.1f} MiB  {code:>3}  {first[:110]}")
        print(f"\n{'document for nnarith check --spec vgg16':<46} {'seconds':>8} {'peak RSS':>10} exit  last line")
        for label, text in document_cases().items():
            path = os.path.join(tmp, "hostile.md")
            Path(path).write_text(text)
            seconds, mib, code, first = run(path, "check")
            print(f"{label[:46]:<46} {seconds:>8.2f} {mib:>6.1f} MiB  {code:>3}  {first.replace(path, '<file>')[:80]}")
    worst, what = random_loads()
    print(f"slowest of 3,000 random inputs loaded in-process: {worst * 1e3:.1f} ms ({what})")


if __name__ == "__main__":
    main()
