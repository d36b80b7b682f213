"""What a check reads: the documents named on the command line, and the spec an answers file names.

A document may come from anyone (a homework handed in, a pull request), so what it names is
read only from places that cannot hold other people's files:

    spec: alexnet_original        # a shipped spec
    spec: net.yaml                # a file in the answers file's folder, or below it
    spec: ../../etc/passwd        # refused: give --spec on the command line, or --allow-spec-path

and a file that is not a spec is never quoted in a message. Every read is bounded, devices too.
"""

from __future__ import annotations

import os
import re
import sys

from nnarith.errors import Loc, SpecError, UsageError, did_you_mean
from nnarith.loader import shipped
from nnarith.loader.files import MAX_FILE_BYTES, decode, read_text

MAX_DOCUMENT_BYTES = 4 * 1024 * 1024
_LAYERS = re.compile(r"(?:^|[{,])[ \t]*layers[ \t]*:", re.M)  # what every spec has, in block or flow style


def read_document(path: str) -> str:
    """A document's text ('-' reads standard input), with errors a person can act on."""
    if path != "-":
        return read_text(path, "document", MAX_DOCUMENT_BYTES)
    if sys.stdin is None or sys.stdin.closed:  # `nnarith check - <&-`
        raise UsageError("standard input is closed: pipe the document in ('... | nnarith check - --spec SPEC'), "
                         "or name its file")
    try:
        data = sys.stdin.buffer.read(MAX_DOCUMENT_BYTES + 1)
    except OSError as e:
        raise UsageError(f"cannot read standard input: {e.strerror or e}") from None
    if len(data) > MAX_DOCUMENT_BYTES:
        raise SpecError(f"standard input holds more than {MAX_DOCUMENT_BYTES:,} bytes; documents are "
                        "limited to that")
    return decode(data, "<stdin>", "document")


def named_spec(named: str, answers: str, loc: Loc | None, allow_path: bool) -> tuple[str, str, str]:
    """The text of the spec an answers file names, the name messages give it, and the name --spec would
    give it (a shipped spec's stem, as rows that name that network give it too).

    Without allow_path, only a file inside the answers file's folder tree (symbolic links
    resolved) or a shipped spec; with it, also any path, as given."""
    folder = os.path.dirname(answers) if answers != "-" else None
    near = os.path.join(folder, named) if folder is not None else named
    inside = folder is not None and _inside(near, folder or ".")
    found = near if (inside or allow_path) and os.path.isfile(near) else None
    if found is None and allow_path and os.path.isfile(named):
        found = named
    if found is not None:
        text = read_text(found, "spec", MAX_FILE_BYTES)
        if not _LAYERS.search(text):  # not a spec: say so, and quote nothing of it
            raise SpecError(f"'{named}' is not a spec: it has no top-level 'layers:'", loc,
                            hint="name a spec file, or a shipped spec's name ('nnarith list' shows them)")
        return text, found, found
    stem = named[:-5] if named.endswith(".yaml") else named
    library = shipped()
    if stem in library and not re.search(r"[/\\]", stem):
        return read_text(library[stem], "spec", MAX_FILE_BYTES), f"specs/{stem}.yaml", stem
    path_like = re.search(r"[/\\]", named) or os.path.isabs(named) or os.path.lexists(near)
    if not inside and not allow_path and (folder is None or path_like):
        what = ("is not a shipped spec, and an answers file read from standard input may name no other"
                if folder is None else "is outside the answers file's folder; an answers file names a shipped spec, "
                "or a file in its own folder or below it")
        raise SpecError(f"spec: '{named}' {what}", loc, hint="give the spec on the command line (--spec FILE), or "
                        "pass --allow-spec-path if you trust the answers file")
    hint = did_you_mean(stem, library) or "run 'nnarith list' to see the shipped specs"
    raise SpecError(f"no spec file '{named}', and no shipped spec of that name", loc, hint=hint)


def _inside(path: str, folder: str) -> bool:
    real, top = os.path.realpath(path), os.path.realpath(folder)
    return real.startswith(top.rstrip(os.sep) + os.sep)
