"""Safe YAML loading that remembers where every value was written.

libyaml (or PyYAML's pure parser) only tokenises; we build the values from its event
stream ourselves, so that
- every mapping key and value, and every list item, keeps its line and column;
- duplicate keys are errors (PyYAML silently keeps the last one);
- only plain data tags are accepted: nothing in a spec is ever constructed or executed;
- aliases share one value instead of copying it, so a "billion laughs" file costs nothing
  here, and an alias to a collection still being read (a recursive structure) is refused;
- nesting is bounded and read without recursion.
Scalars resolve exactly as PyYAML's safe loader resolves them (YAML 1.1: yes/no are
booleans, 0o17 and 0x1f are integers); only plain decimal integers take a fast path. One
exception, YAML 1.2's: `1e-6` without a dot is a float (YAML 1.1 reads it as text, and eps is
written so in every PyTorch signature).
"""

from __future__ import annotations

import math
import re
from typing import Any

import yaml
from yaml.constructor import ConstructorError, SafeConstructor
from yaml.events import (
    AliasEvent,
    DocumentEndEvent,
    DocumentStartEvent,
    MappingEndEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceEndEvent,
    SequenceStartEvent,
    StreamEndEvent,
    StreamStartEvent,
)
from yaml.nodes import ScalarNode

from nnarith.errors import Loc, SpecError
from nnarith.loader.files import MAX_FILE_BYTES, decode, read_text  # noqa: F401  (read from here too)
from nnarith.loader.marks import line_starts, mark_loc, syntax_hint
from nnarith.text import MAX_DIGITS, too_large, too_large_text, visible

MAX_NESTING = 100
_HUGE_HINT = "no network is that large; numbers below 10^100 are counted exactly"

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_TAG = "tag:yaml.org,2002:"
_STR, _MAP, _SEQ, _MERGE = _TAG + "str", _TAG + "map", _TAG + "seq", _TAG + "merge"
_CONSTRUCTED = {_TAG + t for t in ("int", "float", "bool", "null")}
_TEXT_TAGS = {_TAG + "timestamp", _TAG + "binary", _TAG + "value"}  # kept as their text
_resolver = yaml.resolver.Resolver()
# YAML 1.2's exponent floats that YAML 1.1 leaves as text: 1e-6, 5E3, -2e+1 (no dot)
_EXPONENT_FLOAT = re.compile(r"[-+]?[0-9]+[eE][-+]?[0-9]+")
# First characters that may start a plain scalar which is not a string (an int, a bool, null...).
_SPECIAL_FIRST = set(yaml.resolver.Resolver.yaml_implicit_resolvers)
_constructor = SafeConstructor()


class YMap(dict):
    """A mapping that knows where it, its keys and its values were written."""

    loc: Loc
    key_locs: dict[Any, Loc]
    value_locs: dict[Any, Loc]

    def loc_of(self, key: Any) -> Loc:
        return self.value_locs.get(key, self.loc)

    def key_text(self, key: Any) -> str:
        """A key as written: `true:` is the bool True to YAML, but 'true' to the person who wrote it."""
        return getattr(self, "key_texts", {}).get(key, str(key))


class YList(list):
    """A list that knows where it and each item were written."""

    loc: Loc
    item_locs: list[Loc]

    def loc_of(self, i: int) -> Loc:
        return self.item_locs[i] if i < len(self.item_locs) else self.loc


def load(text: str, file: str) -> Any:
    """Parse one YAML document into plain values (YMap, YList, scalars) with locations.

    An empty document gives None.
    """
    parser = _Loader(text)
    starts = line_starts(text)
    try:
        return _Builder(file, starts).run(parser.get_event)
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        what = e.problem or e.context or "invalid YAML"
        if "nesting depth" in what:  # libyaml's own limit (1,000), reached while it scans ahead
            raise _too_deep(mark_loc(file, mark, starts) if mark else Loc(file, 1, 1)) from None
        if e.context and "flow" in e.context and e.context_mark and e.problem_mark:
            # An unclosed [ or {: libyaml notices at the end; the mistake is where it opened.
            found = e.problem_mark
            what += f" (noticed at line {mark_loc(file, found, starts).line}) {e.context}"
            mark = e.context_mark
        loc = mark_loc(file, mark, starts) if mark else Loc(file, 1, 1)
        raise SpecError(f"YAML syntax error: {what}", loc, hint=syntax_hint(what, text, mark)) from None
    except yaml.YAMLError as e:
        raise SpecError(f"YAML syntax error: {e}", Loc(file, 1, 1)) from None
    finally:
        parser.dispose()


