"""Whole-process speed and memory of the analytic path (issue: at most 0.3 s and 50 MiB for
ResNet-152; a 10,000-layer spec within 1 s; `nnarith check` on a 200-row document within 0.3 s;
on typer, ResNet-50 within 0.3 s and 60 MiB). Prints figures; asserts nothing.

    python benchmarks/cli_speed.py [--runs 15]

It runs the installed `nnarith` console script beside this interpreter, as a user would.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import sysconfig
import tempfile
import time
import timeit
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def deep_spec(path: Path, layers: int) -> None:
    """A spec of `layers` layers written out one per line (no repeat), to time the YAML reading too."""
    lines = ["name: deep", "input: [8, 32, 32]", "layers:"]
    for _ in range(layers // 2):
        lines += ["  - conv: {out: 8, kernel: 3, pad: 1}", "  - relu"]
    path.write_text("\n".join(lines) + "\n")


def table_200(path: Path) -> None:
    """A 200-row Markdown table (output, params, MACs) of ResNet-152's first layers, as `nnarith check` reads it."""
    out = subprocess.run([str(Path(sysconfig.get_path("scripts")) / "nnarith"), "shape", "resnet152", "-f", "csv"],
                         capture_output=True, text=True, check=True).stdout.splitlines()[2:202]
    rows = ["| layer | output | params | MACs |", "|---|---|---|---|"]
    rows += [f"| {c[0]} | {c[2]} | {int(c[3]):,} | {int(c[7]):,} |" for c in (line.split(",") for line in out)]
    path.write_text("\n".join(rows) + "\n")


# torchinfo's summary of the same ResNet-50, whole process as a user runs it: torch's import, the model built
# (by nnarith's builder: torchvision does not import with the CPU build of torch here) and the summary printed.
TORCHINFO = ("import torchinfo; from nnarith.torch.builder import build; "
             "torchinfo.summary(build('specs/resnet50.yaml'), input_size=(1, 3, 224, 224))")


