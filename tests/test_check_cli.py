"""`nnarith check` run as users and CI run it: real files, a real subprocess, exit codes,
JSON, JUnit, and the examples in examples/homework and examples/ci."""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import sysconfig
import venv
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import yaml

from tests.helpers import ROOT, cli

HOMEWORK = ROOT / "examples" / "homework"
CI = ROOT / "examples" / "ci"


def test_homework_answers_produce_the_stored_report():
    r = cli("check", "examples/homework/answers.yaml")
    assert r.returncode == 1, r.stderr
    assert r.stdout == (HOMEWORK / "answers.report.txt").read_text()
    assert r.stdout.rstrip().endswith("9/12 right (3 wrong; 3 notes: right under another convention)")


def test_homework_key_and_notes_are_all_right():
    assert cli("check", "examples/homework/key.yaml").returncode == 0
    r = cli("check", "examples/homework/alexnet_notes.txt", "--spec", "alexnet_original")
    assert r.returncode == 0 and r.stdout.rstrip().endswith("44/44 right")


def test_the_issue_example_line(tmp_path):
    """'line 7  conv3_1 params  stated 294,912  true 295,168 = 256 x (3*3*128 + 1)' under --strict."""
    (tmp_path / "t.md").write_text("| layer | params |\n|---|---|\n" + "| x | |\n" * 4 + "| conv3_1 | 294,912 |\n")
    strict = cli("check", "t.md", "--spec", "vgg16", "--strict", cwd=tmp_path)
    assert strict.returncode == 1
    # piped, the report fits 100 columns: this line folds, the true value under the stated one
    assert re.search(r"^✗ +line 7  conv3_1 params  stated 294,912\n {29}true 295,168 ", strict.stdout, re.M)
    assert ("✗ line 7 conv3_1 params stated 294,912 true 295,168 = 256 x (3*3*128 + 1) (--strict: weights without "
            "biases: 256 x 3*3*128 = 294,912)") in " ".join(strict.stdout.split())
    assert max(map(len, strict.stdout.splitlines())) <= 100
    plain = cli("check", "t.md", "--spec", "vgg16", cwd=tmp_path)
    assert plain.returncode == 0 and re.search(r"^note line 7 ", plain.stdout, re.M)
    assert plain.stdout.rstrip().endswith("1/1 right (1 note: right under another convention)")


def shipped_round_trip(spec: str, fmt: str, *extra: str) -> tuple[str, int]:
    """Render a shipped spec with `nnarith shape`, and count the figure cells it holds."""
    r = cli("shape", spec, "--format", fmt, *extra)
    assert r.returncode == 0, r.stderr
    if fmt == "csv":
        rows = [line.split(",") for line in r.stdout.splitlines()[1:]]
        cells = sum(1 for row in rows for i, c in enumerate(row) if i in range(2, 16) and i != 12
                    and (any(ch.isdigit() for ch in c) or (i == 13 and c in ("whole", "undefined"))))
    else:
        table = [line.split("|")[3:8] for line in r.stdout.splitlines() if line.startswith("| ")][1:]
        cells = sum(1 for row in table for c in row if c.strip() and c.strip() not in ("",))
        # the totals below the table: params, buffers; MACs, other ops; memory; params memory; depth; the
        # training-only heads' two
        cells += 7 + 2 * ("training-only heads:" in r.stdout)
    return r.stdout, cells


@pytest.mark.parametrize("spec, fmt, extra", [
    ("vgg16", "markdown", ()), ("resnet50", "markdown", ("--exact",)), ("googlenet", "csv", ()),
    ("densenet121", "csv", ("--depth", "2")), ("inception_v3", "markdown", ("--depth", "1")),
    ("examples/unet_small.yaml", "csv", ()), ("examples/lstm_mnist.yaml", "markdown", ()),
])
def test_round_trip_every_figure_nnarith_prints_checks_right(tmp_path, spec, fmt, extra):
    text, cells = shipped_round_trip(spec, fmt, *extra)
    doc = tmp_path / ("r.csv" if fmt == "csv" else "r.md")
    doc.write_text(text)
    r = cli("check", str(doc), "--spec", spec, "--format", "json")
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr
    summary = json.loads(r.stdout)["summary"]
    assert summary == {"ok": cells, "wrong": 0, "notes": 0}


