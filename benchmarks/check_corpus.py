"""How many figures of the corpus of published documents (tests/corpus) nnarith check judges
as a careful reader does: the verdict files beside each document say what that is.

    python benchmarks/check_corpus.py            # a line per document, then the fraction
    python benchmarks/check_corpus.py -v         # and every figure judged otherwise
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.corpus_verdicts import DOCUMENTS, HELDOUT, HELDOUT2, compare  # noqa: E402


def report(title: str, documents: list, verbose: bool) -> None:
    right = total = 0
    print(title)
    for doc in documents:
        outcome = compare(doc)
        right += outcome.right
        total += outcome.total
        print(f"{outcome.right:4}/{outcome.total:<4} {doc.name}{'  ' + outcome.error if outcome.error else ''}")
        if verbose:
            for line in outcome.misses:
                print(f"          {line}")
    print(f"{right}/{total} figures judged as expected ({100 * right / max(total, 1):.1f}%)\n")


def main() -> None:
    verbose = "-v" in sys.argv
    report("tests/corpus (the readers were built on these):", DOCUMENTS, verbose)
    report("tests/corpus/heldout (written afterwards, unseen while building):", HELDOUT, verbose)
    report("tests/corpus/heldout2 (written after the fixes the first held-out set led to):", HELDOUT2, verbose)


if __name__ == "__main__":
    main()
