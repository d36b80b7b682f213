"""solve's exact search: the integer whose figure comes closest to a target, ties to the smaller value.

The values searched are the multiples of `step` between the bounds. A range of at most SCAN values is searched
whole. A larger one is bisected on the assumption that the figure is monotonic in the value (a width's params
grow with it, a depth's linearly), each step interpolating where that shrinks the bracket fast; the assumption
is checked at the bracket's ends, at SAMPLES values spread over it, at every value the bisection evaluated and at
the neighbours of the answer. If any of those values breaks it, the figure is not monotonic: a
range of at most EXHAUSTIVE values is then searched whole, and a larger one is reported as not searched whole,
with the best of the values evaluated. Without an upper bound, the range is found by doubling (from a start
given, the argument's default) until the figure passes the target or moves away from it.

A value that makes the spec invalid (the figure raises an NnarithError) ends the search: the boundary between the
valid and the invalid values nearest it is found by bisection and reported, with the spec's own located error.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction

from nnarith.errors import NnarithError

SCAN = 16  # values searched whole without assuming anything
SAMPLES = 8  # values spread over a bisected range to check that the figure is monotonic there
EXHAUSTIVE = 4096  # a non-monotonic figure's range searched whole up to this many values
LARGEST = 2 ** 64  # the doubling's end, without --max


@dataclass(frozen=True)
class Found:
    value: int
    achieved: int
    lo: int  # the bounds searched (values, multiples of the step)
    hi: int
    method: str  # 'every value', 'bisection' or 'not monotonic'
    evaluated: int  # values at which the figure was computed
    reached: bool  # some value's figure is at or below the target and some at or above (or equal to it)
    whole: bool  # exact: a bisection over a monotonic figure, or every value of the range
    broken: tuple[tuple[int, int], tuple[int, int], tuple[int, int]] | None = None  # three values not monotonic


class InvalidValue(NnarithError):
    """A value in the range makes the spec invalid: the spec's own error, with the boundary found."""

    def __init__(self, value: int, valid: int | None, error: NnarithError) -> None:
        super().__init__(str(error))
        self.value, self.valid, self.error = value, valid, error


