"""The check's report: text for people, JSON (schema nnarith.check/1) and JUnit XML for CI.

    ✓    line 4   conv1 output    stated 55x55x96   true 96x55x55: (227 - 11)/4 + 1 = 55
    note line 7   conv3_1 params  stated 294,912    true 295,168 = 256 x (3*3*128 + 1)  (weights without ...)
    41/43 right (2 wrong; 3 notes: right under another convention)
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

from nnarith.analysis.report import DTYPE_BYTES
from nnarith.check.judge import NOTE, OK, WRONG, Item
from nnarith.check.run import Result
from nnarith.render.fit import wrap
from nnarith.render.lines import args_text
from nnarith.render.style import Painter, plain
from nnarith.text import CONTROL, visible

SCHEMA = "nnarith.check/1"
MARKS = {OK: "✓", WRONG: "✗", NOTE: "note"}
PAINTS = {OK: "right", WRONG: "wrong", NOTE: "note"}  # the meaning each verdict's line is painted with
WIDEST = 36  # columns wider than this are not padded further


def true_part(item: Item) -> str:
    """'true 295,168 = 256 x (3*3*128 + 1)': the value first, then how it comes about."""
    d, t = item.derivation, item.true_text
    if not d or d == t:
        return f"true {t}"
    if d.endswith(" = " + t):
        return f"true {t} = {d[:-len(t) - 3]}"
    return f"true {t}: {d}"


def summary(result: Result) -> str:
    ok, wrong, notes = result.count(OK), result.count(WRONG), result.count(NOTE)
    total = ok + wrong + notes
    parts = [f"{wrong} wrong"] if wrong else []
    if notes:
        parts.append(f"{notes} note{'s' if notes > 1 else ''}: right under another convention")
    return f"{ok + notes}/{total} right" + (f" ({'; '.join(parts)})" if parts else "")


def render_text(result: Result, paint: Painter = plain, width: int | None = None) -> str:
    """The report for people: ✓ lines painted 'right', ✗ 'wrong', notes 'note', the head and summary 'heading'.

    Document text (labels, figures as written, file names) is made visible first (an escape code becomes
    \\x1b), and the codes paint adds come after the padding, so that they never count towards a width.
    With a width, a line longer than it folds: the true value goes under the stated one."""
    r = result.report
    against = "its expect: figures" if result.spec == result.file else result.spec
    args = f"; {args_text(r)}" if r.args else ""
    head = (f"{result.file}: checked against {against} ({r.name}, input {r.input}, {r.dtype}, "
            f"{DTYPE_BYTES[r.dtype]} bytes per element{args})")
    if len(result.networks) > 1:
        head = (f"{result.file}: checked against {len(result.networks)} networks ("
                + ", ".join(n.file for n in result.networks)
                + f"; {r.dtype}, {DTYPE_BYTES[r.dtype]} bytes per element)")
    rows = [(i.status, str(i.line), visible(i.what), visible(i.stated),
             visible(true_part(i) + (f"  ({i.note})" if i.note else ""))) for i in result.items]
    w_line = max(len(line) for _, line, *_ in rows)
    w_what = min(WIDEST, max(len(what) for _, _, what, *_ in rows))
    w_stated = min(WIDEST, max(len(stated) for *_, stated, _ in rows))
    lines = [paint(line, "heading") for line in wrap(visible(head).split(" "), width, "", "  ")] + [""]
    for s in result.skipped:
        lines += wrap(visible(f"skipped {s.what} at line {s.line}: {s.reason}").split(" "), width, "", "  ")
    lines += [""] if result.skipped else []
    for status, line, what, stated, true in rows:
        lead = f"{MARKS[status]:<4} line {line:<{w_line}}  {what:<{w_what}}  "
        text = f"{lead}stated {stated:<{w_stated}}  {true}".rstrip()
        if width is not None and len(text) > width:  # the stated column's padding goes first
            text = f"{lead}stated {stated}  {true}".rstrip()
        if width is not None and len(text) > width:  # then the true value goes under the stated one
            hang = " " * (len(lead) if len(lead) <= width // 2 else 5)
            if len(hang) < len(lead):  # a long label: the stated value on a line of its own too
                head_ = [lead.rstrip()] if len(lead.rstrip()) <= width else wrap(lead.split(), width, "", hang)
                folded = head_ + wrap(f"stated {stated}".split(" "), width, hang, hang + "  ")
            else:
                folded = wrap(f"stated {stated}".split(" "), width, lead, hang + "  ")
            lead = hang + "  " * (len(folded) > 1)
            value, _, note = true.partition("  (")  # what is off, in brackets: on a line of its own if need be
            folded += wrap(value.split(" "), width, lead, lead + "  ")
            if note and len(folded[-1]) + 3 + len(note) <= width:
                folded[-1] += f"  ({note}"
            elif note:
                folded += wrap(f"({note}".split(" "), width, lead + "  ", lead + "   ")
        else:
            folded = [text]
        lines += [paint(f, PAINTS[status]) for f in folded]
    lines += ["", *(paint(line, "heading") for line in wrap(summary(result).split(" "), width, "", "  "))]
    return "\n".join(lines) + "\n"


def item_json(item: Item) -> dict:
    derivation = "; ".join(d for d in (item.derivation, item.note) if d)
    return {"line": item.line, "what": item.what, "stated": item.stated, "expected": item.expected,
            "status": item.status, "derivation": derivation}


def render_json(result: Result) -> str:
    doc = {"schema": SCHEMA, "items": [item_json(i) for i in result.items],
           "skipped": [{"line": s.line, "what": s.what, "reason": s.reason} for s in result.skipped],
           "summary": {"ok": result.count(OK), "wrong": result.count(WRONG), "notes": result.count(NOTE)}}
    body = ",\n  ".join(json.dumps(i, ensure_ascii=False) for i in doc["items"])
    text = (f'{{"schema": "{SCHEMA}",\n "items": [\n  {body}\n ],\n "skipped": {json.dumps(doc["skipped"])},\n'
            f' "summary": {json.dumps(doc["summary"])}}}\n')
    # JSON escapes C0 controls; the rest (C1, U+2028, overrides) only as \\u escapes, which hold the same text
    return CONTROL.sub(lambda m: f"\\u{ord(m[0]):04x}", text)


def junit(results: list[Result]) -> bytes:
    """One test case per figure; a wrong figure is a failure, a note passes with its note."""
    suites = ET.Element("testsuites", name="nnarith check")
    for result in results:
        suite = ET.SubElement(suites, "testsuite", name=result.file,
                              tests=str(len(result.items) + len(result.skipped)),
                              failures=str(result.count(WRONG)), errors="0", skipped=str(len(result.skipped)))
        for item in result.items:
            case = ET.SubElement(suite, "testcase", classname=result.file, name=f"line {item.line}: {item.what}",
                                 file=result.file, line=str(item.line))
            text = f"stated {item.stated}; {true_part(item)}" + (f" ({item.note})" if item.note else "")
            if item.status == WRONG:
                failure = ET.SubElement(case, "failure", message=f"stated {item.stated}, {true_part(item)}",
                                        type="wrong")
                failure.text = text
            elif item.status == NOTE:
                ET.SubElement(case, "system-out").text = f"note: {text}"
        for s in result.skipped:  # what looked like figures and was not checked, with the reason
            case = ET.SubElement(suite, "testcase", classname=result.file, name=f"line {s.line}: {s.what}",
                                 file=result.file, line=str(s.line))
            ET.SubElement(case, "skipped", message=s.reason)
    for element in suites.iter():  # XML 1.0 cannot hold control characters, even escaped
        element.text = element.text and visible(element.text)
        for key, value in element.attrib.items():
            element.set(key, visible(value))
    suites.set("tests", str(sum(len(r.items) + len(r.skipped) for r in results)))
    suites.set("failures", str(sum(r.count(WRONG) for r in results)))
    ET.indent(suites)
    return ET.tostring(suites, encoding="utf-8", xml_declaration=True) + b"\n"