def test_round_trip_through_a_pipe():
    text, cells = shipped_round_trip("alexnet_original", "markdown")
    r = cli("check", "-", "--spec", "alexnet_original", input=text)
    assert r.returncode == 0 and r.stdout.rstrip().endswith(f"{cells}/{cells} right")


def test_round_trip_catches_one_changed_cell(tmp_path):
    text, cells = shipped_round_trip("lenet5", "markdown")
    assert text.count("| 2.42 K |") == 1  # c3: 16 x (5*5*6 + 1) = 2,416
    (tmp_path / "l.md").write_text(text.replace("| 2.42 K |", "| 2.44 K |"))
    doc = json.loads(cli("check", "l.md", "--spec", "lenet5", "-f", "json", cwd=tmp_path).stdout)
    wrong = [i for i in doc["items"] if i["status"] == "wrong"]
    assert [(i["what"], i["stated"], i["expected"]) for i in wrong] == [("c3 params", "2.44 K", 16 * (5 * 5 * 6 + 1))]
    assert doc["summary"] == {"ok": cells - 1, "wrong": 1, "notes": 0}


def test_json_schema(tmp_path):
    r = cli("check", "examples/homework/answers.yaml", "--format", "json")
    doc = json.loads(r.stdout)
    assert list(doc) == ["schema", "items", "skipped", "summary"] and doc["schema"] == "nnarith.check/1"
    assert all(list(i) == ["line", "what", "stated", "expected", "status", "derivation"] for i in doc["items"])
    assert {i["status"] for i in doc["items"]} == {"ok", "wrong", "note"}
    counts = {s: sum(i["status"] == s for i in doc["items"]) for s in ("ok", "wrong", "note")}
    assert doc["summary"] == {"ok": counts["ok"], "wrong": counts["wrong"], "notes": counts["note"]}
    conv2 = next(i for i in doc["items"] if i["what"] == "conv2 params")
    assert conv2 == {"line": 12, "what": "conv2 params", "stated": "(5*5*96 + 1)*256 = 614,656",
                     "expected": 256 * (5 * 5 * 48 + 1), "status": "wrong",
                     "derivation": "256 x (5*5*48 + 1) = 307,456"}
    shape = next(i for i in doc["items"] if i["what"] == "pool2 output")
    assert shape["expected"] == [256, 13, 13]


@pytest.mark.parametrize("strict", [False, True])
def test_junit_has_one_case_per_figure(tmp_path, strict):
    out = tmp_path / "report.xml"
    args = ["check", "examples/homework/answers.yaml", "--junit", str(out), "-f", "json"] + (["--strict"] * strict)
    items = json.loads(cli(*args).stdout)["items"]
    suites = ET.parse(out).getroot()
    cases = suites.findall("./testsuite/testcase")
    assert [c.get("name") for c in cases] == [f"line {i['line']}: {i['what']}" for i in items]
    failed = [c.get("name") for c in cases if c.find("failure") is not None]
    assert failed == [f"line {i['line']}: {i['what']}" for i in items if i["status"] == "wrong"]
    assert len(failed) == (6 if strict else 3) and suites.get("failures") == str(len(failed))
    notes = [c.find("system-out").text for c in cases if c.find("system-out") is not None]
    assert len(notes) == (0 if strict else 3) and all(n.startswith("note: stated ") for n in notes)