class _Open:
    """A mapping or list being read, with what is pending inside it."""

    __slots__ = ("value", "anchor", "key", "key_loc", "merges", "height")

    def __init__(self, value: Any, anchor: str | None) -> None:
        self.value = value
        self.anchor = anchor
        self.height = 1  # levels of lists and mappings in it, aliases' included
        self.key: Any = _NONE  # a mapping's key awaiting its value
        self.key_loc: Loc | None = None
        self.merges: list[tuple[Any, Loc]] = []


_NONE = object()


class _Builder:
    def __init__(self, file: str, starts: list[int] | None = None) -> None:
        self.file = file
        self.starts = starts
        self.anchors: dict[str, Any] = {}
        self.reading: set[str] = set()  # anchors of collections not yet closed
        self.heights: dict[str, int] = {}  # levels of nesting in each anchored collection

    def loc(self, event: Any) -> Loc:
        return mark_loc(self.file, event.start_mark, self.starts)

    def run(self, next_event) -> Any:
        stack: list[_Open] = []
        root: Any = None
        documents = 0
        file = self.file
        while True:
            event = next_event()
            kind = type(event)
            is_key = False
            loc = None
            if kind is ScalarEvent:
                value, tag = self.scalar(event)
                self.text = event.value
                is_key = tag == _MERGE
                if event.anchor:
                    self.anchors[event.anchor] = value
            elif kind is MappingStartEvent or kind is SequenceStartEvent:
                if len(stack) >= MAX_NESTING:
                    raise _too_deep(self.loc(event))
                mapping = kind is MappingStartEvent
                if event.tag not in (None, "!", _MAP if mapping else _SEQ):
                    raise _tag_error(event.tag, self.loc(event))
                value = YMap() if mapping else YList()
                value.loc = self.loc(event)
                if mapping:
                    value.key_locs, value.value_locs = {}, {}
                else:
                    value.item_locs = []
                stack.append(_Open(value, event.anchor))
                if event.anchor:
                    self.reading.add(event.anchor)
                continue
            elif kind is MappingEndEvent or kind is SequenceEndEvent:
                done = stack.pop()
                value, loc = done.value, done.value.loc
                if done.merges:
                    self.merge(value, done.merges)
                if done.anchor:
                    self.anchors[done.anchor] = value
                    self.heights[done.anchor] = done.height
                    self.reading.discard(done.anchor)
                if stack and stack[-1].height <= done.height:
                    stack[-1].height = done.height + 1
            elif kind is AliasEvent:
                if event.anchor in self.reading:
                    raise SpecError(f"the alias *{event.anchor} refers to a collection that contains it "
                                    "(a recursive structure)", self.loc(event),
                                    hint="an alias can repeat a collection only after it is closed")
                if event.anchor not in self.anchors:
                    raise SpecError(f"the alias *{event.anchor} names no anchor defined before it",
                                    self.loc(event), hint=f"mark the value to repeat with &{event.anchor} first")
                value = self.anchors[event.anchor]
                height = self.heights.get(event.anchor, 0)
                if len(stack) + height > MAX_NESTING:  # aliases nest without brackets
                    raise SpecError(f"the alias *{event.anchor} nests lists and mappings deeper than {MAX_NESTING} "
                                    "levels", self.loc(event), hint="use blocks and repeat for depth, not aliases "
                                    "of aliases")
                if stack and stack[-1].height <= height:
                    stack[-1].height = height + 1
            elif kind is DocumentStartEvent:
                documents += 1
                if documents > 1:
                    raise SpecError("a spec holds one YAML document, but this file has several",
                                    self.loc(event), hint="remove the second '---' and what follows, "
                                    "or put each network in its own file")
                continue
            elif kind is StreamEndEvent:
                return root
            else:  # StreamStartEvent, DocumentEndEvent
                assert kind in (StreamStartEvent, DocumentEndEvent), kind
                continue
            if not stack:
                root = value
                continue
            if loc is None:
                mark = event.start_mark
                loc = Loc(file, mark.line + 1, mark.column + 1) if self.starts is None else self.loc(event)
            parent = stack[-1]
            if type(parent.value) is YList:  # the common case, inline: a list item
                parent.value.append(value)
                parent.value.item_locs.append(loc)
            else:
                self.attach(parent, value, loc, kind, is_key)

    def attach(self, parent: _Open, value: Any, loc: Loc, kind: type, merge_key: bool) -> None:
        """A key or a value inside a mapping (list items are appended in run())."""
        container = parent.value
        if parent.key is _NONE:  # this is a key
            if merge_key:
                parent.key = _MERGE
            elif kind is not ScalarEvent and not (kind is AliasEvent and _hashable(value)):
                raise SpecError("a mapping key must be a plain name, not a list or mapping", loc)
            else:
                if value in container:
                    first = container.key_locs[value]
                    raise SpecError(
                        f"duplicate key '{value}' (first written at line {first.line})", loc,
                        hint="YAML keeps only the last of duplicate keys; remove or rename one",
                    )
                parent.key = value
                if not isinstance(value, str) and kind is ScalarEvent:
                    container.__dict__.setdefault("key_texts", {})[value] = self.text
            parent.key_loc = loc
        else:  # this is the value of the pending key
            if parent.key is _MERGE:
                parent.merges.append((value, loc))
            else:
                container[parent.key] = value
                container.key_locs[parent.key] = parent.key_loc
                container.value_locs[parent.key] = loc
            parent.key = _NONE

    def merge(self, target: YMap, merges: list[tuple[Any, Loc]]) -> None:
        """'<<: *base' fills in the keys not written explicitly."""
        for value, loc in merges:
            for source in value if isinstance(value, YList) else [value]:
                if not isinstance(source, YMap):
                    raise SpecError("'<<' merges only mappings", loc)
                for key, item in source.items():
                    if key not in target:
                        target[key] = item
                        target.key_locs[key] = source.key_locs[key]
                        target.value_locs[key] = source.value_locs[key]

    def scalar(self, event: ScalarEvent) -> tuple[Any, str]:
        text, tag = event.value, event.tag
        if tag is None or tag == "!":
            plain = event.implicit[0]
            if plain and text.isascii() and text.isdigit() and (text[0] != "0" or text == "0"):
                if len(text) > MAX_DIGITS:  # before int(): its cost grows with the square of the length
                    raise SpecError(too_large_text(f"the number {text[:12]}..."), self.loc(event),
                                    hint=_HUGE_HINT)
                return int(text), _TAG + "int"  # the common case, as PyYAML would resolve it
            if not plain or (text and text[0] not in _SPECIAL_FIRST and None not in _SPECIAL_FIRST):
                return text, _STR  # quoted, or cannot resolve to anything but a string
            tag = _resolver.resolve(ScalarNode, text, event.implicit)
            if tag == _STR and _EXPONENT_FLOAT.fullmatch(text):
                tag = _TAG + "float"
        if tag == _STR or tag in _TEXT_TAGS or tag == _MERGE:
            return text, tag
        if tag not in _CONSTRUCTED:
            raise _tag_error(tag, self.loc(event))
        node = ScalarNode(tag, text, event.start_mark, event.end_mark, event.style)
        if tag != _TAG + "bool" and tag != _TAG + "null" and len(text) > 2 * MAX_DIGITS:
            raise SpecError(too_large_text(f"the number {text[:12]}..."), self.loc(event), hint=_HUGE_HINT)
        try:
            value = _constructor.construct_object(node)
        except (ConstructorError, ValueError) as e:
            raise SpecError(f"cannot read the value '{visible(text)}': {e}", self.loc(event)) from None
        number = isinstance(value, (int, float)) and not isinstance(value, bool)
        if number and math.isfinite(value) and too_large(value):
            raise SpecError(too_large_text(f"the number {text[:12]}{'...' if len(text) > 12 else ''}"),
                            self.loc(event), hint=_HUGE_HINT)
        return value, tag


def _hashable(value: Any) -> bool:
    return not isinstance(value, (dict, list))


def _too_deep(loc: Loc) -> SpecError:
    return SpecError(f"lists and mappings nest deeper than {MAX_NESTING} levels", loc,
                     hint="use blocks and repeat for depth, not nested brackets")


def _tag_error(tag: str, loc: Loc) -> SpecError:
    return SpecError(
        f"the YAML tag '{tag}' is not allowed", loc,
        hint="specs hold plain data only: numbers, text, true/false, lists and mappings",
    )