def solve(figure: Callable[[int], int], target: Fraction | int, lo: int, hi: int | None, step: int = 1,
          start: int | None = None) -> Found:
    """The multiple of `step` in [lo, hi] (hi None: found by doubling, from `start` where it is above lo: the
    argument's default, a value of the right scale) whose figure is closest to `target`."""
    search = _Search(figure, step)
    a = -(-lo // step)
    if hi is None:
        b = search.upper(a, target, (start or 0) // step)
    else:
        b = hi // step
        try:
            search.at(a)
        except InvalidValue as e:  # invalid where the search starts: is the upper end valid?
            if a == b:
                raise
            try:
                search.at(b)
            except InvalidValue:
                raise e from None
            raise search.boundary(a) from None  # the boundary lies between the ends
        search.at(b)
    if b - a + 1 <= SCAN:
        return search.every(a, b, target, "every value", None)
    search.samples(a, b)
    best = search.bisect(a, b, target)
    broken = search.unordered(a, b, best)
    if broken is None:
        return search.found(best, a, b, target, "bisection", True)
    if b - a + 1 <= EXHAUSTIVE:
        return search.every(a, b, target, "not monotonic", broken)
    best = min((i for i in search.seen if a <= i <= b), key=lambda i: search.rank(i, target))
    return search.found(best, a, b, target, "not monotonic", False, broken)


class _Search:
    def __init__(self, figure: Callable[[int], int], step: int) -> None:
        self.figure, self.step = figure, step
        self.seen: dict[int, int] = {}  # index (value // step): figure
        self.invalid: dict[int, NnarithError] = {}

    def at(self, i: int) -> int:
        """The figure at value i * step; a value that makes the spec invalid ends the search, located."""
        if i not in self.seen:
            try:
                self.seen[i] = self.figure(i * self.step)
            except NnarithError as e:
                self.invalid[i] = e
                raise self.boundary(i) from None
        return self.seen[i]

    def boundary(self, bad: int) -> InvalidValue:
        """The invalid value next to the nearest valid one evaluated, by bisection between them."""
        if not self.seen:
            return InvalidValue(bad * self.step, None, self.invalid[bad])
        good = min(self.seen, key=lambda i: abs(i - bad))
        while abs(bad - good) > 1:
            mid = (bad + good) // 2
            try:
                self.seen[mid] = self.figure(mid * self.step)
                good = mid
            except NnarithError as e:
                self.invalid[mid] = e
                bad = mid
        return InvalidValue(bad * self.step, good * self.step, self.invalid[bad])

    def rank(self, i: int, target: Fraction | int) -> tuple[Fraction | int, int]:
        return abs(self.seen[i] - target), i

    def upper(self, a: int, target: Fraction | int, start: int) -> int:
        """The doubling, from a then `start` where it is above a: up to the first index whose figure is on the
        target's other side from a's (or equal to it), or that moves away from the target on the same side, or
        LARGEST."""
        first = self.at(a)
        prev, i = a, a
        while self.at(prev) != target and i * self.step < LARGEST:
            i = start if i == a and start > a else max(2 * i, i + 1)
            now = self.at(i)
            if (now - target) * (first - target) <= 0 or abs(now - target) > abs(self.at(prev) - target):
                break
            prev = i
        return i

    def every(self, a: int, b: int, target: Fraction | int, method: str,
              broken: tuple[tuple[int, int], ...] | None) -> Found:
        for i in range(a, b + 1):
            self.at(i)
        best = min(range(a, b + 1), key=lambda i: self.rank(i, target))
        return self.found(best, a, b, target, method, True, broken)

    def bisect(self, a: int, b: int, target: Fraction | int) -> int:
        """Assuming the figure monotonic over [a, b]: the smallest index of the closest figure."""
        sign = 1 if self.at(b) >= self.at(a) else -1
        h = lambda i: sign * self.at(i)  # noqa: E731 - non-decreasing where the figure is monotonic
        t = sign * target
        if t <= h(a):
            return a
        if t > h(b):
            return self.first(a, b, h(b), h)  # the smallest index of the largest figure
        u = self.first(a, b, t, h)  # the first at or past the target
        if h(u) == t:
            return u
        below = u - 1 if u - 2 < a or h(u - 2) < h(u - 1) else self.first(a, u - 1, h(u - 1), h)
        return min((below, u), key=lambda i: self.rank(i, target))

    def first(self, a: int, b: int, t: Fraction | int, h: Callable[[int], Fraction | int]) -> int:
        """The smallest index in [a, b] whose h is at least t, where b's is and h does not decrease. The values
        already evaluated narrow the bracket; then each step interpolates (a figure is mostly a polynomial in
        the value), or bisects after a step that did not halve the bracket."""
        if h(a) >= t:
            return a
        inside = [i for i in self.seen if a < i < b]
        b = min((i for i in inside if h(i) >= t), default=b)
        a = max((i for i in inside if i < b and h(i) < t), default=a)
        interpolate = True
        while b - a > 1:
            mid = (a + b) // 2
            if interpolate:
                guess = a - (-(t - h(a)) * (b - a) // (h(b) - h(a)))  # rounded up: at or past the crossing
                mid = min(max(guess, a + 1), b - 1)
            width = b - a
            a, b = (a, mid) if h(mid) >= t else (mid, b)
            interpolate = 2 * (b - a) <= width
        return b

    def samples(self, a: int, b: int) -> None:
        """SAMPLES values spread over (a, b), evaluated before the bisection, which they narrow."""
        for k in range(1, SAMPLES + 1):
            self.at(a + (b - a) * k // (SAMPLES + 1))

    def unordered(self, a: int, b: int, best: int) -> tuple[tuple[int, int], ...] | None:
        """Three values (index, figure) evaluated, in order, whose figures go up then down or down then up; None
        where every value evaluated, the samples and the answer's neighbours among them, is in monotonic order."""
        for i in (best - 1, best + 1):
            if a <= i <= b:
                self.at(i)
        points = sorted((i, f) for i, f in self.seen.items() if a <= i <= b)
        # each run of equal figures, by its first value; then the direction must never turn
        runs = [q for p, q in zip([None, *points], points) if p is None or p[1] != q[1]]
        for p, q, r in zip(runs, runs[1:], runs[2:]):
            if (q[1] > p[1]) != (r[1] > q[1]):
                return tuple((i * self.step, f) for i, f in (p, q, r))
        return None

    def found(self, best: int, a: int, b: int, target: Fraction | int, method: str, whole: bool,
              broken: tuple[tuple[int, int], ...] | None = None) -> Found:
        figures = [f for i, f in self.seen.items() if a <= i <= b]
        reached = min(figures) <= target <= max(figures)
        return Found(best * self.step, self.seen[best], a * self.step, b * self.step, method, len(self.seen),
                     reached, whole, broken)