def test_exit_codes(tmp_path):
    # LeNet-5's c1: 6 filters of 5x5x1 and 6 biases = 156 params; 150 counts the weights only
    (tmp_path / "right.md").write_text("| layer | params |\n|---|---|\n| c1 | 156 |\n")
    (tmp_path / "wrong.md").write_text("| layer | params |\n|---|---|\n| c1 | 157 |\n")
    (tmp_path / "note.md").write_text("| layer | params |\n|---|---|\n| c1 | 6*5*5 = 150 |\n")
    assert cli("check", "right.md", "--spec", "lenet5", cwd=tmp_path).returncode == 0
    assert cli("check", "wrong.md", "--spec", "lenet5", cwd=tmp_path).returncode == 1
    assert cli("check", "note.md", "--spec", "lenet5", cwd=tmp_path).returncode == 0
    assert cli("check", "note.md", "--spec", "lenet5", "--strict", cwd=tmp_path).returncode == 1
    r = cli("check", "right.md", "wrong.md", "--spec", "lenet5", cwd=tmp_path)
    assert r.returncode == 1 and "right.md: checked" in r.stdout and "wrong.md: checked" in r.stdout


def error(*args: str, **kw) -> str:
    r = cli(*args, **kw)
    assert r.returncode == 2, (r.returncode, r.stdout, r.stderr)
    assert "Traceback" not in r.stderr and r.stdout == ""
    return r.stderr


def test_unreadable_input_exits_2_with_its_location(tmp_path):
    (tmp_path / "bad.md").write_text("# t\n\n| layer | params |\n|---|---|\n| conv1 | 34,9x8 |\n")
    err = error("check", "bad.md", "--spec", "alexnet_original", cwd=tmp_path)
    assert "bad.md:5:11: error: cannot read the params '34,9x8'" in err and "hint: write it like" in err
    (tmp_path / "prose.md").write_text("# nothing to check\n\nJust words.\n")
    assert "found no figures to check in 'prose.md'" in error("check", "prose.md", "--spec", "lenet5", cwd=tmp_path)
    assert "found no figures to check in 'prose.md'" in error("check", "prose.md", cwd=tmp_path)
    (tmp_path / "fact.md").write_text("conv1 has 34,944 weights.\n")
    assert "which network does the document describe? give --spec" in error("check", "fact.md", cwd=tmp_path)
    assert "cannot read 'missing.md'" in error("check", "missing.md", "--spec", "lenet5", cwd=tmp_path)
    assert "no shipped spec of that name" in error("check", "prose.md", "--spec", "lenet6", cwd=tmp_path)
    assert "--format json reports one file" in error("check", "bad.md", "prose.md", "-f", "json", cwd=tmp_path)
    (tmp_path / "bin.md").write_bytes(b"\x00\x01")
    assert "bin.md:1:1: error: 'bin.md' holds binary data" in error("check", "bin.md", "--spec", "lenet5", cwd=tmp_path)
    (tmp_path / "s.yaml").write_text("# answers\nspec: lenet6\nc1: {params: 156}\n")
    err = error("check", "s.yaml", cwd=tmp_path)
    assert "s.yaml:2:7: error: no spec file 'lenet6'" in err and "did you mean 'lenet5'?" in err


def test_answers_file_mistakes_are_located(tmp_path):
    (tmp_path / "a.yaml").write_text("spec: lenet5\nc1:\n  parmas: 156\n")
    err = error("check", "a.yaml", cwd=tmp_path)
    assert "a.yaml:3:3: error: unknown figure 'parmas' for 'c1'" in err and "did you mean 'params'?" in err
    (tmp_path / "b.yaml").write_text("spec: lenet5\nc1: {params: 1,560}\n")
    err = error("check", "b.yaml", cwd=tmp_path)
    assert "b.yaml:2:16: error: unknown figure '560'" in err and "a comma separates entries" in err
    (tmp_path / "c.yaml").write_text("spec: lenet5\nc1: 156\n")
    assert "c.yaml:2:5: error: 'c1' must map figure names to the answers" in error("check", "c.yaml", cwd=tmp_path)