def measure(argv: list[str], runs: int, env: dict[str, str] | None = None) -> tuple[float, float, float]:
    """Median and spread (min-max) of wall time in seconds, and the peak RSS in MiB, over `runs` runs."""
    times, peaks = [], []
    # As a user runs it, with Python's bytecode cache: where PYTHONDONTWRITEBYTECODE is set, every run compiles
    # every module again (60 ms more for ResNet-50). The first run, which writes the cache, is not counted.
    env = {k: v for k, v in {**os.environ, **(env or {})}.items() if k != "PYTHONDONTWRITEBYTECODE"}
    for run in range(runs + 1):
        start = time.perf_counter()
        pid = os.fork() if hasattr(os, "fork") else None
        if pid == 0:  # child: become the command, so its RSS is measured alone
            fd = os.open(os.devnull, os.O_WRONLY)
            os.dup2(fd, 1)
            os.execve(argv[0], argv, env)
        _, status, usage = os.wait4(pid, 0)
        if not run:
            continue
        times.append(time.perf_counter() - start)
        # check exits 1 when a document holds wrong figures (GoogLeNet's Table 1 does): that is its answer
        assert os.waitstatus_to_exitcode(status) in ((0, 1) if "check" in argv else (0,)), argv
        peaks.append(usage.ru_maxrss / 1024)  # KiB on Linux
    return statistics.median(times), max(times) - min(times), max(peaks)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    script = str(Path(sysconfig.get_path("scripts")) / "nnarith")
    shown = os.path.relpath(script)  # where it lies is this machine's: printed relative, as RESULTS.md records it
    print(f"python {platform.python_version()}, {os.cpu_count()} cores, {platform.machine()}; "
          f"{shown if not shown.startswith('..') else 'nnarith'}")
    # The same machine type varies from day to day; this pure-Python reference makes runs comparable.
    reference = min(timeit.repeat("sum(range(10**6))", number=5, repeat=5)) / 5
    print(f"machine speed reference: sum(range(10**6)) takes {reference * 1e3:.1f} ms")
    with tempfile.TemporaryDirectory() as tmp:
        deep = Path(tmp) / "deep.yaml"
        deep_spec(deep, 10_000)
        doc = Path(tmp) / "table200.md"
        table_200(doc)
        corpus = ROOT / "tests/corpus"
        cases = [
            ("nnarith shape specs/resnet50.yaml", [script, "shape", str(ROOT / "specs/resnet50.yaml")], 0.3, 60),
            ("nnarith shape specs/resnet152.yaml", [script, "shape", str(ROOT / "specs/resnet152.yaml")], 0.3, 50),
            ("nnarith shape specs/vgg16.yaml", [script, "shape", str(ROOT / "specs/vgg16.yaml")], 0.3, 50),
            ("nnarith shape <10,000 layers>", [script, "shape", str(deep)], 1.0, None),
            ("nnarith shape <10,000 layers> -f json", [script, "shape", str(deep), "-f", "json"], 1.0, None),
            ("nnarith check <200 rows, 600 figures>", [script, "check", str(doc), "--spec", "resnet152"], 0.3,
             None),
            ("nnarith check <GoogLeNet's Table 1>", [script, "check", str(corpus / "paper_googlenet_table1.md"),
                                                    "--spec", "googlenet_paper"], 0.3, None),
            ("nnarith check <torchvision weights table>", [script, "check",
                                                            str(corpus / "docs_torchvision_weights.md")], None, None),
            ("nnarith list (every shipped spec analysed)", [script, "list"], None, None),
            ("nnarith --version (startup)", [script, "--version"], None, None),
            ("nnarith shape --help (rich draws it)", [script, "shape", "--help"], None, None),
        ]
        # the coloured path: what a terminal gets (FORCE_COLOR paints output that is not a terminal)
        cases.insert(1, ("nnarith shape specs/resnet50.yaml, coloured", cases[0][1], 0.3, 60, {"FORCE_COLOR": "1"}))
        print(f"{'command':<46} {'median':>8} {'spread':>8} {'peak RSS':>10}  budget")
        medians = {}
        for label, argv, seconds, mib, *env in cases:
            med, spread, peak = measure(argv, args.runs, *env)
            medians[label] = med
            budget = " and ".join(b for b in (seconds and f"{seconds} s", mib and f"{mib} MiB") if b) or "-"
            print(f"{label:<46} {med:>7.3f}s {spread:>7.3f}s {peak:>7.1f} MiB  {budget}")
        side_by_side(medians["nnarith shape specs/resnet50.yaml"], min(args.runs, 7))
    imported = subprocess.run([sys.executable, "-c", "import sys; from nnarith.cli import main; "
                               "main(['shape', 'resnet152', '-f', 'json']); "
                               "print('torch' in sys.modules, 'rich' in sys.modules)"], capture_output=True, text=True)
    torch, rich = imported.stdout.strip().splitlines()[-1].split()
    print(f"torch imported on the analytic path: {torch}; rich (only the help needs it): {rich}")


def side_by_side(nnarith: float, runs: int) -> None:
    """torchinfo's summary of ResNet-50 beside `nnarith shape` of it (the issue asks for 12 times faster)."""
    have = subprocess.run([sys.executable, "-c", "import torch, torchinfo"], capture_output=True).returncode == 0
    if not have:
        print("torchinfo summary of ResNet-50: not measured (torch and torchinfo are not installed)")
        return
    med, spread, peak = measure([sys.executable, "-c", TORCHINFO], runs)
    label = "torchinfo.summary(ResNet-50), whole process"
    print(f"{label:<46} {med:>7.3f}s {spread:>7.3f}s {peak:>7.1f} MiB  -")
    print(f"nnarith shape resnet50 is {med / nnarith:.1f} times faster than torchinfo's summary (budget: 12)")


if __name__ == "__main__":
    main()
