"""The corpus of bad specs: every mistake gets a located message a person can act on.

tests/bad_specs/NAME.yaml is a spec with a mistake (its first line says which) and NAME.expected
is exactly what `nnarith shape` must print on stderr, with {file} for the path. Each runs
through the real command line: exit code 2, no traceback, that message. After an intended
change of wording, `pytest tests/test_bad_specs.py --regen-golden` rewrites the .expected files;
review their diff.
"""

from __future__ import annotations

import re

import pytest

from tests.helpers import ROOT, cli

CORPUS = ROOT / "tests" / "bad_specs"
CASES = sorted(p.stem for p in CORPUS.glob("*.yaml"))
LOCATED = re.compile(r"^(tests/bad_specs/\w+\.yaml):(\d+):(\d+): error: .+")


def test_the_corpus_is_large_enough():
    assert len(CASES) >= 40


@pytest.mark.parametrize("name", CASES)
def test_bad_spec(name, request):
    path = f"tests/bad_specs/{name}.yaml"
    r = cli("shape", path)
    assert r.returncode == 2, r.stdout
    assert "Traceback" not in r.stderr and r.stdout == ""
    errors = [line for line in r.stderr.splitlines() if " error: " in line]
    assert errors and all(LOCATED.match(line) for line in errors), r.stderr  # every error says file:line:col
    expected = CORPUS / f"{name}.expected"
    text = r.stderr.replace(path, "{file}")
    if request.config.getoption("--regen-golden"):
        expected.write_text(text)
    assert text == expected.read_text()


def test_other_unreadable_inputs(tmp_path):
    """A missing file, a folder, binary content, text that is not UTF-8, a file over the size limit."""
    from nnarith.loader.yaml_loader import MAX_FILE_BYTES

    (tmp_path / "folder").mkdir()
    (tmp_path / "binary.yaml").write_bytes(b"input: [3, 8, 8]\x00\x01\x02")
    (tmp_path / "latin1.yaml").write_bytes("name: Réseau\ninput: [3]\n".encode("latin-1"))
    (tmp_path / "huge.yaml").write_text("input: [3]\nlayers:\n" + "  - relu\n" * (MAX_FILE_BYTES // 9 + 10))
    cases = {
        "missing.yaml": "error: no spec file 'missing.yaml', and no shipped spec of that name",
        "folder": "error: 'folder' is a folder, not a spec file",
        "binary.yaml": "binary.yaml:1:1: error: 'binary.yaml' holds binary data, not a text spec",
        "latin1.yaml": "latin1.yaml:1:1: error: 'latin1.yaml' is not UTF-8 text (byte 7)",
        "huge.yaml": f"error: 'huge.yaml' is {(tmp_path / 'huge.yaml').stat().st_size:,} bytes; specs are limited "
                     f"to {MAX_FILE_BYTES:,} bytes",
    }
    for name, message in cases.items():
        r = cli("shape", name, cwd=tmp_path)
        assert r.returncode == 2 and "Traceback" not in r.stderr
        assert r.stderr.splitlines()[0] == message, r.stderr


def test_brackets_nested_thousands_deep(tmp_path):
    """Past libyaml's own limit of 1,000 (PyYAML 6.0.4 and later) the message is the same as past ours."""
    for depth in (150, 5000):
        (tmp_path / "deep.yaml").write_text("input: [3, 8, 8]\nlayers: " + "[" * depth + "relu" + "]" * depth)
        r = cli("shape", "deep.yaml", cwd=tmp_path)
        assert r.returncode == 2 and "Traceback" not in r.stderr
        assert re.match(r"deep\.yaml:2:\d+: error: lists and mappings nest deeper than 100 levels\n  hint: ",
                        r.stderr), r.stderr


def test_nothing_in_a_spec_is_executed(tmp_path):
    marker = tmp_path / "executed"
    spec = tmp_path / "evil.yaml"
    spec.write_text(f"input: [3, 8, 8]\nlayers:\n  - !!python/object/apply:os.system [\"touch {marker}\"]\n"
                    f"name: !!python/object/apply:os.system [\"touch {marker}\"]\n")
    r = cli("shape", str(spec))
    assert r.returncode == 2 and "is not allowed" in r.stderr
    assert not marker.exists()


def test_enormous_numbers_are_exact(tmp_path):
    """A layer with 10^12 outputs: Python integers are exact, and the table does not overflow."""
    import json

    (tmp_path / "huge.yaml").write_text("input: [3, 100000, 100000]\nlayers:\n"
                                        "  - conv: {out: 1000000, kernel: 1000}\n  - fc: 1000000000000\n")
    doc = json.loads(cli("shape", "huge.yaml", "-f", "json", cwd=tmp_path).stdout)
    conv, fc = doc["layers"]
    side = 100000 - 1000 + 1
    assert conv["output"] == [1000000, side, side]
    assert conv["params"] == 1000000 * (1000 * 1000 * 3 + 1)
    assert fc["params"] == 10**12 * (1000000 * side * side + 1)
    table = cli("shape", "huge.yaml", cwd=tmp_path).stdout
    total = next(line for line in table.splitlines() if line.startswith("total"))
    assert total.split()[1] == f"{doc['totals']['params']:.2e}".replace("e+", "e")  # past the Y prefix
    exact = cli("shape", "huge.yaml", "--exact", cwd=tmp_path).stdout
    assert f"{fc['params']:,}" in exact