def test_a_spec_named_in_an_answers_file_is_found_beside_it(tmp_path):
    (tmp_path / "hw").mkdir()
    (tmp_path / "hw" / "net.yaml").write_text("input: [4]\nlayers: [fc: {name: out, out: 2}]\n")
    (tmp_path / "hw" / "a.yaml").write_text("spec: net.yaml\nout: {params: 10}\n")
    r = cli("check", "hw/a.yaml", cwd=tmp_path)
    assert r.returncode == 0 and "checked against hw/net.yaml" in r.stdout


def test_the_ci_example_runs_as_its_workflow_runs_it(tmp_path):
    """The workflow's run: steps in order, the install included, as GitHub runs them: nnarith is installed from a
    checkout of its repository into a Python that holds nothing else, and the checks use that nnarith."""
    workflow = yaml.safe_load((CI / ".github" / "workflows" / "docs.yml").read_text())
    (job,) = workflow["jobs"].values()
    actions = [s["uses"].split("@")[0] for s in job["steps"] if "uses" in s]
    assert actions == ["actions/checkout", "actions/checkout", "actions/setup-python", "actions/upload-artifact"]
    mine, theirs = (s for s in job["steps"] if s.get("uses", "").startswith("actions/checkout@"))
    assert "with" not in mine and {k: theirs["with"][k] for k in ("repository", "ref")} == {
        "repository": "${{ env.NNARITH_REPOSITORY }}", "ref": "${{ env.NNARITH_REF }}"}
    work = tmp_path / "repo"
    shutil.copytree(CI, work)  # the repository's own checkout
    shutil.copytree(ROOT, work / theirs["with"]["path"], symlinks=True, ignore=shutil.ignore_patterns(
        ".git", ".venv", "__pycache__", "*.egg-info", "build", "dist", ".*_cache", ".hypothesis"))  # nnarith's
    python = empty_python(tmp_path / "env")  # setup-python's
    env = {k: v for k, v in os.environ.items() if not k.startswith("PIP_") and k != "PYTHONPATH"}
    env.update(workflow["env"], PATH=str(python.parent) + os.pathsep + os.defpath, PYTHONNOUSERSITE="1",
               PIP_CONFIG_FILE=os.devnull, PIP_NO_INDEX="1", PIP_NO_BUILD_ISOLATION="0")  # offline; "0" turns it off
    runs = [s["run"] for s in job["steps"] if "run" in s]
    assert runs[0] == f"pip install ./{theirs['with']['path']}"  # from the checkout
    for run in runs:
        r = subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", run], cwd=work, env=env,
                           capture_output=True, text=True, timeout=300)
        assert r.returncode == 0, (run, r.stdout, r.stderr)
    installed = subprocess.run([python, "-c", "import nnarith; print(nnarith.__file__)"], cwd=tmp_path, env=env,
                               capture_output=True, text=True).stdout
    assert installed.startswith(str(tmp_path / "env")), installed  # the checks ran the nnarith just installed
    (upload,) = (s for s in job["steps"] if s.get("uses", "").startswith("actions/upload-artifact@"))
    report = ET.parse(work / upload["with"]["path"]).getroot()
    assert len(report.findall(".//testcase")) == 26 and not report.findall(".//failure")


def empty_python(folder):
    """A virtual environment that has nothing installed: it sees this one's packages (PyYAML, rich, pip and
    setuptools, to install offline) but not its nnarith, whose editable install it does not load."""
    venv.create(folder, with_pip=False)
    python = folder / ("Scripts" if os.name == "nt" else "bin") / "python"
    site = subprocess.run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          capture_output=True, text=True, check=True).stdout.strip()
    here = {sysconfig.get_paths()[k] for k in ("purelib", "platlib")}
    (Path(site) / "outer.pth").write_text("".join(f"{p}\n" for p in sorted(here)))
    pip = python.with_name("pip")  # as pip's own launcher: pip installs into the Python that runs it
    pip.write_text(f"#!{python}\nimport sys\nfrom pip._internal.cli.main import main\nsys.exit(main())\n")
    pip.chmod(0o755)
    return python


