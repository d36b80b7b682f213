"""The command line, run as a user runs it: a real subprocess, real files."""

from __future__ import annotations

import csv
import io
import json
import re
import shlex
import shutil
import subprocess
import sys

import pytest

from nnarith.cli import analyze, check, compare, diagram, library, main, memory, page, plot, torch_cmds
from tests.helpers import ENV, ROOT, SCRIPTS, cli


def test_shape_vgg16_quickstart():
    r = cli("shape", "specs/vgg16.yaml")
    assert r.returncode == 0, r.stderr
    assert "conv1_1" in r.stdout and "138,357,544" in r.stdout and "15,470,264,320" in r.stdout


def test_a_shipped_spec_by_name_from_any_folder(tmp_path):
    r = cli("shape", "resnet50", "--format", "json", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    assert doc["totals"]["params"] == 25_557_032 and doc["totals"]["macs"] == 4_089_184_256


def test_a_shipped_spec_by_file_name_from_any_folder(tmp_path):
    r = cli("shape", "vgg16.yaml", "-f", "json", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["name"] == "VGG-16"


def test_a_file_in_the_current_folder_wins_over_a_shipped_name(tmp_path):
    (tmp_path / "vgg16").write_text("input: [1, 4]\nlayers: [fc: 2]\n")
    doc = json.loads(cli("shape", "vgg16", "-f", "json", cwd=tmp_path).stdout)
    assert doc["totals"]["params"] == 2 * (4 + 1)


def test_calc_answers_the_quick_question():
    r = cli("calc", "--input", "3x32x32", "conv: {out: 10, kernel: 5, pad: 2}", "--exact")
    assert r.returncode == 0, r.stderr
    row = next(line for line in r.stdout.splitlines() if line.startswith("conv1"))
    assert row.split()[:4] == ["conv1", "conv", "10x32x32", "760"]


def test_calc_chains_layers_and_gives_json():
    r = cli("calc", "-i", "3x227x227", "conv: {out: 96, kernel: 11, stride: 4}", "relu",
            "maxpool: {kernel: 3, stride: 2}", "-f", "json")
    doc = json.loads(r.stdout)
    assert [layer["output"] for layer in doc["layers"]] == [[96, 55, 55], [96, 55, 55], [96, 27, 27]]
    assert doc["layers"][0]["params"] == 96 * (11 * 11 * 3 + 1)


@pytest.mark.parametrize("given, layers, output, params, macs", [
    # one ViT-B encoder's attention on 197 tokens: projections 4 T F^2, then QKᵀ and AV, T^2 F each
    ("tokens:197x768", ["attention: 12"], [197, 768], 4 * 768 * 768 + 4 * 768, 4 * 197 * 768**2 + 2 * 197**2 * 768),
    ("ids:128", ["embedding: {vocab: 30522, dim: 768}"], [128, 768], 30522 * 768, 0),
    ("tokens: 4 x 8", ["fc: 3"], [4, 3], 8 * 3 + 3, 4 * 8 * 3),  # per token, not flattened
])
def test_calc_reads_tokens_and_token_ids(given, layers, output, params, macs):
    doc = json.loads(cli("calc", "-i", given, *layers, "-f", "json").stdout)
    assert (doc["layers"][-1]["output"], doc["totals"]["params"], doc["totals"]["macs"]) == (output, params, macs)


@pytest.mark.parametrize("given, message", [
    ("tokens:197", "--input tokens: takes TxF, 2 sizes (tokens, features); '197' has 1"),
    ("ids:1x2", "--input ids: takes T, 1 size (the number of token ids); '1x2' has 2"),
    ("pixels:3x3", "names the layout 'pixels'; write tokens:TxF (tokens of features) or ids:T (token ids)"),
])
def test_calc_refuses_a_layout_it_does_not_know(given, message):
    r = cli("calc", "-i", given, "relu")
    assert r.returncode == 2 and message in r.stderr and "Traceback" not in r.stderr


def test_list_shows_every_shipped_spec():
    r = cli("list")
    lines = r.stdout.splitlines()
    assert len(lines) == len(list((ROOT / "specs").glob("*.yaml")))
    vgg = next(line for line in lines if line.startswith("vgg16 "))
    assert "3x224x224" in vgg and "138.36 M params" in vgg and "15.47 G MACs" in vgg


def test_kinds_lists_fields():
    r = cli("kinds", "conv")
    assert r.returncode == 0 and "kernel" in r.stdout and "required" in r.stdout


EXAMPLES = [("shape", analyze.SHAPE_EXAMPLES), ("calc", analyze.CALC_EXAMPLES), ("memory", memory.EXAMPLES),
            ("compare", compare.COMPARE_EXAMPLES), ("solve", compare.SOLVE_EXAMPLES),
            ("plot", plot.EXAMPLES),
            ("diagram", diagram.EXAMPLES),
            ("report", page.EXAMPLES),
            ("check", check.EXAMPLES),
            ("list", library.LIST_EXAMPLES), ("kinds", library.KINDS_EXAMPLES),
            ("verify", torch_cmds.VERIFY_EXAMPLES), ("bench", torch_cmds.BENCH_EXAMPLES),
            ("export", torch_cmds.EXPORT_EXAMPLES)]
PANELS = {"shape": ["Analysis", "Output"], "calc": ["Analysis", "Output"], "memory": ["Analysis", "Output"],
          "compare": ["Analysis", "Output"], "solve": ["Analysis", "Output"],
          "plot": ["Analysis", "Output"], "diagram": ["Analysis", "Output"],
          "report": ["Analysis", "Output"],
          "check": ["Network", "Checking", "Output"],
          "list": [], "kinds": [], "verify": ["Model", "Output"], "bench": ["Model", "Output"],
          "export": ["Model", "Output"]}
WIDE = {**ENV, "COLUMNS": "200"}  # rich wraps help to $COLUMNS where it is not a terminal


def test_the_help_lists_every_command_in_its_panel():
    out = subprocess.run([sys.executable, "-m", "nnarith", "--help"], capture_output=True, text=True, env=WIDE,
                         cwd=ROOT).stdout
    panels = re.findall(r"^╭─ (.+?) ─", out, flags=re.M)
    assert panels == ["Options", "Analyse", "Pictures", "Check", "Library", "PyTorch (needs nnarith[torch])"]
    listed = re.findall(r"^│ (\w+) ", out, flags=re.M)
    assert listed == ["shape", "calc", "memory", "compare", "solve", "plot", "diagram", "report", "check", "list",
                      "kinds", "verify", "bench", "export"]
    assert sorted(listed) == sorted(name for name, _ in EXAMPLES)
    assert all(option in out for option in ("--version", "--debug", "--no-color", "--install-completion",
                                            "--show-completion"))


@pytest.mark.parametrize("command, examples", EXAMPLES)
def test_every_command_shows_its_examples_and_panels(command, examples):
    out = subprocess.run([sys.executable, "-m", "nnarith", command, "--help"], capture_output=True, text=True,
                         env=WIDE, cwd=ROOT).stdout
    shown = [line.strip(" │") for line in out.split("Examples:")[1].splitlines() if line.strip()]
    assert shown == examples
    panels = set(re.findall(r"^╭─ (.+?) ─", out, flags=re.M))
    assert panels == {"Options", *PANELS[command]} | ({"Arguments"} if command != "list" else set())


@pytest.mark.parametrize("command, example", [(name, e) for name, examples in EXAMPLES for e in examples])
def test_every_example_runs(command, example, tmp_path):
    if command in ("verify", "bench", "export"):
        pytest.importorskip("torch")
        pytest.importorskip("fvcore")
    argv = shlex.split(example)
    assert argv[:2] == ["nnarith", command]
    r = cli(*argv[1:], cwd=tmp_path if "-o" in argv else ROOT)  # a file it writes lands in a scratch folder
    assert r.returncode == 0, (example, r.stderr)


def test_formats():
    r = cli("shape", "lenet5", "-f", "csv")
    rows = list(csv.DictReader(io.StringIO(r.stdout)))
    assert [row["name"] for row in rows][:2] == ["input", "c1"] and rows[-1]["name"] == "total"
    assert int(rows[-1]["params"]) == 61_706
    md = cli("shape", "lenet5", "-f", "markdown").stdout
    assert "| c1 | conv | 6x28x28 |" in md and "**61.71 K**" in md


def test_depth_collapses_blocks():
    r = cli("shape", "resnet50", "--depth", "1", "--exact")
    names = [line.split()[0] for line in r.stdout.splitlines() if re.match(r"^layer\d ", line)]
    assert names == ["layer1", "layer2", "layer3", "layer4"]
    total = next(line for line in r.stdout.splitlines() if line.startswith("total"))
    assert "25,557,032" in total


def test_input_batch_and_dtype_options():
    doc = json.loads(cli("shape", "vgg16_cs231n", "--batch", "2", "--dtype", "fp16", "-f", "json").stdout)
    assert doc["totals"]["memory_bytes"] == 15_237_608 * 2 * 2
    doc = json.loads(cli("shape", "lenet5", "--input", "1x36x36", "-f", "json").stdout)
    assert doc["layers"][0]["output"] == [6, 32, 32]


def test_the_console_script_is_installed():
    script = shutil.which("nnarith", path=SCRIPTS)
    assert script, "no nnarith console script beside this interpreter; install the package (README)"
    r = subprocess.run([script, "shape", "lenet5", "-f", "json"], capture_output=True, text=True, env=ENV)
    assert json.loads(r.stdout)["totals"]["params"] == 61_706


def error(*args: str, **kw):
    r = cli(*args, **kw)
    assert r.returncode == 2, (r.returncode, r.stdout, r.stderr)
    assert "Traceback" not in r.stderr
    return r.stderr


def test_unknown_kind_and_field_suggest_the_closest_name(tmp_path):
    (tmp_path / "net.yaml").write_text("input: [3, 8, 8]\nlayers:\n  - conv: {out: 4, kernal: 3}\n  - rleu\n")
    err = error("shape", "net.yaml", cwd=tmp_path)
    assert "net.yaml:3:20: error: unknown field 'kernal' in conv" in err
    assert "did you mean 'kernel'?" in err
    assert "net.yaml:4:5: error: unknown layer kind 'rleu'" in err and "did you mean 'relu'?" in err


def test_shape_mismatch_names_both_shapes(tmp_path):
    (tmp_path / "net.yaml").write_text(
        "input: [3, 8, 8]\nlayers:\n  - add:\n    - conv: {out: 4, kernel: 3}\n    - identity\n")
    err = error("shape", "net.yaml", cwd=tmp_path)
    assert "net.yaml:3:5: error: add needs equal shapes" in err
    assert "[4x6x6]" in err and "[3x8x8]" in err and "in layer 'add1'" in err
    (tmp_path / "cat.yaml").write_text(
        "input: [3, 8, 8]\nlayers:\n  - concat: [conv: {out: 4, kernel: 3}, identity]\n")
    err = error("shape", "cat.yaml", cwd=tmp_path)
    assert "cat.yaml:3:5: error: concat joins along the channels" in err and "[4x6x6]" in err and "[3x8x8]" in err


def test_yaml_syntax_error_gives_its_line(tmp_path):
    (tmp_path / "bad.yaml").write_text("input: [3, 8, 8]\nlayers:\n  - conv: {out: 4, kernel: 3\n  - relu\n")
    err = error("shape", "bad.yaml", cwd=tmp_path)
    assert "bad.yaml:3:11: error: YAML syntax error: did not find expected ',' or '}'" in err
    assert "while parsing a flow mapping" in err and "hint: close each [ with ]" in err


def test_missing_spec_and_bad_options():
    err = error("shape", "vgg61")
    assert "no spec file 'vgg61', and no shipped spec of that name" in err and "did you mean 'vgg1" in err
    assert "is not a shape" in error("shape", "vgg16", "--input", "3x0x224") + error("calc", "-i", "ax2", "relu")
    assert "'fp8' is not one of 'fp32', 'fp16', 'bf16', 'int8', 'fp64'" in error("shape", "vgg16", "--dtype", "fp8")


def test_strict_rejects_sizes_that_do_not_divide():
    err = error("shape", "resnet50", "--strict")
    assert "specs/resnet50.yaml:" in err and "(224 + 2*3 - 7)/2 + 1 = 112.5 -> 112" in err
    assert "in layer 'conv1'" in err
    assert cli("shape", "vgg16", "--strict").returncode == 0


def test_debug_shows_the_traceback():
    r = cli("--debug", "shape", "vgg61")
    assert r.returncode != 0 and "Traceback" in r.stderr


@pytest.mark.parametrize("args", [["shape", "vgg16"], ["calc", "-i", "3x8x8", "conv: {out: 2, kernel: 3}"],
                                  ["list"], ["memory", "resnet50", "--training", "--fits", "24GiB"]])
def test_the_analytic_path_never_imports_torch(args):
    """Principle 2: shape, calc and memory run without torch, fvcore or numpy, even where installed."""
    import subprocess
    import sys

    code = (f"import sys; from nnarith.cli import main; main({args!r}); "
            "bad = sorted({m.split('.')[0] for m in sys.modules} & {'torch', 'fvcore', 'numpy'}); "
            "sys.stderr.write(repr(bad)); sys.exit(3 if bad else 0)")
    r = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert r.stderr == "[]"


def test_version_loads_no_layer_kinds():
    """`nnarith --version` answers before any spec machinery is imported."""
    code = ("import sys\nfrom nnarith.cli import main\ntry:\n    main(['--version'])\nexcept SystemExit:\n    pass\n"
            "print(sorted(m for m in sys.modules if m.startswith(('nnarith.layers', 'nnarith.loader', 'torch'))))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=ENV, cwd=ROOT)
    assert out.stdout.startswith("nnarith 0.1.0") and out.stdout.rstrip().endswith("[]"), out.stdout + out.stderr


def test_branches_that_do_not_line_up_are_a_note_not_a_size_flag(tmp_path):
    """The merge's receptive-field remark has its own heading: it is not a size that does not divide,
    so --strict, which refuses those, lets it pass."""
    (tmp_path / "net.yaml").write_text("input: [1, 8, 8]\nlayers:\n  - add:\n"
                                       "      - conv: {out: 2, kernel: 3, pad: 1}\n"
                                       "      - conv: {out: 2, kernel: 2, pad: same}\n"
                                       "  - maxpool: {kernel: 2, stride: 3}\n")
    r = cli("shape", "net.yaml", "--strict", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert "Flags:" not in r.stdout and "add1  " in r.stdout
    note = "add1: branch fields are not centred alike (at [0.0, 0.5] input pixels); the field is their union"
    unwrapped = " ".join(r.stdout.split())  # the note folds to the width
    assert "Notes: worth knowing, nothing wrong" in r.stdout and f" ~1 {note}" in unwrapped
    md = cli("shape", "net.yaml", "--format", "markdown", cwd=tmp_path).stdout
    assert "| add1 ~ |" in md and f"- `{note}`" in md and "sizes that do not divide" not in md
    (tmp_path / "net.yaml").write_text("input: [1, 8, 8]\nlayers: [maxpool: {kernel: 2, stride: 3}, "
                                       "maxpool: {kernel: 2, stride: 2}]\n")
    r = cli("shape", "net.yaml", cwd=tmp_path)
    assert "Flags: sizes that do not divide" in r.stdout and "Notes:" not in r.stdout


# What click says for a command line it refuses, in nnarith's form: located to the command, how to get help.
@pytest.mark.parametrize("args, message, help", [
    (["shape", "resnet50", "--formt", "json"], "No such option: --formt. Did you mean --format?", "nnarith shape"),
    (["shape", "resnet50", "--dept", "2"], "No such option: --dept. Did you mean --depth?", "nnarith shape"),
    (["shape", "resnet50", "--exat"], "No such option: --exat. Did you mean --exact?", "nnarith shape"),
    (["check", "x.md", "--sepc", "lenet5"], "No such option: --sepc. Did you mean --spec?", "nnarith check"),
    (["--vresion"], "No such option: --vresion. Did you mean --version?", "nnarith"),
    (["shap", "resnet50"], "No such command 'shap'. Did you mean 'shape'?", "nnarith"),
    (["chekc", "x.md"], "No such command 'chekc'. Did you mean 'check'?", "nnarith"),
    (["kind"], "No such command 'kind'. Did you mean 'kinds'?", "nnarith"),
    (["shape"], "Missing argument 'SPEC'.", "nnarith shape"),
    (["calc", "relu"], "Missing option '--input' / '-i'.", "nnarith calc"),
    (["export", "lenet5"], "Missing option '--torch'.", "nnarith export"),
    (["shape", "vgg16", "--depth", "0"], "Invalid value for '--depth' / '-d': expected a positive integer",
     "nnarith shape"),
    (["shape", "vgg16", "-d", "al"], "Invalid value for '--depth' / '-d': expected a positive integer",
     "nnarith shape"),
    (["shape", "vgg16", "extra"], "Got unexpected extra argument(s) (extra)", "nnarith shape"),
])
def test_a_refused_command_line_says_why_and_exits_2(args, message, help):
    """`--dept` is refused too: argparse took an abbreviation silently."""
    err = error(*args)
    assert err.splitlines()[0].startswith(f"error: {message}"), err
    assert err.splitlines()[-1] == f"  hint: '{help} --help' shows the options and examples"


@pytest.mark.parametrize("args", [["shape", "vgg16", "--zzzzzz"], ["frobnicate"], ["shape", "vgg16", "-x"]])
def test_only_close_names_are_suggested(args):
    err = error(*args)
    assert "No such" in err and "Did you mean" not in err


@pytest.mark.parametrize("args", [["shape", "x", "--\x1b[31mred"], ["sh\x01ape"], ["shape", "x", "-b", "\x1b[2J"],
                                  ["shape", "x", "--dtype", "\x1b]0;title\x07"]])
def test_control_characters_in_a_refused_argument_are_shown_escaped(args):
    err = error(*args)
    assert "\x1b" not in err and "\x01" not in err and "\x07" not in err
    assert "\\x1b" in err or "\\x01" in err


@pytest.mark.parametrize("args, depth", [([], None), (["--depth", "2"], 2), (["-d", "1"], 1),
                                         (["--depth", "all"], "all"), (["-d", "all", "-f", "markdown"], "all")])
def test_depth_is_a_positive_integer_or_all_passed_on_as_given(monkeypatch, args, depth):
    """The renderers get None (not given), an int, or 'all' (each renderer decides what that shows)."""
    seen = []
    monkeypatch.setattr(analyze, "render", lambda report, output: seen.append(output) or "")
    assert main(["shape", "lenet5", *args]) == 0
    assert seen[0].depth == depth and type(seen[0].depth) is type(depth)


def test_nnarith_alone_shows_the_help_and_exits_2():
    r = cli()
    assert r.returncode == 2 and "Usage: nnarith" in r.stdout and "shape" in r.stdout


def test_show_completion_prints_a_bash_script_and_specs_complete():
    env = {**ENV, "_TYPER_COMPLETE_TEST_DISABLE_SHELL_DETECTION": "1"}  # typer's way to name the shell
    r = subprocess.run([sys.executable, "-m", "nnarith", "--show-completion", "bash"], capture_output=True, text=True,
                       env=env, cwd=ROOT)
    assert r.returncode == 0, r.stderr
    assert "_NNARITH_COMPLETE=complete_bash" in r.stdout and "complete -o default -F _nnarith_completion nnarith" in (
        r.stdout)
    for words, expected in [("nnarith shape resn", ["resnet101", "resnet101_v1", "resnet152", "resnet152_v1",
                                                    "resnet18", "resnet34", "resnet50", "resnet50_v1",
                                                    "resnet_bottleneck", "resnext101_32x8d", "resnext50_32x4d"]),
                            ("nnarith shape specs/vgg1", ["specs/vgg11.yaml", "specs/vgg11_bn.yaml",
                                                          "specs/vgg13.yaml", "specs/vgg16.yaml",
                                                          "specs/vgg16_bn.yaml", "specs/vgg16_cs231n.yaml",
                                                          "specs/vgg19.yaml"]),
                            ("nnarith sha", ["shape"]), ("nnarith shape vgg16 --for", ["--format"]),
                            ("nnarith kinds conv", ["conv", "conv_transpose"])]:
        comp = {**ENV, "_NNARITH_COMPLETE": "complete_bash", "COMP_WORDS": words,
                "COMP_CWORD": str(len(words.split()) - 1)}
        out = subprocess.run([sys.executable, "-m", "nnarith"], capture_output=True, text=True, env=comp, cwd=ROOT)
        assert out.returncode == 0 and out.stdout.split() == expected, (words, out.stdout, out.stderr)


NO_COLOUR = {k: v for k, v in ENV.items() if k not in ("NO_COLOR", "FORCE_COLOR")}
PLAIN = "error: no spec file 'vgg61', and no shipped spec of that name\n  hint: did you mean 'vgg16'?\n"


@pytest.mark.parametrize("env, args", [({}, []), ({"NO_COLOR": "1", "FORCE_COLOR": "1"}, []),
                                       ({"FORCE_COLOR": "1"}, ["--no-color"])])
def test_errors_are_plain_when_piped_or_colour_is_off(env, args):
    r = subprocess.run([sys.executable, "-m", "nnarith", *args, "shape", "vgg61"], capture_output=True, text=True,
                       env={**NO_COLOUR, **env}, cwd=ROOT)
    assert r.returncode == 2 and r.stderr == PLAIN


def test_force_color_paints_the_error_red_and_its_hint_cyan():
    r = subprocess.run([sys.executable, "-m", "nnarith", "shape", "vgg61"], capture_output=True, text=True,
                       env={**NO_COLOUR, "FORCE_COLOR": "1"}, cwd=ROOT)
    first, hint = r.stderr.splitlines()
    assert first == "\x1b[1;31merror: no spec file 'vgg61', and no shipped spec of that name\x1b[0m"  # bold red
    assert hint == "  \x1b[36mhint: did you mean 'vgg16'?\x1b[0m"  # cyan
    assert r.returncode == 2 and re.sub(r"\x1b\[[0-9;]*m", "", r.stderr) == PLAIN


@pytest.mark.parametrize("env, args", [({}, []), ({"NO_COLOR": "1", "FORCE_COLOR": "1"}, []),
                                       ({"FORCE_COLOR": "1"}, ["--no-color"])])
def test_help_is_plain_when_piped_or_colour_is_off(env, args):
    r = subprocess.run([sys.executable, "-m", "nnarith", *args, "shape", "--help"], capture_output=True, text=True,
                       env={**NO_COLOUR, **env}, cwd=ROOT)
    assert r.returncode == 0 and "\x1b" not in r.stdout and "Examples:" in r.stdout


def test_the_analytic_path_imports_no_rich():
    """rich draws the help only: a report is written without it."""
    code = ("import sys; from nnarith.cli import main; main(['shape', 'lenet5']); "
            "sys.stderr.write(repr(sorted(m for m in sys.modules if m.startswith(('rich', 'pydantic')))))")
    r = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, env=ENV)
    assert r.returncode == 0 and r.stderr == "[]", r.stderr


@pytest.mark.parametrize("args", [
    ("shape", "resnet50"), ("shape", "googlenet_paper"), ("shape", "inception_v3", "--depth", "all"),
    ("calc", "--input", "3x227x227", "conv: {out: 96, kernel: 11, stride: 4}", "--explain"), ("list",), ("kinds",),
    ("check", "examples/homework/answers.yaml"), ("check", "examples/published/torchvision_weights.md"),
    ("--help",), ("shape", "--help"), ("check", "--help"),
])
@pytest.mark.parametrize("columns", [80, 100])
def test_the_output_fits_the_columns_it_is_given(args, columns):
    """Piped, the output fits $COLUMNS (100 when unset), as it fits a terminal's width."""
    r = subprocess.run([sys.executable, "-m", "nnarith", *args], capture_output=True, text=True, cwd=ROOT,
                       env={**ENV, "COLUMNS": str(columns)})
    assert r.returncode in (0, 1), r.stderr
    assert max(len(line) for line in r.stdout.splitlines()) <= columns
