"""Claims made in sentences: "It has 25.6M parameters and needs 4.1 GMACs for one 224x224 image",
"VGG-16, with 138 million parameters", "conv1 has 34,944 weights", "the output is 7x7x512",
"a receptive field of 7".

Each figure's subject is the phrase before the verb that states it ("conv1 has", "ResNet-50
needs"): alignment makes it a layer, a network, or (it, the model, the network) the whole
network the document is about.
"""

from __future__ import annotations

import re

from nnarith.check.claims import Claim, Subject
from nnarith.errors import Loc

_NUMBER = (r"(?:~|≈|about |around |roughly |approximately |approx\. |only |just |over |nearly )?"
           r"\d[\d,.\u2009]*(?:\s*(?:×|x|\*)\s*10\^?\d+)?(?:\s?(?:thousand|million|billion|trillion|[KMBGT])\b)?")
_WORD = (r"(?P<prefix>[GMKT]|giga|mega|kilo)?-?(?P<word>trainable parameters|parameters|params|weights|"
         r"flops|flop|macs|mac|multiply-adds|mult-adds|multiply-accumulates|multiply-accumulate operations)\b")
_COUNT = re.compile(rf"(?P<num>{_NUMBER})\s*(?:{_WORD})", re.I)
_SHAPE = re.compile(r"\boutput(?: shape| size| volume| feature map| map)?"
                    r"(?: of (?P<layer>[\w.\-]+(?: \([\w ]+\))?))?"
                    r"\s*(?:is|was|of|has shape|becomes|:)\s*(?:an? |of )?"
                    r"(?P<shape>\d+\s*[x×]\s*\d+(?:\s*[x×]\s*\d+)*)",
                    re.I)
_RF = re.compile(r"\breceptive field(?: size)?\s*(?:of|is|:)\s*(?P<rf>\d+(?:\s*[x×]\s*\d+)?)", re.I)
_VERB = re.compile(r"(?P<who>[\w.\-()]+(?:[ -][\w.\-()]+){0,3}?)\s*,?\s+(?:has|have|had|contains|with|needs|need"
                   r"|requires|require|uses|use|takes|costs|cost|holds|is|are|at|of)\s+(?:\w+ ){0,2}$", re.I)
_FIGURE = {"parameters": "params", "params": "params", "trainable parameters": "params", "weights": "weights",
           "flops": "flops", "flop": "flops", "macs": "macs", "mac": "macs", "multiply-adds": "macs",
           "mult-adds": "macs", "multiply-accumulates": "macs", "multiply-accumulate operations": "macs"}
_PREFIX = {"g": "G", "giga": "G", "m": "M", "mega": "M", "k": "K", "kilo": "K", "t": "T"}
GENERIC = {"it", "this", "the model", "the network", "this model", "this network", "our model", "the net", "model",
           "network", "which", "that", "total", "in total", "overall"}


def read_prose(line: str, number: int, file: str) -> list[Subject]:
    """The claims of one line of prose, each with the subject its sentence gives it."""
    subjects: list[Subject] = []
    found = []
    for m in _COUNT.finditer(line):
        prefix = m["prefix"]
        if prefix and prefix[0] in "mM" and prefix != "M" and not prefix.lower().startswith("mega"):
            prefix = None
        unit = _PREFIX[prefix.lower() if len(prefix) > 1 else prefix.lower()] if prefix else None
        text = m["num"].strip()
        found.append((m.start(), _FIGURE[m["word"].lower()], text, m.start("num"), unit, None))
    for m in _SHAPE.finditer(line):
        found.append((m.start(), "output", m["shape"], m.start("shape"), None, m["layer"]))
    for m in _RF.finditer(line):
        found.append((m.start(), "rf", m["rf"], m.start("rf"), None, None))
    found.sort()
    start = 0
    for pos, figure, text, col, unit, layer in found:
        who = layer or _subject(line[start:pos]) or (subjects[-1].label if subjects else "")
        subject = Subject(who, Loc(file, number, col + 1), kind="prose")
        subject.claims.append(Claim(figure, text, Loc(file, number, col + 1), unit))
        if subjects and subjects[-1].label == who:
            subjects[-1].claims.extend(subject.claims)
        else:
            subjects.append(subject)
        start = pos if layer or who else start
    return subjects


def _subject(before: str) -> str | None:
    sentence = re.split(r"[.;!?](?:\s|$)", before)[-1]
    m = _VERB.search(sentence)
    if not m:  # "training-only heads: 3,326,696 params": the label before a colon
        label = re.search(r"([A-Za-z][\w\- .]{0,40}):\s*$", sentence)
        return label[1].strip() if label else None
    who = re.sub(r"^(?:the|a|an|and|but|while|whereas|so)\s+", "", m["who"].strip(), flags=re.I)
    return who