def test_the_ci_example_fails_when_the_document_drifts(tmp_path):
    work = tmp_path / "repo"
    shutil.copytree(CI, work)
    spec = (work / "model.yaml").read_text()
    (work / "model.yaml").write_text(spec.replace("out: 128,", "out: 256,").replace("out: 128\n", "out: 256\n"))
    r = cli("check", "docs/model-card.md", "--spec", "model.yaml", cwd=work)
    assert r.returncode == 1 and "✗    line 19  fc1 output" in r.stdout


def test_pre_commit_hooks_expose_nnarith_check():
    (hook,) = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    assert hook["id"] == "nnarith-check" and hook["entry"] == "nnarith check" and hook["language"] == "python"
    files = re.compile(hook["files"])
    assert files.search("docs/model-card.md") and files.search("model.yaml") and not files.search("net.py")
    # pre-commit runs: entry, args, then the staged file names
    argv = shlex.split(hook["entry"]) + ["--spec", "model.yaml", "docs/model-card.md"]
    assert cli(*argv[1:], cwd=CI).returncode == 0
    config = yaml.safe_load((CI / ".pre-commit-config.yaml").read_text())
    for local in config["repos"][0]["hooks"]:
        staged = [f for f in ("docs/model-card.md", "model.yaml") if re.search(local["files"], f)]
        assert cli(*shlex.split(local["entry"])[1:], *staged, cwd=CI).returncode == 0, local["id"]


@pytest.mark.parametrize("args", [["check", "examples/homework/alexnet_notes.txt", "--spec", "alexnet_original"],
                                  ["check", "examples/ci/model.yaml"], ["shape", "lenet5", "--explain"]])
def test_the_check_path_never_imports_torch(args):
    """Principle 2, for check and --explain: no torch, fvcore or numpy, even where installed."""
    code = (f"import sys; from nnarith.cli import main; main({args!r}); "
            "bad = sorted({m.split('.')[0] for m in sys.modules} & {'torch', 'fvcore', 'numpy'}); "
            "sys.stderr.write(repr(bad)); sys.exit(3 if bad else 0)")
    r = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert r.stderr == "[]"


@pytest.mark.parametrize("spec", sorted(__import__("nnarith.loader", fromlist=["shipped"]).shipped()))
def test_round_trip_of_every_shipped_spec(tmp_path, spec):
    """Every figure `nnarith shape` writes, in Markdown (rounded and exact) and CSV, checks right."""
    from nnarith.analysis.walk import analyze
    from nnarith.check.run import check_file
    from nnarith.loader import load_spec
    from nnarith.render.machine import render_csv, render_markdown

    report = analyze(load_spec(spec))
    for name, text in (("a.md", render_markdown(report)), ("b.md", render_markdown(report, exact=True)),
                       ("c.csv", render_csv(report)), ("d.md", render_markdown(report, depth=1))):
        (tmp_path / name).write_text(text)
        result = check_file(str(tmp_path / name), spec)
        assert result.count("wrong") == result.count("note") == 0, (name, [i for i in result.items
                                                                         if i.status != "ok"][:3])
        assert len(result.items) >= 3 * len(report.rows if name != "d.md" else [1])


def test_every_package_folder_is_a_package():
    """setuptools ships only folders with an __init__.py: nnarith.check must be one."""
    folders = [d for d in (ROOT / "nnarith").iterdir() if d.is_dir() and not d.is_symlink() and d.name != "__pycache__"]
    assert "check" in [d.name for d in folders]
    assert all((d / "__init__.py").exists() for d in folders), folders
