"""Claims made in sentences: "It has 25.6M parameters and needs 4.1 GMACs for one 224x224 image",
"VGG-16, with 138 million parameters", "the number of parameters in VGG16 is 138 million",
"conv1 has 34,944 weights", "the output is 7x7x512", "a receptive field of 212 pixels",
"a 22 layers deep network", "96 11x11 filters at stride 4".

A figure's subject is the phrase before the verb that states it ("conv1 has", "ResNet-50
needs"), else the label before a colon ("First layer (CONV1): ..."), else the network the
sentence names before it ("... is called GoogLeNet, a 22 layers deep network"). Alignment
makes the phrase a layer or the whole network (it, the model, the network); a phrase that
names a network (`names`) makes the claim about that network.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from nnarith.check.claims import Claim, Subject
from nnarith.check.fit import FIT_TEXT
from nnarith.errors import Loc

MAX_LINE = 2000  # prose past this on one line is not read: sentences are shorter
_NUMBER = (r"(?:~|≈|about |around |roughly |approximately |approx\. |only |just |over |nearly )?"
           r"(?<![\d.,\u2009])\d[\d,.\u2009]*(?:\s*(?:×|x|\*)\s*10\^?\d+)?(?:\s?(?:thousand|million|billion|trillion|[KMBGT])\b)?")
_WORD = (r"(?P<prefix>[GMKT]|giga|mega|kilo)?-?(?P<word>trainable parameters|trainable connections|parameters|"
         r"params|weights|"
         r"flops|flop|macs|mac|multiply-adds|mult-adds|multiply-accumulates|multiply-accumulate operations)\b")
_COUNT = re.compile(rf"(?P<num>{_NUMBER})\s*(?:{_WORD})(?:\s*\((?P<again>{_NUMBER})\))?", re.I)
_PAIR = re.compile(rf"(?<![\d.,])(?P<a>\d[\d.,]*)/(?P<b>{_NUMBER})\s*(?:{_WORD})", re.I)  # "15.3/19.6 billion FLOPs"
_KEYED = re.compile(r"\b(?P<word>parameters|params|weights|flops|macs)\s*:\s*(?P<num>[(~≈\d][^;]*?)(?=\.\s|;|$)",
                    re.I)  # "Parameters: (11*11*3)*96 = 35K"
_MAPS = re.compile(r"\b(?:feature maps?|f\. maps|maps)\s+(?P<shape>\d+@\d+\s*[x×]\s*\d+)", re.I)
_UNITS = re.compile(r"^\s*[\w\-]+:\s*layer (?P<n>\d+)\b", re.I)  # LeNet's "C5: layer 120"
_KERNEL = re.compile(r"\b(?P<k>\d+\s*[x×]\s*\d+)\s+(?:kernels?|filters? size|pooling|pool|window)\b", re.I)
_CHANNELS = re.compile(r"\b(?P<n>\d+)\s+output channels\b", re.I)
_CONNECTIONS = re.compile(rf"(?P<num>{_NUMBER})\s+connections\b", re.I)  # LeNet's: not a figure nnarith has
_NEIGHBOURS = re.compile(r"\bconnected to (?:a |several )?(?P<k>\d+\s*[x×]\s*\d+) neighbou?rhoods?", re.I)
_OF_IS = re.compile(rf"(?:number|no\.|count) of (?:{_WORD})(?: in| of| for)?\s+(?P<who>[\w.\-]+(?: [\w.\-]+)?)\s+"
                    rf"(?:is|are|was|=|:)\s+(?P<num>{_NUMBER})", re.I)
_SHAPE = re.compile(r"\boutput(?: shape| size| volume| feature map| map)?"
                    r"(?: of (?P<layer>[\w.\-]+(?: \([\w ]+\))?))?"
                    r"\s*(?:is|was|of|has shape|becomes|:)?\s*(?:an? |of |\[)?"
                    r"(?P<shape>\d+(?:\.\d+)?\s*[x×]\s*\d+(?:\.\d+)?(?:\s*[x×]\s*\d+(?:\.\d+)?)*"
                    rf"|{FIT_TEXT})", re.I)  # 2.33x2.33, "doesn't fit": fit.py
_RF = re.compile(r"\breceptive field(?: size)?\s*(?:of|is|:)\s*(?P<rf>\d+(?:\s*[x×]\s*\d+)?)", re.I)
_WORDS = ("one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen "
          "seventeen eighteen nineteen twenty").split()
_WORD_NUMBER = "|".join(_WORDS)
# "50 layers deep", "16 layers with weights", "has 16 (weight) layers", "a 16-layer network", "a depth of 16";
# "the 152-layer ResNet" names a network, and "13 convolutional layers" are some of its layers
_DEPTH = re.compile(rf"\b(?P<n>\d+|{_WORD_NUMBER})[ -]layers?(?:[ -]deep| with weights)\b"
                    rf"|\b(?:has|have|had|with|contains|comprises|of)\s+(?P<m>\d+|{_WORD_NUMBER})\s+"
                    r"(?:weight(?:ed)?\s+)?layers\b(?!\s+(?:of|each)\b)"
                    rf"|\b(?P<k>\d+|{_WORD_NUMBER})-layers?\s+(?:deep\s+)?(?:(?:convolutional|neural|residual)\s+)*"
                    r"(?:network|net|model|cnn|convnet)s?\b"
                    r"|\bdepth\s+(?:of|is|=|:)\s+(?P<d>\d+)\b", re.I)
_KXK = r"\d+\s*[x×]\s*\d+(?:\s*[x×]\s*\d+)?"
_FILTERS = re.compile(rf"\b(?P<n>\d+) (?:(?P<k>{_KXK}) )?(?:filters|kernels|convolutions)\b"
                      rf"(?: of size (?P<k2>{_KXK}))?", re.I)  # AlexNet's "96 kernels of size 11×11×3"
_INPUT = re.compile(rf"\b(?P<shape>{_KXK}) input(?: image)?\b", re.I)
_WAYS = re.compile(r"\b(?P<n>\d+)-way (?:softmax|classifier|output)\b", re.I)
_LEAD_LAYER = re.compile(r"^\s*(?:the )?(?:first|second|third|fourth|fifth|sixth|last|final) [\w-]+(?: [\w-]+)? "
                         r"layers?\b", re.I)
_POOL = re.compile(r"\bpool(?:ing)? size (?:of )?(?P<k>\d+(?:\s*[x×]\s*\d+)?)", re.I)
_STRIDE = re.compile(r"\b(?:at )?stride (?:of )?(?P<s>\d+)\b", re.I)
_VERB = re.compile(r"(?P<who>[\w.\-()]+(?:[ -][\w.\-()]+){0,3}?)\s*,?\s+(?:has|have|had|contains|with|needs|need"
                   r"|requires|require|uses|use|takes|costs|cost|holds|is|are|at|of)\s+(?:\w+ ){0,2}$", re.I)
_FIGURE = {"parameters": "params", "params": "params", "trainable parameters": "params", "weights": "weights",
           "trainable connections": "params",  # LeNet-5's C5: fully connected, so its connections are its weights
           "flops": "flops", "flop": "flops", "macs": "macs", "mac": "macs", "multiply-adds": "macs",
           "mult-adds": "macs", "multiply-accumulates": "macs", "multiply-accumulate operations": "macs"}
_PREFIX = {"g": "G", "giga": "G", "m": "M", "mega": "M", "k": "K", "kilo": "K", "t": "T"}
GENERIC = {"it", "this", "the model", "the network", "this model", "this network", "our model", "the net", "model",
           "network", "which", "that", "total", "in total", "overall"}


def _unit(prefix: str | None) -> str | None:
    if not prefix or (prefix[0] in "mM" and prefix != "M" and not prefix.lower().startswith("mega")):
        return None
    return _PREFIX[prefix.lower()]


def _claims(line: str) -> list[tuple[int, str, str, int, str | None, str | None]]:
    """(position, figure, text, column, unit, the subject the pattern itself gives) of each figure."""
    found = []
    taken: list[tuple[int, int]] = []
    for m in _OF_IS.finditer(line):
        found.append((m.start(), _FIGURE[m["word"].lower()], m["num"].strip(), m.start("num"), _unit(m["prefix"]),
                      m["who"]))
        taken.append(m.span("num"))
    for m in _PAIR.finditer(line):  # "VGG-16/19 nets (15.3/19.6 billion FLOPs)": one figure for each
        b = m["b"].strip()
        scale = b[len(b.rstrip("abcdefghijklmnopqrstuvwxyzKMBGT ")):] if not b[-1].isdigit() else ""
        for k, (text, col) in enumerate(((m["a"] + (" " + scale.strip() if scale.strip() else ""), m.start("a")),
                                         (b, m.start("b")))):
            found.append((m.start() + k, _FIGURE[m["word"].lower()], text, col, _unit(m["prefix"]), f"#pair{k}"))
        taken.append((m.start(), m.end()))
    for m in _COUNT.finditer(line):
        if not any(a <= m.start("num") < b for a, b in taken):
            figure, unit = _FIGURE[m["word"].lower()], _unit(m["prefix"])
            found.append((m.start(), figure, m["num"].strip(), m.start("num"), unit, None))
            if m["again"]:  # "25,557,032 parameters (25.6M)": the same figure, rounded
                found.append((m.start("again"), figure, m["again"].strip(), m.start("again"), unit, "#same"))
    for m in _KEYED.finditer(line):
        found.append((m.start(), _FIGURE[m["word"].lower()], m["num"].strip(), m.start("num"), None, None))
    for m in _MAPS.finditer(line):
        found.append((m.start(), "output", m["shape"], m.start("shape"), None, None))
    for m in _UNITS.finditer(line):
        found.append((m.start("n"), "output", m["n"], m.start("n"), None, None))
    for m in _NEIGHBOURS.finditer(line):
        found.append((m.start(), "kernel", m["k"], m.start("k"), None, None))
    for m in _SHAPE.finditer(line):
        found.append((m.start(), "output", m["shape"], m.start("shape"), None, m["layer"]))
    for m in _RF.finditer(line):
        found.append((m.start(), "rf", m["rf"], m.start("rf"), None, None))
    for m in _DEPTH.finditer(line):
        g = next(g for g in "nmkd" if m[g])
        n = m[g].lower()
        found.append((m.start(), "depth", str(_WORDS.index(n) + 1) if n in _WORDS else n, m.start(g), None, None))
    for m in _FILTERS.finditer(line):
        found.append((m.start(), "filters", m["n"], m.start("n"), None, None))
        k = "k" if m["k"] else "k2" if m["k2"] else None
        if k:
            found.append((m.start(k), "kernel", m[k], m.start(k), None, "#same"))
    for m in _INPUT.finditer(line):
        found.append((m.start(), "output", m["shape"], m.start("shape"), None, "input"))
    for m in _WAYS.finditer(line):
        found.append((m.start(), "output", m["n"], m.start("n"), None, None))
    for m in _KERNEL.finditer(line):
        found.append((m.start(), "kernel", m["k"], m.start("k"), None, None))
    for m in _CHANNELS.finditer(line):
        found.append((m.start(), "filters", m["n"], m.start("n"), None, None))
    for m in _POOL.finditer(line):
        found.append((m.start(), "kernel", m["k"], m.start("k"), None, None))
    if found:  # a stride only beside other figures of a layer: "96 11x11 filters at stride 4"
        for m in _STRIDE.finditer(line):  # about what the figure before it was about
            found.append((m.start(), "stride", m["s"], m.start("s"), None, "#same"))
    for m in _CONNECTIONS.finditer(line):
        found.append((m.start(), "connections", m["num"].strip(), m.start("num"), None, None))
    return sorted(found)


def read_prose(line: str, number: int, file: str, names: Callable[[str], bool] | None = None) -> list[Subject]:
    """The claims of one line of prose, each with the subject its sentence gives it."""
    line = line[:MAX_LINE]
    subjects: list[Subject] = []
    start = 0
    lead = re.match(r"^\s*([A-Z][\w\-]{0,20}):\s", line)  # "F6: ... It has 10,164 trainable parameters"
    for pos, figure, text, col, unit, given in _claims(line):
        before = line[start:pos]
        if given and given.startswith("#pair"):
            given = _pair(line[:pos], int(given[5:]), names)
        elif given == "#same":
            given = subjects[-1].label if subjects else None
        who = given or _subject(before, line[:pos]) or _named(before, names) or (subjects[-1].label if subjects else "")
        who = re.sub(r"^(?:the|a|an|and|but|while|whereas|so|in)\s+", "", who.strip(), flags=re.I)
        if lead and not re.search(r"\d|\w[A-Z]", who):  # "C1: ... each feature map ...", "F6: ... It has"
            who = lead[1]
        claim = Claim(figure, text, Loc(file, number, col + 1), unit)
        if subjects and subjects[-1].label == who:
            subjects[-1].claims.append(claim)
        else:
            subject = Subject(who, Loc(file, number, col + 1), [claim], kind="prose")
            if names is not None and who and names(who):
                subject.network = who
            elif names is not None:
                subject.within = _named(line[:pos], names)
            subjects.append(subject)
        start = max(start, col + len(text))  # the next figure's subject is said after this one
    return subjects


def _subject(before: str, upto: str = "") -> str | None:
    whole = re.split(r"[.;!?](?:\s|$)", before)[-1]
    sentence = " ".join(whole[-160:].split()) + " "  # the words just before
    # "The first convolutional layer filters the ... input image with 96 kernels": the sentence's own subject
    lead = _LEAD_LAYER.match(re.split(r"[.;!?](?:\s|$)", upto or before)[-1])
    m = _VERB.search(sentence)
    if lead and (not m or not re.search(r"(?i)\blayers?\b", m["who"])):
        return lead[0].strip()
    if not m:  # "First layer (CONV1): 96 ...", "training-only heads: 3,326,696 params": a label, a colon
        label = re.search(r"([A-Za-z][\w\- .()]{0,40}):\s*(?:\S+\s+){0,2}$", sentence)
        if label:
            return label[1].strip()
        bracket = re.search(r"([A-Za-z][\w\-.]*(?: [\w\-.]+){0,2})\s*\(\s*$", sentence)  # "ResNet (11.3 billion"
        return bracket[1].strip() if bracket else None
    who = m["who"].strip()
    if re.search(r"(?i)\b(and|or|parameters|params|weights|flops|macs|gmacs|gflops)\b", who):
        return lead[0].strip() if lead else None  # "25.6M parameters and needs ...": the subject goes on
    return who


def _pair(before: str, k: int, names: Callable[[str], bool] | None) -> str | None:
    """'VGG-16/19 nets': the k-th of the two networks a slash names."""
    m = re.search(r"([A-Za-z][\w.]*[-\s]?)(\d+)/(\d+)\b[^/]*$", before)
    if not m:
        return None
    return m[1] + (m[2] if k == 0 else m[3])


def _named(before: str, names: Callable[[str], bool] | None) -> str | None:
    """The last network the text names: 'In AlexNet, the ...' -> 'AlexNet'."""
    if names is None:
        return None
    words = re.findall(r"[A-Za-z][\w\-.]*", before)
    for i in range(len(words) - 1, -1, -1):
        for n in (3, 2, 1):
            phrase = " ".join(words[i:i + n])
            if i + n <= len(words) and names(phrase.rstrip(".")):
                return phrase.rstrip(".")
    return None
