"""Reading a spec or a document from a file: bounded, decoded as UTF-8, with errors a person can act on."""

from __future__ import annotations

import os
import re

from nnarith.errors import Loc, SpecError

MAX_FILE_BYTES = 256 * 1024  # bounds the worst case (one-character values) to well under a second


def read_text(path: str, what: str = "spec", limit: int = MAX_FILE_BYTES) -> str:
    """Read a spec (or another document) as UTF-8 text, with errors a person can act on."""
    if os.path.isdir(path):  # False, not an error, for a name holding a NUL
        raise SpecError(f"'{path}' is a folder, not a {what} file", hint="name a file inside it")
    try:
        with open(path, "rb") as f:
            data = f.read(limit + 1)  # never more: a device (/dev/zero) or a pipe reports size 0
            size = os.fstat(f.fileno()).st_size
    except OSError as e:
        raise SpecError(f"cannot read '{path}': {e.strerror or e}") from None
    except ValueError:  # a NUL in the name: no file can have it
        raise SpecError(f"cannot read {path!r}: a file name cannot hold a NUL character") from None
    if len(data) > limit:
        hint = "use blocks and repeat instead of writing layers out" if what == "spec" else None
        if size > limit:
            raise SpecError(f"'{path}' is {size:,} bytes; {what}s are limited to {limit:,} bytes", hint=hint)
        raise SpecError(f"'{path}' gives more than {limit:,} bytes, the limit for {what}s", hint=hint)
    return decode(data, path, what)


def decode(data: bytes, file: str, what: str = "spec") -> str:
    if b"\x00" in data:
        raise SpecError(f"'{file}' holds binary data, not a text {what}", Loc(file, 1, 1))
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        line = len(re.findall(rb"\r\n|\r|\n", data[: e.start])) + 1  # lines as editors count them
        raise SpecError(f"'{file}' is not UTF-8 text (byte {e.start})", Loc(file, line, 1)) from None
